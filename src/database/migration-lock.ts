import { performance } from 'node:perf_hooks';
import { DataSource, MigrationExecutor, type QueryRunner } from 'typeorm';

/**
 * The key of the session-level advisory lock that serializes migrations between processes
 * (replicas booting together, the migrate command): the two int4 words 'chat' and 'migr'.
 */
export const MIGRATION_LOCK_KEY: readonly [number, number] = [0x63686174, 0x6d696772];

/** A boot that must not go on: the lock was not had in time, or migrations are pending. */
export class MigrationBootError extends Error {}

export interface LockSettings {
  /** Longest wait for the lock (DB_MIGRATION_LOCK_TIMEOUT_MS). */
  timeoutMs: number;
}

/**
 * Runs `fn` while this process holds the migration lock: `pg_advisory_lock` on one connection
 * taken from the data source for the whole run, which `fn` gets to run the migrations on (one
 * connection: a server that serves one at a time is enough). A session lock lives as long as
 * its session, so a process killed mid-migration frees it with its connection. Other processes
 * wait in PostgreSQL's lock queue, bounded by `lock_timeout`, and get their turn the moment it
 * is freed.
 */
export async function withMigrationLock<T>(
  dataSource: DataSource,
  settings: LockSettings,
  fn: (runner: QueryRunner) => Promise<T>,
): Promise<{ result: T; waitedMs: number }> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  let locked = false;
  try {
    // The wait is bounded by lock_timeout alone (the pool's statement timeout is far shorter).
    await runner.query(`SET lock_timeout = ${Math.trunc(settings.timeoutMs)}`);
    await runner.query('SET statement_timeout = 0');
    const started = performance.now();
    try {
      await runner.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK_KEY]);
      locked = true;
    } catch (error) {
      const code = (error as { driverError?: { code?: string }; code?: string }).driverError?.code;
      if (code === '55P03' || (error as { code?: string }).code === '55P03') {
        throw new MigrationBootError(
          `the database migration lock was not free within ${settings.timeoutMs} ms ` +
            '(DB_MIGRATION_LOCK_TIMEOUT_MS): another process is migrating this database, or ' +
            'holds the lock without finishing (see pg_locks where locktype = advisory)',
          { cause: error },
        );
      }
      throw error;
    }
    const waitedMs = Math.round(performance.now() - started);
    // The migrations run with the connection's usual timeouts, as they did without the lock.
    await runner.query('RESET lock_timeout');
    await runner.query('RESET statement_timeout');
    return { result: await fn(runner), waitedMs };
  } finally {
    if (locked) {
      await runner
        .query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK_KEY])
        .catch(() => undefined);
    }
    await runner.query('RESET lock_timeout').catch(() => undefined);
    await runner.query('RESET statement_timeout').catch(() => undefined);
    await runner.release();
  }
}

/** The pending migrations run on `runner` (or a connection of the pool), as DataSource.runMigrations. */
export async function runMigrationsOn(
  dataSource: DataSource,
  runner?: QueryRunner,
): Promise<string[]> {
  const executor = new MigrationExecutor(dataSource, runner);
  executor.transaction = dataSource.options.migrationsTransactionMode ?? 'all';
  return (await executor.executePendingMigrations()).map((m) => m.name);
}

/** Reverts the last migration on `runner`, as DataSource.undoLastMigration. */
export async function undoLastMigrationOn(
  dataSource: DataSource,
  runner?: QueryRunner,
): Promise<void> {
  const executor = new MigrationExecutor(dataSource, runner);
  executor.transaction = dataSource.options.migrationsTransactionMode ?? 'all';
  await executor.undoLastMigration();
}

/** Names of the migrations the database has not run yet, in order. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  return pending.map((m) => m.name);
}

export interface MigrateOnBootSettings {
  /** DB_MIGRATE_ON_BOOT: run pending migrations (true), or only refuse to start with some (false). */
  migrate: boolean;
  /** Null on the embedded database: one process only (its lockfile), so no advisory lock. */
  lock: LockSettings | null;
}

export interface MigrateOnBootOutcome {
  applied: string[];
  /** How long this process waited for the lock; null when none was taken. */
  waitedMs: number | null;
}

/**
 * At boot, on an initialized data source: runs the pending migrations under the lock, or, when
 * migrating is left to a separate step, checks that none is pending.
 */
export async function migrateOnBoot(
  dataSource: DataSource,
  settings: MigrateOnBootSettings,
): Promise<MigrateOnBootOutcome> {
  if (!settings.migrate) {
    const pending = await pendingMigrations(dataSource);
    if (pending.length > 0) {
      throw new MigrationBootError(
        `DB_MIGRATE_ON_BOOT is false and ${pending.length} migration(s) are pending: ` +
          `${pending.join(', ')}. Run them first (node dist/src/database/migrate.js run, or ` +
          'npm run migrate), or set DB_MIGRATE_ON_BOOT=true',
      );
    }
    return { applied: [], waitedMs: null };
  }
  if (!settings.lock) return { applied: await runMigrationsOn(dataSource), waitedMs: null };
  const { result, waitedMs } = await withMigrationLock(dataSource, settings.lock, (runner) =>
    runMigrationsOn(dataSource, runner),
  );
  return { applied: result, waitedMs };
}
