import type { Socket } from 'node:net';
import {
  collectGarbage,
  conversationOver,
  fmtMiB,
  gcOnSignalNodeOptions,
  mapLimit,
  memoryOf,
  registerOver,
  rssKiB,
  sleep,
  type ApiUser,
} from '../support/fault-helpers-h3';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { ServiceProcess, startService } from '../support/service-process';
import { chatWsUrl, closeAllWs, WsClient, WsFrame } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';
import { WS_CLOSE_POLICY } from '../../src/modules/chat/ws-events';

/**
 * One user floods the WebSocket gateway; another keeps using the API (issue 13, item 1). The
 * service runs as a real process with the WebSocket limits at their defaults (frame budgets 120
 * frames and 600 pings a minute per user, 32 frames queued per socket, 20 refusals before a
 * close with 1008, 100 resumes a minute shared with SSE, 20 sockets per user), so its RSS is
 * its own:
 *  - 100,000 frames (`resume` of a finished reply and `ping`, alternating) over 4 sockets, sent as
 *    fast as the sockets take them in bursts of 500, reconnecting whenever the server closes one,
 *    while another user (and the flooder itself) ask GET /users/me one request after another;
 *  - 1,000 sockets of one user (spread over two replicas sharing Redis when REDIS_URL is set).
 * Figures are printed (docs/RELIABILITY.md); the assertions are on counts and statuses only.
 */

const FLOOD_FRAMES = 100_000;
const FLOOD_SOCKETS = 4;
const BURST = 500;
const PACED_FRAMES = 10_000;
const PACED_IN_FLIGHT = 16;
const CAP = 20;

/** The WebSocket limits at their defaults (the test helpers raise them for other suites). */
const DEFAULT_WS_LIMITS = {
  WS_RATE_LIMIT_FRAMES: undefined,
  WS_RATE_LIMIT_PINGS: undefined,
  WS_MAX_QUEUED_FRAMES: undefined,
  WS_MAX_REFUSALS: undefined,
  WS_MAX_SOCKETS_PER_USER: undefined,
  RATE_LIMIT_RESUMES: undefined,
};

const tcpOf = (client: WsClient) => (client.ws as unknown as { _socket: Socket })._socket;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** p50 / p99 / max of latencies in ms, and how many answers were not 200. */
function latencyLine(samples: { ms: number; status: number }[]): string {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const failed = samples.filter((s) => s.status !== 200).length;
  const f = (v: number) => v.toFixed(1);
  return (
    `${samples.length} requests, p50 ${f(percentile(sorted, 50))} / p99 ${f(percentile(sorted, 99))} / ` +
    `max ${f(sorted.at(-1) ?? NaN)} ms, non-200: ${failed}`
  );
}

/** Asks GET /api/v1/users/me one request after another until `stop()`, timing each. */
function meLoop(url: string, user: ApiUser) {
  const samples: { ms: number; status: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const status = await fetch(`${url}/api/v1/users/me`, {
        headers: { authorization: `Bearer ${user.token}` },
      })
        .then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        })
        .catch(() => 0);
      samples.push({ ms: performance.now() - started, status });
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

interface FloodStats {
  sent: number;
  connections: number;
  refusedUpgrades: number;
  closedPolicy: number;
  closedOther: number;
  pongs: number;
  /** Resumes served: each starts with a message_start. */
  resumesServed: number;
  refusals: Map<string, number>;
  otherErrors: number;
  maxOpen: number;
  open: number;
}

function tally(frames: WsFrame[], stats: FloodStats): void {
  for (const f of frames) {
    if (f.type === 'pong') stats.pongs += 1;
    else if (f.type === 'message_start') stats.resumesServed += 1;
    else if (f.type === 'error' && f.error?.code === 'RATE_LIMIT_EXCEEDED') {
      const group = String(f.error.details?.group);
      stats.refusals.set(group, (stats.refusals.get(group) ?? 0) + 1);
    } else if (f.type === 'error') stats.otherErrors += 1;
  }
}

/** Frames of a socket that answer one client frame each (a served resume ends with message_end). */
const answers = (client: WsClient) =>
  client.frames.filter((f) => f.type === 'pong' || f.type === 'error' || f.type === 'message_end')
    .length;

