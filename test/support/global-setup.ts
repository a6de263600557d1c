import { randomBytes } from 'node:crypto';
import { createPgliteTemplate } from './pglite-template';
import { createDatabase } from './private-database';

/**
 * With DATABASE_URL set, the run gets a fresh database on that server (dropped afterwards);
 * without it, every app the tests boot starts embedded PGlite in a fresh directory, from a copy
 * of a migrated template made here.
 */
export default async function globalSetup(): Promise<void> {
  process.env.NODE_ENV = 'test';
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const started = Date.now();
    createPgliteTemplate();
    console.log(
      `\n[tests] database: embedded PGlite, a fresh copy of a migrated template per app (template made in ${Date.now() - started} ms)`,
    );
    return;
  }
  const name = `chat_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  process.env.TEST_SERVER_DATABASE_URL = serverUrl;
  process.env.TEST_DATABASE_NAME = name;
  process.env.DATABASE_URL = await createDatabase(serverUrl, name);
  console.log(`\n[tests] database: PostgreSQL, fresh database ${name}`);
}
