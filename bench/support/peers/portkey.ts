/**
 * The Portkey AI gateway (npm `@portkey-ai/gateway`), a streaming OpenAI-compatible proxy, as
 * a peer to read the service's streaming figures against (issue 12). It is not a dependency of
 * the project: `installPortkey()` installs it on demand into a folder of its own outside the
 * repository (BENCH_PORTKEY_DIR, default $TMPDIR/bench-portkey), never committed.
 *
 * Known here:
 *  - @hono/node-server must be pinned to 1.14.1 through npm `overrides`, or every chat
 *    completion answers 500 `TypeError: immutable` (Portkey-AI/gateway#1389);
 *  - it listens on every interface and has no option to choose one (`--port=` and
 *    `--headless` only): bench/support/peers/loopback-only.ts is preloaded to bind 127.0.0.1;
 *  - a custom host on a private address is refused ("Invalid custom host") unless listed in
 *    TRUSTED_CUSTOM_HOSTS;
 *  - its stream reader sleeps a fixed 25 ms before it passes on the first event of a stream.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { freePort } from '../../lib/service';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');
/** The version these notes were checked against (`npm view @portkey-ai/gateway version`: no engines field). */
export const PORTKEY_VERSION = '1.15.2';
const HONO_NODE_SERVER = '1.14.1';
export const PORTKEY_DIR = process.env.BENCH_PORTKEY_DIR ?? join(tmpdir(), 'bench-portkey');
const START_SERVER = join(PORTKEY_DIR, 'node_modules/@portkey-ai/gateway/build/start-server.js');

function versionOf(pkg: string): string | undefined {
  const file = join(PORTKEY_DIR, 'node_modules', pkg, 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
}

/** True when the pinned gateway and its pinned @hono/node-server are installed. */
export function portkeyInstalled(): boolean {
  return (
    existsSync(START_SERVER) &&
    versionOf('@portkey-ai/gateway') === PORTKEY_VERSION &&
    versionOf('@hono/node-server') === HONO_NODE_SERVER
  );
}

/** Installs the gateway into PORTKEY_DIR (npm install; a few seconds) unless it is there already. */
export function installPortkey(): void {
  if (portkeyInstalled()) return;
  mkdirSync(PORTKEY_DIR, { recursive: true });
  writeFileSync(
    join(PORTKEY_DIR, 'package.json'),
    `${JSON.stringify(
      {
        name: 'bench-portkey-peer',
        private: true,
        description: 'Installed by bench/support/peers/portkey.ts; not part of the project.',
        dependencies: { '@portkey-ai/gateway': PORTKEY_VERSION },
        overrides: { '@hono/node-server': HONO_NODE_SERVER },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${PORTKEY_DIR}…`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: PORTKEY_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 300_000,
  });
  if (!portkeyInstalled()) {
    throw new Error(
      `npm install in ${PORTKEY_DIR} did not give @portkey-ai/gateway ${PORTKEY_VERSION} with @hono/node-server ${HONO_NODE_SERVER} ` +
        `(found ${versionOf('@portkey-ai/gateway') ?? 'none'} / ${versionOf('@hono/node-server') ?? 'none'})`,
    );
  }
}

/** Local addresses listening on `port`, from /proc/net/tcp and tcp6 (hex, as the kernel prints them). */
function listeningOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .slice(1)
          .map((line) => line.trim().split(/\s+/))
          .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A')
          .map((f) => f[1].split(':')[0])
      : [],
  );
}

export interface Portkey {
  /** OpenAI-style base URL: POST `${baseURL}/chat/completions`. */
  baseURL: string;
  pid: number;
  /** The headers that route a request to an OpenAI-compatible upstream at `upstreamBaseURL`. */
  headers: (upstreamBaseURL: string) => Record<string, string>;
  /** What was checked at start (bound addresses). */
  note: string;
  stop: () => Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the installed gateway (its own process, NODE_ENV=production, headless) on a free
 * loopback port and waits until it answers; checks it listens on 127.0.0.1 only.
 */
export async function startPortkey(): Promise<Portkey> {
  if (!portkeyInstalled()) throw new Error(`Portkey is not installed in ${PORTKEY_DIR}`);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      join(__dirname, 'loopback-only.ts'),
      START_SERVER,
      `--port=${port}`,
      '--headless',
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        TS_NODE_TRANSPILE_ONLY: '1',
        NODE_ENV: 'production',
        TRUSTED_CUSTOM_HOSTS: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const baseURL = `http://127.0.0.1:${port}/v1`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Portkey exited ${child.exitCode}: ${output}`);
    const up = await fetch(`http://127.0.0.1:${port}/`)
      .then(async (r) => (await r.text()).length > 0 && r.status === 200)
      .catch(() => false);
    if (up) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`Portkey did not answer within 30 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const bound = listeningOn(port);
  const loopbackOnly = bound.length > 0 && bound.every((a) => a === '0100007F');
  if (!loopbackOnly) {
    await stopChild(child);
    throw new Error(
      `Portkey listens on ${bound.join(', ') || 'nothing'} (hex), not only 127.0.0.1`,
    );
  }
  return {
    baseURL,
    pid: child.pid!,
    headers: (upstreamBaseURL) => ({
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': upstreamBaseURL,
      authorization: 'Bearer bench-key',
    }),
    note: `@portkey-ai/gateway ${PORTKEY_VERSION} (@hono/node-server pinned to ${HONO_NODE_SERVER}), own process, NODE_ENV=production, --headless, listening on 127.0.0.1:${port} only (checked in /proc/net/tcp)`,
    stop: () => stopChild(child),
  };
}
