import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

/** Data sources whose statements stay unnamed (see preparedStatementsOff). */
const unnamedOnly = new WeakSet<DataSource>();

/**
 * Statements on this data source are never prepared by name: embedded PGlite (one
 * backend behind its socket, whose statement state another connection may reset),
 * DB_PREPARED_STATEMENTS=false (a pooler in transaction mode, e.g. PgBouncer before 1.21), or
 * after the server said a named statement was missing or already there.
 */
export function preparedStatementsOff(dataSource: DataSource): void {
  unnamedOnly.add(dataSource);
}

/**
 * invalid_sql_statement_name ("prepared statement … does not exist") and
 * duplicate_prepared_statement: the connection's statements are not what node-postgres thinks
 * (a pooler between, or a backend shared by several connections).
 */
const LOST_STATEMENT_CODES = new Set(['26000', '42P05']);

const logger = new Logger('Database');

/** Statement texts given a name so far; a guard against a caller whose text varies per call. */
const MAX_NAMED = 500;
const names = new Map<string, string>();

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `q_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** A server error of node-postgres (it carries a severity): the connection is still good. */
function isServerError(error: unknown): error is Error {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { severity?: unknown }).severity === 'string'
  );
}

/**
 * Runs a statement of the send path as a named prepared statement: PostgreSQL parses it once
 * per connection and, after a few runs, reuses its plan, where an unnamed statement is parsed
 * and planned on every run (about a millisecond of the database's CPU per send's statement,
 * measured: docs/PERFORMANCE.md). Through TypeORM's own pool (or, given a transaction, its
 * connection), so the pool's bounds and timeouts hold; failures are reported as TypeORM
 * reports them (QueryFailedError), and a connection is given back to the pool unless it
 * failed itself. The text must be fixed for a given shape — values go in `values` — and must
 * not select `*`: a prepared statement whose result columns change under it (a migration
 * adding one) fails until the connection closes.
 */
export async function queryPrepared<T>(
  on: DataSource | EntityManager,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const dataSource = on instanceof DataSource ? on : on.connection;
  const named = !unnamedOnly.has(dataSource);
  try {
    return await execute<T>(on, dataSource, {
      name: named ? nameOf(text) : undefined,
      text,
      values,
    });
  } catch (error) {
    const code = (error as { driverError?: { code?: unknown } }).driverError?.code;
    if (!named || typeof code !== 'string' || !LOST_STATEMENT_CODES.has(code)) throw error;
    // Named statements do not hold on this database: unnamed from now on, and this one again
    // (a failed statement changed nothing). Inside a transaction the failure aborted it.
    preparedStatementsOff(dataSource);
    logger.warn(
      `named prepared statements do not hold on this database (${code}): not used any more`,
    );
    if (on instanceof EntityManager && on.queryRunner) throw error;
    return execute<T>(on, dataSource, { text, values });
  }
}

async function execute<T>(
  on: DataSource | EntityManager,
  dataSource: DataSource,
  config: { name?: string; text: string; values: unknown[] },
): Promise<T[]> {
  const runner = on instanceof EntityManager ? on.queryRunner : undefined;
  if (runner) {
    const client = (await (runner as PostgresQueryRunner).connect()) as PoolClient;
    return run(client, config);
  }
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  const client = await pool.connect();
  // A checked-out client has no listener of the pool's: a connection dying under it would be
  // an unhandled 'error' event (the statement's own promise rejects with it anyway).
  const onError = (): void => undefined;
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    return await run<T>(client, config);
  } catch (error) {
    if (!(error instanceof QueryFailedError)) broken = error as Error;
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

async function run<T>(
  client: PoolClient,
  config: { name?: string; text: string; values: unknown[] },
): Promise<T[]> {
  try {
    return (await client.query(config)).rows as T[];
  } catch (error) {
    throw isServerError(error) ? new QueryFailedError(config.text, config.values, error) : error;
  }
}
