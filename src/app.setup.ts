import { Logger, NestApplicationOptions } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import { AppError } from './common/errors/app-error';
import { HttpExceptionFilter, writeError } from './common/filters/http-exception.filter';
import { EnvelopeInterceptor } from './common/http/envelope.interceptor';
import { contextOf, ContextRequest, REQUEST_ID_HEADER } from './common/http/request-context';
import { AppValidationPipe } from './common/pipes/validation';
import { AppConfig } from './config/app-config';
import { WsAdapter } from '@nestjs/platform-ws';

export const API_PREFIX = 'api/v1';

/** Options for creating the Nest application; the body parser is ours (see setupApp). */
export const APP_OPTIONS: NestApplicationOptions = { bodyParser: false, abortOnError: false };

/**
 * Everything main.ts configures on the application. Tests call this too, so they run
 * exactly the production wiring.
 */
export function setupApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get(AppConfig);
  const logger = new Logger('Http');

  app.disable('x-powered-by');
  app.setGlobalPrefix(API_PREFIX);
  app.enableCors({
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    credentials: true,
    exposedHeaders: [REQUEST_ID_HEADER, 'Retry-After'],
  });

  // Request id first, so every answer (parser errors included) carries one.
  app.use((req: ContextRequest, res: Response, next: NextFunction) => {
    res.setHeader(REQUEST_ID_HEADER, contextOf(req).requestId);
    next();
  });
  // Everything this service serves is under the prefix; other paths get the JSON 404, not
  // Express's HTML page.
  app.use((req: ContextRequest, res: Response, next: NextFunction) => {
    if (req.path === `/${API_PREFIX}` || req.path.startsWith(`/${API_PREFIX}/`)) return next();
    writeError(
      new AppError('RESOURCE_NOT_FOUND', 'error.route_not_found', undefined, 404),
      req,
      res,
      logger,
    );
  });
  app.use(
    express.json({
      limit: config.env.BODY_LIMIT_BYTES,
      type: ['application/json', 'application/*+json'],
    }),
  );
  // Malformed or oversized bodies never reach a route: answer them in the error envelope.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) =>
    writeError(error, req, res, logger),
  );

  // WebSocket frames all go to the chat gateway's one handler, which parses and routes them itself
  // (a malformed frame gets an error frame there instead of being dropped).
  app.useWebSocketAdapter(
    new WsAdapter(app, { messageParser: (data: unknown) => ({ event: 'frame', data }) }),
  );
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  app.useGlobalInterceptors(new EnvelopeInterceptor(app.get(Reflector)));
  return app;
}
