import { MessageKey, t } from '../i18n/messages';
import { defaultStatusOf, ErrorCode } from './error-codes';

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
 * optional details. Services throw these; each transport maps them once.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly messageKey: MessageKey,
    readonly details?: ErrorDetails,
    status?: number,
  ) {
    super(messageKey);
    this.name = 'AppError';
    this.status = status ?? defaultStatusOf(code);
  }

  /** 422 (or `status`) for one or more invalid fields, in both shapes the contract accepts. */
  static validation(
    issues: FieldIssue[],
    status = 422,
    messageKey: MessageKey = 'error.validation',
  ): AppError {
    const [first] = issues;
    const details: ErrorDetails = first ? { ...first } : {};
    if (issues.length > 1) details.fields = issues;
    return new AppError('VALIDATION_ERROR', messageKey, details, status);
  }

  static badRequest(issue: string, field?: string): AppError {
    return AppError.validation([{ field: field ?? 'request', issue }], 400, 'error.bad_request');
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
