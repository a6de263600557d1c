import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { DataSource, MigrationExecutor } from 'typeorm';

/**
 * The key of the session-level advisory lock that serializes migrations between processes
 * (replicas booting together, the migrate command): the two int4 words 'chat' and 'migr'.
 */
export const MIGRATION_LOCK_KEY: readonly [number, number] = [0x63686174, 0x6d696772];

/** A boot that must not go on: the lock was not had in time, or migrations are pending. */
export class MigrationBootError extends Error {}

export interface LockSettings {
  url: string;
  /** Longest wait for the lock (DB_MIGRATION_LOCK_TIMEOUT_MS). */
  timeoutMs: number;
  connectTimeoutMs: number;
}

/**
 * Runs `fn` while this process holds the migration lock: `pg_advisory_lock` on a connection
 * of its own (the pool's connections come and go; a session lock lives as long as its session,
 * so a process killed mid-migration frees it with its connection). Other processes wait in
 * PostgreSQL's lock queue, bounded by `lock_timeout`, and get their turn the moment it is freed.
 */
export async function withMigrationLock<T>(
  settings: LockSettings,
  fn: () => Promise<T>,
): Promise<{ result: T; waitedMs: number }> {
  const client = new Client({
    connectionString: settings.url,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    application_name: 'chat-assistant-backend migrations',
  });
  // A connection lost while the lock is held surfaces through the queries; never crash on it.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`SET lock_timeout = ${Math.trunc(settings.timeoutMs)}`);
    await client.query('SET statement_timeout = 0');
    const started = performance.now();
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK_KEY]);
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') {
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
    try {
      return { result: await fn(), waitedMs };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK_KEY])
        .catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
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
  const run = async () => (await dataSource.runMigrations()).map((m) => m.name);
  if (!settings.lock) return { applied: await run(), waitedMs: null };
  const { result, waitedMs } = await withMigrationLock(settings.lock, run);
  return { applied: result, waitedMs };
}
