import { HttpException } from '@nestjs/common';
import { AppError } from './app-error';
import type { ErrorVariant } from './error-codes';
import { isDatabaseError } from './database-errors';

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

/**
 * A request body whose Content-Encoding could not be undone (gzip, deflate or brotli data that
 * is corrupt or cut short): body-parser hands zlib's own error on with a 400 and no `type`.
 * zlib's codes are Z_* (Z_DATA_ERROR, Z_BUF_ERROR), brotli's ERR__ERROR_* (ERR__ERROR_FORMAT_…).
 */
function isUndecodableBody(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { status, code } = error as { status?: unknown; code?: unknown };
  return (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    typeof code === 'string' &&
    (code.startsWith('Z_') || code.startsWith('ERR__ERROR_'))
  );
}

/**
 * Any other client error of the HTTP stack (http-errors marks its 4xx `expose`): a 4xx for the
 * client, never a 500 because it arrived in a shape not listed above.
 */
function isExposedClientError(error: unknown): error is { status: number } {
  if (typeof error !== 'object' || error === null) return false;
  const { status, expose } = error as { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  if (typeof error !== 'object' || error === null) return false;
  const { type, status } = error as Partial<BodyParserError>;
  return (
    typeof type === 'string' &&
    typeof status === 'number' &&
    (type.startsWith('entity.') || BODY_PARSER_TYPES.has(type))
  );
}

/**
 * Maps a thrown value to the contract's error, once, for every HTTP route: domain errors
 * keep their code; framework and parser errors become VALIDATION_ERROR or
 * RESOURCE_NOT_FOUND; database failures become DATABASE_ERROR; anything else is logged with
 * its stack and answered as INTERNAL_SERVER_ERROR without internals.
 */
/** A framework's 4xx for a request it could not take, as the variant that gives it back. */
function variantOfStatus(status: number): ErrorVariant {
  if (status === 413) return 'too_large';
  if (status === 415) return 'unsupported_media';
  return 'malformed';
}

export function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (isBodyParserError(error)) {
    switch (error.type) {
      case 'entity.parse.failed':
        return new AppError('VALIDATION_ERROR', 'error.malformed_json', undefined, 'malformed');
      case 'entity.too.large':
        return new AppError('VALIDATION_ERROR', 'error.payload_too_large', undefined, 'too_large');
      default:
        return new AppError(
          'VALIDATION_ERROR',
          'error.bad_request',
          undefined,
          variantOfStatus(error.status),
        );
    }
  }
  if (isUndecodableBody(error)) {
    return new AppError('VALIDATION_ERROR', 'error.malformed_encoding', undefined, 'malformed');
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404) return new AppError('RESOURCE_NOT_FOUND', 'error.route_not_found');
    if (status === 401) return AppError.unauthenticated();
    if (status === 403) return AppError.forbidden();
    if (status === 413)
      return new AppError('VALIDATION_ERROR', 'error.payload_too_large', undefined, 'too_large');
    if (status === 429) return new AppError('RATE_LIMIT_EXCEEDED', 'error.rate_limit');
    if (status >= 400 && status < 500)
      return new AppError(
        'VALIDATION_ERROR',
        'error.bad_request',
        undefined,
        variantOfStatus(status),
      );
    return null;
  }
  if (isDatabaseError(error)) return new AppError('DATABASE_ERROR', 'error.database');
  if (isExposedClientError(error)) {
    return new AppError(
      'VALIDATION_ERROR',
      'error.bad_request',
      undefined,
      variantOfStatus(error.status),
    );
  }
  return null;
}
