/**
 * The client side of the streaming benchmarks, in its own process (forked by
 * processes.ts#startLoadWorker) so that clients, service and upstream never share an event
 * loop. Jobs arrive over IPC; every result carries the worker's own CPU use for the job.
 *
 * Times are microseconds of the machine's monotonic clock (the upstream stamps chunks with
 * the same clock), so `arrival − sent` is a chunk's delay from the upstream's write to here.
 */
import { Agent, request } from 'node:http';
import WebSocket from 'ws';

/**
 * The reply budget each send asks for: the upstream's chunks (`[i|recv|sent]`) are about 15
 * tokens each, so a 100-chunk reply is about 1,500 — past the default budget (1,024), where the
 * service cuts a provider that streams on (issue 13). Asked for, it is a compliant reply.
 */
const REPLY_TOKENS = 3000;

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const STAMP = /\[(\d+)\|(\d+)\|(\d+)\]/g;

export interface StreamResult {
  ok: boolean;
  error?: string;
  sendUs: number;
  /** First content chunk's arrival − request sent. */
  ttftUs: number;
  /** When the upstream read the request − request sent (all the work before the upstream call). */
  toUpstreamUs: number;
  chunks: number;
  /** Gaps between consecutive content arrivals. */
  gapsUs: number[];
  /** Each chunk's arrival − the upstream's write of it. */
  delaysUs: number[];
  /** Arrival of the first and the last content chunk. */
  firstUs: number;
  lastUs: number;
}

