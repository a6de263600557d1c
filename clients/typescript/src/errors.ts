import type { ErrorCode } from './types.ts';

/**
 * `HTTP_ERROR`: an answer without the contract's error envelope (a proxy's error page, a
 * gateway timeout…); `status` says what it was. Every other code is the contract's (API.md §1).
 */
export type ClientErrorCode = ErrorCode | 'HTTP_ERROR';

/** A refusal or failure answered by the service (or a proxy in front of it). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status; 0 for an `error` event or frame inside a stream or a socket. */
  readonly status: number;
  /** The contract's stable code, for programs. */
  readonly code: ClientErrorCode;
  /** What the envelope's `details` say (fields, quota windows, `retry_after`…), if anything. */
  readonly details: Record<string, unknown> | undefined;
  /** `X-Request-Id` of the answer: quote it in bug reports. */
  readonly requestId: string | undefined;

  constructor(init: {
    status: number;
    code: ClientErrorCode;
    message: string;
    details?: Record<string, unknown>;
    requestId?: string;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId;
  }

  /** Seconds to wait before trying again, when the answer said (`Retry-After`, `retry_after`). */
  get retryAfter(): number | undefined {
    const value = this.details?.retry_after;
    return typeof value === 'number' ? value : undefined;
  }
}

export function isApiError(value: unknown, code?: ClientErrorCode): value is ApiError {
  return value instanceof ApiError && (code === undefined || value.code === code);
}

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
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
]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODES.has(value);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The error of an answer that did not succeed, read from its envelope when it has one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  let body: unknown;
  const text = await response.text().catch(() => '');
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  const error = isObject(body) && body.success === false ? body.error : undefined;
  if (isObject(error) && isErrorCode(error.code)) {
    const details = isObject(error.details) ? { ...error.details } : undefined;
    const retryAfter = Number(response.headers.get('retry-after'));
    const withRetry =
      details?.retry_after === undefined && retryAfter > 0
        ? { ...details, retry_after: retryAfter }
        : details;
    return new ApiError({
      status: response.status,
      code: error.code,
      message: typeof error.message === 'string' ? error.message : error.code,
      details: withRetry,
      requestId,
    });
  }
  return new ApiError({
    status: response.status,
    code: 'HTTP_ERROR',
    message: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    details: text ? { body: text.slice(0, 1000) } : undefined,
    requestId,
  });
}

/** The error of an `error` event or frame (no HTTP status of its own). */
export function errorFromBody(error: unknown, requestId?: string): ApiError {
  const body = isObject(error) ? error : {};
  return new ApiError({
    status: 0,
    code: isErrorCode(body.code) ? body.code : 'HTTP_ERROR',
    message: typeof body.message === 'string' ? body.message : 'The reply failed',
    details: isObject(body.details) ? body.details : undefined,
    requestId,
  });
}
