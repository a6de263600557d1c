import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchReport, finish, log, median, parseArgs, row } from './lib/report';
import { createDatabase, ensureBuild, freePort, MAIN_JS, ROOT, serviceEnv } from './lib/service';

/**
 * P5 — start: process spawn → first 200 of /api/v1/health/ready, for the compiled service on
 * PostgreSQL (first start with migrations, then warm starts) and on embedded PGlite (fresh data
 * directory: init + migrations; reused directory), beside a bare node:http server.
 */
const args = parseArgs();
const N = args.quick ? 3 : 7;

async function timeToReady(
  argv: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  path: string,
): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, argv, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${err}`);
      const ok = await fetch(`http://127.0.0.1:${port}${path}`)
        .then(async (r) => {
          await r.arrayBuffer();
          return r.status === 200;
        })
        .catch(() => false);
      if (ok) return Number(process.hrtime.bigint() - started) / 1e6;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`not ready within 120 s: ${err}`);
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

async function service(env: Record<string, string | undefined>): Promise<number> {
  const port = await freePort();
  return timeToReady(
    [MAIN_JS],
    serviceEnv({ PORT: String(port), ...env }),
    port,
    '/api/v1/health/ready',
  );
}

async function baseline(): Promise<number> {
  const port = await freePort();
  const code = `require('http').createServer((q,s)=>s.end('ok')).listen(${port}, '127.0.0.1')`;
  return timeToReady(['-e', code], { PATH: process.env.PATH }, port, '/');
}

async function main(): Promise<void> {
  ensureBuild();
  const db = await createDatabase('p5');
  const dirs: string[] = [];
  const times: Record<string, number[]> = {
    baseline: [],
    pgFirst: [],
    pgWarm: [],
    embFresh: [],
    embReused: [],
  };
  try {
    // The first start creates the schema (migrations); every later start finds it done.
    times.pgFirst.push(await service({ DATABASE_URL: db.url }));
    log(`postgres first start (migrations): ${times.pgFirst[0].toFixed(0)} ms`);
    const embedded = (dir: string) =>
      service({ NODE_ENV: 'development', DATA_DIR: dir, DATABASE_URL: undefined });
    for (let i = 0; i < N; i++) {
      // Interleaved, so load on a shared machine spreads over every kind alike.
      times.baseline.push(await baseline());
      times.pgWarm.push(await service({ DATABASE_URL: db.url }));
      const dir = mkdtempSync(join(tmpdir(), 'chat-bench-p5-'));
      dirs.push(dir);
      times.embFresh.push(await embedded(dir));
      times.embReused.push(await embedded(dirs[0]));
      log(
        `round ${i + 1}/${N}: baseline ${times.baseline[i].toFixed(0)} ms, pg warm ${times.pgWarm[i].toFixed(0)} ms, embedded fresh ${times.embFresh[i].toFixed(0)} ms, embedded reused ${times.embReused[i].toFixed(0)} ms`,
      );
    }
  } finally {
    await db.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  const base = median(times.baseline);
  const rows = [
    row('bare node:http server (baseline)', base, 'ms'),
    row('PostgreSQL, warm (schema in place)', median(times.pgWarm), 'ms', { baseline: base }),
    row('PostgreSQL, first start (runs the migrations)', times.pgFirst[0], 'ms', {
      baseline: base,
    }),
    row('embedded PGlite, fresh data dir (init + migrations)', median(times.embFresh), 'ms', {
      baseline: base,
    }),
    row('embedded PGlite, reused data dir', median(times.embReused), 'ms', { baseline: base }),
  ];
  const report: BenchReport = {
    id: 'P5',
    title: 'Start: spawn → first 200 of /health/ready',
    rows,
    notes: [
      `Compiled service (tsc into a temp dir), ${N} starts of each kind interleaved, median; the PostgreSQL first start is a single run on a fresh database. Readiness is polled every 10 ms; the baseline is \`node -e "require('http').createServer(…).listen(PORT)"\` polled the same way.`,
      'Service settings as in the other pieces (NODE_ENV=production on PostgreSQL, development on embedded because production requires DATABASE_URL; Redis configured in both).',
    ],
  };
  finish(report, args);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
