import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './service-process';

/** One replica behind the load balancer: its name (answered in `X-Served-By`) and loopback port. */
export interface Backend {
  name: string;
  port: number;
}

export interface LoadBalancerOptions {
  /** Health check interval (ms); a replica whose readiness answers 503 leaves rotation after two. */
  checkIntervalMs?: number;
}

/** Response header the load balancer adds: the name of the replica that answered. */
export const SERVED_BY = 'x-served-by';

/**
 * An HAProxy configuration for the service: HTTP mode, round robin with no stickiness, readiness
 * as the health check, long tunnel timeout for WebSocket, nothing buffered (SSE streams through),
 * the client's address forwarded, and retries only when the request cannot have reached a replica
 * (connection refused while one restarts, or a kept-alive connection it closed before answering).
 */
export function haproxyConfig(
  listenPort: number,
  backends: Backend[],
  options: LoadBalancerOptions = {},
): string {
  const inter = options.checkIntervalMs ?? 500;
  return [
    'global',
    '  maxconn 4096',
    '  log stderr format short local0',
    '',
    'defaults',
    '  mode http',
    // Only what went wrong is logged (errors, retries, aborted streams), to haproxy's stderr.
    '  log global',
    '  option httplog',
    '  option dontlog-normal',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    // A WebSocket (after the 101) is a tunnel: it lives as long as the chat does.
    '  timeout tunnel 1h',
    '  timeout http-request 10s',
    '  timeout queue 5s',
    // The application sees the client's address (replicas trust loopback: TRUST_PROXY).
    '  option forwardfor',
    // A refused connection (a replica stopped or not yet listening) or a kept-alive connection
    // closed before any answer is retried on another replica: the request never reached the
    // application. Anything that got an answer, or part of one, is never replayed.
    '  retries 3',
    '  retry-on conn-failure empty-response',
    '  option redispatch 1',
    '',
    'frontend chat',
    `  bind 127.0.0.1:${listenPort}`,
    '  default_backend replicas',
    '',
    'backend replicas',
    '  balance roundrobin',
    '  option httpchk GET /api/v1/health/ready',
    '  http-check expect status 200',
    // Two failed checks take a replica out (a draining one within about a second); a check
    // may take 3 s, so a replica slowed by load is not mistaken for a draining one.
    '  timeout check 3s',
    `  default-server check inter ${inter}ms fastinter ${inter}ms downinter ${inter}ms fall 2 rise 1`,
    '  http-response set-header X-Served-By %s',
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port}`),
    '',
  ].join('\n');
}

export interface LoadBalancer {
  /** http://127.0.0.1:PORT of the load balancer. */
  url: string;
  port: number;
  child: ChildProcess;
  /** What haproxy printed (warnings, alerts). */
  output: () => string;
  /** Stops haproxy and removes its configuration directory. */
  stop: () => Promise<void>;
}

/** Whether an haproxy binary is on PATH (scripts/install-haproxy.sh installs it). */
export function haproxyAvailable(): boolean {
  return spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts haproxy in the foreground on a free loopback port in front of `backends`, checks the
 * configuration first, and waits until every backend has answered a request through it.
 */
export async function startLoadBalancer(
  backends: Backend[],
  options: LoadBalancerOptions = {},
): Promise<LoadBalancer> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-lb-'));
  const port = await freePort();
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, haproxyConfig(port, backends, options));
  const check = spawnSync('haproxy', ['-c', '-q', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`haproxy refused its configuration:\n${check.stdout}${check.stderr}`);
  }
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const lb: LoadBalancer = {
    url,
    port,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitForBackends(
    url,
    backends.map((b) => b.name),
  ).catch(async (error: unknown) => {
    await lb.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${out}`);
  });
  return lb;
}

/** Resolves once each named backend has answered /health/ready through the load balancer. */
export async function waitForBackends(
  url: string,
  names: string[],
  timeoutMs = 20_000,
): Promise<void> {
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const served = await fetch(`${url}/api/v1/health/ready`)
      .then((r) => (r.status === 200 ? r.headers.get(SERVED_BY) : null))
      .catch(() => null);
    if (served) seen.add(served);
    if (names.every((n) => seen.has(n))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`through the load balancer, only ${[...seen].join(', ') || 'none'} answered`);
}
