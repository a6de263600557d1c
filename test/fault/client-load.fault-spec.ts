import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import {
  collectGarbage,
  conversationOver,
  fmtMiB,
  FreezingProxy,
  gcOnSignalNodeOptions,
  heldConnections,
  livenessProbe,
  mapLimit,
  Memory,
  memoryOf,
  messagesOver,
  openFds,
  registerOver,
  rssKiB,
  scrape,
  sleep,
  tcpEntries,
  type ApiUser,
} from '../support/fault-helpers-h3';
import { until } from '../support/expect';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { ServiceProcess, startService } from '../support/service-process';
import { SseStream } from '../support/sse';
import { chatWsUrl, closeAllWs, WsClient, WsFrame } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

/**
 * Clients that misbehave at scale, against the service as a real process (its memory, file
 * descriptors and TCP connections are read from /proc and its own /metrics; its heap after a
 * full GC through a test-only preload, see gcOnSignalNodeOptions):
 *  - readers that do not read while an 8 MiB reply streams as fast as the upstream sends it.
 *    The reply is generated and stored at its own pace. What the kernel's buffers do not take
 *    (about 4 MiB per connection here) waits in the service's memory, one copy per slow reader:
 *    neither the SSE writer nor the WebSocket sender waits for the socket to drain. Read later,
 *    an SSE stream is whole and in order (no server-side limit cuts it); a WebSocket is whole
 *    and in order if it resumes within the heartbeat window, else the server drops it (no close
 *    frame: 1006) after an in-order prefix, as docs/asyncapi.yaml says;
 *  - 1,000 authenticated sockets dropped in one tick, without a close handshake (FIN, RST, and
 *    connections that vanish without any TCP signal, found by the heartbeat), some with
 *    replies in flight.
 */

/**
 * An 8 MiB reply is about a million tokens: a model that allows it, and sends that ask for it
 * (`BULK`), so that the service's cut of replies streaming past max_tokens leaves them whole.
 */
const BULK_MODEL = {
  id: 'bulk',
  name: 'Bulk',
  max_tokens: 2_000_000,
  context_window: 4_000_000,
  cost_per_1k_tokens: { input: 0, output: 0 },
  capabilities: ['text'],
};
const BULK = { max_tokens: BULK_MODEL.max_tokens };

/** Quotas and limits out of the way: these suites send large replies and many messages. */
const NO_LIMITS = {
  MODELS_JSON: JSON.stringify([BULK_MODEL]),
  DEFAULT_MODEL: BULK_MODEL.id,
  QUOTA_NORMAL_DAILY_TOKENS: '1000000000',
  QUOTA_NORMAL_MONTHLY_TOKENS: '1000000000',
  QUOTA_NORMAL_DAILY_REQUESTS: '100000',
  QUOTA_NORMAL_MONTHLY_REQUESTS: '100000',
};

/** A reply of `count` pieces of `size` characters, each tagged with its number (order shows). */
function bigText(count: number, size: number, tag: string): string {
  return Array.from({ length: count }, (_, i) => {
    const head = `${tag}${String(i).padStart(5, '0')}:`;
    return `${head}${'x'.repeat(size - head.length - 1)} `;
  }).join('');
}

const contentOf = (events: { type?: string; content?: string }[]) =>
  events
    .filter((e) => e.type === 'content' || e.type === 'message_content')
    .map((e) => e.content ?? '')
    .join('');

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The underlying TCP socket of a `ws` client (to pause it, or to drop it without a close frame). */
const tcpOf = (client: WsClient) => (client.ws as unknown as { _socket: Socket })._socket;

/** Waits until the assistant reply of a conversation is stored in a final state; returns it and when. */
async function storedReply(
  url: string,
  user: ApiUser,
  conversationId: string,
  timeoutMs: number,
): Promise<{ status: string; content: string; at: number }> {
  let found: { status: string; content: string; at: number } | undefined;
  await until(
    async () => {
      const reply = (await messagesOver(url, user, conversationId)).find(
        (m) => m.role === 'assistant',
      );
      if (reply && reply.status !== 'streaming') found = { ...reply, at: Date.now() };
      return found !== undefined;
    },
    timeoutMs,
    `the reply of ${conversationId} to be stored`,
  );
  await sleep(0);
  return found!;
}

