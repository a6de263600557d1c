import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { log } from './report';

export const ROOT = join(__dirname, '../..');
export const PG_SERVER_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/7';
export const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789abcdef';
export const DB_POOL_SIZE = 10;
/**
 * Compiled service (tsc into a temp dir: never `npm run build`, which deletes dist/), one per
 * checkout: two clones benched on one machine never share (or reuse) each other's build.
 */
export const BUILD_DIR =
  process.env.BENCH_BUILD_DIR ??
  join(tmpdir(), `chat-bench-dist-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`);
export const MAIN_JS = join(BUILD_DIR, 'src/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory()
        ? newestMtime(path)
        : entry.name.endsWith('.ts')
          ? statSync(path).mtimeMs
          : 0,
    );
  }
  return newest;
}

/** Compiles src/ + migrations/ into BUILD_DIR unless the build there is newer than every source. */
export function ensureBuild(): void {
  const sources = Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'migrations')));
  if (!existsSync(MAIN_JS) || statSync(MAIN_JS).mtimeMs <= sources) compile();
  linkPackages();
}

function compile(): void {
  log(`compiling the service into ${BUILD_DIR}`);
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      BUILD_DIR,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
}

function linkPackages(): void {
  // The compiled files resolve their packages from here: this checkout's, whatever a link left
  // there before points to (another checkout's, or one removed since).
  const link = join(BUILD_DIR, 'node_modules');
  const target = join(ROOT, 'node_modules');
  const current = linkTarget(link);
  if (current === target || current === '') return;
  if (current !== undefined) unlinkSync(link);
  symlinkSync(target, link, 'dir');
}

/** Where symlink `path` points (dangling or not); undefined when there is nothing there. */
function linkTarget(path: string): string | undefined {
  try {
    lstatSync(path);
  } catch {
    return undefined;
  }
  try {
    return readlinkSync(path);
  } catch {
    return ''; // a real directory: left as it is
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function createDatabase(
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bench_${prefix}_${Date.now()}_${process.pid}`;
  const admin = new Client({ connectionString: PG_SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(PG_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: PG_SERVER_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface Child {
  url: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, then SIGKILL after `ms`; resolves when the process has exited. */
  stop: (ms?: number) => Promise<void>;
}

function track(child: ChildProcess, port: number): Child {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => out,
    stop: async (ms = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The environment of the service under test: production-like, quiet, limits and quotas out of the way. */
export function serviceEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const huge = '1000000000';
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    JWT_SECRET,
    REDIS_URL,
    DB_POOL_SIZE: String(DB_POOL_SIZE),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    SHUTDOWN_GRACE_MS: '0',
    // The bench measures throughput, not the limits: rate limits, lockout and quotas are lifted.
    RATE_LIMIT_AUTH: huge,
    RATE_LIMIT_MESSAGES: huge,
    RATE_LIMIT_DEFAULT: huge,
    RATE_LIMIT_RECOVERY: huge,
    LOGIN_LOCKOUT_THRESHOLD: huge,
    QUOTA_NORMAL_DAILY_REQUESTS: huge,
    QUOTA_NORMAL_MONTHLY_REQUESTS: huge,
    QUOTA_NORMAL_DAILY_TOKENS: huge,
    QUOTA_NORMAL_MONTHLY_TOKENS: huge,
    QUOTA_VIP_DAILY_REQUESTS: huge,
    QUOTA_VIP_MONTHLY_REQUESTS: huge,
    QUOTA_VIP_DAILY_TOKENS: huge,
    QUOTA_VIP_MONTHLY_TOKENS: huge,
    LLM_PROVIDER: 'offline',
    OFFLINE_TOKEN_DELAY_MS: '0',
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export async function waitReady(
  url: string,
  child: ChildProcess,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/api/v1/health/ready`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('not ready in time');
}

/** Starts the compiled service as its own process and waits for readiness. */
export async function startService(
  env: Record<string, string | undefined>,
  nodeArgs: string[] = [],
): Promise<Child> {
  ensureBuild();
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS], {
    cwd: ROOT,
    env: serviceEnv({ PORT: String(port), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service = track(child, port);
  try {
    await waitReady(service.url, child);
  } catch (error) {
    await service.stop(1000);
    throw new Error(`the service did not start: ${String(error)}\n${service.output()}`, {
      cause: error,
    });
  }
  return service;
}

/** Runs a bench/ TypeScript helper (baseline server, upstream) as its own process; it prints READY when listening. */
export async function startHelper(script: string, env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, script)],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const helper = track(child, port);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start: ${helper.output()}`)),
      60_000,
    );
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${helper.output()}`));
    });
  });
  return helper;
}
