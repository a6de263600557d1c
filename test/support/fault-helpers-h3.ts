import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scrape } from './prometheus-text';

/**
 * Helpers of the client-load and shutdown-load fault suites: what a service process holds
 * (memory, file descriptors, TCP connections, read from /proc and /metrics), users over HTTP,
 * a proxy that makes connections vanish without a FIN, and an OpenAI-compatible upstream
 * whose replies are chosen by the prompt and can wait behind a gate.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident set size of a process, in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

/** Open file descriptors of a process (sockets, files, pipes…). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface TcpEntry {
  localPort: number;
  remotePort: number;
  /** Kernel state as in /proc/net/tcp: 01 ESTABLISHED, 06 TIME_WAIT, 08 CLOSE_WAIT, 0A LISTEN… */
  state: string;
  /** Bytes written and not yet acknowledged by the peer (send queue). */
  txQueue: number;
  /** Bytes received and not yet read by the application (receive queue). */
  rxQueue: number;
  /** 0 once no process holds the socket any more (orphaned, TIME_WAIT). */
  inode: number;
}

/** Every IPv4 TCP socket of this network namespace (loopback tests use IPv4 only). */
export function tcpEntries(): TcpEntry[] {
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 10)
    .map((f) => {
      const [txQueue, rxQueue] = f[4].split(':').map((hex) => parseInt(hex, 16));
      return {
        localPort: parseInt(f[1].split(':')[1], 16),
        remotePort: parseInt(f[2].split(':')[1], 16),
        state: f[3],
        txQueue,
        rxQueue,
        inode: Number(f[9]),
      };
    });
}

/**
 * Connections a server listening on `port` still holds: sockets on that local port, other than
 * the listener, that a process still owns (an orphaned or TIME_WAIT socket has inode 0); only
 * those from `peers` (the clients' local ports) when given.
 */
export function heldConnections(port: number, peers?: ReadonlySet<number>): number {
  return tcpEntries().filter(
    (e) =>
      e.localPort === port &&
      e.state !== '0A' &&
      e.inode !== 0 &&
      (peers === undefined || peers.has(e.remotePort)),
  ).length;
}

/** Established TCP connections of process `pid` to `port` (e.g. its Redis connections). */
export function connectionsOf(pid: number, port: number): number {
  const inodes = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(Number(match[1]));
    } catch {
      // Closed meanwhile.
    }
  }
  return tcpEntries().filter(
    (e) => e.remotePort === port && e.state === '01' && inodes.has(e.inode),
  ).length;
}

/** GET /metrics of a running service, parsed. */
export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return new Scrape(await res.text());
}

export interface Memory {
  /** VmRSS from /proc, MiB. */
  rssMiB: number;
  /** V8 heap in use (nodejs_heap_size_used_bytes), MiB. */
  heapMiB: number;
  /** Memory outside the V8 heap held by JS objects: Buffers, WASM… (nodejs_external_memory_bytes), MiB. */
  externalMiB: number;
}

const MiB = 1024 * 1024;

/** The memory of a service process: RSS from /proc, heap and external from its own /metrics. */
export async function memoryOf(url: string, pid: number): Promise<Memory> {
  const metrics = await scrape(url);
  return {
    rssMiB: rssKiB(pid) / 1024,
    heapMiB: metrics.value('nodejs_heap_size_used_bytes') / MiB,
    externalMiB: metrics.value('nodejs_external_memory_bytes') / MiB,
  };
}

export const fmtMiB = (m: number) => `${m.toFixed(1)} MiB`;

export interface ApiUser {
  id: string;
  token: string;
}