/**
 * An SSE request whose response is not read: its bytes stay in the kernel's buffers and, once
 * those are full, wherever the server keeps what it still has to write.
 */
function pausedSse(
  url: string,
  token: string,
  body?: unknown,
): Promise<{ res: IncomingMessage; socket: Socket; stream: SseStream }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: payload === undefined ? 'GET' : 'POST',
      agent: false,
      headers: {
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
        ...(payload === undefined
          ? {}
          : {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(payload)),
            }),
      },
    });
    req.on('response', (res) => {
      res.pause();
      const stream = new SseStream(res.statusCode ?? 0, res.headers, () => res.destroy());
      resolve({ res, socket: res.socket, stream });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Reads a paused response to its end in bites of `bite` bytes, `pauseMs` apart (a slow client). */
async function readSlowly(
  res: IncomingMessage,
  stream: SseStream,
  bite: number,
  pauseMs: number,
): Promise<void> {
  res.setEncoding('utf8');
  let ended = false;
  res.once('end', () => (ended = true));
  res.once('close', () => (ended = true));
  while (!ended) {
    const chunk = res.read(bite) as string | null;
    if (chunk !== null) {
      stream.push(chunk);
      await sleep(pauseMs);
      continue;
    }
    // Less than a bite is buffered: take what there is once more arrives or the body ends.
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('readable', done);
        res.off('end', done);
        resolve();
      };
      res.once('readable', done);
      res.once('end', done);
    });
    const rest = res.read() as string | null;
    if (rest !== null) stream.push(rest);
  }
  stream.close();
}

