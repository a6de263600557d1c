import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, FieldIssue } from '../errors/app-error';
import { httpStatusOf } from '../errors/error-codes';
import { toAppError } from '../errors/to-app-error';
import { errorEnvelope } from '../http/envelope';
import { contextOf, ContextRequest, REQUEST_ID_HEADER } from '../http/request-context';
import { Lang, t } from '../i18n/messages';
import { sanitizeUrl } from '../logging/redact';
import { translateConstraint } from '../pipes/validation';
import { writeRateLimitHeaders } from '../throttling/rate-limit-headers';
import { isOpenAiCompatPath, quotaRetryAfter, toOpenAiError } from './openai-error';

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
    // The finer hint, in milliseconds, that OpenAI-style clients (the openai SDK) also read.
    const retryAfterMs = error.details?.retry_after_ms;
    if (typeof retryAfterMs === 'number') res.setHeader('Retry-After-Ms', String(retryAfterMs));
  }
  if (isOpenAiCompatPath(req.originalUrl ?? req.url)) {
    // OpenAI's shape on its compatible routes (API.md §12); the status is the contract's.
    const retryIn = quotaRetryAfter(error);
    if (retryIn !== undefined) {
      res.setHeader('Retry-After', String(retryIn));
      // A used-up quota does not clear within an SDK's retry loop: it must not retry.
      res.setHeader('x-should-retry', 'false');
    }
    res
      .status(httpStatusOf(error.code, error.variant))
      .json(toOpenAiError(error, t(error.messageKey, lang)));
    return;
  }
  res
    .status(httpStatusOf(error.code, error.variant))
    .json(
      errorEnvelope(error.code, t(error.messageKey, lang), localizeDetails(error.details, lang)),
    );
}