interface SseJob {
  kind: 'sse';
  /**
   * ours: POST …/messages/stream on the service; floor: the same on bench/baseline/floor-server.ts;
   * direct: the upstream's chat completions; portkey: the same through the Portkey gateway;
   * compat: the same through the service's OpenAI-compatible endpoint (API.md §12).
   */
  target: 'ours' | 'floor' | 'direct' | 'portkey' | 'compat';
  url: string;
  /** Extra request headers (Portkey's routing headers). */
  headers?: Record<string, string>;
  streams: { token?: string; conversationId?: string }[];
  content: string;
  timeoutMs: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

function sseStream(
  job: SseJob,
  s: { token?: string; conversationId?: string },
): Promise<StreamResult> {
  return new Promise((resolve) => {
    // The contract's SSE (ours, floor) or the OpenAI stream (direct, portkey).
    const ours = job.target === 'ours' || job.target === 'floor';
    const path = ours
      ? `${job.url}/api/v1/conversations/${s.conversationId}/messages/stream`
      : job.target === 'compat'
        ? `${job.url}/api/v1/openai/chat/completions`
        : `${job.url}/chat/completions`;
    const body = JSON.stringify(
      ours
        ? { content: job.content, max_tokens: REPLY_TOKENS }
        : {
            model: 'gpt-3.5-turbo',
            stream: true,
            stream_options: { include_usage: true },
            messages: [{ role: 'user', content: job.content }],
            // The service reserves the reply budget in the quota: the same as its own sends.
            ...(job.target === 'compat' ? { max_tokens: REPLY_TOKENS } : {}),
          },
    );
    const result: StreamResult = {
      ok: false,
      sendUs: 0,
      ttftUs: NaN,
      toUpstreamUs: NaN,
      chunks: 0,
      gapsUs: [],
      delaysUs: [],
      firstUs: NaN,
      lastUs: NaN,
    };
    let last = 0;
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.ok = error === undefined && result.chunks > 0;
      if (error !== undefined) result.error = error;
      resolve(result);
    };
    const timer = setTimeout(() => {
      req.destroy();
      finish('timeout');
    }, job.timeoutMs);
    const req = request(
      path,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...job.headers,
          ...(s.token ? { authorization: `Bearer ${s.token}` } : {}),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (t: string) => (text += t));
          res.on('end', () => finish(`HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          return;
        }
        res.setEncoding('utf8');
        let carry = '';
        res.on('data', (text: string) => {
          const at = nowUs();
          const all = carry + text;
          const cut = all.lastIndexOf('\n\n');
          if (cut < 0) {
            carry = all;
            return;
          }
          carry = all.slice(cut + 2);
          const complete = all.slice(0, cut);
          if (!ours && complete.includes('"error"')) finish('error event');
          if (ours && complete.includes('"type":"error"')) finish(`error event ${complete}`);
          for (const m of complete.matchAll(STAMP)) {
            const recv = Number(m[2]);
            const sent = Number(m[3]);
            result.lastUs = at;
            if (result.chunks === 0) {
              result.firstUs = at;
              result.ttftUs = at - result.sendUs;
              result.toUpstreamUs = recv - result.sendUs;
            } else {
              result.gapsUs.push(at - last);
            }
            last = at;
            result.chunks += 1;
            result.delaysUs.push(at - sent);
          }
        });
        res.on('end', () => finish());
        res.on('error', (e) => finish(e.message));
      },
    );
    req.on('error', (e) => finish(e.message));
    result.sendUs = nowUs();
    req.end(body);
  });
}

async function runSse(job: SseJob): Promise<StreamResult[]> {
  return Promise.all(job.streams.map((s) => sseStream(job, s)));
}

/** Opens sockets `concurrency` at a time; `sockets[i]` belongs to `urls[i]` (undefined: failed). */
async function openMany(
  urls: string[],
  concurrency: number,
): Promise<{
  sockets: (WebSocket | undefined)[];
  opened: WebSocket[];
  failed: number;
  errors: string[];
}> {
  const sockets: (WebSocket | undefined)[] = new Array<WebSocket | undefined>(urls.length);
  const errors: string[] = [];
  let failed = 0;
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(urls[i], { perMessageDeflate: false, handshakeTimeout: 30_000 });
      let open = false;
      ws.on('error', (e) => {
        if (errors.length < 5) errors.push(e.message);
      });
      ws.once('open', () => {
        open = true;
        sockets[i] = ws;
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        if (errors.length < 5) errors.push(`HTTP ${res.statusCode}`);
        res.resume();
        ws.terminate();
      });
      ws.once('close', () => {
        if (!open) {
          failed += 1;
          resolve();
        }
      });
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < urls.length) await one(next++);
    }),
  );
  const opened = sockets.filter((ws): ws is WebSocket => ws !== undefined);
  return { sockets, opened, failed, errors };
}

interface IdleState {
  sockets: WebSocket[];
  pings: Map<WebSocket, number>;
  closes: Map<number, number>;
}
let idle: IdleState | undefined;

async function wsIdleOpen(job: { urls: string[]; concurrency: number }) {
  const start = Date.now();
  const opened = await openMany(job.urls, job.concurrency);
  const state: IdleState = { sockets: opened.opened, pings: new Map(), closes: new Map() };
  for (const ws of opened.opened) {
    state.pings.set(ws, 0);
    ws.on('ping', () => state.pings.set(ws, (state.pings.get(ws) ?? 0) + 1));
    ws.once('close', (code: number) => state.closes.set(code, (state.closes.get(code) ?? 0) + 1));
  }
  idle = state;
  return {
    opened: opened.opened.length,
    failed: opened.failed,
    errors: opened.errors,
    ms: Date.now() - start,
  };
}

function wsIdleStatus() {
  const state = idle;
  if (!state) return { open: 0, closed: 0, pingsMin: 0, pingsMax: 0, closeCodes: {} };
  const pings = state.sockets.map((ws) => state.pings.get(ws) ?? 0);
  return {
    open: state.sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length,
    closed: state.sockets.filter((ws) => ws.readyState !== WebSocket.OPEN).length,
    pingsMin: Math.min(...pings),
    pingsMax: Math.max(...pings),
    closeCodes: Object.fromEntries(state.closes),
  };
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          setTimeout(() => {
            ws.terminate();
            resolve();
          }, 3000).unref();
          ws.close(1000);
        }),
    ),
  );
}

interface ActiveJob {
  urls: string[];
  conversationIds: string[];
  content: string;
  chunks: number;
  timeoutMs: number;
}

let activeJobs = 0;

/** One socket per user; every socket sends one chat_message at once; collects every content frame. */
async function wsActive(job: ActiveJob) {
  // The service keeps a chat_message's request_id as its idempotency key: unique per job, or a
  // user's second run would be answered as a retry of the first.
  const jobNo = ++activeJobs;
  const opened = await openMany(job.urls, 100);
  if (opened.failed > 0) {
    await closeAll(opened.opened);
    throw new Error(`${opened.failed} sockets failed to open: ${opened.errors.join('; ')}`);
  }
  const sockets = opened.opened; // none failed: in the order of job.urls
  const delays: number[] = [];
  const arrivals: number[] = [];
  /** Between consecutive content frames of one generation, at the client. */
  const gaps: number[] = [];
  const startLatency: number[] = [];
  const errors: string[] = [];
  /** Generations that did not end, by cause: the error frame's code, an early close, the timeout. */
  const failures: Record<string, number> = {};
  const fail = (cause: string) => (failures[cause] = (failures[cause] ?? 0) + 1);
  const state: ('running' | 'ended' | 'failed')[] = sockets.map(() => 'running');
  let ended = 0;
  let failed = 0;
  let done = false;
  /** Per socket: first and last content arrival. */
  const spans: [number, number][] = [];
  const cpu = process.cpuUsage();
  const wallStart = nowUs();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, job.timeoutMs);
    const check = () => {
      if (ended + failed >= sockets.length) {
        clearTimeout(timer);
        resolve();
      }
    };
    const settle = (i: number, outcome: 'ended' | 'failed', cause?: string) => {
      if (state[i] !== 'running') return;
      state[i] = outcome;
      if (outcome === 'ended') ended += 1;
      else {
        failed += 1;
        fail(cause ?? 'error');
      }
      check();
    };
    sockets.forEach((ws, i) => {
      let sent = 0;
      spans[i] = [Infinity, -Infinity];
      ws.on('message', (data: Buffer) => {
        const at = nowUs();
        const text = data.toString('utf8');
        if (text.includes('"message_content"')) {
          for (const m of text.matchAll(STAMP)) {
            delays.push(at - Number(m[3]));
            arrivals.push(at);
          }
          if (at < spans[i][0]) spans[i][0] = at;
          else gaps.push(at - spans[i][1]);
          spans[i][1] = at;
          return;
        }
        if (text.includes('"message_start"')) {
          startLatency.push(at - sent);
        } else if (text.includes('"message_end"')) {
          settle(i, 'ended');
        } else if (text.includes('"error"')) {
          if (errors.length < 5) errors.push(text.slice(0, 300));
          let code = 'error';
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? code;
          } catch {
            // not JSON: counted as "error"
          }
          settle(i, 'failed', code);
        }
      });
      ws.once('close', (code: number) => {
        if (done) return;
        if (errors.length < 5) errors.push(`socket ${i} closed ${code}`);
        settle(i, 'failed', `socket closed ${code}`);
      });
      sent = nowUs();
      ws.send(
        JSON.stringify({
          type: 'chat_message',
          conversation_id: job.conversationIds[i],
          content: job.content,
          max_tokens: REPLY_TOKENS,
          request_id: `bench-${jobNo}-${i}`,
        }),
      );
    });
  });
  done = true;
  const timedOut = state.filter((s) => s === 'running').length;
  if (timedOut > 0) failures[`no end within ${job.timeoutMs / 1000} s`] = timedOut;
  const used = process.cpuUsage(cpu);
  const wallUs = nowUs() - wallStart;
  await closeAll(sockets);
  // Most generations streaming at one time (content flowing), from the spans.
  const edges = spans
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b))
    .flatMap(([a, b]): [number, number][] => [
      [a, 1],
      [b, -1],
    ])
    .sort((x, y) => x[0] - y[0] || y[1] - x[1]);
  let live = 0;
  let maxConcurrent = 0;
  for (const [, d] of edges) maxConcurrent = Math.max(maxConcurrent, (live += d));
  return {
    maxConcurrent,
    sockets: sockets.length,
    ended,
    failed,
    timedOut,
    failures,
    errors,
    delaysUs: Float64Array.from(delays),
    arrivalsUs: Float64Array.from(arrivals),
    gapsUs: Float64Array.from(gaps),
    startLatencyUs: startLatency,
    wallStartUs: wallStart,
    clientCpuPct: Math.round(((used.user + used.system) / wallUs) * 100),
  };
}

type Job =
  | SseJob
  | { kind: 'wsIdleOpen'; urls: string[]; concurrency: number }
  | { kind: 'wsIdleStatus' }
  | { kind: 'wsIdleClose' }
  | ({ kind: 'wsActive' } & ActiveJob);

async function run(job: Job): Promise<unknown> {
  const cpu = process.cpuUsage();
  const wall = nowUs();
  const withCpu = <T extends object>(r: T) => {
    const used = process.cpuUsage(cpu);
    return {
      ...r,
      clientCpuPct: Math.round(((used.user + used.system) / Math.max(1, nowUs() - wall)) * 100),
    };
  };
  switch (job.kind) {
    case 'sse':
      return withCpu({ streams: await runSse(job) });
    case 'wsIdleOpen':
      return withCpu(await wsIdleOpen(job));
    case 'wsIdleStatus':
      return wsIdleStatus();
    case 'wsIdleClose':
      if (idle) await closeAll(idle.sockets);
      idle = undefined;
      return {};
    case 'wsActive':
      return wsActive(job);
  }
}

process.on('message', (m: { id: number; job: Job }) => {
  run(m.job).then(
    (result) => process.send?.({ id: m.id, result }),
    (error: unknown) =>
      process.send?.({ id: m.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