/**
 * One flooding socket's share, a new socket whenever the server closes one: bursts of BURST
 * frames as fast as the socket takes them, or, `paced`, PACED_IN_FLIGHT frames at a time, each
 * burst waiting for its answers (a client that stays under the queue bound meets the budgets).
 */
async function floodWorker(
  url: string,
  frames: number,
  texts: string[],
  stats: FloodStats,
  paced = false,
): Promise<void> {
  let sent = 0;
  while (sent < frames) {
    const client = new WsClient(url);
    if (
      !(await client.opened.then(
        () => true,
        () => false,
      ))
    ) {
      stats.refusedUpgrades += 1;
      await sleep(10);
      continue;
    }
    stats.connections += 1;
    stats.open += 1;
    stats.maxOpen = Math.max(stats.maxOpen, stats.open);
    while (sent < frames && client.isOpen) {
      const burst = Math.min(paced ? PACED_IN_FLIGHT : BURST, frames - sent);
      const answered = answers(client);
      const tcp = tcpOf(client);
      tcp.cork();
      for (let i = 0; i < burst; i++) client.sendRaw(texts[(sent + i) % texts.length]);
      tcp.uncork();
      sent += burst;
      stats.sent += burst;
      // As fast as the socket takes them, not faster than this process can hold.
      while (client.isOpen && client.ws.bufferedAmount > 0) await sleep(1);
      // Paced: until the burst is answered, or the server closes (its close frame is enough).
      const deadline = Date.now() + 10_000;
      while (paced && client.isOpen && answers(client) < answered + burst && Date.now() < deadline)
        await sleep(1);
      await sleep(0);
    }
    // An abusive client does not wait for the closing handshake: it drops the connection and
    // comes back (the server reads nothing more from it once it closed it, and frees its slot
    // when the connection goes).
    if (!client.closeInfo && !client.isOpen) client.ws.terminate();
    const closed = client.closeInfo ?? (await client.close());
    stats.open -= 1;
    if (closed.code === WS_CLOSE_POLICY) stats.closedPolicy += 1;
    else stats.closedOther += 1;
    tally(client.frames, stats);
  }
}

