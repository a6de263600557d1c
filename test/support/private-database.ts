import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * For the enclosing describe, on PostgreSQL: a database of its own on the run's server,
 * created before the suite boots its apps; `env()` gives the DATABASE_URL to boot them with.
 * For suites whose subject is database-wide (the file sweeps and their job lease): on the
 * run's shared database another suite's apps — or a service process a fault test killed while
 * it held the lease — would take part. On PGlite every app has a fresh database anyway and
 * `env()` is empty. The global teardown drops these databases with the run's own.
 */
export function usePrivateDatabase(): { env: () => Record<string, string> } {
  let url: string | undefined;
  beforeAll(async () => {
    const serverUrl = process.env.TEST_SERVER_DATABASE_URL;
    const runName = process.env.TEST_DATABASE_NAME;
    if (!serverUrl || !runName) return;
    url = await createDatabase(serverUrl, `${runName}_p${randomBytes(3).toString('hex')}`);
  });
  return { env: (): Record<string, string> => (url ? { DATABASE_URL: url } : {}) };
}

/** Creates database `name` on the server at `serverUrl`; its URL. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
