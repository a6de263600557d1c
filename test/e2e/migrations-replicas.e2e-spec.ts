import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { MIGRATIONS } from '../../migrations';
import { MIGRATION_LOCK_KEY } from '../../src/database/migration-lock';
import { createDatabase } from '../support/private-database';
import { ServiceProcess, startService } from '../support/service-process';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * Replicas booting together on an empty PostgreSQL database: the advisory lock lets one run
 * the migrations while the others wait, then find none pending. PostgreSQL only (the file
 * name keeps it out of PGlite runs: jest.config.js).
 */
const serverUrl = process.env.TEST_SERVER_DATABASE_URL;
const runName = process.env.TEST_DATABASE_NAME;
const READY_TIMEOUT_MS = 300_000;

async function freshDatabase(): Promise<string> {
  if (!serverUrl || !runName) throw new Error('this suite needs PostgreSQL (DATABASE_URL)');
  return createDatabase(serverUrl, `${runName}_m${randomBytes(3).toString('hex')}`);
}

async function migrationRows(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const table = await client.query<{ t: string | null }>("SELECT to_regclass('migrations') AS t");
    if (table.rows[0].t === null) return [];
    const { rows } = await client.query<{ name: string }>(
      'SELECT name FROM migrations ORDER BY id',
    );
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

/** The Migrations log line of a process: how many it applied, how long it waited for the lock. */
function migrationLog(service: ServiceProcess): { applied: number; waitedMs: number } {
  const line = service.logLines().find((l) => l.context === 'Migrations');
  if (!line) throw new Error(`no Migrations log line:\n${service.stdout()}`);
  const msg = String(line.msg);
  const waited = /waited (\d+) ms for the lock/.exec(msg);
  if (!waited) throw new Error(`no lock wait in: ${msg}`);
  const applied = /^applied (\d+):/.exec(msg);
  return { applied: applied ? Number(applied[1]) : 0, waitedMs: Number(waited[1]) };
}

/** Log lines that would page someone or hide a race: any error, any warning about migrations or locks. */
function alarming(service: ServiceProcess): string[] {
  const lines = service
    .logLines()
    .filter(
      (l) =>
        Number(l.level) >= 50 ||
        (Number(l.level) >= 40 && /migrat|lock|relation|already exists/i.test(JSON.stringify(l))),
    )
    .map((l) => JSON.stringify(l));
  const stderr = service
    .stderr()
    .split('\n')
    .filter((l) => /error|warn|migrat/i.test(l));
  return [...lines, ...stderr];
}

/**
 * Starts `n` service processes on a fresh database through a TCP proxy in 'hold' mode: each
 * one's first connection waits at the proxy until all `n` have arrived, then all go at once,
 * so they reach the migrations together (ts-node's start alone spreads them by seconds).
 */
async function bootTogether(n: number): Promise<void> {
  const url = new URL(await freshDatabase());
  const proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(await proxy.start());
  proxy.setMode('hold');
  const launched = performance.now();
  let gateOpenedMs = 0;
  const gate = setInterval(() => {
    if (proxy.connections < n) return;
    clearInterval(gate);
    gateOpenedMs = Math.round(performance.now() - launched);
    proxy.setMode('pass');
  }, 20);
  const results = await Promise.allSettled(
    Array.from({ length: n }, async () => {
      const service = await startService(
        // The held connection must not give up before the last process arrives.
        { DATABASE_URL: proxied.toString(), DB_CONNECT_TIMEOUT_MS: String(READY_TIMEOUT_MS) },
        { readyTimeoutMs: READY_TIMEOUT_MS },
      );
      return { service, readyMs: Math.round(performance.now() - launched) };
    }),
  );
  clearInterval(gate);
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);

    const rows = await migrationRows(url.toString());
    expect(rows).toEqual(MIGRATIONS.map((m) => m.name));

    const logs = started.map(({ service }) => migrationLog(service));
    // One process ran them all; every other one waited, then found none pending.
    expect(logs.filter((l) => l.applied > 0).map((l) => l.applied)).toEqual([MIGRATIONS.length]);
    for (const { service } of started) expect(alarming(service)).toEqual([]);

    const figures = started.map(({ readyMs }, i) => ({
      replica: i + 1,
      ready_ms: readyMs,
      lock_wait_ms: logs[i].waitedMs,
      applied: logs[i].applied,
    }));
    console.log(
      `migrations raced by ${n} replicas (fresh database, ${MIGRATIONS.length} migrations; ` +
        `all ${n} held at the proxy until ${gateOpenedMs} ms, then released together):\n` +
        figures
          .map(
            (f) =>
              `  replica ${f.replica}: ready after ${f.ready_ms} ms, waited ${f.lock_wait_ms} ms ` +
              `for the lock, applied ${f.applied}`,
          )
          .join('\n'),
    );
  } finally {
    await Promise.all(started.map(({ service }) => service.dispose()));
    await proxy.stop();
  }
}

