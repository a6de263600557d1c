import { bootApp } from '../support/app';
import {
  conversationOver,
  GatedUpstream,
  mapLimit,
  registerOver,
  startGatedUpstream,
  type ApiUser,
} from '../support/fault-helpers-h3';
import { ServiceProcess, startService } from '../support/service-process';
import { openSse, SseStream } from '../support/sse';
import { TITLES_OFF } from '../support/titles';
import { chatWsUrl, closeAllWs, WsClient } from '../support/ws-client';

/**
 * Issue 6: "SIGTERM with 100 streams in flight: all stored, exit 0". A real service process,
 * 50 SSE streams and 50 WebSocket streams (10 sockets, 5 replies each) against an upstream that
 * streams slowly. Half the replies ("short") wait at a gate opened at the moment of the signal,
 * then finish well within SHUTDOWN_GRACE_MS; the other half ("long") would take a minute and
 * are cut off at the deadline. Runs on whichever database the test run has (the child gets the
 * run's DATABASE_URL / REDIS_URL, or embedded PGlite in its own DATA_DIR).
 */

const GRACE_MS = 5000;
const SSE_USERS = 5;
const SSE_PER_USER = 10;
const WS_SOCKETS = 10;
const WS_PER_SOCKET = 5;
const STREAMS = SSE_USERS * SSE_PER_USER + WS_SOCKETS * WS_PER_SOCKET;
/** Pieces a short reply sends before waiting at the gate; it has 30 in all, 20 ms apart. */
const SHORT_HEAD = 3;
const SHORT_PIECES = 30;
/** A long reply: 600 pieces 100 ms apart, a minute — far past the grace period. */
const LONG_PIECES = 600;

type Kind = 'short' | 'long';
const kindOf = (n: number): Kind => (n % 2 === 0 ? 'short' : 'long');
const promptOf = (n: number) => `${kindOf(n)}-${n}`;
const piecesOf = (n: number): string[] =>
  Array.from(
    { length: kindOf(n) === 'short' ? SHORT_PIECES : LONG_PIECES },
    (_, i) => `${kindOf(n)}${n}.${i} `,
  );
const fullText = (n: number) => piecesOf(n).join('');

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

const contentOf = (events: { type?: string; content?: string }[]) =>
  events
    .filter((e) => e.type === 'content' || e.type === 'message_content')
    .map((e) => e.content ?? '')
    .join('');

/** One of the 100 streams as its client saw it. */
interface Stream {
  n: number;
  transport: 'sse' | 'ws';
  conversationId: string;
  messageId?: string;
  /** The client's view once it is over: the text received and the last event. */
  received: () => string;
  last: () => { type?: string; error?: { code?: string }; stopped?: boolean } | undefined;
  /** When the client saw the last event (ms since the epoch). */
  endedAt?: number;
}