/** Samples the service's memory every `everyMs` until `stop()`; returns the largest readings. */
function memorySampler(url: string, pid: number, everyMs = 200) {
  const peak: Memory = { rssMiB: 0, heapMiB: 0, externalMiB: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const m = await memoryOf(url, pid).catch(() => undefined);
      if (m) {
        peak.rssMiB = Math.max(peak.rssMiB, m.rssMiB);
        peak.heapMiB = Math.max(peak.heapMiB, m.heapMiB);
        peak.externalMiB = Math.max(peak.externalMiB, m.externalMiB);
      }
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** Memory after a full collection in the service (started with gcOnSignalNodeOptions()). */
async function retainedMemory(url: string, pid: number): Promise<Memory> {
  await collectGarbage(pid);
  return memoryOf(url, pid);
}

/** Bytes of a connection's data sitting in kernel buffers (both ends) or read but not consumed. */
function kernelQueued(socket: Socket): number {
  const entries = tcpEntries();
  const serverSide = entries.find(
    (e) => e.localPort === socket.remotePort && e.remotePort === socket.localPort,
  );
  const clientSide = entries.find(
    (e) => e.localPort === socket.localPort && e.remotePort === socket.remotePort,
  );
  return (serverSide?.txQueue ?? 0) + (clientSide?.rxQueue ?? 0) + socket.readableLength;
}

/** Size on the wire of a server frame as received (unmasked: 2, 4 or 10 bytes of header). */
function wsFrameBytes(frame: WsFrame): number {
  const payload = Buffer.byteLength(JSON.stringify(frame));
  return payload + (payload < 126 ? 2 : payload < 65536 ? 4 : 10);
}

const MiB = 1024 * 1024;

const describeMem = (m: Memory) =>
  `RSS ${fmtMiB(m.rssMiB)}, heap ${fmtMiB(m.heapMiB)}, external ${fmtMiB(m.externalMiB)}`;

describe('Slow readers: an 8 MiB reply streamed to clients that do not read (service process)', () => {
  /** 1,024 pieces of 8 KiB, sent back to back: twice what the kernel buffers of a connection take. */
  const PIECES = 1024;
  const PIECE = 8192;
  const REPLY_MIB = (PIECES * PIECE) / MiB;
  let fake: FakeOpenAi;
  let service: ServiceProcess;
  let pid: number;
  let user: ApiUser;
  let fastMs: number;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    service = await startService({
      ...TITLES_OFF,
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-client-load',
      OPENAI_BASE_URL: fake.baseURL,
      LOG_LEVEL: 'warn',
      SSE_HEARTBEAT_MS: '500',
      NODE_OPTIONS: gcOnSignalNodeOptions(),
      ...NO_LIMITS,
    });
    pid = service.child.pid!;
    user = await registerOver(service.url);
    // Warm-up and the reference time: the same size of reply to a client that reads at once.
    const text = bigText(PIECES, PIECE, 'f');
    fake.setDefault({ text, chunkIntervalMs: 0 });
    const conversationId = await conversationOver(service.url, user);
    const started = Date.now();
    const { res, stream } = await pausedSse(
      `${service.url}/api/v1/conversations/${conversationId}/messages/stream`,
      user.token,
      { content: 'Warm up', ...BULK },
    );
    await readSlowly(res, stream, 1 << 20, 0);
    fastMs = Date.now() - started;
    expect(contentOf(stream.events)).toBe(text);
    await retainedMemory(service.url, pid);
    await sleep(1000);
  }, 120_000);

  afterAll(async () => {
    await closeAllWs();
    await service?.dispose();
    await fake?.close();
  });

  it('SSE: the reply is generated and stored at its own pace while 4 clients read nothing; each holds its unread part in server memory (bounded by the reply) until read; read later in small bites, it is whole and in order', async () => {
    const text = bigText(PIECES, PIECE, 's');
    fake.setDefault({ text, chunkIntervalMs: 0 });
    const conversationId = await conversationOver(service.url, user);
    const before = await retainedMemory(service.url, pid);
    const peakSampler = memorySampler(service.url, pid);
    const probe = livenessProbe(service.url);
    const started = Date.now();
    const sender = await pausedSse(
      `${service.url}/api/v1/conversations/${conversationId}/messages/stream`,
      user.token,
      { content: 'A long answer please', ...BULK },
    );
    // Three more tabs follow the same reply from its first event (GET …/stream), as slowly.
    let messageId: string | undefined;
    await until(
      async () =>
        (messageId = (await messagesOver(service.url, user, conversationId)).find(
          (m) => m.role === 'assistant',
        )?.id) !== undefined,
      10_000,
      'the reply to exist',
    );
    const followers = await Promise.all(
      [1, 2, 3].map(() =>
        pausedSse(
          `${service.url}/api/v1/conversations/${conversationId}/messages/${messageId}/stream?after=0`,
          user.token,
        ),
      ),
    );
    const readers = [sender, ...followers];
    const stored = await storedReply(service.url, user, conversationId, 60_000);
    const generatedMs = stored.at - started;
    const liveness = await probe.stop();
    // Not held up: completed, whole, while no client had read anything.
    expect(stored.status).toBe('completed');
    expect(stored.content).toBe(text);
    for (const r of readers) expect(r.res.readableLength).toBeLessThan(1 << 20);
    await sleep(2000);
    const inKernel = readers.reduce((n, r) => n + kernelQueued(r.socket), 0);
    const peak = await peakSampler.stop();
    const unread = await retainedMemory(service.url, pid);
    const readStarted = Date.now();
    await Promise.all(readers.map((r) => readSlowly(r.res, r.stream, 16 * 1024, 1)));
    const readMs = Date.now() - readStarted;
    const after = await retainedMemory(service.url, pid);

    // Everything, in order: event ids 1..n without a gap, the text whole, then `end`.
    for (const { stream } of readers) {
      const ids = stream.frames.map((f) => Number(f.id));
      expect(ids).toEqual(range(1, ids.length));
      expect(stream.events[0]).toMatchObject({ type: 'start' });
      expect(contentOf(stream.events)).toBe(text);
      expect(stream.events.at(-1)).toMatchObject({ type: 'end', stopped: false });
    }
    // Heartbeats written while the reply was generated came through among the events, intact.
    expect(sender.stream.comments.length).toBeGreaterThanOrEqual(1);
    const sseBytes = readers.reduce((n, r) => n + Buffer.byteLength(r.stream.text), 0);
    const held = sseBytes - inKernel;
    // Bounded by the reply: what the server retains (after a full GC) while nobody reads is at
    // most one copy of the stream per slow reader plus the reply in the stream log (in memory
    // without Redis), and what was held for the readers is released once read.
    const whileUnread = unread.heapMiB + unread.externalMiB - before.heapMiB - before.externalMiB;
    const afterRead = after.heapMiB + after.externalMiB - before.heapMiB - before.externalMiB;
    // Backpressure (streamSse waits for 'drain'): a reader that does not read holds up its own
    // follower, so the process keeps about one copy of the reply (the stream log) plus a little
    // per stream, not the unread rest of the reply per stream (+25–27 MiB before the fix).
    expect(whileUnread).toBeLessThan(2 * REPLY_MIB + readers.length * 3 + 8);
    expect(afterRead).toBeLessThan(2 * REPLY_MIB + 8);
    expect(peak.rssMiB - before.rssMiB).toBeLessThan(24 * REPLY_MIB + 64);
    console.log(
      `[client-load] 4 slow SSE readers of one ${REPLY_MIB} MiB reply (${PIECES} pieces): stored ` +
        `completed ${generatedMs} ms after the request with 0 bytes read (a reading client: ` +
        `${fastMs} ms); ${fmtMiB(sseBytes / MiB)} of SSE in all, ${fmtMiB(inKernel / MiB)} in ` +
        `kernel buffers, ${fmtMiB(held / MiB)} not yet in kernel buffers; retained (heap + ` +
        `external after a full GC) +${fmtMiB(whileUnread)} while unread, +${fmtMiB(afterRead)} ` +
        `after the read; RSS ${fmtMiB(before.rssMiB)} before, peak ${fmtMiB(peak.rssMiB)}; ` +
        `/health/live slowest answer while generating ${liveness.maxMs} ms (${liveness.samples} ` +
        `probes); read later in 16 KiB bites in ${readMs} ms: ${sender.stream.frames.length} events ` +
        `each, in order, text whole, ${sender.stream.comments.length} heartbeats among the sender's`,
    );
  }, 120_000);

  it('WebSocket: the reply is stored while 4 sockets of the user read nothing; resumed within the heartbeat window, each gets every frame in order', async () => {
    const text = bigText(PIECES, PIECE, 'w');
    fake.setDefault({ text, chunkIntervalMs: 0 });
    const conversationId = await conversationOver(service.url, user);
    const clients = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const client = new WsClient(chatWsUrl(service.url, `?token=${user.token}`));
        await client.opened;
        return client;
      }),
    );
    const before = await retainedMemory(service.url, pid);
    const peakSampler = memorySampler(service.url, pid);
    const started = Date.now();
    for (const c of clients) c.ws.pause();
    clients[0].send({
      type: 'chat_message',
      conversation_id: conversationId,
      content: 'Long, please',
      ...BULK,
    });
    const stored = await storedReply(service.url, user, conversationId, 60_000);
    const generatedMs = stored.at - started;
    expect(stored.status).toBe('completed');
    expect(stored.content).toBe(text);
    for (const c of clients) expect(c.frames).toHaveLength(0);
    await sleep(2000);
    const inKernel = clients.reduce((n, c) => n + kernelQueued(tcpOf(c)), 0);
    const peak = await peakSampler.stop();
    const unread = await retainedMemory(service.url, pid);
    const readStarted = Date.now();
    for (const c of clients) c.ws.resume();
    const ends = await Promise.all(
      clients.map((c) =>
        c.waitFor((f) => f.type === 'message_end' || f.type === 'error', {
          timeoutMs: 30_000,
          what: 'the end of the reply',
        }),
      ),
    );
    const readMs = Date.now() - readStarted;
    const after = await retainedMemory(service.url, pid);
    for (const [i, c] of clients.entries()) {
      expect(ends[i].type).toBe('message_end');
      const mine = c.framesOf(ends[i].message_id as string);
      expect(mine.map((f) => f.seq)).toEqual(range(1, mine.length));
      expect(mine[0].type).toBe('message_start');
      expect(contentOf(mine as { type: string; content?: string }[])).toBe(text);
      expect(c.isOpen).toBe(true);
    }
    const frames = clients[0].frames.length;
    await Promise.all(clients.map((c) => c.close()));
    const wsBytes = clients.reduce(
      (n, c) => n + c.frames.reduce((m, f) => m + wsFrameBytes(f), 0),
      0,
    );
    const held = wsBytes - inKernel;
    const whileUnread = unread.heapMiB + unread.externalMiB - before.heapMiB - before.externalMiB;
    const afterRead = after.heapMiB + after.externalMiB - before.heapMiB - before.externalMiB;
    // Backpressure (ChatSocket.sendPaced): a socket that does not read holds up its own
    // follower once ~1 MiB is queued on it, so the process keeps about one copy of the reply
    // (the stream log) plus ~1 MiB per socket, not a copy per socket.
    expect(whileUnread).toBeLessThan(2 * REPLY_MIB + clients.length * 2 + 8);
    expect(afterRead).toBeLessThan(2 * REPLY_MIB + 8);
    expect(peak.rssMiB - before.rssMiB).toBeLessThan(24 * REPLY_MIB + 64);
    console.log(
      `[client-load] 4 paused WebSockets following one ${REPLY_MIB} MiB reply: stored completed ` +
        `${generatedMs} ms after the send with 0 frames read (an SSE client reading: ${fastMs} ms); ` +
        `≈${fmtMiB(wsBytes / MiB)} of frames in all, ${fmtMiB(inKernel / MiB)} in kernel buffers, ` +
        `≈${fmtMiB(held / MiB)} not yet in kernel buffers; retained (heap + external after a ` +
        `full GC) +${fmtMiB(whileUnread)} while unread, +${fmtMiB(afterRead)} after the read; RSS ` +
        `${fmtMiB(before.rssMiB)} before, peak ${fmtMiB(peak.rssMiB)}; resumed: ${frames} frames ` +
        `each, in order, in ${readMs} ms, sockets still open`,
    );
  }, 120_000);
});

