import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateEnv } from '../config/env';
import { EmbeddedPostgres } from './embedded-postgres';
import { describeUrl, typeormOptions } from './typeorm-options';

/**
 * `npm run migration:run` / `migration:revert`: runs against DATABASE_URL or, when it is
 * unset, the embedded database under DATA_DIR (the app must not be running on it).
 */
async function main(command: string | undefined): Promise<void> {
  if (command !== 'run' && command !== 'revert') throw new Error('usage: migrate.ts run|revert');
  const env = validateEnv(process.env);
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
    if (command === 'run') {
      const ran = await dataSource.runMigrations();
      console.log(
        ran.length ? `applied: ${ran.map((m) => m.name).join(', ')}` : 'no pending migrations',
      );
    } else {
      await dataSource.undoLastMigration();
      console.log('reverted the last migration');
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
