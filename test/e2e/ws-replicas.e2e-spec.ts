import { randomUUID } from 'node:crypto';
import { EVENT_BUS, MemoryEventBus, RedisEventBus } from '../../src/redis/event-bus';
import {
  MemoryStreamLog,
  TieredStreamLog,
  STREAM_LOG,
} from '../../src/modules/generation/stream-log';
import { aConversation, bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { ISO_UTC, until } from '../support/expect';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import {
  chatWsUrl,
  closeAllWs,
  connectWs,
  refusedUpgrade,
  WsClient,
  WsFrame,
} from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

/**
 * Two replicas of the service: two separate Nest applications in this process that share
 * nothing but PostgreSQL and Redis, as two containers behind a load balancer would. A user's
 * sockets on either replica see every generation of that user, wherever it runs; stop,
 * resume and session revocation cross replicas through Redis.
 *
 * These tests need a database and a Redis both replicas can reach, so they are defined only
 * when DATABASE_URL and REDIS_URL are both set (CI's first pass; jest.config.js also runs
 * *replica* files only then). In embedded mode each app gets its own PGlite and an in-process
 * bus: two apps would share nothing, so the replica tests are not defined.
 */
const SHARED = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

const words = (n: number, tag = 'w') => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const strip = (f: WsFrame) => ({ type: f.type, seq: f.seq, content: f.content });

/** One generation's frames, seq from..n in order, each with a timestamp and both ids; returns the text. */
function expectStream(
  frames: WsFrame[],
  ids: { messageId: string; conversationId: string },
  from = 1,
): string {
  expect(frames.map((f) => f.seq)).toEqual(range(from, from + frames.length - 1));
  for (const f of frames) {
    expect(f.timestamp).toMatch(ISO_UTC);
    expect(f.message_id).toBe(ids.messageId);
    expect(f.conversation_id).toBe(ids.conversationId);
  }
  const types = frames.map((f) => f.type);
  if (from === 1) expect(types[0]).toBe('message_start');
  expect(types.at(-1)).toBe('message_end');
  expect(types.slice(from === 1 ? 1 : 0, -1).every((type) => type === 'message_content')).toBe(
    true,
  );
  return frames
    .filter((f) => f.type === 'message_content')
    .map((f) => f.content as string)
    .join('');
}

function appEnv(fake: FakeOpenAi): Record<string, string | undefined> {
  return {
    ...TITLES_OFF,
    OPENAI_API_KEY: 'sk-e2e',
    OPENAI_BASE_URL: fake.baseURL,
    LLM_PROVIDER: 'openai',
    LLM_MAX_RETRIES: '0',
    LLM_REQUEST_TIMEOUT_MS: '5000',
    LLM_FIRST_TOKEN_TIMEOUT_MS: '5000',
    LLM_IDLE_TIMEOUT_MS: '5000',
    MODELS_FILE: undefined,
    MODELS_JSON: undefined,
    DEFAULT_MODEL: undefined,
    CORS_ORIGINS: undefined,
    JWT_ACCESS_TTL: undefined,
    WS_HEARTBEAT_MS: undefined,
    RATE_LIMIT_AUTH: '10000',
    RATE_LIMIT_DEFAULT: '100000',
    RATE_LIMIT_MESSAGES: '10000',
  };
}

async function busReady(t: TestApp): Promise<void> {
  await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
}

const replicaSuites: [string, () => void][] = SHARED
  ? [
      [
        'two replicas sharing PostgreSQL and Redis',
        () => {
          let fake: FakeOpenAi;
          let a: TestApp;
          let b: TestApp;
          let user: RegisteredUser;

          beforeAll(async () => {
            fake = await startFakeOpenAi();
            a = await bootApp(appEnv(fake));
            b = await bootApp(appEnv(fake));
            await Promise.all([busReady(a), busReady(b)]);
            user = await registerUser(a);
          });
          afterEach(async () => {
            await closeAllWs();
            fake.reset();
          });
          afterAll(async () => {
            await a?.close();
            await b?.close();
            await fake?.close();
          });

          const connect = (t: TestApp, token = user.accessToken) =>
            connectWs(chatWsUrl(t.url, `?token=${encodeURIComponent(token)}`));
          const startOn = async (client: WsClient, conversationId: string) => {
            const requestId = randomUUID();
            client.send({
              type: 'chat_message',
              conversation_id: conversationId,
              content: 'Hello from a replica',
              request_id: requestId,
            });
            const frame = await client.waitFor(
              (f) => f.request_id === requestId && f.type !== 'message_content',
              { what: `the answer to ${requestId}` },
            );
            expect(frame.type).toBe('message_start');
            return frame.message_id as string;
          };
          const waitEnd = (client: WsClient, messageId: string) =>
            client.waitFor(
              (f) => f.message_id === messageId && (f.type === 'message_end' || f.type === 'error'),
              { timeoutMs: 10_000, what: `the end of ${messageId}` },
            );
          const statusOf = async (t: TestApp, conversationId: string, messageId: string) => {
            const res = await t
              .api()
              .get(`/api/v1/conversations/${conversationId}/messages`)
              .set(bearer(user.accessToken));
            expect(res.status).toBe(200);
            return (
              res.body.data.messages as { id: string; status: string; content: string }[]
            ).find((m) => m.id === messageId);
          };

          it('both replicas run on Redis (bus and stream log), not on in-process ones', () => {
            for (const replica of [a, b]) {
              expect(replica.app.get(EVENT_BUS)).toBeInstanceOf(RedisEventBus);
              expect(replica.app.get(STREAM_LOG)).toBeInstanceOf(TieredStreamLog);
            }
            expect(a.app.get(EVENT_BUS)).not.toBe(b.app.get(EVENT_BUS));
          });

          it('a socket on B receives the whole stream of a generation started over REST on A', async () => {
            const conv = await aConversation(a, user);
            const text = words(10, 'rest');
            fake.script({ text, chunkIntervalMs: 10 });
            const onB = await connect(b);
            const res = await a
              .api()
              .post(`/api/v1/conversations/${conv.id}/messages`)
              .set(bearer(user.accessToken))
              .send({ content: 'Over REST on A', role: 'user' });
            expect(res.status).toBe(201);
            const messageId = res.body.data.assistant_message.id as string;
            await waitEnd(onB, messageId);
            expect(
              expectStream(onB.framesOf(messageId), { messageId, conversationId: conv.id }),
            ).toBe(text);
            expect(res.body.data.assistant_message.content).toBe(text);
            expect(fake.chatRequests).toHaveLength(1);
          });

          it('a socket on B receives the whole stream of a generation started by a socket on A, the same frames', async () => {
            const conv = await aConversation(a, user);
            const text = words(12, 'ws');
            fake.script({ text, chunkIntervalMs: 10 });
            const onA = await connect(a);
            const onB = await connect(b);
            const messageId = await startOn(onA, conv.id);
            await Promise.all([waitEnd(onA, messageId), waitEnd(onB, messageId)]);
            const ids = { messageId, conversationId: conv.id };
            expect(expectStream(onA.framesOf(messageId), ids)).toBe(text);
            expect(expectStream(onB.framesOf(messageId), ids)).toBe(text);
            expect(onB.framesOf(messageId).map(strip)).toEqual(onA.framesOf(messageId).map(strip));
            expect(onB.framesOf(messageId)[0].request_id).toBeUndefined();
          });

          it("another user's socket on B receives nothing of it", async () => {
            const stranger = await registerUser(b);
            const conv = await aConversation(a, user);
            fake.script({ text: words(4, 'private'), chunkIntervalMs: 5 });
            const onA = await connect(a);
            const strangerOnB = await connect(b, stranger.accessToken);
            const messageId = await startOn(onA, conv.id);
            await waitEnd(onA, messageId);
            await strangerOnB.roundTrip();
            expect(strangerOnB.frames.map((f) => f.type)).toEqual(['pong']);
          });

          it('stop sent to B stops the generation running on A: both sockets get message_end stopped, stored stopped, upstream closed', async () => {
            const conv = await aConversation(a, user);
            fake.script({ text: words(200, 'long'), chunkIntervalMs: 20 });
            const onA = await connect(a);
            const onB = await connect(b);
            const messageId = await startOn(onA, conv.id);
            await onB.waitFor((f) => f.message_id === messageId && f.seq >= 3);

            onB.send({ type: 'stop', message_id: messageId });
            const ends = await Promise.all([waitEnd(onA, messageId), waitEnd(onB, messageId)]);
            for (const end of ends)
              expect(end).toMatchObject({ type: 'message_end', stopped: true });
            const ids = { messageId, conversationId: conv.id };
            const text = expectStream(onA.framesOf(messageId), ids);
            expect(expectStream(onB.framesOf(messageId), ids)).toBe(text);
            expect(text.split(' ').length).toBeLessThan(200);

            expect(fake.chatRequests).toHaveLength(1);
            expect(await fake.waitForClientClose(fake.chatRequests[0])).toBe(true);
            expect(await statusOf(b, conv.id, messageId)).toMatchObject({
              status: 'stopped',
              content: text,
            });
            expect(onB.frames.filter((f) => f.type === 'error')).toEqual([]);
          });

          it('REST stop through B stops a generation running on A', async () => {
            const conv = await aConversation(a, user);
            fake.script({ text: words(200, 'rest-stop'), chunkIntervalMs: 20 });
            const onA = await connect(a);
            const messageId = await startOn(onA, conv.id);
            await onA.waitFor((f) => f.message_id === messageId && f.seq >= 3);
            const res = await b
              .api()
              .post(`/api/v1/messages/${messageId}/stop`)
              .set(bearer(user.accessToken))
              .send();
            expect(res.status).toBe(200);
            expect(res.body.data).toMatchObject({ id: messageId, status: 'stopped' });
            expect(await waitEnd(onA, messageId)).toMatchObject({ stopped: true });
            expect(await fake.waitForClientClose(fake.chatRequests[0])).toBe(true);
          });

          it.each(['A', 'B'])(
            'resume on replica %s mid-generation: the missed frames, then the live ones, in order, without duplicates',
            async (where) => {
              const conv = await aConversation(a, user);
              const text = words(40, 'resume');
              fake.script({ text, chunkIntervalMs: 15 });
              const starter = await connect(a);
              const messageId = await startOn(starter, conv.id);
              await starter.waitFor((f) => f.message_id === messageId && f.seq >= 6);

              const replica = where === 'A' ? a : b;
              const fromZero = await connect(replica);
              const fromFour = await connect(replica);
              fromZero.send({ type: 'resume', message_id: messageId, after: 0 });
              fromFour.send({ type: 'resume', message_id: messageId, after: 4 });
              // They joined mid-generation: what follows is part replay, part live.
              expect(starter.frames.some((f) => f.type === 'message_end')).toBe(false);
              await Promise.all([starter, fromZero, fromFour].map((c) => waitEnd(c, messageId)));

              const ids = { messageId, conversationId: conv.id };
              const all = starter.framesOf(messageId);
              expect(expectStream(all, ids)).toBe(text);
              expect(expectStream(fromZero.framesOf(messageId), ids)).toBe(text);
              expect(fromZero.framesOf(messageId).map(strip)).toEqual(all.map(strip));
              expectStream(fromFour.framesOf(messageId), ids, 5);
              expect(fromFour.framesOf(messageId).map(strip)).toEqual(all.slice(4).map(strip));
              expect(fromZero.frames).toHaveLength(all.length);
              expect(fromFour.frames).toHaveLength(all.length - 4);
            },
          );

          it('the same request_id on A then on B is one generation and one upstream call', async () => {
            const conv = await aConversation(a, user);
            const text = words(6, 'idem');
            fake.script({ text, chunkIntervalMs: 5 });
            const requestId = randomUUID();
            const frame = {
              type: 'chat_message',
              conversation_id: conv.id,
              content: 'Once across replicas',
              request_id: requestId,
            };
            const onA = await connect(a);
            onA.send(frame);
            const first = await onA.waitForType('message_start');
            await waitEnd(onA, first.message_id as string);

            const onB = await connect(b);
            onB.send(frame);
            const again = await onB.waitForType('message_start');
            expect(again).toMatchObject({ message_id: first.message_id, request_id: requestId });
            await waitEnd(onB, first.message_id as string);
            expect(
              expectStream(onB.framesOf(first.message_id as string), {
                messageId: first.message_id as string,
                conversationId: conv.id,
              }),
            ).toBe(text);
            expect(fake.chatRequests).toHaveLength(1);
          });

          it("logout through A closes the user's socket on B with 4401", async () => {
            const other = await registerUser(a);
            const onB = await connect(b, other.accessToken);
            await onB.roundTrip();
            const res = await a
              .api()
              .post('/api/v1/auth/logout')
              .set(bearer(other.accessToken))
              .send();
            expect(res.status).toBe(200);
            expect((await onB.waitForClose()).code).toBe(4401);
            expect(
              await refusedUpgrade(
                chatWsUrl(b.url, `?token=${encodeURIComponent(other.accessToken)}`),
              ),
            ).toBe(401);
          });

          it('a password change through B closes the sockets of other sessions on A with 4401', async () => {
            const other = await registerUser(a);
            const login = await b
              .api()
              .post('/api/v1/auth/login')
              .send({ username: other.username, password: other.password });
            expect(login.status).toBe(200);
            const onA = await connect(a, other.accessToken);
            const ownOnA = await connect(a, login.body.data.access_token);
            const res = await b
              .api()
              .post('/api/v1/users/me/change-password')
              .set(bearer(login.body.data.access_token))
              .send({
                current_password: other.password,
                new_password: 'replica-new-password-1',
                confirm_password: 'replica-new-password-1',
              });
            expect(res.status).toBe(200);
            expect((await onA.waitForClose()).code).toBe(4401);
            await ownOnA.roundTrip();
            expect(ownOnA.isOpen).toBe(true);
          });

          it('a ticket issued by A opens a socket on B, once', async () => {
            const res = await a
              .api()
              .post('/api/v1/auth/ws-ticket')
              .set(bearer(user.accessToken))
              .send();
            expect(res.status).toBe(200);
            const query = `?ticket=${encodeURIComponent(res.body.data.ticket)}`;
            const onB = await connectWs(chatWsUrl(b.url, query));
            await onB.roundTrip();
            expect(await refusedUpgrade(chatWsUrl(a.url, query))).toBe(401);
          });

          it('closing the socket on A that started a generation does not stop it: the socket on B gets it all, stored completed', async () => {
            const conv = await aConversation(a, user);
            const text = words(15, 'keeps');
            fake.script({ text, chunkIntervalMs: 15 });
            const onA = await connect(a);
            const onB = await connect(b);
            const messageId = await startOn(onA, conv.id);
            await onA.waitForType('message_content', { messageId });
            await onA.close();
            await waitEnd(onB, messageId);
            expect(
              expectStream(onB.framesOf(messageId), { messageId, conversationId: conv.id }),
            ).toBe(text);
            await until(
              async () => (await statusOf(b, conv.id, messageId))?.status === 'completed',
              5000,
              'the reply to be stored',
            );
          });
        },
      ],
    ]
  : [];

for (const [name, body] of replicaSuites) describe(name, body);

// Never reached under jest.config.js (which ignores *replica* files without both services),
// but a file loaded some other way must not be an empty suite: check the single-app wiring.
if (!SHARED) {
  describe('a single replica (no shared PostgreSQL and Redis in this run)', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await bootApp({ LLM_PROVIDER: 'offline', OPENAI_API_KEY: undefined });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('uses Redis for its event bus and stream log exactly when REDIS_URL is set', () => {
      const redis = Boolean(process.env.REDIS_URL);
      expect(t.app.get(EVENT_BUS)).toBeInstanceOf(redis ? RedisEventBus : MemoryEventBus);
      expect(t.app.get(STREAM_LOG)).toBeInstanceOf(redis ? TieredStreamLog : MemoryStreamLog);
    });
  });
}
