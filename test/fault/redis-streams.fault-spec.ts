import supertest from 'supertest';
import { GenerationRunners } from '../../src/modules/generation/generation-runner';
import { EVENT_BUS } from '../../src/redis/event-bus';
import { REDIS } from '../../src/redis/redis.module';
import { aConversation, bearer, fetchQuota, registerUser, type RegisteredUser } from '../factories';
import { bootApp, type TestApp } from '../support/app';
import { sleep, until } from '../support/expect';
import {
  startFakeOpenAi,
  type FakeOpenAi,
  type FakeReply,
  fakeOpenAiEnv,
} from '../support/fake-openai';
import {
  CuttableRedis,
  healthUntil,
  idAnomalies,
  timeSse,
  timeWs,
  within,
} from '../support/fault-helpers-h2';
import { startService } from '../support/service-process';
import { openSse, type SseStream } from '../support/sse';
import {
  chatWsUrl,
  closeAllWs,
  connectWs,
  refusedUpgrade,
  type WsClient,
  type WsFrame,
} from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

/**
 * Redis faults for streams (issue 6: "Redis stopped mid-run: … streams keep working on one
 * replica, health reports it, recovery when it returns"). Each app reaches Redis through a TCP
 * proxy the test cuts (connections reset and refused) or hangs (accepted, never answered):
 * the stream log (Redis Streams), the event bus (pub/sub) and WebSocket tickets lose Redis
 * while replies are in flight, on one replica and across two. Figures are printed, one
 * `[redis streams]` line per scenario.
 *
 * Needs Redis (skipped under the embedded defaults, which have none); the two-replica tests
 * also need the shared PostgreSQL (DATABASE_URL), as ws-replicas.e2e-spec.ts.
 *
 * BUGS found by this suite, all fixed (docs/RELIABILITY.md, known issues 15–20); a test named
 * "[bug H2-n]" asserts the correct behaviour. What they were:
 *   H2-1  While Redis is down a send answers 500 INTERNAL_SERVER_ERROR after ~3 s (REST, SSE;
 *         an `error` frame over WebSocket), though its reply is generated, stored and billed:
 *         the event bus publishes `generation.started` only through Redis (its own replica
 *         hears it only back from Redis), and the publish fails once the reply has started.
 *   H2-2  While Redis hangs, a send and POST /auth/ws-ticket get no answer at all: the shared
 *         Redis client has no command timeout (a send waits on the Redis copy of its first
 *         event, then on the publish).
 *   H2-3  POST /auth/ws-ticket answers 500 INTERNAL_SERVER_ERROR while Redis is cut.
 *   H2-4  After a cut where Redis connections are accepted then reset (a proxy in front of a
 *         Redis that is down), a replica's bus subscriber is left "ready" on a dead socket and
 *         never reconnects: the replica no longer hears others' starts, stops and session
 *         revocations, nor (H2-1) its own, until restarted; /health still says healthy.
 *   H2-5  A reply that runs through a cut, followed from another replica once Redis is back,
 *         repeats an event (seen: the write in flight at the cut, resent by ioredis after it
 *         had been applied). By reading: events whose copy failed are missing for good, and a
 *         missing end keeps such a follower waiting until the stream's 24 h expiry.
 *   H2-6  A replica started while Redis is down never becomes ready, not even once Redis is
 *         back: startup awaits the bus subscriptions, on a subscriber left deaf as in H2-4.
 * Seen on 335f90c and no longer on f699cd7 (its tiered stream log), kept as regression tests:
 * a reply in flight when Redis was cut stopped mid-stream (no end event, stored `failed`), and
 * the unhandled rejection of its last Redis write made the service process exit with code 1.
 */

function bugIt(
  id: string,
  name: string,
  fn: () => Promise<void>,
  options: { timeoutMs?: number; skip?: boolean } = {},
): void {
  (options.skip ? it.skip : it)(`[bug ${id}] ${name}`, fn, options.timeoutMs);
}

const REDIS_URL = process.env.REDIS_URL;
const SHARED = Boolean(process.env.DATABASE_URL && REDIS_URL);

/** The longest pause a client may see between two frames during a fault (1 s: the longest a Redis command may wait, with a fix for H2-2). */
const GAP_BOUND_MS = 1000;

const words = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const ms = (n: number) => `${Math.round(n)} ms`;
const report = (line: string) => console.log(`[redis streams] ${line}`);

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
}

function appEnv(fake: FakeOpenAi, redisUrl: string): Record<string, string | undefined> {
  return {
    REDIS_URL: redisUrl,
    ...fakeOpenAiEnv(fake, 'sk-e2e'),
    ...TITLES_OFF,
    CORS_ORIGINS: undefined,
    WS_HEARTBEAT_MS: undefined,
  };
}

