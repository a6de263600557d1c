import type { AppError } from '../errors/app-error';

/**
 * The OpenAI-compatible routes (API.md §12): every error under this prefix — from a route, a
 * guard, the body parser or the JSON 404 — is answered in OpenAI's error shape instead of the
 * envelope, with the same HTTP status, so that OpenAI's SDKs raise their own error classes.
 */
export const OPENAI_COMPAT_PREFIX = '/api/v1/openai';

/** True for a request path under the OpenAI-compatible prefix. */
export function isOpenAiCompatPath(path: string): boolean {
  const pathname = path.split('?')[0];
  return pathname === OPENAI_COMPAT_PREFIX || pathname.startsWith(`${OPENAI_COMPAT_PREFIX}/`);
}

/** OpenAI's error object: `type` a broad class, `code` a finer reason, `param` the field at fault. */
export interface OpenAiErrorObject {
  message: string;
  type: string;
  code: string | null;
  param: string | null;
}

/**
 * Details a domain error may carry for this shape: `openai_code` overrides the default `code`
 * (model_not_found, context_length_exceeded…); `field` becomes `param`.
 */
function stringDetail(error: AppError, key: string): string | undefined {
  const value = error.details?.[key];
  return typeof value === 'string' ? value : undefined;
}

function validationCode(error: AppError): string {
  switch (error.variant) {
    case 'malformed':
      return 'invalid_request';
    case 'too_large':
      return 'request_too_large';
    case 'unsupported_media':
      return 'unsupported_media_type';
    case 'timeout':
    case undefined:
      return 'invalid_value';
  }
}

/**
 * A domain error in OpenAI's shape. `message` is the request's text of the error; for a
 * validation error the field's issue is more use to a developer reading an SDK exception, so
 * it is named in the message too.
 */
export function toOpenAiError(error: AppError, message: string): { error: OpenAiErrorObject } {
  const field = stringDetail(error, 'field');
  const issue = stringDetail(error, 'issue');
  const code = stringDetail(error, 'openai_code');
  const of = (
    type: string,
    fallback: string | null,
    text = message,
  ): { error: OpenAiErrorObject } => ({
    error: { message: text, type, code: code ?? fallback, param: field ?? null },
  });
  switch (error.code) {
    case 'VALIDATION_ERROR':
      return of(
        'invalid_request_error',
        validationCode(error),
        issue ? `${message}: ${field && field !== 'request' ? `${field}: ` : ''}${issue}` : message,
      );
    case 'AUTHENTICATION_ERROR':
      return of('invalid_request_error', 'invalid_api_key');
    case 'AUTHORIZATION_ERROR':
      return of('permission_error', 'permission_denied');
    case 'RESOURCE_NOT_FOUND':
      return of('invalid_request_error', 'not_found', issue ?? message);
    case 'QUOTA_EXCEEDED':
      return of(
        'insufficient_quota',
        'insufficient_quota',
        typeof error.details?.window === 'string'
          ? `${message}: ${error.details.window} (resets at ${String(error.details.resets_at)})`
          : message,
      );
    case 'RATE_LIMIT_EXCEEDED':
      return of('rate_limit_error', 'rate_limit_exceeded');
    case 'OPENAI_API_ERROR':
      return of(
        'upstream_error',
        error.variant === 'timeout' ? 'upstream_timeout' : 'upstream_error',
      );
    case 'DATABASE_ERROR':
    case 'SERVICE_UNAVAILABLE':
      return of('server_error', 'service_unavailable');
    case 'INTERNAL_SERVER_ERROR':
      return of('server_error', 'internal_error');
  }
}

/**
 * Seconds until a QUOTA_EXCEEDED error's window resets (its `resets_at`), for Retry-After;
 * undefined when the error names none.
 */
export function quotaRetryAfter(error: AppError, now = Date.now()): number | undefined {
  const resetsAt = stringDetail(error, 'resets_at');
  if (error.code !== 'QUOTA_EXCEEDED' || !resetsAt) return undefined;
  const ms = Date.parse(resetsAt) - now;
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : undefined;
}
