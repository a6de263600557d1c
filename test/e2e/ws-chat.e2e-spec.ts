import { randomUUID } from 'node:crypto';
import { EVENT_BUS } from '../../src/redis/event-bus';
import {
  aConversation,
  bearer,
  ConversationData,
  registerUser,
  RegisteredUser,
  setQuotaCounters,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { ISO_UTC, UUID, until } from '../support/expect';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { chatWsUrl, closeAllWs, connectWs, WsClient, WsFrame } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

/**
 * The WebSocket chat (API.md §6) end to end, over the real `ws` client and the fake OpenAI
 * server: the protocol, REST's rules applied to frames, bad input, a user's several sockets,
 * stop, resume and idempotency. Runs on the embedded database and, when REDIS_URL is set,
 * on Redis (stream log, event bus, tickets) as CI's first pass does.
 */

const words = (n: number, tag = 'w') => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

const isEndOf = (messageId: string) => (f: WsFrame) =>
  f.message_id === messageId && (f.type === 'message_end' || f.type === 'error');

/**
 * Checks one generation's frames as a client saw them: message_start (when `from` is 1),
 * message_content…, message_end; seq from..n without gaps or repeats; every frame with a
 * timestamp and both ids. Returns the streamed text.
 */
function expectStream(
  frames: WsFrame[],
  ids: { messageId: string; conversationId: string },
  from = 1,
): string {
  expect(frames.length).toBeGreaterThanOrEqual(from === 1 ? 2 : 1);
  expect(frames.map((f) => f.seq)).toEqual(range(from, from + frames.length - 1));
  for (const f of frames) {
    expect(f.timestamp).toMatch(ISO_UTC);
    expect(f.message_id).toBe(ids.messageId);
    expect(f.conversation_id).toBe(ids.conversationId);
  }
  const types = frames.map((f) => f.type);
  if (from === 1) expect(types[0]).toBe('message_start');
  expect(types.at(-1)).toBe('message_end');
  const middle = types.slice(from === 1 ? 1 : 0, -1);
  expect(middle.every((type) => type === 'message_content')).toBe(true);
  return frames
    .filter((f) => f.type === 'message_content')
    .map((f) => f.content as string)
    .join('');
}

describe('WebSocket chat: /api/v1/ws/chat (API.md §6)', () => {
  let fake: FakeOpenAi;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({
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
    });
    // With Redis, the bus subscribes asynchronously: wait until it hears its channels.
    await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
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
    connectWs(chatWsUrl(t.url, `?token=${encodeURIComponent(user.accessToken)}`));
  /** Sends a chat_message with a fresh request id and waits for its message_start. */
  const start = async (
    client: WsClient,
    conversationId: string,
    fields: Record<string, unknown> = {},
  ): Promise<WsFrame> => {
    const requestId = randomUUID();
    const from = client.frames.length;
    client.send({
      type: 'chat_message',
      conversation_id: conversationId,
      content: 'Hello, world!',
      request_id: requestId,
      ...fields,
    });
    return client.waitFor(
      (f) => f.request_id === requestId && (f.type === 'message_start' || f.type === 'error'),
      { from, what: `the answer to ${requestId}` },
    );
  };
  const waitEnd = (client: WsClient, messageId: string, timeoutMs = 10_000) =>
    client.waitFor(isEndOf(messageId), { timeoutMs, what: `the end of ${messageId}` });
  const messagesOf = async (user: RegisteredUser, conversationId: string) => {
    const res = await t
      .api()
      .get(`/api/v1/conversations/${conversationId}/messages?order=asc`)
      .set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    return res.body.data.messages as {
      id: string;
      role: string;
      content: string;
      status: string;
    }[];
  };
  const rowCount = async (conversationId: string): Promise<number> => {
    const [row] = await t.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
      [conversationId],
    );
    return row.n;
  };

  describe('the protocol', () => {
    let user: RegisteredUser;
    let conv: ConversationData;

    beforeAll(async () => {
      user = await registerUser(t);
      conv = await aConversation(t, user);
    });

    it('streams message_start, message_content…, message_end with seq 1..n, timestamps, ids, the request id and the usage', async () => {
      const text = words(12, 'piece');
      fake.script({
        text,
        chunkIntervalMs: 5,
        usage: { prompt_tokens: 31, completion_tokens: 12 },
      });
      const client = await connect(user);
      const content = 'Tell me twelve pieces';
      client.send({
        type: 'chat_message',
        conversation_id: conv.id,
        content,
        model: 'gpt-4',
        temperature: 0.5,
        max_tokens: 100,
        request_id: 'req-first',
      });
      const startFrame = await client.waitForType('message_start');
      const messageId = startFrame.message_id as string;
      expect(messageId).toMatch(UUID);
      expect(startFrame).toMatchObject({
        conversation_id: conv.id,
        request_id: 'req-first',
        user_message_id: expect.stringMatching(UUID),
        seq: 1,
      });
      const end = await waitEnd(client, messageId);
      expect(end).toMatchObject({
        type: 'message_end',
        usage: { prompt_tokens: 31, completion_tokens: 12, total_tokens: 43 },
        stopped: false,
      });
      const frames = client.framesOf(messageId);
      expect(expectStream(frames, { messageId, conversationId: conv.id })).toBe(text);
      expect(frames).toHaveLength(1 + 12 + 1);

      // One upstream call, with the frame's model and options.
      expect(fake.chatRequests).toHaveLength(1);
      expect(fake.chatRequests[0].body).toMatchObject({
        model: 'gpt-4',
        temperature: 0.5,
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content }],
      });
      // Stored like a REST send: the user's message and the completed reply.
      const stored = await messagesOf(user, conv.id);
      expect(stored.slice(-2).map((m) => [m.id, m.role, m.content, m.status])).toEqual([
        [startFrame.user_message_id, 'user', content, 'completed'],
        [messageId, 'assistant', text, 'completed'],
      ]);
    });

    it('answers ping with pong, with a timestamp', async () => {
      const client = await connect(user);
      const pong = await client.roundTrip();
      expect(pong.timestamp).toMatch(ISO_UTC);
      expect(client.frames).toEqual([pong]);
    });

    it('sends an upstream failure after message_start as an error frame with the ids, seq and request id', async () => {
      fake.script({ status: 500 });
      const client = await connect(user);
      const startFrame = await start(client, conv.id);
      expect(startFrame.type).toBe('message_start');
      const messageId = startFrame.message_id as string;
      const error = await waitEnd(client, messageId);
      expect(error).toMatchObject({
        type: 'error',
        error: { code: 'OPENAI_API_ERROR', message: expect.any(String) },
        message_id: messageId,
        conversation_id: conv.id,
        request_id: startFrame.request_id,
        seq: 2,
      });
      expect(error.timestamp).toMatch(ISO_UTC);
      const stored = await messagesOf(user, conv.id);
      expect(stored.find((m) => m.id === messageId)?.status).toBe('failed');
    });
  });

  describe('REST rules apply to chat_message', () => {
    let user: RegisteredUser;
    let conv: ConversationData;

    beforeAll(async () => {
      user = await registerUser(t);
      conv = await aConversation(t, user);
    });

    it.each<[string, Record<string, unknown>]>([
      ['empty content', { content: '' }],
      ['content over 10,000 characters', { content: 'a'.repeat(10_001) }],
      ['no content', { content: undefined }],
      ['role "system"', { role: 'system' }],
      ['role "assistant"', { role: 'assistant' }],
      ['temperature 3', { temperature: 3 }],
      ['temperature as a string', { temperature: '0.5' }],
      ['an unknown model', { model: 'gpt-unknown' }],
      ['max_tokens above the model limit', { max_tokens: 1_000_000 }],
      ['max_tokens 0', { max_tokens: 0 }],
      ['a conversation_id that is not a UUID', { conversation_id: 'not-a-uuid' }],
      ['no conversation_id', { conversation_id: undefined }],
    ])(
      'refuses %s with a VALIDATION_ERROR frame echoing request_id, storing and calling nothing',
      async (_name, fields) => {
        const before = await rowCount(conv.id);
        const client = await connect(user);
        const answer = await start(client, conv.id, fields);
        expect(answer).toMatchObject({
          type: 'error',
          error: { code: 'VALIDATION_ERROR', message: expect.any(String) },
        });
        expect(answer.timestamp).toMatch(ISO_UTC);
        expect(answer.message_id).toBeUndefined();
        // The socket stays usable.
        await client.roundTrip();
        expect(client.frames.filter((f) => f.type !== 'pong')).toEqual([answer]);
        expect(await rowCount(conv.id)).toBe(before);
        expect(fake.chatRequests).toHaveLength(0);
      },
    );

    it('refuses a request_id PostgreSQL cannot store (U+0000) with a VALIDATION_ERROR frame, storing nothing', async () => {
      const before = await rowCount(conv.id);
      const client = await connect(user);
      client.send({
        type: 'chat_message',
        conversation_id: conv.id,
        content: 'Hello',
        request_id: 'a\u0000b',
      });
      const answer = await client.waitFor((f) => f.type === 'error', { what: 'the error frame' });
      expect(answer.error).toMatchObject({ code: 'VALIDATION_ERROR' });
      await client.roundTrip();
      expect(await rowCount(conv.id)).toBe(before);
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('accepts content of exactly 10,000 characters', async () => {
      const client = await connect(user);
      const answer = await start(client, conv.id, { content: 'b'.repeat(10_000) });
      expect(answer.type).toBe('message_start');
      const end = await waitEnd(client, answer.message_id as string);
      expect(end.type).toBe('message_end');
      expect(fake.chatRequests).toHaveLength(1);
    });

    it("answers RESOURCE_NOT_FOUND for another user's conversation and for an unknown one", async () => {
      const other = await registerUser(t);
      const theirs = await aConversation(t, other);
      const client = await connect(user);
      for (const conversationId of [theirs.id, randomUUID()]) {
        const answer = await start(client, conversationId);
        expect(answer).toMatchObject({ type: 'error', error: { code: 'RESOURCE_NOT_FOUND' } });
      }
      expect(await rowCount(theirs.id)).toBe(0);
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('answers QUOTA_EXCEEDED when no request is left today, and sends once one is', async () => {
      const quoted = await registerUser(t);
      const mine = await aConversation(t, quoted);
      await setQuotaCounters(t, quoted.id, { dayRequests: 50 });
      const client = await connect(quoted);
      const refused = await start(client, mine.id);
      expect(refused).toMatchObject({ type: 'error', error: { code: 'QUOTA_EXCEEDED' } });
      expect(refused.message_id).toBeUndefined();
      expect(await rowCount(mine.id)).toBe(0);
      expect(fake.chatRequests).toHaveLength(0);

      await setQuotaCounters(t, quoted.id, { dayRequests: 49 });
      const accepted = await start(client, mine.id);
      expect(accepted.type).toBe('message_start');
      await waitEnd(client, accepted.message_id as string);
      expect(fake.chatRequests).toHaveLength(1);
    });
  });

  describe('bad frames', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it.each<[string, string]>([
      ['not JSON', 'hello {'],
      ['a JSON array', '[{"type":"ping"}]'],
      ['JSON null', 'null'],
      ['a JSON number', '42'],
      ['a JSON string', '"ping"'],
      ['an unknown type', '{"type":"shout"}'],
      ['no type', '{"content":"hi"}'],
      ['a type that is not a string', '{"type":["ping"]}'],
      ['stop without message_id', '{"type":"stop"}'],
      ['stop with a bad message_id', '{"type":"stop","message_id":"nope"}'],
      [
        'resume with a negative after',
        `{"type":"resume","message_id":"${randomUUID()}","after":-1}`,
      ],
      ['resume with after as text', `{"type":"resume","message_id":"${randomUUID()}","after":"3"}`],
      ['auth without token', '{"type":"auth"}'],
    ])('answers %s with a VALIDATION_ERROR frame and keeps the socket open', async (_name, raw) => {
      const client = await connect(user);
      client.sendRaw(raw);
      const error = await client.waitForType('error');
      expect(error.error).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.any(String) });
      expect(error.timestamp).toMatch(ISO_UTC);
      await client.roundTrip();
      expect(client.isOpen).toBe(true);
      expect(client.frames.map((f) => f.type)).toEqual(['error', 'pong']);
    });

    it('takes a frame of exactly 64 KiB and refuses a larger one by closing with 1009', async () => {
      const client = await connect(user);
      const skeleton = JSON.stringify({ type: 'ping', pad: '' });
      const exact = JSON.stringify({ type: 'ping', pad: 'x'.repeat(64 * 1024 - skeleton.length) });
      expect(Buffer.byteLength(exact)).toBe(64 * 1024);
      client.sendRaw(exact);
      await client.waitForType('pong');

      client.sendRaw(JSON.stringify({ type: 'ping', pad: 'x'.repeat(64 * 1024) }));
      const closed = await client.waitForClose();
      expect(closed.code).toBe(1009);
      expect(client.frames.map((f) => f.type)).toEqual(['pong']);
    });

    it('never crashes on input: after all of the above a new connection chats normally', async () => {
      const client = await connect(user);
      client.sendRaw(Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
      client.sendRaw('{"type":"chat_message","conversation_id":"' + randomUUID() + '"');
      await client.roundTrip();
      const fresh = await connect(user);
      const conv = await aConversation(t, user);
      const answer = await start(fresh, conv.id);
      expect(answer.type).toBe('message_start');
      const end = await waitEnd(fresh, answer.message_id as string);
      expect(end.type).toBe('message_end');
      expect((await t.api().get('/api/v1/health')).status).toBe(200);
    });
  });

  describe("a user's several sockets (tabs)", () => {
    let user: RegisteredUser;
    let stranger: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
      stranger = await registerUser(t);
    });

    it.each([0, 1])(
      "both sockets receive the whole stream of a generation started by socket %i; another user's socket receives nothing",
      async (starter) => {
        const conv = await aConversation(t, user);
        const text = words(8, `tab${starter}`);
        fake.script({ text, chunkIntervalMs: 10 });
        const tabs = [await connect(user), await connect(user)];
        const outsider = await connect(stranger);

        const startFrame = await start(tabs[starter], conv.id);
        expect(startFrame.type).toBe('message_start');
        const messageId = startFrame.message_id as string;
        for (const tab of tabs) await waitEnd(tab, messageId);

        const seen = tabs.map((tab) => tab.framesOf(messageId));
        for (const frames of seen) {
          expect(expectStream(frames, { messageId, conversationId: conv.id })).toBe(text);
        }
        const strip = (f: WsFrame) => ({ type: f.type, seq: f.seq, content: f.content });
        expect(seen[0].map(strip)).toEqual(seen[1].map(strip));
        // Only the socket that asked gets its request id back.
        expect(seen[starter][0].request_id).toBe(startFrame.request_id);
        expect(seen[1 - starter][0].request_id).toBeUndefined();
        // Every frame either tab got belongs to this generation.
        for (const tab of tabs) expect(tab.frames).toHaveLength(seen[0].length);

        await outsider.roundTrip();
        expect(outsider.frames.map((f) => f.type)).toEqual(['pong']);
        expect(fake.chatRequests).toHaveLength(1);
      },
    );

    it('both sockets receive a generation started over REST (POST …/messages)', async () => {
      const conv = await aConversation(t, user);
      const text = words(6, 'rest');
      fake.script({ text, chunkIntervalMs: 10 });
      const tabs = [await connect(user), await connect(user)];
      const outsider = await connect(stranger);

      const res = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: 'From REST', role: 'user' });
      expect(res.status).toBe(201);
      const messageId = res.body.data.assistant_message.id as string;
      for (const tab of tabs) {
        await waitEnd(tab, messageId);
        expect(expectStream(tab.framesOf(messageId), { messageId, conversationId: conv.id })).toBe(
          text,
        );
        expect(tab.framesOf(messageId)[0].user_message_id).toBe(res.body.data.user_message.id);
      }
      expect(res.body.data.assistant_message.content).toBe(text);
      await outsider.roundTrip();
      expect(outsider.frames.map((f) => f.type)).toEqual(['pong']);
    });

    it("both sockets are told of a rename (conversation_updated); another user's socket is not", async () => {
      const conv = await aConversation(t, user);
      const tabs = [await connect(user), await connect(user)];
      const outsider = await connect(stranger);

      await t
        .api()
        .put(`/api/v1/conversations/${conv.id}`)
        .set(bearer(user.accessToken))
        .send({ title: 'Trip plans' })
        .expect(200);
      for (const tab of tabs) {
        const frame = await tab.waitForType('conversation_updated');
        expect(frame).toEqual({
          type: 'conversation_updated',
          conversation_id: conv.id,
          title: 'Trip plans',
          timestamp: expect.any(String),
        });
      }
      await outsider.roundTrip();
      expect(outsider.frames.map((f) => f.type)).toEqual(['pong']);
    });

    it('closing the socket that started a generation does not stop it: it completes and is stored', async () => {
      const conv = await aConversation(t, user);
      const text = words(20, 'goes-on');
      fake.script({ text, chunkIntervalMs: 20 });
      const client = await connect(user);
      const startFrame = await start(client, conv.id);
      const messageId = startFrame.message_id as string;
      await client.waitForType('message_content', { messageId });
      await client.close();

      await until(
        async () =>
          (await messagesOf(user, conv.id)).find((m) => m.id === messageId)?.status !== 'streaming',
        10_000,
        'the generation to end',
      );
      const stored = (await messagesOf(user, conv.id)).find((m) => m.id === messageId);
      expect(stored).toMatchObject({ status: 'completed', content: text });
      expect(fake.chatRequests).toHaveLength(1);
      expect(fake.chatRequests[0].finished).toBe(true);
      expect(fake.chatRequests[0].closedByClient).toBe(false);
    });
  });

  describe('stop', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('stop from any socket ends the generation: every socket gets message_end stopped, the reply is stored as stopped, the upstream is closed', async () => {
      const conv = await aConversation(t, user);
      fake.script({ text: words(200, 'long'), chunkIntervalMs: 20 });
      const starter = await connect(user);
      const other = await connect(user);
      const startFrame = await start(starter, conv.id);
      const messageId = startFrame.message_id as string;
      await other.waitFor((f) => f.type === 'message_content' && f.message_id === messageId);
      await starter.waitFor((f) => f.type === 'message_content' && f.seq >= 3);

      other.send({ type: 'stop', message_id: messageId });
      const ends = await Promise.all([starter, other].map((c) => waitEnd(c, messageId)));
      for (const end of ends) {
        expect(end).toMatchObject({ type: 'message_end', stopped: true });
        const usage = end.usage as Record<string, number>;
        expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
      }
      const texts = [starter, other].map((c) =>
        expectStream(c.framesOf(messageId), { messageId, conversationId: conv.id }),
      );
      expect(texts[0]).toBe(texts[1]);
      expect(texts[0].split(' ').length).toBeLessThan(200);

      expect(await fake.waitForClientClose(fake.chatRequests[0])).toBe(true);
      const stored = (await messagesOf(user, conv.id)).find((m) => m.id === messageId);
      expect(stored).toMatchObject({ status: 'stopped', content: texts[0] });
      // Nothing is sent in answer to the stop frame itself but the end.
      expect(other.frames.filter((f) => f.type === 'error')).toEqual([]);
    });

    it("answers RESOURCE_NOT_FOUND to a stop of another user's message or of an unknown id", async () => {
      const other = await registerUser(t);
      const theirs = await aConversation(t, other);
      fake.script({ text: words(100, 'theirs'), chunkIntervalMs: 20 });
      const theirSocket = await connect(other);
      const theirStart = await start(theirSocket, theirs.id);
      const client = await connect(user);
      for (const messageId of [theirStart.message_id as string, randomUUID()]) {
        const from = client.frames.length;
        client.send({ type: 'stop', message_id: messageId, request_id: 'stop-1' });
        const error = await client.waitForType('error', { from });
        expect(error).toMatchObject({
          error: { code: 'RESOURCE_NOT_FOUND' },
          request_id: 'stop-1',
        });
      }
      // Their generation went on.
      await theirSocket.waitFor((f) => f.type === 'message_content' && f.seq >= 5);
      expect(fake.chatRequests[0].closedByClient).toBe(false);
      theirSocket.send({ type: 'stop', message_id: theirStart.message_id });
      await waitEnd(theirSocket, theirStart.message_id as string);
    });
  });

  describe('resume', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('a socket connecting mid-generation gets the missed frames and then the live ones, in order, without duplicates (after = 0 and after = N)', async () => {
      const conv = await aConversation(t, user);
      const text = words(40, 'live');
      fake.script({ text, chunkIntervalMs: 15 });
      const first = await connect(user);
      const startFrame = await start(first, conv.id);
      const messageId = startFrame.message_id as string;
      await first.waitFor((f) => f.message_id === messageId && f.seq >= 6);

      const late = await connect(user);
      const later = await connect(user);
      late.send({ type: 'resume', message_id: messageId, after: 0 });
      later.send({ type: 'resume', message_id: messageId, after: 4 });
      // They joined mid-generation: what follows is part replay, part live.
      expect(first.frames.some(isEndOf(messageId))).toBe(false);
      const ends = await Promise.all([first, late, later].map((c) => waitEnd(c, messageId)));
      for (const end of ends) expect(end.type).toBe('message_end');

      const ids = { messageId, conversationId: conv.id };
      expect(expectStream(first.framesOf(messageId), ids)).toBe(text);
      expect(expectStream(late.framesOf(messageId), ids)).toBe(text);
      const tail = later.framesOf(messageId);
      expectStream(tail, ids, 5);
      const strip = (f: WsFrame) => ({ type: f.type, seq: f.seq, content: f.content });
      expect(tail.map(strip)).toEqual(first.framesOf(messageId).slice(4).map(strip));
      expect(late.frames).toHaveLength(late.framesOf(messageId).length);
      expect(later.frames).toHaveLength(tail.length);
    });

    it('resume of an ended generation replays it from after', async () => {
      const conv = await aConversation(t, user);
      const text = words(5, 'done');
      fake.script({ text, chunkIntervalMs: 5 });
      const client = await connect(user);
      const startFrame = await start(client, conv.id);
      const messageId = startFrame.message_id as string;
      await waitEnd(client, messageId);
      const original = client.framesOf(messageId);

      const again = await connect(user);
      again.send({ type: 'resume', message_id: messageId, after: 2, request_id: 'again' });
      await waitEnd(again, messageId);
      const replay = again.framesOf(messageId);
      expectStream(replay, { messageId, conversationId: conv.id }, 3);
      const strip = (f: WsFrame) => ({ type: f.type, seq: f.seq, content: f.content });
      expect(replay.map(strip)).toEqual(original.slice(2).map(strip));
    });

    it("answers RESOURCE_NOT_FOUND to a resume of another user's message or of an unknown id", async () => {
      const other = await registerUser(t);
      const theirs = await aConversation(t, other);
      fake.script({ text: words(3, 'theirs'), chunkIntervalMs: 5 });
      const theirSocket = await connect(other);
      const theirStart = await start(theirSocket, theirs.id);
      await waitEnd(theirSocket, theirStart.message_id as string);

      const client = await connect(user);
      for (const messageId of [theirStart.message_id as string, randomUUID()]) {
        const from = client.frames.length;
        client.send({ type: 'resume', message_id: messageId, after: 0, request_id: 'peek' });
        const error = await client.waitForType('error', { from });
        expect(error).toMatchObject({ error: { code: 'RESOURCE_NOT_FOUND' }, request_id: 'peek' });
      }
      await client.roundTrip();
      expect(client.frames.map((f) => f.type)).toEqual(['error', 'error', 'pong']);
    });
  });

  describe('idempotency (request_id)', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('the same request_id sent twice starts one generation (one message_id, one upstream call) and streams it once', async () => {
      const conv = await aConversation(t, user);
      const text = words(10, 'once');
      fake.script({ text, chunkIntervalMs: 10 });
      const client = await connect(user);
      const requestId = randomUUID();
      const frame = {
        type: 'chat_message',
        conversation_id: conv.id,
        content: 'Only once, please',
        request_id: requestId,
      };
      client.send(frame);
      client.send(frame);
      const startFrame = await client.waitForType('message_start');
      const messageId = startFrame.message_id as string;
      await waitEnd(client, messageId);
      await client.roundTrip();

      expect(client.frames.filter((f) => f.type === 'error')).toEqual([]);
      expect(new Set(client.frames.filter((f) => f.message_id).map((f) => f.message_id))).toEqual(
        new Set([messageId]),
      );
      expect(expectStream(client.framesOf(messageId), { messageId, conversationId: conv.id })).toBe(
        text,
      );
      expect(fake.chatRequests).toHaveLength(1);
      expect(await rowCount(conv.id)).toBe(2);

      // Retried later from another socket: the same generation again, nothing new upstream.
      const retry = await connect(user);
      retry.send(frame);
      const replayStart = await retry.waitForType('message_start');
      expect(replayStart).toMatchObject({ message_id: messageId, request_id: requestId });
      await waitEnd(retry, messageId);
      expect(expectStream(retry.framesOf(messageId), { messageId, conversationId: conv.id })).toBe(
        text,
      );
      expect(fake.chatRequests).toHaveLength(1);
      expect(await rowCount(conv.id)).toBe(2);
    });

    it('a request_id reused with a different body → error frame VALIDATION_ERROR, nothing started', async () => {
      const conv = await aConversation(t, user);
      fake.script({ text: 'first answer', chunkIntervalMs: 5 });
      const client = await connect(user);
      const requestId = randomUUID();
      const frame = { type: 'chat_message', conversation_id: conv.id, request_id: requestId };
      client.send({ ...frame, content: 'first body' });
      const first = await client.waitForType('message_start');
      await waitEnd(client, first.message_id as string);

      client.send({ ...frame, content: 'another body' });
      const error = await client.waitFor((f) => f.type === 'error' && f.request_id === requestId);
      expect(error.error).toMatchObject({ code: 'VALIDATION_ERROR' });
      await client.roundTrip();
      expect(client.frames.filter((f) => f.type === 'message_start')).toHaveLength(1);
      expect(fake.chatRequests).toHaveLength(1);
      expect(await rowCount(conv.id)).toBe(2);
    });

    it('different request_ids start different generations', async () => {
      const conv = await aConversation(t, user);
      fake.setDefault({ text: 'short answer', chunkIntervalMs: 5 });
      const client = await connect(user);
      const a = await start(client, conv.id);
      await waitEnd(client, a.message_id as string);
      const b = await start(client, conv.id);
      await waitEnd(client, b.message_id as string);
      expect(a.message_id).not.toBe(b.message_id);
      expect(fake.chatRequests).toHaveLength(2);
    });
  });
});
