export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'AUTHENTICATION_ERROR',
  'AUTHORIZATION_ERROR',
  'RESOURCE_NOT_FOUND',
  'QUOTA_EXCEEDED',
  'RATE_LIMIT_EXCEEDED',
  'OPENAI_API_ERROR',
  'DATABASE_ERROR',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * What refines a code's meaning, in domain terms: a request that could not be read at all
 * (`malformed`), one too large, a media type not accepted, an upstream that timed out. Errors
 * carry this, never an HTTP status: each transport maps code and variant (httpStatusOf).
 */
export type ErrorVariant = 'malformed' | 'too_large' | 'unsupported_media' | 'timeout';

/** The contract's status map (API.md §1), refined by the variant. */
export function httpStatusOf(code: ErrorCode, variant?: ErrorVariant): number {
  switch (code) {
    case 'VALIDATION_ERROR':
      if (variant === 'malformed') return 400;
      if (variant === 'too_large') return 413;
      if (variant === 'unsupported_media') return 415;
      return 422;
    case 'AUTHENTICATION_ERROR':
      return 401;
    case 'AUTHORIZATION_ERROR':
      return 403;
    case 'RESOURCE_NOT_FOUND':
      return 404;
    case 'QUOTA_EXCEEDED':
    case 'RATE_LIMIT_EXCEEDED':
      return 429;
    case 'OPENAI_API_ERROR':
      return variant === 'timeout' ? 504 : 502;
    case 'DATABASE_ERROR':
    case 'SERVICE_UNAVAILABLE':
      return 503;
    case 'INTERNAL_SERVER_ERROR':
      return 500;
  }
}