async function api(
  url: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

/** Registers a fresh user on a running service (by URL: the service may be another process). */
export async function registerOver(url: string): Promise<ApiUser> {
  const name = `load_${randomBytes(5).toString('hex')}`;
  const password = `pass-${name}`;
  const res = await api(url, 'POST', '/auth/register', undefined, {
    username: name,
    email: `${name}@example.com`,
    password,
    confirm_password: password,
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.data.user.id as string, token: res.body.data.access_token as string };
}

/** Creates a conversation for the user and returns its id. */
export async function conversationOver(url: string, user: ApiUser): Promise<string> {
  const res = await api(url, 'POST', '/conversations', user.token, {});
  if (res.status !== 201) throw new Error(`conversation: ${res.status}`);
  return res.body.data.id as string;
}

export interface StoredMessage {
  id: string;
  role: string;
  status: string;
  content: string;
}

/** The conversation's messages as GET …/messages answers them, oldest first. */
export async function messagesOver(
  url: string,
  user: ApiUser,
  conversationId: string,
): Promise<StoredMessage[]> {
  const res = await api(
    url,
    'GET',
    `/conversations/${conversationId}/messages?order=asc&size=50`,
    user.token,
  );
  if (res.status !== 200) throw new Error(`messages: ${res.status} ${JSON.stringify(res.body)}`);
  const data = res.body.data as { messages?: StoredMessage[] } | StoredMessage[];
  return Array.isArray(data) ? data : (data.messages ?? []);
}

/** Runs `fn` over `items` with at most `limit` at a time; results in the items' order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * A loopback TCP proxy whose connections can vanish the way a pulled cable or a dead NAT
 * entry makes them vanish: `freeze()` destroys every client side and leaves every side towards
 * the target open, unread and silent — the target gets no FIN, no RST, no answer to anything.
 */
export class FreezingProxy {
  private server?: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private frozen = false;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** Local ports of the connections towards the target (the target sees them as its peers). */
  targetSidePorts(): number[] {
    return [...this.pairs].map((p) => p.upstream.localPort ?? 0);
  }

  /** Synchronously: every client side destroyed, every target side frozen as it is. */
  freeze(): void {
    this.frozen = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      upstream.pause();
      client.destroy();
    }
  }

  async stop(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    const upstream = connect(this.targetPort, '127.0.0.1');
    upstream.on('error', () => undefined);
    const pair = { client, upstream };
    this.pairs.add(pair);
    // Until frozen, each side's end is passed on; frozen, the target side learns nothing.
    client.on('close', () => {
      if (!this.frozen) upstream.destroy();
    });
    upstream.on('close', () => {
      client.destroy();
      this.pairs.delete(pair);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** How the gated upstream answers one prompt. */
export interface UpstreamPlan {
  /** The reply's text in the pieces it is streamed in. */
  pieces: string[];
  /** Pause before each piece, ms (0: as fast as the socket takes them). */
  intervalMs: number;
  /** After this many pieces, wait until `open()` before sending the rest. */
  gateAfter?: number;
}

export interface UpstreamCall {
  prompt: string;
  /** Content pieces written so far. */
  sent: number;
  /** The response was completely written. */
  finished: boolean;
  /** The client (the service) closed the connection before the end. */
  closedByClient: boolean;
}

export interface GatedUpstream {
  /** Base URL for the SDK: http://127.0.0.1:PORT/v1 */
  baseURL: string;
  calls: UpstreamCall[];
  /** Lets every reply waiting at its gate (and every later one) go on. */
  open: () => void;
  close: () => Promise<void>;
}

/**
 * An OpenAI-compatible upstream (POST /v1/chat/completions with stream: true, GET /v1/models)
 * whose reply to each request is `plan(last user message)`: many concurrent requests get
 * their own replies whatever order they arrive in.
 */
export async function startGatedUpstream(
  plan: (prompt: string) => UpstreamPlan,
): Promise<GatedUpstream> {
  const calls: UpstreamCall[] = [];
  const sockets = new Set<Socket>();
  let opened = false;
  const waiting: (() => void)[] = [];
  let counter = 0;

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as {
      model?: string;
      messages?: { role: string; content: string }[];
      stream_options?: { include_usage?: boolean };
    };
    const prompt = body.messages?.filter((m) => m.role === 'user').at(-1)?.content ?? '';
    const call: UpstreamCall = { prompt, sent: 0, finished: false, closedByClient: false };
    calls.push(call);
    res.on('close', () => {
      if (!call.finished) call.closedByClient = true;
    });
    const { pieces, intervalMs, gateAfter } = plan(prompt);
    const id = `chatcmpl-gated-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model ?? 'unknown';
    const usage = body.stream_options?.include_usage === true;
    const event = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    res.write(
      event([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    );
    for (const piece of pieces) {
      if (call.sent === gateAfter && !opened) await new Promise<void>((r) => waiting.push(r));
      if (intervalMs > 0) await sleep(intervalMs);
      if (res.destroyed) return;
      const ok = res.write(event([{ index: 0, delta: { content: piece }, finish_reason: null }]));
      call.sent += 1;
      if (!ok) await new Promise((r) => res.once('drain', r));
    }
    if (res.destroyed) return;
    res.write(event([{ index: 0, delta: {}, finish_reason: 'stop' }]));
    if (usage) {
      res.write(
        event([], {
          usage: {
            prompt_tokens: 10,
            completion_tokens: pieces.length,
            total_tokens: 10 + pieces.length,
          },
        }),
      );
    }
    call.finished = true;
    res.end('data: [DONE]\n\n');
  };

  const server = createHttpServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/v1/chat/completions')) {
      chat(req, res).catch(() => res.destroy());
    } else if (req.method === 'GET' && req.url?.startsWith('/v1/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [{ id: 'gpt-3.5-turbo', object: 'model', created: 0, owned_by: 'fake' }],
        }),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    calls,
    open: () => {
      opened = true;
      for (const wake of waiting.splice(0)) wake();
    },
    close: async () => {
      opened = true;
      for (const wake of waiting.splice(0)) wake();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Asks GET /api/v1/health/live every `everyMs` until `stop()`: the slowest answer tells how
 * long the service's event loop was kept from turning (timers, heartbeats, other requests).
 */
export function livenessProbe(url: string, everyMs = 100) {
  let running = true;
  let maxMs = 0;
  let samples = 0;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const ok = await fetch(`${url}/api/v1/health/live`)
        .then((r) => r.status === 200)
        .catch(() => false);
      const took = Date.now() - started;
      samples += 1;
      if (!ok) failures += 1;
      maxMs = Math.max(maxMs, took);
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { maxMs, samples, failures };
    },
  };
}

/**
 * NODE_OPTIONS for a service process that runs a full garbage collection when it receives
 * SIGUSR2 (a preload written to the temporary directory): its heap can then be read as what it
 * really retains, not what the collector has not got round to yet. See `collectGarbage`.
 */
export function gcOnSignalNodeOptions(): string {
  const preload = join(tmpdir(), 'chat-test-gc-on-sigusr2.js');
  // Twice: Buffers and other external memory are freed by finalizers after the first pass.
  writeFileSync(
    preload,
    "process.on('SIGUSR2', () => { if (typeof global.gc !== 'function') return; global.gc(); setTimeout(() => global.gc(), 100); });\n",
  );
  return `${process.env.NODE_OPTIONS ?? ''} --expose-gc --require ${preload}`.trim();
}

/** Asks a process started with `gcOnSignalNodeOptions()` for a full collection, and lets it run. */
export async function collectGarbage(pid: number): Promise<void> {
  process.kill(pid, 'SIGUSR2');
  await sleep(500);
}