describe('SIGTERM with 100 streams in flight (50 SSE, 50 WebSocket): all stored, exit 0', () => {
  let upstream: GatedUpstream;
  let service: ServiceProcess;

  beforeAll(async () => {
    upstream = await startGatedUpstream((prompt) => {
      const n = Number(/-(\d+)$/.exec(prompt)?.[1] ?? NaN);
      if (!Number.isInteger(n)) throw new Error(`unexpected prompt ${prompt}`);
      return kindOf(n) === 'short'
        ? { pieces: piecesOf(n), intervalMs: 20, gateAfter: SHORT_HEAD }
        : { pieces: piecesOf(n), intervalMs: 100 };
    });
    service = await startService({
      // Every call to the gated upstream is a reply counted below (titles: auto-titles suites).
      ...TITLES_OFF,
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-shutdown-load',
      OPENAI_BASE_URL: upstream.baseURL,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      LOG_LEVEL: 'warn',
      QUOTA_NORMAL_DAILY_TOKENS: '1000000000',
      QUOTA_NORMAL_MONTHLY_TOKENS: '1000000000',
    });
  }, 120_000);

  afterAll(async () => {
    await closeAllWs();
    await service?.dispose();
    await upstream?.close();
  });

  it('finishes the replies that fit in the grace period, cuts off the rest with their partial text stored, ends every client stream, exits 0', async () => {
    const url = service.url;
    const sseUsers = await mapLimit(range(1, SSE_USERS), 3, () => registerOver(url));
    const wsUsers = await mapLimit(range(1, WS_SOCKETS), 3, () => registerOver(url));
    // Stream n: 0..49 over SSE (user n % 5), 50..99 over WebSocket (socket (n - 50) % 10).
    const ownerOf = (n: number): ApiUser =>
      n < SSE_USERS * SSE_PER_USER ? sseUsers[n % SSE_USERS] : wsUsers[(n - 50) % WS_SOCKETS];
    const conversations = await mapLimit(range(0, STREAMS - 1), 8, (n) =>
      conversationOver(url, ownerOf(n)),
    );
    const streams: Stream[] = [];

    // 50 SSE streams, each running (first words in) before the next batch starts.
    const sse = new Map<number, SseStream>();
    await mapLimit(range(0, SSE_USERS * SSE_PER_USER - 1), 10, async (n) => {
      const stream = await openSse(
        `${url}/api/v1/conversations/${conversations[n]}/messages/stream`,
        {
          body: { content: promptOf(n) },
          headers: { Authorization: `Bearer ${ownerOf(n).token}` },
        },
      );
      expect(stream.status).toBe(200);
      await stream.waitFor((f) => f.data?.type === 'content', 20_000);
      sse.set(n, stream);
      const entry: Stream = {
        n,
        transport: 'sse',
        conversationId: conversations[n],
        messageId: stream.events[0]?.message_id as string,
        received: () => contentOf(stream.events),
        last: () => stream.events.at(-1),
      };
      void stream.finished.then(() => (entry.endedAt = Date.now()));
      streams.push(entry);
    });

    // 10 sockets, 5 replies each; request_id = the prompt ties each reply to its frames.
    const sockets = await mapLimit(range(0, WS_SOCKETS - 1), 5, async (s) => {
      const client = new WsClient(chatWsUrl(url, `?token=${wsUsers[s].token}`));
      await client.opened;
      return client;
    });
    const socketOf = (n: number) => sockets[(n - 50) % WS_SOCKETS];
    await mapLimit(range(50, STREAMS - 1), 10, async (n) => {
      const client = socketOf(n);
      client.send({
        type: 'chat_message',
        conversation_id: conversations[n],
        content: promptOf(n),
        request_id: promptOf(n),
      });
      const start = await client.waitFor(
        (f) => f.type === 'message_start' && f.request_id === promptOf(n),
        { timeoutMs: 20_000, what: `the start of ${promptOf(n)}` },
      );
      const messageId = start.message_id as string;
      await client.waitForType('message_content', { messageId, timeoutMs: 20_000 });
      const mine = () => client.framesOf(messageId);
      const entry: Stream = {
        n,
        transport: 'ws',
        conversationId: conversations[n],
        messageId,
        received: () => contentOf(mine() as { type: string; content?: string }[]),
        last: () => mine().at(-1) as ReturnType<Stream['last']>,
      };
      void client
        .waitFor(
          (f) => f.message_id === messageId && (f.type === 'message_end' || f.type === 'error'),
          {
            timeoutMs: 120_000,
          },
        )
        .then(
          () => (entry.endedAt = Date.now()),
          () => undefined,
        );
      streams.push(entry);
    });
    streams.sort((a, b) => a.n - b.n);

    // 100 replies in flight, none ended, every client with some of its text.
    expect(streams).toHaveLength(STREAMS);
    expect(upstream.calls).toHaveLength(STREAMS);
    expect(upstream.calls.filter((c) => c.finished || c.closedByClient)).toHaveLength(0);
    expect(streams.filter((s) => s.endedAt !== undefined)).toHaveLength(0);
    const closes = sockets.map((c) => c.closed);

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    // The short replies go on at once and need ~0.6 s more: well within the grace period.
    upstream.open();

    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      service.exited,
      new Promise<string>(
        (resolve) => (timer = setTimeout(resolve, GRACE_MS + 30_000, 'still running')),
      ),
    ]).finally(() => clearTimeout(timer));
    const tookMs = Date.now() - signalledAt;
    expect(code).toBe(0);
    // The long replies ran until the deadline, so the process could not leave before it.
    expect(tookMs).toBeGreaterThanOrEqual(GRACE_MS - 100);

    // Every client saw its stream end: SSE with `end` or an `error` event, WebSocket with
    // message_end or an error frame, then close 1001.
    await Promise.all([...sse.values()].map((s) => s.untilEnd(5000)));
    const closed = await Promise.all(closes);
    expect(closed.map((c) => c.code)).toEqual(sockets.map(() => 1001));
    const outcome = new Map<number, { status: string; content: string }>();
    for (const s of streams) {
      const last = s.last();
      const received = s.received();
      const what = `${s.transport} ${promptOf(s.n)}`;
      if (kindOf(s.n) === 'short') {
        expect([what, last?.type, last?.stopped]).toEqual([
          what,
          s.transport === 'sse' ? 'end' : 'message_end',
          false,
        ]);
        expect([what, received]).toEqual([what, fullText(s.n)]);
        outcome.set(s.n, { status: 'completed', content: received });
      } else {
        expect([what, last?.type, last?.error?.code]).toEqual([
          what,
          'error',
          'SERVICE_UNAVAILABLE',
        ]);
        expect(received.length).toBeGreaterThan(0);
        expect(received.length).toBeLessThan(fullText(s.n).length);
        expect([what, fullText(s.n).startsWith(received)]).toEqual([what, true]);
        outcome.set(s.n, { status: 'failed', content: received });
      }
    }
    // WebSocket frames of each reply in order, without a gap, from message_start on.
    for (const s of streams.filter((x) => x.transport === 'ws')) {
      const frames = socketOf(s.n).framesOf(s.messageId!);
      expect(frames.map((f) => f.seq)).toEqual(range(1, frames.length));
      expect(frames[0].type).toBe('message_start');
    }
    // The upstream calls of the cut-off replies were aborted; the short ones were read to the end.
    const calls = new Map(upstream.calls.map((c) => [c.prompt, c]));
    const short = streams.filter((s) => kindOf(s.n) === 'short');
    const long = streams.filter((s) => kindOf(s.n) === 'long');
    expect(short.filter((s) => calls.get(promptOf(s.n))?.finished)).toHaveLength(short.length);
    expect(long.filter((s) => calls.get(promptOf(s.n))?.closedByClient)).toHaveLength(long.length);
    expect(service.stdout()).toContain(
      `shutdown: cutting off ${long.length} generation(s) at the deadline`,
    );

    // Stored, read from the database after the process is gone: one reply per conversation,
    // none left `streaming`, each as its client saw it (completed whole, or failed with the
    // partial text).
    const reopened = await bootApp({}, { dataDir: service.dataDir });
    try {
      const rows = await reopened.sql<{ conversation_id: string; status: string; content: string }>(
        `SELECT conversation_id, status, content FROM messages
          WHERE role = 'assistant' AND conversation_id = ANY($1)`,
        [conversations],
      );
      expect(rows).toHaveLength(STREAMS);
      const byConversation = new Map(rows.map((r) => [r.conversation_id, r]));
      expect(byConversation.size).toBe(STREAMS);
      expect(rows.filter((r) => r.status === 'streaming')).toHaveLength(0);
      for (const s of streams) {
        const row = byConversation.get(s.conversationId);
        expect([promptOf(s.n), row?.status, row?.content]).toEqual([
          promptOf(s.n),
          outcome.get(s.n)?.status,
          outcome.get(s.n)?.content,
        ]);
      }
    } finally {
      await reopened.close();
    }
    const shortDone = Math.max(...short.map((s) => (s.endedAt ?? NaN) - signalledAt));
    const longDone = Math.max(...long.map((s) => (s.endedAt ?? NaN) - signalledAt));
    const partial = long.map((s) => s.received().length / fullText(s.n).length);
    console.log(
      `[shutdown-load] ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}: SIGTERM with ` +
        `${STREAMS} streams in flight (${sse.size} SSE, ${STREAMS - sse.size} WebSocket on ` +
        `${WS_SOCKETS} sockets) → exit ${code} in ${tookMs} ms (SHUTDOWN_GRACE_MS=${GRACE_MS}); ` +
        `${short.length} completed (last end seen ${shortDone} ms after the signal), ` +
        `${long.length} cut off (last error seen ${longDone} ms after the signal, ` +
        `${Math.round(Math.min(...partial) * 100)}–${Math.round(Math.max(...partial) * 100)} % ` +
        `of their text stored as failed); 0 streaming, 0 missing; sockets closed 1001: ` +
        `${closed.filter((c) => c.code === 1001).length}/${WS_SOCKETS}`,
    );
  }, 180_000);
});
