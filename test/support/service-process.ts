import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_JWT_SECRET } from './app';
import { seedEmbeddedDatabase } from './pglite-template';

/**
 * The service as a real process (src/main.ts through ts-node, which keeps decorator metadata),
 * for what only a process shows: its stdout (logs), its signals and its exit code.
 */
export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  dataDir: string;
  /** stdout as received so far. */
  stdout: () => string;
  /** stderr as received so far. */
  stderr: () => string;
  /** stdout lines that are JSON objects (log lines), parsed. */
  logLines: () => Record<string, any>[];
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Sends SIGTERM and waits for the exit code. */
  stop: () => Promise<number | null>;
  /** Kills the process if it still runs and removes its fresh data directory. */
  dispose: () => Promise<void>;
}

/** A loopback port nothing listens on (free now: a server may take it, a client is refused). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts the service with the test defaults (as bootApp) plus `env` (undefined removes a key),
 * and waits until /health/ready answers 200. DATABASE_URL and REDIS_URL of the test run pass
 * through; without DATABASE_URL the process uses embedded PGlite in `dataDir`.
 */
export async function startService(
  env: Record<string, string | undefined> = {},
  options: { dataDir?: string; readyTimeoutMs?: number; port?: number } = {},
): Promise<ServiceProcess> {
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'chat-proc-'));
  if (!process.env.DATABASE_URL && !env.DATABASE_URL) seedEmbeddedDatabase(dataDir);
  // A given port: a replica restarted where a load balancer expects it.
  const port = options.port ?? (await freePort());
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    TS_NODE_TRANSPILE_ONLY: '1',
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_AUTH: '100000',
    RATE_LIMIT_MESSAGES: '100000',
    RATE_LIMIT_DEFAULT: '100000',
    RATE_LIMIT_RESUMES: '100000',
    WS_RATE_LIMIT_PINGS: '1000000',
    WS_RATE_LIMIT_FRAMES: '1000000',
    WS_MAX_SOCKETS_PER_USER: '100000',
    RATE_LIMIT_RECOVERY: '100000',
    LOGIN_LOCKOUT_THRESHOLD: '100000',
    PASSWORD_RESET_MAIL_COOLDOWN_SECONDS: '0',
    LOG_FORMAT: 'json',
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  const root = join(__dirname, '../..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register', join(root, 'src/main.ts')], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    url,
    child,
    dataDir,
    stdout: () => out,
    stderr: () => err,
    logLines: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, any>),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    dispose: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline && child.exitCode === null) {
    const ready = await fetch(`${url}/api/v1/health/ready`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ready) return service;
    await new Promise((r) => setTimeout(r, 200));
  }
  await service.dispose();
  throw new Error(`the service did not start:\n${out}\n${err}`);
}
