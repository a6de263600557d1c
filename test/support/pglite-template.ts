import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A migrated embedded database the run's apps start from. Creating a PGlite cluster takes
 * seconds (initdb under WASM) and every app of an embedded run would otherwise create its own
 * and migrate it: the run's global setup makes one with the project's own migration script,
 * and each fresh data directory gets a copy (a second, under half a second). The apps still
 * run their migrations at boot — a copy made before a new migration would get it then.
 */
const TEMPLATE_ENV = 'TEST_PGLITE_TEMPLATE';

/** Creates the template (global setup, embedded runs only); its data directory. */
export function createPgliteTemplate(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-template-'));
  const root = join(__dirname, '../..');
  const result = spawnSync(
    process.execPath,
    [require.resolve('ts-node/dist/bin.js'), '--transpile-only', 'src/database/migrate.ts', 'run'],
    {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        JWT_SECRET: 'template-secret-that-is-long-enough-for-hs256-0123',
      },
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(`the embedded template database was not created: ${result.stderr}`);
  }
  process.env[TEMPLATE_ENV] = dataDir;
  return dataDir;
}

/**
 * Gives `dataDir` a copy of the template's database when it has none yet (an app about to
 * start there would create one) and the run made a template; a no-op on PostgreSQL runs.
 */
export function seedEmbeddedDatabase(dataDir: string): void {
  const template = process.env[TEMPLATE_ENV];
  if (!template || existsSync(join(dataDir, 'pglite'))) return;
  cpSync(join(template, 'pglite'), join(dataDir, 'pglite'), { recursive: true });
}
