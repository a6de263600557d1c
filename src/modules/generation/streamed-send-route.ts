import type { NextFunction, Request, Response } from 'express';

/**
 * `POST …/conversations/{id}/messages` with `"stream": true` is served by the stream route
 * (`…/messages/stream`), which takes the same body: this rewrites the request's URL before
 * routing, once the body is parsed. The send route then only ever answers JSON (through the
 * envelope interceptor, like every other route) and the stream is written by one handler.
 * `originalUrl` keeps what the client asked for (the request log shows it); the metrics label
 * is the route that served it.
 */
export function streamedSendRoute(prefix: string) {
  const send = new RegExp(`^/${prefix}/conversations/[^/?]+/messages/?$`);
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method === 'POST' && isStreamed(req.body)) {
      const at = req.url.indexOf('?');
      const path = at === -1 ? req.url : req.url.slice(0, at);
      if (send.test(path)) {
        req.url = `${path.replace(/\/$/, '')}/stream${at === -1 ? '' : req.url.slice(at)}`;
      }
    }
    next();
  };
}

function isStreamed(body: unknown): boolean {
  return (
    typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true
  );
}