/** A slow reply (a fault lands mid-reply): `n` pieces every `every` ms, with known usage. Its stream has n + 2 events. */
function slowReply(n: number, tag: string, every = 40): FakeReply & { text: string } {
  return {
    text: words(n, tag),
    chunkIntervalMs: every,
    usage: { prompt_tokens: 30, completion_tokens: n },
  };
}

/** SSE frames must be id first..n, start (from 1), content…, then `end`; returns the text. */
function sseText(stream: SseStream, first = 1): string {
  const ids = stream.frames.map((f) => Number(f.id));
  expect(ids).toEqual(range(first, first + ids.length - 1));
  const types = stream.frames.map((f) => f.data?.type as string);
  expect(types.at(-1)).toBe('end');
  if (first === 1) expect(types[0]).toBe('start');
  expect(types.slice(first === 1 ? 1 : 0, -1).every((type) => type === 'content')).toBe(true);
  return stream.frames
    .filter((f) => f.data?.type === 'content')
    .map((f) => f.data.content as string)
    .join('');
}

/** One generation's WS frames must be seq first..n, message_start (from 1), message_content…, message_end; returns the text. */
function wsText(frames: WsFrame[], first = 1): string {
  expect(frames.map((f) => f.seq)).toEqual(range(first, first + frames.length - 1));
  const types = frames.map((f) => f.type);
  expect(types.at(-1)).toBe('message_end');
  if (first === 1) expect(types[0]).toBe('message_start');
  return frames
    .filter((f) => f.type === 'message_content')
    .map((f) => f.content as string)
    .join('');
}

/** What a stream held after a fault, for the printed line. */
function sseSummary(stream: SseStream, first = 1): string {
  if (stream.status !== 200) return `${stream.status} ${stream.json?.error?.code ?? ''}`.trim();
  const last = stream.frames.at(-1)?.data;
  const odd = idAnomalies(
    stream.frames.map((f) => Number(f.id)),
    first,
  );
  return `${stream.frames.length} frames${odd ? ` (${odd})` : ''}, last ${last?.type ?? 'none'}${last?.error ? ` ${last.error.code}` : ''}`;
}

function wsSummary(frames: WsFrame[], first = 1): string {
  const last = frames.at(-1);
  const odd = idAnomalies(
    frames.map((f) => f.seq as number),
    first,
  );
  return `${frames.length} frames${odd ? ` (${odd})` : ''}, last ${last?.type ?? 'none'}${last?.error ? ` ${last.error.code}` : ''}`;
}

/** The bus as this suite looks at it: its public ready(), and its subscriber connection's state (read only). */
interface BusInternals {
  ready?: () => Promise<void>;
  subscriber?: { status: string; stream?: { writable: boolean } };
}

const suiteName = REDIS_URL
  ? 'Redis faults for streams: stream log, event bus and tickets losing Redis mid-reply'
  : 'Redis faults for streams (skipped: needs REDIS_URL; the embedded defaults run without Redis)';

