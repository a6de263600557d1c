import { ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import jwt from 'jsonwebtoken';
import { mainThreadProfile } from '../../lib/profile';

export const ROOT = join(__dirname, '../../..');
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];
export const JWT_SECRET = `bench-p23-secret-${'x'.repeat(40)}`;
export const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Max open files of a process (soft limit), from /proc. */
export function fdLimit(pid: number | 'self' = 'self'): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? NaN);
}

/** Resident set size in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 (1-based, counting pid and comm), in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU time of a process and all its descendants (node:cluster workers), in ms. */
export function cpuTreeMs(pid: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const visit = (p: number): void => {
    try {
      total += cpuMs(p);
    } catch {
      return;
    }
    for (const [child, parent] of parents) if (parent === p) visit(child);
  };
  visit(pid);
  return total;
}

/** CPU use of several processes over a window: call `done()` at its end → % of one core each. */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const start = Date.now();
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  return () => {
    const wall = Date.now() - start;
    return Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [
        k,
        Math.round(((cpuMs(pid) - before[k]) / Math.max(1, wall)) * 100),
      ]),
    );
  };
}

export interface Upstream {
  baseURL: string;
  pid: number;
  stop: () => Promise<void>;
}

/**
 * The chunk-every-N-ms upstream in its own process (or another helper script that prints
 * PORT: a name in this folder, or a path from the repository root).
 */
export async function startUpstream(
  script = 'upstream.ts',
  env: Record<string, string> = {},
): Promise<Upstream> {
  const path = script.includes('/') ? join(ROOT, script) : join(__dirname, script);
  const child = spawn(process.execPath, [...TS_NODE, path], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`upstream exited ${code}`)));
  });
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    pid: child.pid!,
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

/**
 * bench/baseline/floor-server.ts (node:http + ws, no database) in its own process, streaming
 * from `upstreamBaseURL` and accepting the tokens these pieces sign. `url` is its origin.
 */
