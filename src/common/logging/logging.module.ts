import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule, Params } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { createRootLogger } from './logger';

/** The pino root logger of this application (LOG_LEVEL, LOG_FORMAT). */
export const ROOT_LOGGER = Symbol('RootLogger');

/**
 * nestjs-pino over our root logger: `app.useLogger(app.get(Logger))` turns every Nest `Logger`
 * call into a JSON line of it, carrying the request id inside a request. The request logger
 * itself (pino-http) is mounted first by setupApp, so even requests refused before routing
 * are logged; here nestjs-pino only binds its `req.log` (`useExisting`).
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [
        {
          provide: ROOT_LOGGER,
          inject: [AppConfig],
          useFactory: (config: AppConfig): Logger => createRootLogger(config.env),
        },
      ],
      inject: [ROOT_LOGGER],
      useFactory: (root: Logger): Params => ({
        pinoHttp: { logger: root },
        useExisting: true,
        // Binding `req.log` to a request runs it in an AsyncLocalStorage, which turns on
        // promise hooks for the whole process (a cost on every promise). Below `info` no
        // request line is written and few others are: those use the root logger, whose
        // lines name the request or generation in their text.
        forRoutes: root.isLevelEnabled('info')
          ? [{ path: '{*path}', method: RequestMethod.ALL }]
          : [],
      }),
    }),
  ],
})
export class LoggingModule {}
