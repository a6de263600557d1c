import 'reflect-metadata';
import { DataSource, type QueryRunner } from 'typeorm';
import { InvalidEnvError, validateEnv } from '../config/env';
import { EmbeddedPostgres } from './embedded-postgres';
import {
  MigrationBootError,
  pendingMigrations,
  runMigrationsOn,
  undoLastMigrationOn,
  withMigrationLock,
} from './migration-lock';
import { describeUrl, typeormOptions } from './typeorm-options';

const COMMANDS = ['run', 'revert', 'status'] as const;
/** The keys the command reads; the others (secrets, the model provider) are the service's. */
const KEYS = ['DATABASE_URL', 'DATA_DIR', 'DB_CONNECT_TIMEOUT_MS', 'DB_MIGRATION_LOCK_TIMEOUT_MS'];

/**
 * Validates only what migrating needs, so that a migration Job carries the database URL and
 * not the service's secrets; in production it still refuses the embedded database.
 */
function migrationEnv(raw: NodeJS.ProcessEnv) {
  const env = validateEnv(Object.fromEntries(KEYS.map((key) => [key, raw[key]])));
  if (raw.NODE_ENV === 'production' && !env.DATABASE_URL) {
    throw new InvalidEnvError(['DATABASE_URL: is required in production']);
  }
  return env;
}

/**
 * `npm run migrate` (= `migration:run`), `migration:revert`; built: `node
 * dist/src/database/migrate.js run|revert|status`. Runs against DATABASE_URL under the same
 * advisory lock as a booting replica (so it may run while replicas start: each waits for the
 * other), or, when DATABASE_URL is unset, the embedded database under DATA_DIR (the app must
 * not be running on it). `status` lists the pending migrations and exits 2 when there are some.
 */
async function main(command: string | undefined): Promise<void> {
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number])) {
    throw new Error(`usage: migrate.js ${COMMANDS.join('|')}`);
  }
  const env = migrationEnv(process.env);
  const embedded = env.DATABASE_URL ? null : new EmbeddedPostgres(env.DATA_DIR);
  const url = env.DATABASE_URL ?? (await embedded!.start());
  const dataSource = new DataSource(
    typeormOptions({
      url,
      embedded: embedded !== null,
      poolSize: 1,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: 10 * 60_000,
    }),
  );
  try {
    await dataSource.initialize();
    console.log(
      `database: ${embedded ? `embedded PGlite in ${embedded.directory}` : describeUrl(url)}`,
    );
    if (command === 'status') {
      const pending = await pendingMigrations(dataSource);
      console.log(pending.length ? `pending: ${pending.join(', ')}` : 'no pending migrations');
      if (pending.length) process.exitCode = 2;
      return;
    }
    const work = async (runner?: QueryRunner): Promise<string> => {
      if (command === 'run') {
        const ran = await runMigrationsOn(dataSource, runner);
        return ran.length ? `applied: ${ran.join(', ')}` : 'no pending migrations';
      }
      await undoLastMigrationOn(dataSource, runner);
      return 'reverted the last migration';
    };
    if (embedded) {
      console.log(await work());
    } else {
      const { result, waitedMs } = await withMigrationLock(
        dataSource,
        { timeoutMs: env.DB_MIGRATION_LOCK_TIMEOUT_MS },
        work,
      );
      console.log(`${result} (waited ${waitedMs} ms for the migration lock)`);
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  const prefix = error instanceof MigrationBootError ? 'refused: ' : '';
  console.error(`${prefix}${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