(REDIS_URL ? describe : describe.skip)(suiteName, () => {
  let fake: FakeOpenAi;
  /** Redis as both replicas reach it: one proxy, so a cut is an outage for all of them. */
  let redis: CuttableRedis;
  let a: TestApp;
  let b: TestApp | undefined;

  const boot = async () => {
    a = await bootApp(appEnv(fake, redis.url));
    if (SHARED) b = await bootApp(appEnv(fake, redis.url));
  };

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    redis = await CuttableRedis.start(REDIS_URL as string);
    await boot();
  });

  /**
   * Every replica's Redis client connected again and its bus subscribed (not /health: it caches
   * 5 s). A replica whose bus a cut left deaf (H2-4) would fail the tests after it for that
   * reason: it is booted anew, so each test shows its own bug only.
   */
  async function redisBack(): Promise<void> {
    const deaf: string[] = [];
    for (const [name, t] of [
      ['A', a],
      ['B', b],
    ] as const) {
      if (!t) continue;
      const client = t.app.get<unknown, { status: string }>(REDIS);
      await until(() => client.status === 'ready', 15_000, 'the Redis client to reconnect');
      const bus = t.app.get<unknown, BusInternals>(EVENT_BUS);
      // H2-4's signature, seen at once: "ready" on a socket that is gone (else: wait and see).
      const zombie =
        bus.subscriber?.status === 'ready' && bus.subscriber.stream?.writable === false;
      if (
        !zombie &&
        (await within(
          Promise.resolve(bus.ready?.()).then(() => true),
          3000,
        ))
      )
        continue;
      deaf.push(name);
      await t.close();
      if (name === 'A') a = await bootApp(appEnv(fake, redis.url));
      else b = await bootApp(appEnv(fake, redis.url));
    }
    if (deaf.length)
      report(
        `cleanup: the cut left the bus of ${deaf.join(' and ')} deaf (H2-4: not resubscribed 3 s after Redis returned); booted anew`,
      );
  }

  /** Waits until no replica runs a generation, so nothing of a test outlives it. */
  async function generationsOver(timeoutMs = 15_000): Promise<void> {
    for (const t of [a, b]) {
      if (!t) continue;
      // The replies running in this process.
      const running = t.app.get(GenerationRunners);
      await until(() => running.size === 0, timeoutMs, 'running generations to end').catch(
        (error: unknown) => report(`cleanup: ${String(error)} (${running.size} left)`),
      );
    }
  }

  afterEach(async () => {
    await closeAllWs();
    redis.restore();
    await generationsOver();
    await redisBack();
    fake.reset();
  });

  afterAll(async () => {
    await closeAllWs();
    redis?.restore();
    await a?.close();
    await b?.close();
    await redis?.stop();
    await fake?.close();
  });

  const streamUrl = (t: TestApp, conversationId: string) =>
    `${t.url}/api/v1/conversations/${conversationId}/messages/stream`;
  const resumeUrl = (t: TestApp, conversationId: string, messageId: string) =>
    `${t.url}/api/v1/conversations/${conversationId}/messages/${messageId}/stream`;
  const sendSse = (t: TestApp, user: RegisteredUser, conversationId: string) =>
    openSse(streamUrl(t, conversationId), {
      headers: bearer(user.accessToken),
      body: { content: 'Go', role: 'user' },
    });
  const socket = (t: TestApp, user: RegisteredUser) =>
    connectWs(chatWsUrl(t.url, `?token=${encodeURIComponent(user.accessToken)}`));
  /** Sends chat_message and resolves with the generation's id (from message_start). */
  async function sendWs(client: WsClient, conversationId: string, requestId: string) {
    client.send({
      type: 'chat_message',
      conversation_id: conversationId,
      content: 'Go',
      request_id: requestId,
    });
    const first = await client.waitFor((f) => f.request_id === requestId, {
      timeoutMs: 5000,
      what: `the answer to ${requestId}`,
    });
    expect(first.type).toBe('message_start');
    return first.message_id as string;
  }
  const wsEnd = (client: WsClient, messageId: string, timeoutMs = 8000) =>
    client.waitFor(
      (f) => f.message_id === messageId && (f.type === 'message_end' || f.type === 'error'),
      { timeoutMs, what: `the end of ${messageId}` },
    );
  const stored = async (t: TestApp, messageId: string) => {
    const [row] = await t.sql<{ status: string; content: string }>(
      'SELECT status, content FROM messages WHERE id = $1',
      [messageId],
    );
    return row;
  };
  /** The stored reply once it has left `streaming` (or as it is after `timeoutMs`). */
  async function settled(t: TestApp, messageId: string, timeoutMs = 3000) {
    await until(
      async () => (await stored(t, messageId))?.status !== 'streaming',
      timeoutMs,
      `reply ${messageId} to be stored`,
    ).catch(() => undefined);
    return stored(t, messageId);
  }
  const redisGone = (t: TestApp) =>
    until(
      () => t.app.get<unknown, { status: string }>(REDIS).status !== 'ready',
      5000,
      'the app to see Redis gone',
    );

  it('SSE: a reply in flight when Redis is cut reaches its client whole, is stored completed and billed once; /health says redis unhealthy (degraded)', async () => {
    const user = await registerUser(a);
    const conv = await aConversation(a, user);
    const before = await fetchQuota(a, user);
    const reply = slowReply(40, 'sse');
    fake.script(reply);

    const stream = await sendSse(a, user, conv.id);
    expect(stream.status).toBe(200);
    const times = timeSse(stream);
    await stream.waitFor((f) => Number(f.id) >= 6);
    redis.cut();
    const cutAt = stream.frames.length;
    const started = performance.now();
    await stream.untilEnd(8000).catch(() => undefined);
    const messageId = stream.frames[0]?.data?.message_id as string;
    const row = await settled(a, messageId);
    const worst = times.worstGap(cutAt, stream.frames.length - 1);
    report(
      `SSE reply, Redis cut at event ${cutAt}: client got ${sseSummary(stream)} of 42 in ` +
        `${ms(performance.now() - started)} after the cut, worst gap between events after the cut ` +
        `${ms(worst)} (end: ${ms(times.worstGap(stream.frames.length - 1))} after the last content, ` +
        `the reply stored first); stored ${row?.status}`,
    );

    expect(sseText(stream)).toBe(reply.text);
    expect(stream.frames.at(-1)?.data).toEqual({
      type: 'end',
      usage: { prompt_tokens: 30, completion_tokens: 40, total_tokens: 70 },
      stopped: false,
    });
    expect(times.worstGap(cutAt)).toBeLessThan(GAP_BOUND_MS);
    expect(row).toEqual({ status: 'completed', content: reply.text });
    const after = await fetchQuota(a, user);
    expect(after.usage_today).toEqual({
      requests: before.usage_today.requests + 1,
      tokens: before.usage_today.tokens + 70,
    });
    expect(fake.chatRequests).toHaveLength(1);

    const health = await healthUntil(a, 'unhealthy');
    report(`/health with Redis cut: ${health.status} ${health.body.status} in ${ms(health.ms)}`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.services.database).toBe('healthy');
  });

  it('WebSocket: a reply in flight when Redis is cut reaches the socket that sent it and another tab on the same replica, whole; stored completed, billed once', async () => {
    const user = await registerUser(a);
    const conv = await aConversation(a, user);
    const before = await fetchQuota(a, user);
    const reply = slowReply(40, 'ws');
    fake.script(reply);
    const sender = await socket(a, user);
    const tab = await socket(a, user);
    const times = timeWs(sender);

    const messageId = await sendWs(sender, conv.id, 'ws-cut');
    await sender.waitFor((f) => f.message_id === messageId && f.seq >= 6);
    redis.cut();
    const cutAt = sender.frames.length;
    await Promise.all([wsEnd(sender, messageId), wsEnd(tab, messageId)]).catch(() => undefined);
    const row = await settled(a, messageId);
    report(
      `WebSocket reply, Redis cut at event ${cutAt}: sender got ${wsSummary(sender.framesOf(messageId))}, ` +
        `other tab ${wsSummary(tab.framesOf(messageId))} of 42, worst gap between events after the cut ` +
        `${ms(times.worstGap(cutAt, sender.frames.length - 1))}; stored ${row?.status}`,
    );

    expect(wsText(sender.framesOf(messageId))).toBe(reply.text);
    expect(wsText(tab.framesOf(messageId))).toBe(reply.text);
    expect(sender.framesOf(messageId).at(-1)).toMatchObject({
      type: 'message_end',
      stopped: false,
      usage: { total_tokens: 70 },
    });
    expect(times.worstGap(cutAt)).toBeLessThan(GAP_BOUND_MS);
    expect(row).toEqual({ status: 'completed', content: reply.text });
    expect((await fetchQuota(a, user)).usage_today).toEqual({
      requests: before.usage_today.requests + 1,
      tokens: before.usage_today.tokens + 70,
    });
  });

  it('the service as a real process keeps running when Redis is cut mid-reply, and finishes the reply', async () => {
    const own = await CuttableRedis.start(REDIS_URL as string);
    const service = await startService({ ...appEnv(fake, own.url), LOG_LEVEL: 'warn' });
    try {
      const api = { api: () => supertest(service.url) } as unknown as TestApp;
      const user = await registerUser(api);
      const conv = await aConversation(api, user);
      const reply = slowReply(30, 'proc');
      fake.script(reply);
      const stream = await openSse(
        `${service.url}/api/v1/conversations/${conv.id}/messages/stream`,
        { headers: bearer(user.accessToken), body: { content: 'Go', role: 'user' } },
      );
      await stream.waitFor((f) => Number(f.id) >= 5);
      own.cut();
      await stream.untilEnd(8000).catch(() => undefined);
      // An unhandled rejection ends the process within a tick; give it a moment.
      const exit = await Promise.race([service.exited, sleep(1500).then(() => 'running')]);
      const live = await fetch(`${service.url}/api/v1/health/live`)
        .then((r) => r.status)
        .catch(() => 'no answer');
      report(
        `service process, Redis cut mid-reply: ${exit === 'running' ? 'still running' : `exited with code ${String(exit)}`}, ` +
          `/health/live ${String(live)}; client got ${sseSummary(stream)} of 32`,
      );
      if (exit !== 'running') {
        const cause = /^\s*(\w*Error: .*)$/m.exec(service.stderr());
        report(`service process stderr: ${cause?.[1] ?? service.stderr().slice(-300)}`);
      }
      expect(exit).toBe('running');
      expect(live).toBe(200);
      expect(sseText(stream)).toBe(reply.text);
    } finally {
      await service.dispose();
      await own.stop();
    }
  }, 45_000);

  bugIt(
    'H2-6',
    'a replica process started while Redis is cut is ready within 15 s, says degraded and serves a reply; once Redis is back it is healthy and hears the other replica',
    async () => {
      const own = await CuttableRedis.start(REDIS_URL as string);
      own.cut();
      const t0 = performance.now();
      const service = await startService(
        { ...appEnv(fake, own.url), LOG_LEVEL: 'warn' },
        { readyTimeoutMs: 15_000 },
      ).catch(async (error: unknown) => {
        // startService has killed it; what it printed before is in the error.
        report(
          `service process started with Redis cut: not ready after ${ms(performance.now() - t0)} (${String(error).split('\n')[0]})`,
        );
        await own.stop();
        throw error;
      });
      try {
        const bootMs = performance.now() - t0;
        const api = { api: () => supertest(service.url) } as unknown as TestApp;
        const health = await api.api().get('/api/v1/health');
        const user = await registerUser(api);
        const conv = await aConversation(api, user);
        fake.setDefault(slowReply(5, 'boot', 10));
        const send = await api
          .api()
          .post(`/api/v1/conversations/${conv.id}/messages`)
          .set(bearer(user.accessToken))
          .timeout(5000)
          .send({ content: 'Go', role: 'user' })
          .catch(() => undefined);
        own.restore();
        const restoredAt = performance.now();
        const healthy = await healthUntil(api, 'healthy', { timeoutMs: 10_000 });
        // Once Redis is back the bus joins: a reply started on another replica reaches a socket here.
        let heardMs: number | undefined;
        if (b) {
          const here = await socket({ url: service.url } as TestApp, user);
          for (const deadline = performance.now() + 5000; performance.now() < deadline;) {
            const res = await b
              .api()
              .post(`/api/v1/conversations/${conv.id}/messages`)
              .set(bearer(user.accessToken))
              .send({ content: 'Across', role: 'user' });
            const id = res.body.data.assistant_message.id as string;
            if (await within(wsEnd(here, id, 500), 600)) {
              heardMs = performance.now() - restoredAt;
              break;
            }
          }
        }
        report(
          `service process started with Redis cut: ready in ${ms(bootMs)}, /health ${health.status} ${health.body.status}, ` +
            `send ${send?.status ?? 'no answer'}; Redis back: healthy after ${ms(healthy.waitedMs)}, ` +
            `hears replica B ${heardMs === undefined ? (b ? 'never' : '(no B in this run)') : `after ${ms(heardMs)}`}`,
        );
        expect(bootMs).toBeLessThan(15_000);
        expect(health.status).toBe(200);
        expect(health.body).toMatchObject({ status: 'degraded', services: { redis: 'unhealthy' } });
        expect(send?.status).toBe(201);
        expect(send?.body.data.assistant_message.content).toBe(words(5, 'boot'));
        if (b) expect(heardMs).toBeDefined();
      } finally {
        await service.dispose();
        await own.stop();
      }
    },
    { timeoutMs: 45_000 },
  );

  bugIt(
    'H2-1',
    'while Redis is cut, new sends on the replica work end to end: REST 201, SSE and WebSocket, each in under 2 s, stored completed, billed once each',
    async () => {
      const user = await registerUser(a);
      const conv = await aConversation(a, user);
      const before = await fetchQuota(a, user);
      redis.cut();
      await redisGone(a);
      const reply = slowReply(8, 'cut', 10);
      fake.setDefault(reply);
      const convs = [conv, await aConversation(a, user), await aConversation(a, user)];
      const client = await socket(a, user);
      // One send each way, at once, each in its own conversation.
      const restSend = timed(() =>
        a
          .api()
          .post(`/api/v1/conversations/${convs[0].id}/messages`)
          .set(bearer(user.accessToken))
          .timeout(4000)
          .send({ content: 'Go', role: 'user' })
          .catch(() => undefined),
      );
      const sseSend = timed(async () => {
        const stream = await within(sendSse(a, user, convs[1].id), 4000);
        await stream?.untilEnd(4000).catch(() => undefined);
        return stream;
      });
      const wsSend = timed(() => {
        client.send({
          type: 'chat_message',
          conversation_id: convs[2].id,
          content: 'Go',
          request_id: 'cut-ws',
        });
        return client
          .waitFor((f) => f.type === 'message_end' || f.type === 'error', { timeoutMs: 4000 })
          .catch(() => undefined);
      });
      const [restDone, sseDone, wsDone] = await Promise.all([restSend, sseSend, wsSend]);
      const rest = restDone.value;
      const sse = sseDone.value;
      const wsLast = wsDone.value;
      const took = { rest: restDone.ms, sse: sseDone.ms, ws: wsDone.ms };
      report(
        `sends with Redis cut: REST ${rest ? `${rest.status} ${rest.body?.error?.code ?? ''}`.trim() : 'no answer'} in ${ms(took.rest)}, ` +
          `SSE ${sse ? sseSummary(sse) : 'no answer'} in ${ms(took.sse)}, WebSocket ` +
          `${wsSummary(wsLast?.message_id ? client.framesOf(wsLast.message_id as string) : client.frames)} in ${ms(took.ws)}`,
      );

      expect(rest?.status).toBe(201);
      expect(rest?.body.data.assistant_message.content).toBe(reply.text);
      expect(sse?.status).toBe(200);
      expect(sseText(sse as SseStream)).toBe(reply.text);
      expect(wsLast?.type).toBe('message_end');
      expect(wsText(client.framesOf(wsLast?.message_id as string))).toBe(reply.text);
      for (const spent of Object.values(took)) expect(spent).toBeLessThan(2000);
      const rows = await a.sql<{ status: string }>(
        `SELECT m.status FROM messages m JOIN conversations c ON c.id = m.conversation_id
          WHERE c.user_id = $1 AND m.role = 'assistant'`,
        [user.id],
      );
      expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
      expect((await fetchQuota(a, user)).usage_today).toEqual({
        requests: before.usage_today.requests + 3,
        tokens: before.usage_today.tokens + 3 * 38,
      });
    },
  );

  it('while Redis is cut, stop on the same replica stops replies started before the cut: REST stop of an SSE reply, WebSocket stop; stored stopped, upstream closed', async () => {
    const user = await registerUser(a);
    const conv = await aConversation(a, user);
    fake.script(slowReply(200, 'long-sse', 20), slowReply(200, 'long-ws', 20));
    const sse = await sendSse(a, user, conv.id);
    const client = await socket(a, user);
    const wsId = await sendWs(client, conv.id, 'stop-ws');
    await sse.waitFor((f) => Number(f.id) >= 4);
    await client.waitFor((f) => f.message_id === wsId && f.seq >= 4);
    const sseId = sse.frames[0].data.message_id as string;
    redis.cut();
    await redisGone(a);

    const stop = await a
      .api()
      .post(`/api/v1/messages/${sseId}/stop`)
      .set(bearer(user.accessToken))
      .timeout(4000)
      .send()
      .catch(() => undefined);
    await sse.untilEnd(4000).catch(() => undefined);
    client.send({ type: 'stop', message_id: wsId });
    await wsEnd(client, wsId, 4000).catch(() => undefined);
    report(
      `stop with Redis cut: REST stop ${stop?.status ?? 'no answer'}, SSE ${sseSummary(sse)}; ` +
        `WebSocket stop: ${wsSummary(client.framesOf(wsId))}`,
    );

    expect(stop?.status).toBe(200);
    expect(stop?.body.data).toMatchObject({ id: sseId, status: 'stopped' });
    expect(sse.frames.at(-1)?.data).toMatchObject({ type: 'end', stopped: true });
    const stoppedText = sseText(sse);
    expect(stoppedText.split(' ').length).toBeLessThan(200);
    expect(await stored(a, sseId)).toEqual({ status: 'stopped', content: stoppedText });
    expect(client.framesOf(wsId).at(-1)).toMatchObject({ type: 'message_end', stopped: true });
    expect(await settled(a, wsId)).toEqual({
      status: 'stopped',
      content: wsText(client.framesOf(wsId)),
    });
    expect(fake.chatRequests).toHaveLength(2);
    for (const request of fake.chatRequests)
      expect(await fake.waitForClientClose(request)).toBe(true);
  });

  it('while Redis is cut, resume on the same replica works: SSE with Last-Event-ID and WebSocket resume replay what was missed, then follow live, in order', async () => {
    const user = await registerUser(a);
    const conv = await aConversation(a, user);
    const reply = slowReply(50, 'resume');
    fake.script(reply);
    // Started before the cut: its first events went to Redis, the rest happen without it.
    const first = await sendSse(a, user, conv.id);
    await first.waitFor((f) => Number(f.id) >= 4);
    first.disconnect();
    const messageId = first.frames[0].data.message_id as string;
    redis.cut();
    await redisGone(a);

    const resumed = await openSse(resumeUrl(a, conv.id, messageId), {
      headers: { ...bearer(user.accessToken), 'Last-Event-ID': '4' },
    });
    const client = await socket(a, user);
    client.send({ type: 'resume', message_id: messageId, after: 2 });
    await resumed.untilEnd(8000).catch(() => undefined);
    await wsEnd(client, messageId, 3000).catch(() => undefined);
    const errors = client.frames.filter((f) => f.type === 'error');
    report(
      `resume with Redis cut: SSE after 4 got ${sseSummary(resumed, 5)}, WebSocket after 2 got ` +
        `${wsSummary(client.framesOf(messageId), 3)}${errors.length ? ` + ${errors.length} error frame(s)` : ''}`,
    );

    expect(resumed.status).toBe(200);
    const head = (n: number) =>
      first.frames
        .slice(1, n + 1)
        .map((f) => f.data.content as string)
        .join('');
    expect(head(3) + sseText(resumed, 5)).toBe(reply.text);
    expect(head(1) + wsText(client.framesOf(messageId), 3)).toBe(reply.text);
    expect(errors).toEqual([]);
    expect((await settled(a, messageId))?.status).toBe('completed');
  });

  it('Redis hanging (blackhole): a reply in flight keeps streaming, no pause above 1 s, stored completed; /health says degraded', async () => {
    const user = await registerUser(a);
    const conv = await aConversation(a, user);
    const reply = slowReply(40, 'hang');
    fake.script(reply);
    const stream = await sendSse(a, user, conv.id);
    const times = timeSse(stream);
    await stream.waitFor((f) => Number(f.id) >= 6);
    redis.hang();
    const hungAt = stream.frames.length;
    await stream.untilEnd(8000).catch(() => undefined);
    const messageId = stream.frames[0].data.message_id as string;
    const worst = times.worstGap(hungAt, stream.frames.length - 1);
    const health = await healthUntil(a, 'unhealthy', { boundMs: 1500 });
    report(
      `Redis hanging: reply ${sseSummary(stream)} of 42, worst gap between events after the hang ` +
        `${ms(worst)} (bound ${GAP_BOUND_MS} ms), end ${ms(times.worstGap(stream.frames.length - 1))} ` +
        `after the last content; /health ${health.body.status} in ${ms(health.ms)}`,
    );
    expect(sseText(stream)).toBe(reply.text);
    expect(times.worstGap(hungAt)).toBeLessThan(GAP_BOUND_MS);
    expect(await settled(a, messageId)).toEqual({ status: 'completed', content: reply.text });
    expect(health.body.status).toBe('degraded');
  });

  bugIt(
    'H2-2',
    'Redis hanging (blackhole): a new send and a ws-ticket are answered within the command timeout',
    async () => {
      const user = await registerUser(a);
      const conv = await aConversation(a, user);
      await a.api().get('/api/v1/users/me').set(bearer(user.accessToken)).expect(200);
      redis.hang();
      fake.script(slowReply(5, 'hang-new', 10));
      const [sent, issued] = await Promise.all([
        timed(() =>
          a
            .api()
            .post(`/api/v1/conversations/${conv.id}/messages`)
            .set(bearer(user.accessToken))
            .timeout(4000)
            .send({ content: 'Go', role: 'user' })
            .catch(() => undefined),
        ),
        timed(() =>
          a
            .api()
            .post('/api/v1/auth/ws-ticket')
            .set(bearer(user.accessToken))
            .timeout(4000)
            .send()
            .catch(() => undefined),
        ),
      ]);
      const [send, sendMs, ticket, ticketMs] = [sent.value, sent.ms, issued.value, issued.ms];
      report(
        `Redis hanging: new send ${send?.status ?? 'no answer'} in ${ms(sendMs)}; ` +
          `ws-ticket ${ticket?.status ?? 'no answer'} in ${ms(ticketMs)}`,
      );
      expect(send?.status).toBe(201);
      expect(send?.body.data.assistant_message.content).toBe(words(5, 'hang-new'));
      // At most the rate limiter's Redis timeout (500 ms) plus one shared-client command's (1 s).
      expect(sendMs).toBeLessThan(2500);
      expect(ticket?.status).toBe(200);
      expect(ticketMs).toBeLessThan(2500);
    },
  );

  bugIt(
    'H2-3',
    'WebSocket tickets while Redis is cut: POST /auth/ws-ticket answers 200 at once (kept in memory); the ticket opens a socket on this replica, once',
    async () => {
      const user = await registerUser(a);
      redis.cut();
      await redisGone(a);
      const t0 = performance.now();
      const res = await a.api().post('/api/v1/auth/ws-ticket').set(bearer(user.accessToken)).send();
      const took = performance.now() - t0;
      report(
        `ws-ticket with Redis cut: ${res.status}${res.body?.error ? ` ${res.body.error.code}` : ''} in ${ms(took)}`,
      );
      expect(res.status).toBe(200);
      expect(took).toBeLessThan(1000);
      const query = `?ticket=${encodeURIComponent(res.body.data.ticket)}`;
      const client = await connectWs(chatWsUrl(a.url, query));
      await client.roundTrip();
      expect(await refusedUpgrade(chatWsUrl(a.url, query))).toBe(401);
      // Kept in this replica's memory: another replica cannot take it (clients fall back to ?token=).
      if (b) expect(await refusedUpgrade(chatWsUrl(b.url, query))).toBe(401);
    },
  );

  bugIt(
    'H2-4',
    'Redis restored: /health healthy again within seconds; replicas hear each other again: a reply started on A is followed by a socket on B, resumed over SSE on B and stopped from B; a logout through A closes a socket on B',
    async () => {
      const replicaB = b as TestApp;
      const user = await registerUser(a);
      redis.cut();
      await healthUntil(a, 'unhealthy');
      await sleep(1000);
      redis.restore();
      const restoredAt = performance.now();
      const healthy = await healthUntil(a, 'healthy', { timeoutMs: 15_000 });
      const healthyMs = performance.now() - restoredAt;

      // The bus crosses again once both replicas' subscribers are back: probe with short
      // replies, one sent on each replica, each to be seen by a socket on the other.
      const onA = await socket(a, user);
      const onB = await socket(replicaB, user);
      let probes = 0;
      let crossedMs = 0;
      const probeConv = await aConversation(a, user);
      fake.setDefault({ text: 'probe', chunkIntervalMs: 0 });
      const probe = async (from: TestApp, to: WsClient) => {
        const res = await from
          .api()
          .post(`/api/v1/conversations/${probeConv.id}/messages`)
          .set(bearer(user.accessToken))
          .send({ content: `probe ${probes}`, role: 'user' });
        expect(res.status).toBe(201);
        return Boolean(
          await within(wsEnd(to, res.body.data.assistant_message.id as string, 500), 600),
        );
      };
      for (const deadline = performance.now() + 5000; performance.now() < deadline;) {
        probes += 1;
        const [toB, toA] = [await probe(a, onB), await probe(replicaB, onA)];
        if (toB && toA) {
          crossedMs = performance.now() - restoredAt;
          break;
        }
      }
      report(
        `Redis restored: /health healthy after ${ms(healthyMs)} (${healthy.status} ${healthy.body.status}); ` +
          `replies crossed both ways (A → B, B → A) ${crossedMs ? `after ${ms(crossedMs)}` : 'never'} (${probes} probe round(s))`,
      );
      expect(healthy.body.status).toBe('healthy');
      expect(healthyMs).toBeLessThan(8000);
      expect(crossedMs).toBeGreaterThan(0);
      fake.reset();

      // The whole of cross-replica streaming: follow on B, resume on B, stop from B.
      const conv = await aConversation(a, user);
      fake.script(slowReply(200, 'cross', 20));
      const messageId = await sendWs(onA, conv.id, 'cross');
      await onB.waitFor((f) => f.message_id === messageId && f.seq >= 4);
      const resumed = await openSse(resumeUrl(replicaB, conv.id, messageId), {
        headers: { ...bearer(user.accessToken), 'Last-Event-ID': '2' },
      });
      await resumed.waitFor((f) => Number(f.id) >= 6);
      const stop = await replicaB
        .api()
        .post(`/api/v1/messages/${messageId}/stop`)
        .set(bearer(user.accessToken))
        .send();
      expect(stop.status).toBe(200);
      expect(stop.body.data).toMatchObject({ id: messageId, status: 'stopped' });
      const ends = await Promise.all([wsEnd(onA, messageId), wsEnd(onB, messageId)]);
      for (const end of ends) expect(end).toMatchObject({ type: 'message_end', stopped: true });
      await resumed.untilEnd(5000);
      const text = wsText(onA.framesOf(messageId));
      expect(wsText(onB.framesOf(messageId))).toBe(text);
      expect(
        onA
          .framesOf(messageId)
          .slice(1, 2)
          .map((f) => f.content as string)
          .join('') + sseText(resumed, 3),
      ).toBe(text);
      expect(resumed.frames.at(-1)?.data).toMatchObject({ type: 'end', stopped: true });
      expect(await stored(replicaB, messageId)).toEqual({ status: 'stopped', content: text });

      // Session revocations cross again too.
      const logout = await a.api().post('/api/v1/auth/logout').set(bearer(user.accessToken)).send();
      expect(logout.status).toBe(200);
      expect((await onB.waitForClose()).code).toBe(4401);
    },
    { skip: !SHARED },
  );

  bugIt(
    'H2-5',
    'a reply running on A through a 2 s cut can be followed from B once Redis is back: every event once, in order, to the end',
    async () => {
      const replicaB = b as TestApp;
      const user = await registerUser(a);
      const conv = await aConversation(a, user);
      const reply = slowReply(80, 'through', 50);
      fake.script(reply);
      const stream = await sendSse(a, user, conv.id);
      await stream.waitFor((f) => Number(f.id) >= 5);
      const messageId = stream.frames[0].data.message_id as string;
      redis.cut();
      await sleep(2000);
      redis.restore();
      await until(
        () => a.app.get<unknown, { status: string }>(REDIS).status === 'ready',
        10_000,
        'A to reconnect',
      );
      const onB = await openSse(resumeUrl(replicaB, conv.id, messageId), {
        headers: bearer(user.accessToken),
      });
      await Promise.all([stream.untilEnd(8000), onB.untilEnd(8000)]).catch(() => undefined);
      report(
        `reply through a 2 s cut: on A ${sseSummary(stream)}, followed from B after Redis returned: ${sseSummary(onB)} (of 82)`,
      );
      expect(sseText(stream)).toBe(reply.text);
      expect(sseText(onB)).toBe(reply.text);
    },
    { skip: !SHARED },
  );
});
