import type { NextFunction, Request, Response } from 'express';
import { MetricsService, UNMATCHED_ENDPOINT } from './metrics.service';

/** nginx's "client closed request": the client left before any answer was sent. */
const CLIENT_CLOSED = 499;

/**
 * The route pattern that served the request (`/api/v1/conversations/:id`), never the raw
 * path; requests no route matched share one label. Module middleware mounted for every path
 * (`{*path}`: the request logger) is a route to Express too, and stays the request's route when
 * no handler matched: a wildcard pattern therefore counts as unmatched.
 */
export function endpointOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string' || path.includes('*')) return UNMATCHED_ENDPOINT;
  return `${req.baseUrl ?? ''}${path}`;
}

/**
 * Counts every HTTP request once its answer is over, whoever answered it: a route, a guard,
 * a pipe, the exception filter, the body parser or the JSON 404. Installed before all of them.
 */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    let recorded = false;
    const record = (finished: boolean) => {
      if (recorded) return;
      recorded = true;
      const status = finished || res.headersSent ? res.statusCode : CLIENT_CLOSED;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequest(req.method, endpointOf(req), status, seconds);
    };
    res.once('finish', () => record(true));
    res.once('close', () => record(false));
    next();
  };
}
