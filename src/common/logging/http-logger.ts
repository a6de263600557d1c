import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { contextOf, type ContextRequest } from '../http/request-context';
import { sanitizeUrl } from './redact';

/** Probes that poll every few seconds: logged at debug so they do not drown everything else. */
const PROBE_PATHS = [/^\/api\/v1\/health(\/|$)/, /^\/(api\/v1\/)?metrics\/?$/];

type LoggedRequest = Request & ContextRequest & { user?: { id?: unknown; apiKeyId?: unknown } };

function pathOf(req: LoggedRequest): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0];
}

function isProbe(req: LoggedRequest): boolean {
  return PROBE_PATHS.some((p) => p.test(pathOf(req)));
}

/** The route pattern the request matched (`/api/v1/conversations/:id`), when one did. */
function routeOf(req: LoggedRequest): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  // Nest answers unknown paths from a catch-all (`*path`): that is no route.
  return typeof path === 'string' && !path.includes('*') ? path : undefined;
}

/** The fields of a request's line, read when the response is done (the JWT guard has set req.user by then). */
export function requestLine(
  req: LoggedRequest,
  res: Response,
  durationMs: number,
): Record<string, unknown> {
  const route = routeOf(req);
  const userId = req.user?.id;
  // Which API key, when the request came with one (its id: the key itself is never logged).
  const apiKeyId = req.user?.apiKeyId;
  return {
    method: req.method,
    url: sanitizeUrl(req.originalUrl ?? req.url),
    ...(route ? { route } : {}),
    status: res.statusCode,
    duration_ms: durationMs,
    ...(typeof userId === 'string' ? { user_id: userId } : {}),
    ...(typeof apiKeyId === 'string' ? { api_key_id: apiKeyId } : {}),
  };
}

function summary(req: LoggedRequest, res: Response, durationMs?: number): string {
  const what = routeOf(req) ?? sanitizeUrl(pathOf(req));
  return `${req.method} ${what} ${res.statusCode}${durationMs === undefined ? '' : ` ${durationMs}ms`}`;
}

/**
 * One line per HTTP request when its response is done: request id (the X-Request-Id the
 * response carries), method, redacted URL, route pattern, status, duration, user id and API key id. Never
 * headers, cookies or bodies. `req.log` is bound to the request id for everything logged while
 * the request is handled (nestjs-pino picks it up).
 *
 * When the level drops `info` lines (LOG_LEVEL=warn in production), a request costs no logger
 * of its own: only a 5xx writes its line (503 at warn, others at error), through the root logger.
 */
export function httpLogger(
  root: Logger,
): (req: Request, res: Response, next: NextFunction) => void {
  if (!root.isLevelEnabled('info')) return quietHttpLogger(root);
  const middleware = pinoHttp<LoggedRequest, Response>({
    logger: root,
    genReqId: (req) => contextOf(req).requestId,
    customAttributeKeys: { reqId: 'request_id' },
    quietReqLogger: true,
    quietResLogger: true,
    customLogLevel: (req, res, error) => {
      if (isProbe(req)) return 'debug';
      if (error || res.statusCode >= 500) return res.statusCode === 503 ? 'warn' : 'error';
      return 'info';
    },
    customSuccessMessage: (req, res, ms) => summary(req, res, ms),
    customErrorMessage: (req, res) => summary(req, res),
    customSuccessObject: (req, res, val: { responseTime: number }) =>
      requestLine(req, res, val.responseTime),
    customErrorObject: (req, res, error, val: { responseTime: number }) => ({
      ...requestLine(req, res, val.responseTime),
      // pino-http makes up "failed with status code 500" when nothing threw: the
      // exception filter has already logged the real error with its stack.
      ...(res.statusCode >= 500 && /^failed with status code/.test(error.message)
        ? {}
        : { err: error }),
    }),
  });
  return (req, res, next) => middleware(req as LoggedRequest, res, next);
}

function quietHttpLogger(root: Logger): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const logged = req as LoggedRequest;
    const started = performance.now();
    res.once('finish', () => {
      if (res.statusCode < 500 || isProbe(logged)) return;
      const level = res.statusCode === 503 ? 'warn' : 'error';
      if (!root.isLevelEnabled(level)) return;
      const ms = Math.round(performance.now() - started);
      root[level](
        { request_id: contextOf(logged).requestId, ...requestLine(logged, res, ms) },
        summary(logged, res, ms),
      );
    });
    next();
  };
}