/** `npm run migrate` (ts-node; the built `node dist/src/database/migrate.js run` is the same code). */
function migrateCommand(
  url: string,
  command = 'run',
): Promise<{ code: number | null; output: string }> {
  const root = join(__dirname, '../..');
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register', join(root, 'src/database/migrate.ts'), command],
    {
      cwd: root,
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('migrations raced by replicas booting together (PostgreSQL advisory lock)', () => {
  it('3 replicas: all ready, each migration run once, nothing logged at warn or error', async () => {
    await bootTogether(3);
  }, 600_000);

  it('5 replicas: all ready, each migration run once, nothing logged at warn or error', async () => {
    await bootTogether(5);
  }, 600_000);

  it('a lock held past DB_MIGRATION_LOCK_TIMEOUT_MS is a clear boot error, not a hang', async () => {
    const url = await freshDatabase();
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK_KEY]);
      let refusal = '';
      await startService(
        { DATABASE_URL: url, DB_MIGRATION_LOCK_TIMEOUT_MS: '1500' },
        { readyTimeoutMs: READY_TIMEOUT_MS },
      ).then(
        async (service) => {
          await service.dispose();
          throw new Error('started while another process held the migration lock');
        },
        (error: Error) => (refusal = error.message),
      );
      expect(refusal).toContain(
        'startup refused: the database migration lock was not free within 1500 ms',
      );
      expect(refusal).not.toMatch(/Retrying/);
      expect(await migrationRows(url)).toEqual([]);
    } finally {
      await holder.end();
    }
  }, 600_000);

  it('DB_MIGRATE_ON_BOOT=false refuses to start with the pending list; after the migrate command it starts', async () => {
    const url = await freshDatabase();
    const env = { DATABASE_URL: url, DB_MIGRATE_ON_BOOT: 'false' };
    let refusal = '';
    await startService(env, { readyTimeoutMs: READY_TIMEOUT_MS }).then(
      async (service) => {
        await service.dispose();
        throw new Error('started with migrations pending');
      },
      (error: Error) => (refusal = error.message),
    );
    expect(refusal).toContain('startup refused: DB_MIGRATE_ON_BOOT is false');
    for (const m of MIGRATIONS) expect(refusal).toContain(m.name);
    // Refused, not retried: the database module's "Unable to connect ... Retrying" never shows.
    expect(refusal).not.toMatch(/Retrying/);
    expect(await migrationRows(url)).toEqual([]);

    const status = await migrateCommand(url, 'status');
    expect(status.code).toBe(2);
    expect(status.output).toContain(MIGRATIONS[0].name);

    const run = await migrateCommand(url);
    expect(run).toMatchObject({ code: 0 });
    expect(run.output).toMatch(/applied: .* \(waited \d+ ms for the migration lock\)/);
    expect(await migrationRows(url)).toEqual(MIGRATIONS.map((m) => m.name));

    const service = await startService(env, { readyTimeoutMs: READY_TIMEOUT_MS });
    try {
      const line = service.logLines().find((l) => l.context === 'Migrations');
      expect(line?.msg).toMatch(/none pending \(DB_MIGRATE_ON_BOOT=false/);
    } finally {
      await service.dispose();
    }
  }, 600_000);
});
