import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { isDocsPath } from '../openapi/document';

/**
 * helmet's headers on every answer. The API only ever returns JSON and event streams, so its
 * CSP allows nothing at all; the documentation pages get helmet's default CSP (same-origin
 * scripts, inline styles), which Swagger UI works under.
 */
export function securityHeaders(): (req: Request, res: Response, next: NextFunction) => void {
  const api = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
      },
    },
  });
  // Not upgrade-insecure-requests: docs served over plain HTTP (development, internal
  // networks) would then load their own assets over HTTPS and break.
  const docs = helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  return (req, res, next) => (isDocsPath(req.path) ? docs : api)(req, res, next);
}