describe('WebSocket flood and socket cap (service process, default WebSocket limits)', () => {
  let fake: FakeOpenAi;
  let service: ServiceProcess;
  /** A second replica on the same PostgreSQL and Redis, when REDIS_URL is set. */
  let replica: ServiceProcess | undefined;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    const env = {
      ...TITLES_OFF,
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-ws-flood',
      OPENAI_BASE_URL: fake.baseURL,
      LLM_MAX_RETRIES: '0',
      LOG_LEVEL: 'warn',
      // Heap after a full collection, so retained memory shows apart from garbage.
      NODE_OPTIONS: gcOnSignalNodeOptions(),
      ...DEFAULT_WS_LIMITS,
    };
    [service, replica] = await Promise.all([
      startService(env),
      process.env.REDIS_URL && process.env.DATABASE_URL ? startService(env) : undefined,
    ]);
  }, 120_000);

  afterAll(async () => {
    await closeAllWs();
    await service?.dispose();
    await replica?.dispose();
    await fake?.close();
  });

  /**
   * One flood: a fresh flooder (with a finished reply to resume) and a fresh victim; the
   * victim's GET /users/me alone, then during the flood (with the flooder's own), then after;
   * the service's RSS before, at its peak and after. Prints the figures; returns them.
   */
  async function flood(label: string, frames: number, paced: boolean) {
    const pid = service.child.pid!;
    const [flooder, victim] = await Promise.all([
      registerOver(service.url),
      registerOver(service.url),
    ]);
    // A finished reply of the flooder's: every resume of it is a database read and a replay.
    const conversation = await conversationOver(service.url, flooder);
    const sent = await fetch(`${service.url}/api/v1/conversations/${conversation}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${flooder.token}` },
      body: JSON.stringify({ content: 'Something to resume' }),
    });
    expect(sent.status).toBe(201);
    const messageId = ((await sent.json()) as { data: { assistant_message: { id: string } } }).data
      .assistant_message.id;

    const baseline = meLoop(service.url, victim);
    await sleep(2000);
    const before = await baseline.stop();
    await collectGarbage(pid);
    const memBefore = await memoryOf(service.url, pid);

    const stats: FloodStats = {
      sent: 0,
      connections: 0,
      refusedUpgrades: 0,
      closedPolicy: 0,
      closedOther: 0,
      pongs: 0,
      resumesServed: 0,
      refusals: new Map(),
      otherErrors: 0,
      maxOpen: 0,
      open: 0,
    };
    const texts = [
      JSON.stringify({ type: 'resume', message_id: messageId }),
      JSON.stringify({ type: 'ping' }),
    ];
    const url = chatWsUrl(service.url, `?token=${flooder.token}`);
    let peakRssKiB = rssKiB(pid);
    const sampler = setInterval(() => (peakRssKiB = Math.max(peakRssKiB, rssKiB(pid))), 100);
    const victimLoop = meLoop(service.url, victim);
    const flooderLoop = meLoop(service.url, flooder);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: FLOOD_SOCKETS }, () =>
        floodWorker(url, frames / FLOOD_SOCKETS, texts, stats, paced),
      ),
    );
    const floodMs = Date.now() - started;
    const during = await victimLoop.stop();
    const flooderDuring = await flooderLoop.stop();
    clearInterval(sampler);
    await sleep(1000);
    await collectGarbage(pid);
    const memAfter = await memoryOf(service.url, pid);
    const after = meLoop(service.url, victim);
    await sleep(2000);
    const afterSamples = await after.stop();

    const refusals = [...stats.refusals].map(([g, n]) => `${g} ${n}`).join(', ') || 'none';
    console.log(
      `[ws-flood] ${label}: ${stats.sent} frames over ${FLOOD_SOCKETS} sockets in ${floodMs} ms ` +
        `(${Math.round(stats.sent / (floodMs / 1000))} frames/s sent): ${stats.connections} connections ` +
        `(${stats.refusedUpgrades} upgrades refused 429, at most ${stats.maxOpen} open), ` +
        `${stats.closedPolicy} closed 1008 / ${stats.closedOther} otherwise; answered: ${stats.pongs} pongs, ` +
        `${stats.resumesServed} resumes served, RATE_LIMIT_EXCEEDED ${refusals}, other errors ${stats.otherErrors}\n` +
        `[ws-flood] ${label}: victim GET /users/me alone: ${latencyLine(before)}\n` +
        `[ws-flood] ${label}: victim GET /users/me during the flood: ${latencyLine(during)}\n` +
        `[ws-flood] ${label}: flooder GET /users/me during the flood: ${latencyLine(flooderDuring)}\n` +
        `[ws-flood] ${label}: victim GET /users/me after: ${latencyLine(afterSamples)}\n` +
        `[ws-flood] ${label}: service RSS ${fmtMiB(memBefore.rssMiB)} before → peak ${fmtMiB(peakRssKiB / 1024)} → ` +
        `${fmtMiB(memAfter.rssMiB)} after (heap after a full GC ${fmtMiB(memBefore.heapMiB)} → ${fmtMiB(memAfter.heapMiB)})`,
    );
    return { stats, during, flooderDuring, memBefore, memAfter };
  }

  /** What every flood must show, whatever the client does. */
  function expectHeld(result: Awaited<ReturnType<typeof flood>>, frames: number): void {
    const { stats, during, flooderDuring, memBefore, memAfter } = result;
    expect(stats.sent).toBe(frames);
    // The budgets held: at most two windows' worth (a flood may straddle a minute boundary).
    expect(stats.resumesServed).toBeLessThanOrEqual(2 * 100);
    expect(stats.pongs).toBeLessThanOrEqual(2 * 600);
    expect(stats.closedPolicy).toBeGreaterThan(0);
    expect(stats.otherErrors).toBe(0);
    expect(stats.maxOpen).toBeLessThanOrEqual(FLOOD_SOCKETS);
    // Nobody else's requests failed, nor the flooder's own HTTP (another budget).
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((s) => s.status === 200)).toBe(true);
    expect(flooderDuring.every((s) => s.status === 200)).toBe(true);
    expect(memAfter.rssMiB - memBefore.rssMiB).toBeLessThan(200);
  }

  it("100,000 frames (resume + ping) from one user over 4 sockets, in bursts of 500: refused by the queue bound and closed with 1008, memory flat, another user's GET /users/me answered throughout", async () => {
    const result = await flood('burst', FLOOD_FRAMES, false);
    expectHeld(result, FLOOD_FRAMES);
    expect(result.stats.refusals.get('ws_queue')).toBeGreaterThan(0);
  });

  it('10,000 frames paced under the queue bound (16 in flight per socket): served up to the budgets (100 resumes, 600 pings a minute), refused past them, closed with 1008', async () => {
    const result = await flood('paced', PACED_FRAMES, true);
    expectHeld(result, PACED_FRAMES);
    const { stats } = result;
    expect(stats.resumesServed).toBeGreaterThan(0);
    expect(stats.pongs).toBeGreaterThan(0);
    expect(
      (stats.refusals.get('resumes') ?? 0) +
        (stats.refusals.get('ws_frames') ?? 0) +
        (stats.refusals.get('ws_pings') ?? 0),
    ).toBeGreaterThan(0);
  });

  it('1,000 sockets of one user: WS_MAX_SOCKETS_PER_USER are accepted, the rest refused with 429 (over both replicas with Redis); the open ones work; a closed one frees a slot', async () => {
    const urls = [service.url, ...(replica ? [replica.url] : [])];
    const pid = service.child.pid!;
    const user = await registerOver(service.url);
    const rssBefore = rssKiB(pid) / 1024;
    const started = Date.now();
    const outcomes = await mapLimit(
      Array.from({ length: 1000 }, (_, i) => i),
      50,
      async (i) => {
        // With two replicas: the first 500 attempts to the second, the rest to the first, which
        // then knows of the other's sockets only through Redis.
        const target = i < 500 ? urls[urls.length - 1] : urls[0];
        const client = new WsClient(chatWsUrl(target, `?token=${user.token}`));
        const opened = await client.opened.then(
          () => true,
          () => false,
        );
        return { client, opened, status: client.refusedStatus };
      },
    );
    const tookMs = Date.now() - started;
    const accepted = outcomes.filter((o) => o.opened).map((o) => o.client);
    const refused429 = outcomes.filter((o) => !o.opened && o.status === 429).length;
    const other = outcomes.length - accepted.length - refused429;
    // The accepted sockets work, and stay open.
    for (const client of accepted) await client.roundTrip();
    const stillOpen = accepted.filter((c) => c.isOpen).length;
    const perReplica = urls.map(
      (u) => accepted.filter((c) => c.ws.url.startsWith(`${u.replace('http', 'ws')}/`)).length,
    );
    const rssAfter = rssKiB(pid) / 1024;
    // One closed: its slot comes back (the server's close handling gives it back).
    await accepted[0].close();
    let replacement: WsClient | undefined;
    for (let attempt = 0; attempt < 100 && !replacement; attempt++) {
      const next = new WsClient(chatWsUrl(urls[0], `?token=${user.token}`));
      if (
        await next.opened.then(
          () => true,
          () => false,
        )
      )
        replacement = next;
      else await sleep(20);
    }
    console.log(
      `[ws-flood] 1,000 sockets of one user over ${urls.length} replica(s) (50 at a time) in ${tookMs} ms: ` +
        `${accepted.length} accepted (${perReplica.join(' on the first + ')}${replica ? ' on the second' : ''}), ` +
        `${refused429} refused 429, ${other} other; ` +
        `${stillOpen} still open and answering after all attempts; a slot freed by a close taken again: ` +
        `${replacement ? 'yes' : 'no'}; service RSS ${fmtMiB(rssBefore)} → ${fmtMiB(rssAfter)}`,
    );
    expect(accepted).toHaveLength(CAP);
    // With two replicas, the first took none: the second's sockets count there too.
    if (replica) expect(perReplica).toEqual([0, CAP]);
    expect(refused429).toBe(1000 - CAP);
    expect(stillOpen).toBe(CAP);
    expect(replacement).toBeDefined();
  });
});
