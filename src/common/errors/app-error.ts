import { MessageKey, t } from '../i18n/messages';
import type { ErrorCode, ErrorVariant } from './error-codes';

/**
 * One invalid field. `issue` is English; `key` (a catalog text) or `constraint` (a
 * class-validator rule) let the error filter answer in the request's language.
 */
export interface FieldIssue {
  field: string;
  issue: string;
  key?: MessageKey;
  constraint?: string;
}

export function fieldIssue(field: string, key: MessageKey): FieldIssue {
  return { field, issue: t(key, 'en'), key };
}

export type ErrorDetails = Record<string, unknown>;

/**
 * A domain error: one of the contract's codes, a message key (translated per request),
 * optional details and a variant that refines the code. Services throw these; each transport
 * maps them once (the HTTP filter to a status with httpStatusOf, the SSE and WebSocket
 * writers to an error event). No HTTP status here.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly messageKey: MessageKey,
    readonly details?: ErrorDetails,
    readonly variant?: ErrorVariant,
  ) {
    super(messageKey);
    this.name = 'AppError';
  }

  /**
   * One or more invalid fields, in both shapes the contract accepts: a rule broken (422), or
   * with `malformed` a request that could not be read as one (400).
   */
  static validation(
    issues: FieldIssue[],
    variant?: 'malformed',
    messageKey: MessageKey = 'error.validation',
  ): AppError {
    const [first] = issues;
    const details: ErrorDetails = first ? { ...first } : {};
    if (issues.length > 1) details.fields = issues;
    return new AppError('VALIDATION_ERROR', messageKey, details, variant);
  }

  static badRequest(issue: string, field?: string): AppError {
    return AppError.validation(
      [{ field: field ?? 'request', issue }],
      'malformed',
      'error.bad_request',
    );
  }

  static unauthenticated(messageKey: MessageKey = 'error.authentication'): AppError {
    return new AppError('AUTHENTICATION_ERROR', messageKey);
  }

  static forbidden(messageKey: MessageKey = 'error.authorization'): AppError {
    return new AppError('AUTHORIZATION_ERROR', messageKey);
  }

  static notFound(messageKey: MessageKey = 'error.not_found'): AppError {
    return new AppError('RESOURCE_NOT_FOUND', messageKey);
  }
}
