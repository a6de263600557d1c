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

/** The contract's status map (API.md §1); an explicit status on the error may refine it. */
export function defaultStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_ERROR':
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
      return 502;
    case 'DATABASE_ERROR':
    case 'SERVICE_UNAVAILABLE':
      return 503;
    case 'INTERNAL_SERVER_ERROR':
      return 500;
  }
}