export async function startFloor(upstreamBaseURL: string): Promise<Upstream & { url: string }> {
  const floor = await startUpstream('bench/baseline/floor-server.ts', {
    PORT: '0',
    JWT_SECRET,
    UPSTREAM_URL: upstreamBaseURL,
  });
  return { ...floor, url: floor.baseURL.replace(/\/v1$/, '') };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, ms = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/** A database of our own on the machine's PostgreSQL; `drop()` removes it. */
export async function createDatabase(
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bench_${prefix}_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const c = new Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * The service compiled as production runs it (`node …/src/main.js`), built with
 * `tsc -p tsconfig.build.json` into a directory of ours under /tmp (never dist/, which others
 * use), named by a hash of the sources so an unchanged tree is built once.
 */
let built: string | undefined;
export function ensureBuild(): string {
  built ??= build();
  return built;
}

function build(): string {
  const hash = createHash('sha1');
  const files = [
    ...sourceFiles(join(ROOT, 'src')),
    ...sourceFiles(join(ROOT, 'migrations')),
    join(ROOT, 'tsconfig.json'),
    join(ROOT, 'tsconfig.build.json'),
    join(ROOT, 'package.json'),
  ].sort();
  for (const f of files) hash.update(f).update(readFileSync(f));
  const dir = join(tmpdir(), `bench-p23-build-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(join(dir, 'src/main.js'))) return dir;
  const staging = `${dir}.${process.pid}`;
  console.log(`building the service into ${dir} (tsc -p tsconfig.build.json)…`);
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      staging,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  // Modules resolve upwards from the build: point it at the repository's node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(staging, 'node_modules'));
  copyFileSync(join(ROOT, 'package.json'), join(staging, 'package.json'));
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // built meanwhile by the other script
  }
  return dir;
}

export interface Service {
  url: string;
  pid: number;
  /** SIGTERM, wait for exit; returns the CPU profile file when profiling. */
  stop: () => Promise<string | undefined>;
  stderr: () => string;
  stdout: () => string;
}

/**
 * The service in its own process, compiled (ensureBuild), with limits and quotas raised so they do not interfere, LOG_LEVEL=warn. `cpuProfDir` adds
 * `--cpu-prof` (the profile is written when it exits).
 */
export async function startService(
  env: Record<string, string | undefined>,
  options: { cpuProfDir?: string } = {},
): Promise<Service> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-p23-'));
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    TS_NODE_TRANSPILE_ONLY: '1',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET,
    JWT_ACCESS_TTL: '4h',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    RATE_LIMIT_AUTH: '1000000',
    RATE_LIMIT_MESSAGES: '1000000',
    RATE_LIMIT_DEFAULT: '1000000',
    LOGIN_LOCKOUT_THRESHOLD: '1000000',
    QUOTA_NORMAL_DAILY_REQUESTS: '1000000000',
    QUOTA_NORMAL_MONTHLY_REQUESTS: '1000000000',
    QUOTA_NORMAL_DAILY_TOKENS: '1000000000',
    QUOTA_NORMAL_MONTHLY_TOKENS: '1000000000',
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'bench-key',
    SHUTDOWN_GRACE_MS: '0',
    API_DOCS_ENABLED: 'false',
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  const build = ensureBuild();
  const args: string[] = [];
  if (options.cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  args.push(join(build, 'src/main.js'));
  const child = spawn(process.execPath, args, {
    cwd: build,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Logs (warn and above) and stderr, the last 20 kB of each.
  let err = '';
  let out = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const ready = await fetch(`${url}/api/v1/health/ready`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ready) {
      return {
        url,
        pid: child.pid!,
        stderr: () => err,
        stdout: () => out,
        stop: async () => {
          await stopChild(child, 'SIGTERM', 30_000);
          rmSync(dataDir, { recursive: true, force: true });
          if (!options.cpuProfDir) return undefined;
          const file = mainThreadProfile(readdirSync(options.cpuProfDir));
          return file && join(options.cpuProfDir, file);
        },
      };
    }
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error(`the service did not start:\n${err}`);
}

export interface BenchUser {
  id: string;
  token: string;
}

/**
 * `count` users with live sessions and access tokens. One is registered over the API (the
 * real path, argon2 and all); the rest are copies of it made in SQL with a session each and
 * an access token signed like the service signs them — registering thousands through argon2
 * would take minutes and is not what is measured.
 */
export async function seedUsers(
  service: Service,
  databaseUrl: string,
  count: number,
): Promise<BenchUser[]> {
  const tag = randomBytes(3).toString('hex');
  const password = `bench-${tag}-password`;
  const res = await fetch(`${service.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: `p23_${tag}`,
      email: `p23_${tag}@example.com`,
      password,
      confirm_password: password,
    }),
  });
  const body = (await res.json()) as { data?: { user: { id: string } } };
  if (res.status !== 201 || !body.data) throw new Error(`register failed: ${res.status}`);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const users = await db.query<{ id: string }>(
      `INSERT INTO users (username, email, password_hash)
       SELECT 'p23_' || $2 || '_' || g, 'p23_' || $2 || '_' || g || '@example.com', t.password_hash
         FROM generate_series(1, $3::int) g, (SELECT password_hash FROM users WHERE id = $1) t
       RETURNING id`,
      [body.data.user.id, tag, count],
    );
    const ids = users.rows.map((r) => r.id);
    const sessions = await db.query<{ id: string; user_id: string }>(
      `INSERT INTO sessions (user_id) SELECT unnest($1::uuid[]) RETURNING id, user_id`,
      [ids],
    );
    return sessions.rows.map((s) => ({
      id: s.user_id,
      token: jwt.sign({ sub: s.user_id, sid: s.id, typ: 'access' }, JWT_SECRET, {
        algorithm: 'HS256',
        expiresIn: 4 * 3600,
      }),
    }));
  } finally {
    await db.end();
  }
}

/** Creates one conversation per entry of `owners` over the API (concurrency 16); ids in order. */
export async function createConversations(
  service: Service,
  owners: BenchUser[],
): Promise<string[]> {
  const ids: string[] = new Array<string>(owners.length);
  let next = 0;
  const worker = async () => {
    while (next < owners.length) {
      const i = next++;
      const res = await fetch(`${service.url}/api/v1/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${owners[i].token}` },
        body: JSON.stringify({ title: `bench ${i}` }),
      });
      const body = (await res.json()) as { data?: { id: string } };
      if (res.status !== 201 || !body.data) throw new Error(`conversation failed: ${res.status}`);
      ids[i] = body.data.id;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return ids;
}

/** The load generator (SSE and WebSocket clients) in its own process. */
export interface LoadWorker {
  pid: number;
  run: <T>(job: Record<string, unknown>) => Promise<T>;
  stop: () => Promise<void>;
}

export function startLoadWorker(): LoadWorker {
  const child = fork(join(__dirname, 'load-worker.ts'), [], {
    cwd: ROOT,
    execArgv: TS_NODE,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    serialization: 'advanced',
  });
  let seq = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.result);
  });
  child.once('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`load worker exited ${code}`));
    waiting.clear();
  });
  return {
    pid: child.pid!,
    run: <T>(job: Record<string, unknown>) =>
      new Promise<T>((resolve, reject) => {
        const id = ++seq;
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, job });
      }),
    stop: () => stopChild(child, 'SIGTERM'),
  };
}