describe('1,000 sockets dropped at once; a socket that stops reading (service process, WS_HEARTBEAT_MS=1000)', () => {
  const HEARTBEAT_MS = 1000;
  const SOCKETS = 1000;
  const USERS = 20;
  /** Users with a reply streaming when the sockets drop: every socket of theirs follows it. */
  const BUSY_USERS = 10;
  /** Of every 5 sockets: 2 closed with a FIN, 2 reset (RST), 1 vanishes (no TCP signal at all). */
  const dropKind = (i: number): 'fin' | 'rst' | 'vanish' =>
    i % 5 < 2 ? 'fin' : i % 5 < 4 ? 'rst' : 'vanish';
  const REPLY = Array.from({ length: 60 }, (_, i) => `drop${i}`).join(' ');
  let fake: FakeOpenAi;
  let service: ServiceProcess;
  let port: number;
  let proxy: FreezingProxy;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    service = await startService({
      ...TITLES_OFF,
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-client-load',
      OPENAI_BASE_URL: fake.baseURL,
      LOG_LEVEL: 'warn',
      WS_HEARTBEAT_MS: String(HEARTBEAT_MS),
      NODE_OPTIONS: gcOnSignalNodeOptions(),
      ...NO_LIMITS,
    });
    port = Number(new URL(service.url).port);
    proxy = new FreezingProxy(port);
  }, 120_000);

  afterAll(async () => {
    await closeAllWs();
    await proxy?.stop();
    await service?.dispose();
    await fake?.close();
  });

  it('1,000 authenticated sockets dropped in one tick (FIN, RST, vanished), replies in flight: the process stays up, ws_connections and its held connections go back to 0 within the heartbeat window, the replies are stored', async () => {
    const pid = service.child.pid!;
    const users = await mapLimit(range(1, USERS), 4, () => registerOver(service.url));
    const conversations = await mapLimit(users.slice(0, BUSY_USERS), 4, (u) =>
      conversationOver(service.url, u),
    );
    const proxyPort = await proxy.start();
    await sleep(500);
    const retainedBefore = await retainedMemory(service.url, pid);
    const before = {
      rssMiB: rssKiB(pid) / 1024,
      fds: openFds(pid),
      gauge: (await scrape(service.url)).value('ws_connections'),
    };
    expect(before.gauge).toBe(0);

    const openedAt = Date.now();
    const clients = await mapLimit(range(0, SOCKETS - 1), 100, async (i) => {
      const user = users[i % USERS];
      const base = dropKind(i) === 'vanish' ? `http://127.0.0.1:${proxyPort}` : service.url;
      const client = new WsClient(chatWsUrl(base, `?token=${user.token}`));
      await client.opened;
      return client;
    });
    const openMs = Date.now() - openedAt;
    // The service's side of exactly these connections, told apart by their peers' ports.
    const peers = new Set([
      ...clients.filter((_, i) => dropKind(i) !== 'vanish').map((c) => tcpOf(c).localPort ?? 0),
      ...proxy.targetSidePorts(),
    ]);
    expect(peers.size).toBe(SOCKETS);
    await until(
      async () => (await scrape(service.url)).value('ws_connections') === SOCKETS,
      10_000,
      'ws_connections to count every socket',
    );
    expect(heldConnections(port, peers)).toBe(SOCKETS);
    const open = { rssMiB: rssKiB(pid) / 1024, fds: openFds(pid) };

    // Replies in flight: one per busy user, streamed to every socket of that user.
    fake.setDefault({ text: REPLY, chunkIntervalMs: 50 });
    for (let u = 0; u < BUSY_USERS; u++) {
      clients[u].send({
        type: 'chat_message',
        conversation_id: conversations[u],
        content: 'Go on',
      });
      await clients[u].waitForType('message_start', { timeoutMs: 20_000 });
    }
    const followers = clients.filter((_, i) => i % USERS < BUSY_USERS);
    await mapLimit(followers, 50, (c) =>
      c.waitFor((f: WsFrame) => f.type === 'message_content', { timeoutMs: 20_000 }),
    );
    const midStream = followers.filter(
      (c) => !c.frames.some((f) => f.type === 'message_end'),
    ).length;
    expect(midStream).toBeGreaterThan(0);

    // All at once, in this one tick: no close frame on any of them.
    const counts = { fin: 0, rst: 0, vanish: 0 };
    const droppedAt = Date.now();
    clients.forEach((client, i) => {
      const kind = dropKind(i);
      counts[kind] += 1;
      if (kind === 'fin') tcpOf(client).destroy();
      else if (kind === 'rst') tcpOf(client).resetAndDestroy();
    });
    proxy.freeze();

    let signalledGoneMs = -1;
    let zeroMs = -1;
    let left = { gauge: -1, held: -1 };
    const deadline = droppedAt + 4 * HEARTBEAT_MS + 10_000;
    while (Date.now() < deadline) {
      left = {
        gauge: (await scrape(service.url)).value('ws_connections'),
        held: heldConnections(port, peers),
      };
      if (signalledGoneMs < 0 && left.gauge <= counts.vanish)
        signalledGoneMs = Date.now() - droppedAt;
      if (left.gauge === 0 && left.held === 0) {
        zeroMs = Date.now() - droppedAt;
        break;
      }
      await sleep(50);
    }
    expect(left).toEqual({ gauge: 0, held: 0 });
    // The vanished ones are found by the heartbeat: a ping unanswered, dropped at the next one.
    expect(zeroMs).toBeLessThan(2 * HEARTBEAT_MS + 3000);
    expect(service.child.exitCode).toBeNull();
    const live = await fetch(`${service.url}/api/v1/health/live`);
    expect(live.status).toBe(200);

    // The replies went on without their sockets and are stored whole.
    for (let u = 0; u < BUSY_USERS; u++) {
      const stored = await storedReply(service.url, users[u], conversations[u], 30_000);
      expect({ status: stored.status, content: stored.content }).toEqual({
        status: 'completed',
        content: REPLY,
      });
    }
    const retainedAfter = await retainedMemory(service.url, pid);
    const after = { rssMiB: rssKiB(pid) / 1024, fds: openFds(pid) };
    // Nothing left behind: 1,000 sockets and their followers gone; a few descriptors more than
    // before are keep-alive pools (one upstream connection per reply that ran at once).
    expect(after.fds - before.fds).toBeLessThan(BUSY_USERS + 30);
    console.log(
      `[client-load] ${SOCKETS} sockets (${USERS} users) opened in ${openMs} ms ` +
        `(${Math.round(SOCKETS / (openMs / 1000))}/s); ${BUSY_USERS} replies in flight to ` +
        `${followers.length} sockets (${midStream} mid-stream at the drop); dropped in one tick: ` +
        `${counts.fin} FIN, ${counts.rst} RST, ${counts.vanish} vanished; ws_connections down to ` +
        `the vanished ones in ${signalledGoneMs} ms; ws_connections and the connections the ` +
        `service holds at 0 in ${zeroMs} ms (WS_HEARTBEAT_MS=${HEARTBEAT_MS}); replies stored ` +
        `completed ${BUSY_USERS}/${BUSY_USERS}; /health/live 200; RSS before ` +
        `${fmtMiB(before.rssMiB)}, open ${fmtMiB(open.rssMiB)}, after ${fmtMiB(after.rssMiB)}; ` +
        `fds ${before.fds} → ${open.fds} → ${after.fds}; heap after a full GC ` +
        `${fmtMiB(retainedBefore.heapMiB)} before, ${fmtMiB(retainedAfter.heapMiB)} after`,
    );
  }, 120_000);

  it('a socket paused past the heartbeat window while an 8 MiB reply streams: dropped by the server (no close frame, 1006), its buffer freed; the reply is stored; resumed, the client has an in-order prefix', async () => {
    const pid = service.child.pid!;
    const text = bigText(1024, 8192, 'h');
    fake.setDefault({ text, chunkIntervalMs: 0 });
    const user = await registerOver(service.url);
    // First the same size of reply to a reader, so that what storing it costs once (PGlite's
    // WebAssembly memory grows, and never shrinks) is in the baseline.
    const warmUp = await pausedSse(
      `${service.url}/api/v1/conversations/${await conversationOver(service.url, user)}/messages/stream`,
      user.token,
      { content: 'Warm up', ...BULK },
    );
    await readSlowly(warmUp.res, warmUp.stream, 1 << 20, 0);
    expect(contentOf(warmUp.stream.events)).toBe(text);
    const conversationId = await conversationOver(service.url, user);
    const client = new WsClient(chatWsUrl(service.url, `?token=${user.token}`));
    await client.opened;
    const peers = new Set([tcpOf(client).localPort ?? 0]);
    const baseline = await retainedMemory(service.url, pid);
    const sampler = memorySampler(service.url, pid);
    const probe = livenessProbe(service.url);
    const started = Date.now();
    client.ws.pause();
    const dropped = until(() => heldConnections(port, peers) === 0, 60_000, 'the drop').then(
      () => Date.now() - started,
    );
    client.send({
      type: 'chat_message',
      conversation_id: conversationId,
      content: 'Long, please',
      ...BULK,
    });
    const stored = await storedReply(service.url, user, conversationId, 60_000);
    expect({ status: stored.status, length: stored.content.length }).toEqual({
      status: 'completed',
      length: text.length,
    });
    const droppedMs = await dropped;
    // Missed one ping, dropped at the next: within two heartbeats (plus the loop's lag).
    expect(droppedMs).toBeLessThan(2 * HEARTBEAT_MS + 3000);
    const liveness = await probe.stop();
    const peak = await sampler.stop();
    const afterDrop = await retainedMemory(service.url, pid);
    expect((await scrape(service.url)).value('ws_connections')).toBe(0);
    // What was queued for the socket went with it: at most the reply's copy in the stream log
    // (kept in memory for resumes when there is no Redis) is retained.
    const retained =
      afterDrop.heapMiB + afterDrop.externalMiB - baseline.heapMiB - baseline.externalMiB;
    expect(retained).toBeLessThan((1.5 * text.length) / MiB + 16);

    client.ws.resume();
    const { code } = await client.waitForClose(10_000);
    expect(code).toBe(1006);
    // What had reached the client's kernel before the drop: a prefix, in order, nothing torn.
    const frames = client.frames;
    expect(frames.map((f) => f.seq)).toEqual(range(1, frames.length));
    expect(frames[0].type).toBe('message_start');
    const received = contentOf(frames as { type: string; content?: string }[]);
    expect(text.startsWith(received)).toBe(true);
    expect(received.length).toBeLessThan(text.length);
    console.log(
      `[client-load] WebSocket paused for good (WS_HEARTBEAT_MS=${HEARTBEAT_MS}), 8 MiB reply: ` +
        `stored completed ${stored.at - started} ms after the send; the server dropped the socket ` +
        `${droppedMs} ms after the pause (close seen by the client: ${code}); /health/live slowest ` +
        `answer meanwhile ${liveness.maxMs} ms; memory before (after a full GC) ` +
        `${describeMem(baseline)}, peak ${describeMem(peak)}, once the reply was stored (after a ` +
        `full GC) ${describeMem(afterDrop)}, retained +${fmtMiB(retained)}; the client had ` +
        `${frames.length} frames, ` +
        `${(received.length / 1048576).toFixed(2)} of 8 MiB, in order`,
    );
  }, 120_000);
});
