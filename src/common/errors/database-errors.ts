import { QueryFailedError, TypeORMError } from 'typeorm';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Connection is not established',
  'Cannot use a pool after calling end',
  'connect ECONNREFUSED',
];

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The constraint a failed statement violated (unique, foreign key, check), if any. */
export function violatedConstraint(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const constraint = (error.driverError as { constraint?: unknown }).constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

/** SQLSTATE of a failed query, if it is one. */
export function sqlStateOf(error: unknown): string | undefined {
  if (error instanceof QueryFailedError) return codeOf(error.driverError);
  return undefined;
}

/**
 * SQLSTATE classes that mean our statement or data was wrong (integrity violation, data
 * exception), not that the database failed: a bug of ours, answered as a logged 500.
 */
const APPLICATION_FAULT_CLASSES = ['22', '23'];

/**
 * True when the error means the database is unreachable or failed (connection lost,
 * timeouts, server shutting down, out of resources, missing schema, a statement it could not
 * run): it becomes DATABASE_ERROR (503), never a 500 with SQL in it.
 */
export function isDatabaseError(error: unknown): boolean {
  const state = sqlStateOf(error) ?? codeOf(error);
  if (
    state &&
    /^[0-9A-Z]{5}$/.test(state) &&
    APPLICATION_FAULT_CLASSES.includes(state.slice(0, 2))
  ) {
    return false;
  }
  if (error instanceof QueryFailedError || error instanceof TypeORMError) return true;
  const code = codeOf(error);
  if (code && CONNECTION_ERROR_CODES.has(code)) return true;
  // pg's own errors carry a five-character SQLSTATE and a severity.
  if (
    code &&
    /^[0-9A-Z]{5}$/.test(code) &&
    typeof (error as { severity?: unknown }).severity === 'string'
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  return CONNECTION_MESSAGES.some((m) => message.includes(m));
}

export const UNIQUE_VIOLATION = '23505';
