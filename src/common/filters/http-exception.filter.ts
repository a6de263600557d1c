import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, FieldIssue } from '../errors/app-error';
import { isDatabaseError } from '../errors/database-errors';
import { errorEnvelope } from '../http/envelope';
import { contextOf, ContextRequest, REQUEST_ID_HEADER } from '../http/request-context';
import { Lang, t } from '../i18n/messages';
import { sanitizeUrl } from '../logging/redact';
import { translateConstraint } from '../pipes/validation';
import { writeRateLimitHeaders } from '../throttling/rate-limit-headers';

/** Errors raised by Express's body parser (malformed JSON, too large, bad charset). */
interface BodyParserError {
  type: string;
  status: number;
}

const BODY_PARSER_TYPES = new Set([
  'encoding.unsupported',
  'charset.unsupported',
  'request.aborted',
  'stream.encoding.set',
]);

function isBodyParserError(error: unknown): error is BodyParserError {
  if (typeof error !== 'object' || error === null) return false;
  const { type, status } = error as Partial<BodyParserError>;
  return (
    typeof type === 'string' &&
    typeof status === 'number' &&
    (type.startsWith('entity.') || BODY_PARSER_TYPES.has(type))
  );
}

function localizeIssue(issue: FieldIssue, lang: Lang): { field: string; issue: string } {
  let text = issue.issue;
  if (issue.key) text = t(issue.key, lang);
  else if (lang === 'zh') text = translateConstraint(issue);
  return { field: issue.field, issue: text };
}

/** Puts field issues in the request's language and drops the keys used to do so. */
function localizeDetails(details: Record<string, unknown> | undefined, lang: Lang) {
  if (!details) return undefined;
  const out: Record<string, unknown> = { ...details };
  if (typeof details.field === 'string' && typeof details.issue === 'string') {
    Object.assign(out, localizeIssue(details as unknown as FieldIssue, lang));
  }
  if (Array.isArray(details.fields)) {
    out.fields = (details.fields as FieldIssue[]).map((i) => localizeIssue(i, lang));
  }
  delete out.key;
  delete out.constraint;
  return out;
}

/**
 * Maps a thrown value to the contract's error, once, for every HTTP route: domain errors
 * keep their code; framework and parser errors become VALIDATION_ERROR or
 * RESOURCE_NOT_FOUND; database failures become DATABASE_ERROR; anything else is logged with
 * its stack and answered as INTERNAL_SERVER_ERROR without internals.
 */
export function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (isBodyParserError(error)) {
    switch (error.type) {
      case 'entity.parse.failed':
        return new AppError('VALIDATION_ERROR', 'error.malformed_json', undefined, 400);
      case 'entity.too.large':
        return new AppError('VALIDATION_ERROR', 'error.payload_too_large', undefined, 413);
      default:
        return new AppError(
          'VALIDATION_ERROR',
          'error.bad_request',
          undefined,
          error.status >= 500 ? 400 : error.status,
        );
    }
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404)
      return new AppError('RESOURCE_NOT_FOUND', 'error.route_not_found', undefined, 404);
    if (status === 401) return AppError.unauthenticated();
    if (status === 403) return AppError.forbidden();
    if (status === 413)
      return new AppError('VALIDATION_ERROR', 'error.payload_too_large', undefined, 413);
    if (status === 429) return new AppError('RATE_LIMIT_EXCEEDED', 'error.rate_limit');
    if (status >= 400 && status < 500)
      return new AppError('VALIDATION_ERROR', 'error.bad_request', undefined, status);
    return null;
  }
  if (isDatabaseError(error)) return new AppError('DATABASE_ERROR', 'error.database');
  return null;
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<ContextRequest>();
    const res = http.getResponse<Response>();
    writeError(exception, req, res, this.logger);
  }
}

export function writeError(
  exception: unknown,
  req: ContextRequest,
  res: Response,
  logger: Logger,
): void {
  const { requestId, lang } = contextOf(req);
  const appError = toAppError(exception);
  if (!appError || appError.code === 'DATABASE_ERROR') {
    const stack =
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
    logger.error(
      `request ${requestId} ${req.method} ${sanitizeUrl(req.originalUrl ?? req.url)} failed: ${stack}`,
    );
  }
  const error = appError ?? new AppError('INTERNAL_SERVER_ERROR', 'error.internal');
  if (res.headersSent) {
    res.end();
    return;
  }
  res.setHeader(REQUEST_ID_HEADER, requestId);
  const retryAfter = error.details?.retry_after;
  if (error.code === 'RATE_LIMIT_EXCEEDED' && typeof retryAfter === 'number') {
    res.setHeader('Retry-After', String(retryAfter));
    // A used-up budget (any of them, however it was refused) also says so in RateLimit-*.
    const limit = error.details?.limit;
    if (typeof limit === 'number')
      writeRateLimitHeaders(res, { limit, remaining: 0, resetSeconds: retryAfter });
  }
  if (error.code === 'SERVICE_UNAVAILABLE' && typeof retryAfter === 'number') {
    res.setHeader('Retry-After', String(retryAfter));
  }
  res
    .status(error.status)
    .json(
      errorEnvelope(error.code, t(error.messageKey, lang), localizeDetails(error.details, lang)),
    );
}
