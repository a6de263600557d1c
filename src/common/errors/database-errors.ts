import { QueryFailedError, TypeORMError } from 'typeorm';

/** Socket-level codes (Node's net/dns) of a connection to the database that failed or was lost. */
export const CONNECTION_ERROR_CODES: readonly string[] = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
];

/**
 * What node-postgres and its pool say, without a code, when a connection cannot be made or is
 * lost (pg/lib/client.js, pg/lib/connection.js, pg-pool/index.js): connect timeout
 * (`timeout expired`), the pool's wait, a closed or broken client, a lost socket, TLS refused.
 */
export const CONNECTION_MESSAGES: readonly string[] = [
  'timeout expired',
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Connection is not established',
  'Cannot use a pool after calling end',
  'connect ECONNREFUSED',
  'The server does not support SSL connections',
  'There was an error establishing an SSL connection',
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
  return isDatabaseErrorAt(error, 0);
}

/** Causes and aggregated errors are looked through, this deep at most. */
const MAX_CAUSE_DEPTH = 4;

function isDatabaseErrorAt(error: unknown, depth: number): boolean {
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
  if (code && CONNECTION_ERROR_CODES.includes(code)) return true;
  // pg's own errors carry a five-character SQLSTATE and a severity.
  if (
    code &&
    /^[0-9A-Z]{5}$/.test(code) &&
    typeof (error as { severity?: unknown }).severity === 'string'
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  if (CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
  if (depth >= MAX_CAUSE_DEPTH || !(error instanceof Error)) return false;
  // pg-pool wraps a client's failure (`cause`); Node's happy-eyeballs connect raises an
  // AggregateError of one failure per address.
  if (error.cause !== undefined && isDatabaseErrorAt(error.cause, depth + 1)) return true;
  return (
    error instanceof AggregateError &&
    error.errors.some((inner) => isDatabaseErrorAt(inner, depth + 1))
  );
}

export const UNIQUE_VIOLATION = '23505';

/**
 * Runs `attempt` until it succeeds, retrying with backoff (100 ms doubling to 2 s) while it
 * fails with a database error and `ms` have not passed; any other error, or `stop()` turning
 * true, ends the retries. The last error is thrown.
 */
export async function retryWhileDatabaseDown<T>(
  attempt: () => Promise<T>,
  ms: number,
  stop: () => boolean = () => false,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (let delay = 100; ; delay = Math.min(2 * delay, 2000)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isDatabaseError(error) || stop() || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
