import { Logger, NestApplicationOptions } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import { AppError } from './common/errors/app-error';
import { HttpExceptionFilter, writeError } from './common/filters/http-exception.filter';
import { answerClientErrorsInEnvelope } from './common/http/client-error';
import { EnvelopeInterceptor } from './common/http/envelope.interceptor';
import { contextOf, ContextRequest, REQUEST_ID_HEADER } from './common/http/request-context';
import { AppValidationPipe } from './common/pipes/validation';
import { isDocsPath, setupOpenApi } from './common/openapi/document';
import { AppConfig } from './config/app-config';
import { parseTrustProxy } from './config/trust-proxy';
import { RATE_LIMIT_HEADERS } from './common/throttling/rate-limit-headers';
import { httpMetricsMiddleware } from './modules/metrics/http-metrics.middleware';
import { METRICS_PATH, metricsRoutePaths } from './modules/metrics/metrics.routes';
import { MetricsService } from './modules/metrics/metrics.service';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { Logger as PinoRootLogger } from 'pino';
import { httpLogger } from './common/logging/http-logger';
import { ROOT_LOGGER } from './common/logging/logging.module';
import { securityHeaders } from './common/http/security-headers';
import { streamedSendRoute } from './modules/generation/streamed-send-route';
import { AppWsAdapter } from './common/ws/app-ws-adapter';

export const API_PREFIX = 'api/v1';

/** Options for creating the Nest application; the body parser is ours (see setupApp). */
export const APP_OPTIONS: NestApplicationOptions = {
  bodyParser: false,
  abortOnError: false,
  // Boot logs wait for setupApp's logger, so they are JSON (and redacted) like the rest.
  bufferLogs: true,
};

/**
 * Everything main.ts configures on the application. Tests call this too, so they run
 * exactly the production wiring.
 */
export function setupApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get(AppConfig);
  // Every Nest `Logger` call becomes a line of the root logger (LOG_LEVEL, LOG_FORMAT, redaction).
  app.useLogger(app.get(PinoNestLogger));
  const logger = new Logger('Http');

  app.disable('x-powered-by');
  // Every answer carries a fresh timestamp, so an ETag (a hash of each body) never matches.
  app.set('etag', false);
  answerClientErrorsInEnvelope(app.getHttpServer());
  // Mounted first: one line per request, whoever answers it (parser errors and the JSON 404 too).
  app.use(httpLogger(app.get<PinoRootLogger>(ROOT_LOGGER)));
  app.use(securityHeaders());
  // X-Forwarded-For is believed only from TRUST_PROXY (validated at boot); req.ip is then the
  // client, and per-IP rate limits key by it. Unset: the socket's peer, whatever the header says.
  app.set('trust proxy', parseTrustProxy(config.env.TRUST_PROXY) ?? false);
  app.setGlobalPrefix(API_PREFIX, { exclude: metricsRoutePaths(API_PREFIX) });
  // Counts every request, whoever answers it (routes, guards, filters, CORS preflights, parser
  // errors, the JSON 404).
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  // Only CORS_ORIGINS get CORS headers; any other origin gets none at all (the cors package
  // would still send Allow-Credentials to it).
  const cors = {
    origin: true,
    credentials: true,
    exposedHeaders: [REQUEST_ID_HEADER, ...RATE_LIMIT_HEADERS],
  };
  app.enableCors((req: Request, callback) => {
    const origin = req.header('Origin');
    callback(null, origin && config.corsOrigins.includes(origin) ? cors : { origin: false });
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
    if (req.path === `/${METRICS_PATH}`) return next();
    if (config.env.API_DOCS_ENABLED && isDocsPath(req.path)) return next();
    writeError(new AppError('RESOURCE_NOT_FOUND', 'error.route_not_found'), req, res, logger);
  });
  const json = express.json({
    limit: config.env.BODY_LIMIT_BYTES,
    type: ['application/json', 'application/*+json'],
  });
  // No route reads a body of GET, HEAD or OPTIONS: they skip the parser (2.7 % of /info's CPU).
  app.use((req: Request, res: Response, next: NextFunction) =>
    req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS'
      ? next()
      : json(req, res, next),
  );
  app.use(streamedSendRoute(API_PREFIX));
  // Malformed or oversized bodies never reach a route: answer them in the error envelope.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) =>
    writeError(error, req, res, logger),
  );

  // Nest routes no WebSocket frame: the chat gateway reads its sockets' frames itself, so that
  // each one is bounded and metered before anything else runs for it (a flood of frames must not
  // pay Nest's guard/interceptor pipeline per frame), and parses and routes them.
  app.useWebSocketAdapter(new AppWsAdapter(app, { messageParser: () => undefined }));
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  app.useGlobalInterceptors(new EnvelopeInterceptor(app.get(Reflector)));
  // Swagger UI at /api/docs, the OpenAPI document at /api/docs-json (API_DOCS_ENABLED).
  if (config.env.API_DOCS_ENABLED) setupOpenApi(app);
  return app;
}
