import type { Socket } from 'node:net';
import { aConversation, bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { until } from '../support/expect';
import { FakeOpenAi, fakeOpenAiEnv, startFakeOpenAi } from '../support/fake-openai';
import { readSse } from '../support/sse';
import {
  chatWsUrl,
  closeAllWs,
  connectWs,
  refusedUpgrade,
  WsClient,
  WsFrame,
} from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';
import { WS_CLOSE_POLICY } from '../../src/modules/chat/ws-events';

/**
 * Every WebSocket frame is metered and bounded (issue 13, item 1), end to end over the real `ws`
 * client: the per-user frame budgets (pings apart), the per-socket queue, the close with 1008 of a
 * client that goes on after its refusals, one live follow per socket per reply, the `resumes`
 * budget shared by the SSE resume route and the `resume` frame, and WS_MAX_SOCKETS_PER_USER.
 * Runs on the embedded database, and on PostgreSQL + Redis (budgets and slots in Redis) when
 * DATABASE_URL and REDIS_URL are set. Each test has users of its own: every budget is per user.
 */

const LIMITS = {
  WS_RATE_LIMIT_FRAMES: '10',
  WS_RATE_LIMIT_PINGS: '20',
  WS_MAX_QUEUED_FRAMES: '4',
  WS_MAX_REFUSALS: '3',
  RATE_LIMIT_RESUMES: '4',
  WS_MAX_SOCKETS_PER_USER: '3',
};

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const words = (n: number, tag = 'w') => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const isRefusal = (f: WsFrame) => f.type === 'error' && f.error?.code === 'RATE_LIMIT_EXCEEDED';

/** The underlying TCP socket of a `ws` client, to send a burst of frames in one write. */
const tcpOf = (client: WsClient) => (client.ws as unknown as { _socket: Socket })._socket;

describe('WebSocket limits: frame budgets, queue, one follow per reply, socket cap', () => {
  let fake: FakeOpenAi;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({ ...fakeOpenAiEnv(fake), ...TITLES_OFF, ...LIMITS });
  });
  afterEach(async () => {
    await closeAllWs();
    fake.reset();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const connect = (user: RegisteredUser) =>
    connectWs(chatWsUrl(t.url, `?token=${user.accessToken}`));

  describe('frame budgets', () => {
    it("refuses the user's frames past WS_RATE_LIMIT_FRAMES a minute over all their sockets, with retry_after; pings and other users go on", async () => {
      const user = await registerUser(t);
      const [a, b] = [await connect(user), await connect(user)];
      for (let i = 0; i < 10; i++) {
        const client = i % 2 ? b : a;
        const from = client.frames.length;
        client.send({ type: 'dance', request_id: `d-${i}` });
        await client.waitFor((f) => f.request_id === `d-${i}`, { from });
      }
      expect([...a.frames, ...b.frames].every((f) => f.error?.code === 'VALIDATION_ERROR')).toBe(
        true,
      );
      a.send({ type: 'dance', request_id: 'over' });
      const refused = await a.waitFor((f) => f.request_id === 'over');
      expect(refused).toMatchObject({
        type: 'error',
        error: {
          code: 'RATE_LIMIT_EXCEEDED',
          details: { group: 'ws_frames', limit: 10, window_seconds: 60 },
        },
      });
      expect(refused.error.details.retry_after).toBeGreaterThanOrEqual(1);
      expect(refused.error.details.retry_after).toBeLessThanOrEqual(60);
      // The other socket of the user is over too; its pings (another budget) are answered.
      b.send({ type: 'dance', request_id: 'over-b' });
      expect(await b.waitFor((f) => f.request_id === 'over-b')).toMatchObject({
        error: { code: 'RATE_LIMIT_EXCEEDED' },
      });
      await a.roundTrip();
      await b.roundTrip();
      // Another user is not held up.
      const other = await connect(await registerUser(t));
      other.send({ type: 'dance', request_id: 'fine' });
      expect(await other.waitFor((f) => f.request_id === 'fine')).toMatchObject({
        error: { code: 'VALIDATION_ERROR' },
      });
    });

    it('counts pings in WS_RATE_LIMIT_PINGS, apart from the other frames', async () => {
      const user = await registerUser(t);
      const client = await connect(user);
      for (let i = 0; i < 20; i++) await client.roundTrip();
      client.send({ type: 'ping', request_id: 'p-over' });
      expect(await client.waitFor((f) => f.request_id === 'p-over')).toMatchObject({
        error: { code: 'RATE_LIMIT_EXCEEDED', details: { group: 'ws_pings', limit: 20 } },
      });
      client.send({ type: 'dance', request_id: 'other-budget' });
      expect(await client.waitFor((f) => f.request_id === 'other-budget')).toMatchObject({
        error: { code: 'VALIDATION_ERROR' },
      });
    });

    it('closes with 1008 a socket that goes on past WS_MAX_REFUSALS refusals; a new socket is refused frame by frame', async () => {
      const user = await registerUser(t);
      const client = await connect(user);
      for (let i = 0; i < 10; i++) {
        client.send({ type: 'dance', request_id: `d-${i}` });
        await client.waitFor((f) => f.request_id === `d-${i}`);
      }
      for (let i = 0; i < 3; i++) {
        client.send({ type: 'dance', request_id: `over-${i}` });
        expect(await client.waitFor((f) => f.request_id === `over-${i}`)).toMatchObject({
          error: { code: 'RATE_LIMIT_EXCEEDED' },
        });
      }
      expect(client.isOpen).toBe(true);
      client.send({ type: 'dance', request_id: 'too-far' });
      const closed = await client.waitForClose(5000);
      expect(closed).toEqual({ code: WS_CLOSE_POLICY, reason: 'rate limit exceeded' });
      expect(client.frames.filter(isRefusal)).toHaveLength(3);
      expect(client.frames.some((f) => f.request_id === 'too-far')).toBe(false);
      // The budget is the user's: a new socket is refused at once, and closed the same way.
      const again = await connect(user);
      for (let i = 0; i < 5; i++) again.send({ type: 'dance' });
      expect((await again.waitForClose(5000)).code).toBe(WS_CLOSE_POLICY);
      expect(again.frames.filter(isRefusal)).toHaveLength(3);
    });
  });

  describe('the per-socket queue', () => {
    it('refuses frames that find WS_MAX_QUEUED_FRAMES waiting, then closes with 1008 as they keep coming', async () => {
      const user = await registerUser(t);
      const client = await connect(user);
      // 30 frames in one write: they arrive together, faster than a stop (a database read) is handled.
      const tcp = tcpOf(client);
      tcp.cork();
      for (let i = 0; i < 30; i++)
        client.send({
          type: 'stop',
          message_id: '00000000-0000-4000-8000-000000000000',
          request_id: `s-${i}`,
        });
      tcp.uncork();
      const closed = await client.waitForClose(5000);
      expect(closed.code).toBe(WS_CLOSE_POLICY);
      const refusals = client.frames.filter(isRefusal);
      expect(refusals).toHaveLength(3);
      for (const refusal of refusals)
        expect(refusal.error.details).toEqual({ group: 'ws_queue', limit: 4, retry_after: 1 });
      // The socket closed while its queue was still being handled: those answers are not sent.
      expect(client.frames.every(isRefusal)).toBe(true);
      // Another socket of the user was not touched.
      await (await connect(user)).roundTrip();
    });
  });

  describe('one live follow per socket per reply', () => {
    it('a second resume of the same reply on a socket replaces the first: each frame after it comes once', async () => {
      const user = await registerUser(t);
      const conversation = await aConversation(t, user);
      const text = words(30, 'r');
      fake.script({ text, chunkIntervalMs: 25 });
      const client = await connect(user);
      const tab = await connect(user);
      client.send({
        type: 'chat_message',
        conversation_id: conversation.id,
        content: 'Count',
        request_id: 'go',
      });
      const start = await client.waitFor((f) => f.type === 'message_start');
      const messageId = start.message_id as string;
      await client.waitFor((f) => f.message_id === messageId && f.seq >= 4);
      // The socket already follows the reply (it sent it); it resumes it twice more.
      client.send({ type: 'resume', message_id: messageId, after: 0, request_id: 'r-1' });
      await client.waitFor((f) => f.request_id === 'r-1' && f.type === 'message_start');
      client.send({ type: 'resume', message_id: messageId, after: 0, request_id: 'r-2' });
      await client.waitFor((f) => f.request_id === 'r-2' && f.type === 'message_start');
      const end = await client.waitFor(
        (f) => f.message_id === messageId && f.type === 'message_end',
        { timeoutMs: 10_000 },
      );
      await client.roundTrip();
      const mine = client.framesOf(messageId);
      // One end only: the replaced follows ended without one.
      expect(mine.filter((f) => f.type === 'message_end')).toEqual([end]);
      // From the last resume on, the reply once, in order.
      const last = mine.findIndex((f) => f.request_id === 'r-2');
      const n = end.seq as number;
      expect(mine.slice(last).map((f) => f.seq)).toEqual(range(1, n));
      expect(
        mine
          .slice(last)
          .filter((f) => f.type === 'message_content')
          .map((f) => f.content as string)
          .join(''),
      ).toBe(text);
      // The other tab's follow was not touched: the reply once.
      await tab.waitFor((f) => f.message_id === messageId && f.type === 'message_end');
      expect(tab.framesOf(messageId).map((f) => f.seq)).toEqual(range(1, n));
    });
  });

  describe('one resume budget for HTTP and WebSocket', () => {
    it('RATE_LIMIT_RESUMES counts the SSE resume route and resume frames together', async () => {
      const user = await registerUser(t);
      const conversation = await aConversation(t, user);
      const sent = await t
        .api()
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: 'Hi' });
      expect(sent.status).toBe(201);
      const messageId = sent.body.data.assistant_message.id as string;
      const resumeUrl = `${t.url}/api/v1/conversations/${conversation.id}/messages/${messageId}/stream`;
      const overHttp = () => readSse(resumeUrl, { headers: bearer(user.accessToken) });

      const first = await overHttp();
      expect(first.status).toBe(200);
      expect(first.headers['ratelimit-limit']).toBe('4');
      expect(first.headers['ratelimit-remaining']).toBe('3');
      const client = await connect(user);
      for (const id of ['w-1', 'w-2']) {
        client.send({ type: 'resume', message_id: messageId, request_id: id });
        await client.waitFor((f) => f.request_id === id && f.type === 'message_start');
      }
      expect((await overHttp()).status).toBe(200);
      client.send({ type: 'resume', message_id: messageId, request_id: 'w-3' });
      expect(await client.waitFor((f) => f.request_id === 'w-3')).toMatchObject({
        type: 'error',
        error: { code: 'RATE_LIMIT_EXCEEDED', details: { group: 'resumes', limit: 4 } },
      });
      const refused = await t
        .api()
        .get(`/api/v1/conversations/${conversation.id}/messages/${messageId}/stream`)
        .set(bearer(user.accessToken));
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({
        code: 'RATE_LIMIT_EXCEEDED',
        details: { group: 'resumes', limit: 4 },
      });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Other routes of the user are not counted in it.
      const me = await t.api().get('/api/v1/users/me').set(bearer(user.accessToken));
      expect(me.status).toBe(200);
    });
  });

  describe('WS_MAX_SOCKETS_PER_USER', () => {
    it('refuses the upgrade of one socket more with 429, leaves the open ones working, and takes a new one once one closes', async () => {
      const user = await registerUser(t);
      const url = chatWsUrl(t.url, `?token=${user.accessToken}`);
      const open = [await connect(user), await connect(user), await connect(user)];
      expect(await refusedUpgrade(url)).toBe(429);
      for (const client of open) await client.roundTrip();
      // Another user has sockets of their own.
      await (await connect(await registerUser(t))).roundTrip();
      await open[0].close();
      let replacement: WsClient | undefined;
      await until(
        async () => {
          const next = new WsClient(url);
          const ok = await next.opened.then(
            () => true,
            () => false,
          );
          if (ok) replacement = next;
          return ok;
        },
        5000,
        'a slot to free up',
      );
      await replacement!.roundTrip();
      expect(await refusedUpgrade(url)).toBe(429);
    });
  });
});
