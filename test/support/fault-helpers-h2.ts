import type { TestApp } from './app';
import { sleep } from './expect';
import type { SseStream } from './sse';
import { TcpProxy } from './tcp-proxy';
import type { WsClient } from './ws-client';

/**
 * A Redis that a test can cut ('refuse'), hang ('blackhole') and restore: a TcpProxy in front
 * of REDIS_URL, and the URL an app must be given to reach Redis through it.
 */
export class CuttableRedis {
  private constructor(
    readonly proxy: TcpProxy,
    /** REDIS_URL for an app: the real Redis, through the proxy. */
    readonly url: string,
  ) {}

  static async start(redisUrl: string): Promise<CuttableRedis> {
    const target = new URL(redisUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    target.host = `127.0.0.1:${port}`;
    return new CuttableRedis(proxy, target.toString());
  }

  cut(): void {
    this.proxy.setMode('refuse');
  }

  hang(): void {
    this.proxy.setMode('blackhole');
  }

  restore(): void {
    this.proxy.setMode('pass');
  }

  async stop(): Promise<void> {
    this.proxy.setMode('pass');
    await this.proxy.stop();
  }
}

export interface HealthAnswer {
  status: number;
  body: any;
  /** How long this one answer took. */
  ms: number;
  /** From the first poll to this answer. */
  waitedMs: number;
}

/**
 * Polls GET /api/v1/health until `services.redis` is `redis` and returns that answer; fails
 * after `timeoutMs`. Every answer must come within `boundMs` (the health checks are bounded).
 */
export async function healthUntil(
  t: Pick<TestApp, 'api'>,
  redis: 'healthy' | 'unhealthy',
  options: { timeoutMs?: number; boundMs?: number; everyMs?: number } = {},
): Promise<HealthAnswer> {
  const { timeoutMs = 15_000, boundMs = 1500, everyMs = 100 } = options;
  const first = performance.now();
  for (;;) {
    const started = performance.now();
    const res = await t.api().get('/api/v1/health');
    const now = performance.now();
    const ms = now - started;
    if (ms > boundMs) throw new Error(`/health took ${ms.toFixed(0)} ms (bound ${boundMs} ms)`);
    if (res.body?.services?.redis === redis)
      return { status: res.status, body: res.body, ms, waitedMs: now - first };
    if (now - first > timeoutMs)
      throw new Error(`/health never said redis ${redis} within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Arrival times (performance.now()) of frames, index for index with the stream's frames. */
export interface Arrivals {
  times: number[];
  /** The longest wait before a frame, for frames `from` (index) up to `to` (excluded; default all), in ms. */
  worstGap(from?: number, to?: number): number;
}

function arrivals(times: number[]): Arrivals {
  return {
    times,
    worstGap: (from = 0, to = times.length) => {
      let worst = 0;
      for (let i = Math.max(1, from); i < Math.min(to, times.length); i++)
        worst = Math.max(worst, times[i] - times[i - 1]);
      return worst;
    },
  };
}

/**
 * Records when each SSE frame of `stream` arrives (from now on; earlier ones get now), by
 * wrapping the stream's own push (support/sse.ts keeps no arrival times).
 */
export function timeSse(stream: SseStream): Arrivals {
  const times: number[] = stream.frames.map(() => performance.now());
  const push = stream.push.bind(stream);
  stream.push = (chunk: string) => {
    push(chunk);
    while (times.length < stream.frames.length) times.push(performance.now());
  };
  return arrivals(times);
}

/** Records when each JSON frame of `client` arrives (from now on; earlier ones get now). */
export function timeWs(client: WsClient): Arrivals {
  const times: number[] = client.frames.map(() => performance.now());
  client.ws.on('message', () => {
    // The client's own listener was added first and has pushed the frame already.
    while (times.length < client.frames.length) times.push(performance.now());
  });
  return arrivals(times);
}

/** Resolves with the work's value, or undefined once `ms` have passed (the work goes on, ignored). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What is wrong with a sequence of event numbers that should run first, first + 1, …:
 * "repeated 7, 8; missing 12–20", or '' when nothing is.
 */
export function idAnomalies(ids: number[], first = 1): string {
  const seen = new Set<number>();
  const repeated: number[] = [];
  for (const id of ids) {
    if (seen.has(id)) repeated.push(id);
    seen.add(id);
  }
  const missing: number[] = [];
  const top = Math.max(first - 1, ...ids);
  for (let id = first; id <= top; id++) if (!seen.has(id)) missing.push(id);
  const spans = (list: number[]) => {
    const out: string[] = [];
    for (let i = 0; i < list.length; i++) {
      let j = i;
      while (j + 1 < list.length && list[j + 1] === list[j] + 1) j++;
      out.push(i === j ? `${list[i]}` : `${list[i]}–${list[j]}`);
      i = j;
    }
    return out.join(', ');
  };
  const parts: string[] = [];
  if (repeated.length)
    parts.push(`repeated ${spans([...new Set(repeated)].sort((x, y) => x - y))}`);
  if (missing.length) parts.push(`missing ${spans(missing)}`);
  const order = ids.some((id, i) => i > 0 && id < ids[i - 1]) ? 'out of order' : '';
  if (order && !repeated.length) parts.push(order);
  return parts.join('; ');
}
