import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { countChatTokens, countTextTokens } from '../../src/modules/llm/tokenizer';
import {
  aConversation,
  bearer,
  ConversationData,
  fetchQuota,
  insertMessage,
  MessageRow,
  QuotaData,
  registerUser,
  RegisteredUser,
  setQuotaCounters,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, piecesOf, startFakeOpenAi } from '../support/fake-openai';
import { readSse } from '../support/sse';
import { ISO_UTC, UUID, fieldsOf, until, utcResets } from '../support/expect';
import { TITLES_OFF } from '../support/titles';

const MESSAGE_FIELDS = [
  'attachments',
  'content',
  'conversation_id',
  'created_at',
  'id',
  'model',
  'parent_id',
  'role',
  'sibling_count',
  'sibling_index',
  'status',
  'tokens_used',
  'updated_at',
];

/** The catalog of these tests: two contract models, a large-context one and a tiny-context one. */
const MODELS = [
  {
    id: 'gpt-3.5-turbo',
    name: 'GPT-3.5 Turbo',
    max_tokens: 4096,
    context_window: 4096,
    cost_per_1k_tokens: { input: 0.001, output: 0.002 },
    capabilities: ['text', 'code'],
  },
  {
    id: 'gpt-4',
    name: 'GPT-4',
    max_tokens: 8192,
    context_window: 8192,
    cost_per_1k_tokens: { input: 0.03, output: 0.06 },
    capabilities: ['text', 'code', 'reasoning'],
  },
  {
    id: 'gpt-4-turbo',
    name: 'GPT-4 Turbo',
    max_tokens: 4096,
    context_window: 128000,
    cost_per_1k_tokens: { input: 0.01, output: 0.03 },
    capabilities: ['text', 'code'],
  },
  {
    id: 'tiny-ctx',
    name: 'Tiny context',
    max_tokens: 50,
    context_window: 300,
    cost_per_1k_tokens: { input: 0, output: 0 },
    capabilities: ['text'],
  },
];

interface MessageData {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: string;
  content: string;
  status: string;
  model: string | null;
  tokens_used: number;
  created_at: string;
  updated_at: string;
}

type StoredMessage = MessageRow & {
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
};

function expectError(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.success).toBe(false);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.timestamp).toMatch(ISO_UTC);
  expect(res.headers['x-request-id']).toBeTruthy();
}

describe('Sending a message: POST /conversations/:id/messages (openai provider)', () => {
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
      MODELS_JSON: JSON.stringify(MODELS),
      DEFAULT_MODEL: undefined,
      RATE_LIMIT_AUTH: '10000',
      RATE_LIMIT_DEFAULT: '100000',
      RATE_LIMIT_MESSAGES: '10000',
    });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const send = (
    user: RegisteredUser,
    conversationId: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) =>
    t
      .api()
      .post(`/api/v1/conversations/${conversationId}/messages`)
      .set(bearer(user.accessToken))
      .set(headers)
      .send(body as object);
  const stored = (conversationId: string) =>
    t.sql<StoredMessage>('SELECT * FROM messages WHERE conversation_id = $1 ORDER BY seq', [
      conversationId,
    ]);
  const messageCount = async (conversationId: string): Promise<number> => {
    const [row] = await t.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
      [conversationId],
    );
    return row.n;
  };

  describe('a successful send', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('answers 201 with both messages and the provider-reported usage, stores them, and bills the reported total', async () => {
      const conv = await aConversation(t, user, { title: 'capitals' });
      const before = await fetchQuota(t, user);
      const reply = 'Paris is the capital of France.';
      fake.script({
        text: reply,
        chunkIntervalMs: 5,
        usage: { prompt_tokens: 123, completion_tokens: 7 },
      });
      const content = 'What is the capital of France?';

      const res = await send(user, conv.id, {
        content,
        role: 'user',
        temperature: 0.3,
        max_tokens: 200,
      });

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ success: true, message: expect.any(String) });
      expect(res.body.timestamp).toMatch(ISO_UTC);
      expect(Object.keys(res.body.data).sort()).toEqual([
        'assistant_message',
        'usage',
        'user_message',
      ]);
      const {
        user_message: um,
        assistant_message: am,
        usage,
      } = res.body.data as {
        user_message: MessageData;
        assistant_message: MessageData;
        usage: unknown;
      };
      expect(Object.keys(um).sort()).toEqual(MESSAGE_FIELDS);
      expect(Object.keys(am).sort()).toEqual(MESSAGE_FIELDS);
      expect(um).toMatchObject({
        id: expect.stringMatching(UUID),
        conversation_id: conv.id,
        parent_id: null,
        role: 'user',
        content,
        status: 'completed',
        model: 'gpt-3.5-turbo',
        tokens_used: countTextTokens(content),
        created_at: expect.stringMatching(ISO_UTC),
      });
      expect(am).toMatchObject({
        id: expect.stringMatching(UUID),
        conversation_id: conv.id,
        parent_id: um.id,
        role: 'assistant',
        content: reply,
        status: 'completed',
        model: 'gpt-3.5-turbo',
        tokens_used: 7,
        created_at: expect.stringMatching(ISO_UTC),
      });
      expect(usage).toEqual({ prompt_tokens: 123, completion_tokens: 7, total_tokens: 130 });

      // One upstream call with the conversation's model, the options and the message.
      expect(fake.chatRequests).toHaveLength(1);
      expect(fake.chatRequests[0].headers.authorization).toBe('Bearer sk-e2e');
      expect(fake.chatRequests[0].body).toMatchObject({
        model: 'gpt-3.5-turbo',
        messages: [{ role: 'user', content }],
        temperature: 0.3,
        max_tokens: 200,
        stream: true,
      });

      const rows = await stored(conv.id);
      expect(
        rows.map((r) => [r.id, r.role, r.status, r.content, r.parent_id, r.tokens_used]),
      ).toEqual([
        [um.id, 'user', 'completed', content, null, countTextTokens(content)],
        [am.id, 'assistant', 'completed', reply, um.id, 7],
      ]);
      expect([rows[1].prompt_tokens, rows[1].completion_tokens]).toEqual([123, 7]);

      // Read back through the API, each with its status.
      const list = await t
        .api()
        .get(`/api/v1/conversations/${conv.id}/messages?order=asc`)
        .set(bearer(user.accessToken));
      expect(list.status).toBe(200);
      expect(
        (list.body.data.messages as MessageData[]).map((m) => [
          m.id,
          m.role,
          m.status,
          m.content,
          m.tokens_used,
        ]),
      ).toEqual([
        [um.id, 'user', 'completed', content, countTextTokens(content)],
        [am.id, 'assistant', 'completed', reply, 7],
      ]);
      const detail = await t
        .api()
        .get(`/api/v1/conversations/${conv.id}`)
        .set(bearer(user.accessToken));
      expect(detail.body.data.message_count).toBe(2);

      const after = await fetchQuota(t, user);
      expect(after.usage_today).toEqual({
        requests: before.usage_today.requests + 1,
        tokens: before.usage_today.tokens + 130,
      });
      expect(after.usage_this_month).toEqual({
        requests: before.usage_this_month.requests + 1,
        tokens: before.usage_this_month.tokens + 130,
      });
      expect(after.remaining_today).toEqual({
        requests: before.remaining_today.requests - 1,
        tokens: before.remaining_today.tokens - 130,
      });
    });

    it('gives the model the system message and the earlier turns; each message records its parent', async () => {
      const system = 'You are a geography tutor. Answer briefly.';
      const conv = await aConversation(t, user, { system_message: system });
      fake.script({ text: 'Paris.' }, { text: 'About two million people.' });

      const first = await send(user, conv.id, { content: 'Capital of France?', role: 'user' });
      expect(first.status).toBe(201);
      const second = await send(user, conv.id, {
        content: 'How many people live there?',
        role: 'user',
      });
      expect(second.status).toBe(201);

      expect(fake.chatRequests).toHaveLength(2);
      expect(fake.chatRequests[0].body?.messages).toEqual([
        { role: 'system', content: system },
        { role: 'user', content: 'Capital of France?' },
      ]);
      expect(fake.chatRequests[1].body?.messages).toEqual([
        { role: 'system', content: system },
        { role: 'user', content: 'Capital of France?' },
        { role: 'assistant', content: 'Paris.' },
        { role: 'user', content: 'How many people live there?' },
      ]);

      const d1 = first.body.data as { user_message: MessageData; assistant_message: MessageData };
      const d2 = second.body.data as { user_message: MessageData; assistant_message: MessageData };
      expect(d1.user_message.parent_id).toBeNull();
      expect(d1.assistant_message.parent_id).toBe(d1.user_message.id);
      expect(d2.user_message.parent_id).toBe(d1.assistant_message.id);
      expect(d2.assistant_message.parent_id).toBe(d2.user_message.id);
      expect((await stored(conv.id)).map((r) => [r.id, r.parent_id])).toEqual([
        [d1.user_message.id, null],
        [d1.assistant_message.id, d1.user_message.id],
        [d2.user_message.id, d1.assistant_message.id],
        [d2.assistant_message.id, d2.user_message.id],
      ]);
    });

    it('a message continues a conversation that already has messages: its parent is the last one', async () => {
      const conv = await aConversation(t, user);
      const earlier = await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'user',
        content: 'earlier question',
      });
      const last = await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'assistant',
        content: 'earlier answer',
        parentId: earlier.id,
      });
      const res = await send(user, conv.id, { content: 'next question', role: 'user' });
      expect(res.status).toBe(201);
      expect(res.body.data.user_message.parent_id).toBe(last.id);
      expect(fake.chatRequests[0].body?.messages).toEqual([
        { role: 'user', content: 'earlier question' },
        { role: 'assistant', content: 'earlier answer' },
        { role: 'user', content: 'next question' },
      ]);
    });

    it('uses the model named in the body instead of the conversation’s', async () => {
      const conv = await aConversation(t, user, { model: 'gpt-3.5-turbo' });
      const res = await send(user, conv.id, { content: 'hello', role: 'user', model: 'gpt-4' });
      expect(res.status).toBe(201);
      expect(fake.chatRequests[0].body?.model).toBe('gpt-4');
      expect(res.body.data.assistant_message.model).toBe('gpt-4');
      // The default reply: the fake's text, its usage (42 prompt, one completion token per piece).
      const pieces = piecesOf('Hello from the fake model.').length;
      expect(res.body.data.assistant_message.content).toBe('Hello from the fake model.');
      expect(res.body.data.usage).toEqual({
        prompt_tokens: 42,
        completion_tokens: pieces,
        total_tokens: 42 + pieces,
      });
    });

    it('accepts exactly 10,000 characters and max_tokens equal to the model’s maximum', async () => {
      const conv = await aConversation(t, user, { model: 'gpt-4-turbo' });
      const content = 'x'.repeat(10_000);
      const res = await send(user, conv.id, { content, role: 'user', max_tokens: 4096 });
      expect(res.status).toBe(201);
      expect(res.body.data.user_message.content).toBe(content);
      expect(fake.chatRequests[0].body?.max_tokens).toBe(4096);
    });

    it('accepts role omitted, temperature at both bounds, and Chinese text', async () => {
      const conv = await aConversation(t, user);
      for (const body of [
        { content: '你好，世界' },
        { content: 'cold', role: 'user', temperature: 0 },
        { content: 'hot', role: 'user', temperature: 2 },
      ]) {
        const res = await send(user, conv.id, body);
        expect(res.status).toBe(201);
        expect(res.body.data.user_message).toMatchObject({ role: 'user', content: body.content });
      }
      expect(fake.chatRequests.map((r) => r.body?.temperature)).toEqual([undefined, 0, 2]);
    });
  });

  describe('validation', () => {
    let user: RegisteredUser;
    let conv: ConversationData;
    let quotaBefore: QuotaData;

    beforeAll(async () => {
      user = await registerUser(t);
      conv = await aConversation(t, user);
      quotaBefore = await fetchQuota(t, user);
    });

    it.each([
      ['content missing', { role: 'user' }, 'content'],
      ['content empty', { content: '', role: 'user' }, 'content'],
      ['content of 10,001 characters', { content: 'x'.repeat(10_001), role: 'user' }, 'content'],
      ['content not a string', { content: 42, role: 'user' }, 'content'],
      ['role system', { content: 'hi', role: 'system' }, 'role'],
      ['role assistant', { content: 'hi', role: 'assistant' }, 'role'],
      ['temperature above 2', { content: 'hi', role: 'user', temperature: 2.1 }, 'temperature'],
      ['temperature below 0', { content: 'hi', role: 'user', temperature: -0.5 }, 'temperature'],
      [
        'max_tokens above the model’s maximum (4096)',
        { content: 'hi', role: 'user', max_tokens: 4097 },
        'max_tokens',
      ],
      ['max_tokens 0', { content: 'hi', role: 'user', max_tokens: 0 }, 'max_tokens'],
      [
        'a model not in the catalog',
        { content: 'hi', role: 'user', model: 'gpt-5-imaginary' },
        'model',
      ],
      ['stream not a boolean', { content: 'hi', role: 'user', stream: 'yes' }, 'stream'],
    ])('%s → 422 on that field, on both send endpoints', async (_label, body, field) => {
      const res = await send(user, conv.id, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain(field);

      const streamed = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages/stream`)
        .set(bearer(user.accessToken))
        .send(body);
      expectError(streamed, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(streamed)).toContain(field);
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('max_tokens is checked against the model named in the body', async () => {
      // 5000 is within gpt-4 (8192) but above gpt-3.5-turbo, the conversation's model.
      const res = await send(user, conv.id, {
        content: 'hi',
        role: 'user',
        model: 'gpt-3.5-turbo',
        max_tokens: 5000,
      });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain('max_tokens');
    });

    it('counts characters as the database does: 10,001 code points with variation selectors → 422', async () => {
      // Ten thousand characters as a person counts them, plus two U+FE0F: 10,001 code points.
      const res = await send(user, conv.id, {
        content: `${'x'.repeat(9_999)}\uFE0F\uFE0F`,
        role: 'user',
      });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain('content');
    });

    it('refuses the NUL character (PostgreSQL text cannot hold it) → 422 content', async () => {
      const res = await send(user, conv.id, { content: 'before\u0000after', role: 'user' });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain('content');
    });

    it('none of the refused sends above stored anything or spent quota', async () => {
      expect(await messageCount(conv.id)).toBe(0);
      expect(await fetchQuota(t, user)).toEqual(quotaBefore);
    });

    it('a body that is not a JSON object → 400', async () => {
      const res = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .set('Content-Type', 'application/json')
        .send('{"content": "hi",');
      expectError(res, 400, 'VALIDATION_ERROR');
    });
  });

  describe('context window', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('drops the oldest turns to fit the model’s context window and keeps the newest', async () => {
      const system = 'Be brief.';
      const conv = await aConversation(t, user, { model: 'tiny-ctx', system_message: system });
      // Sixteen turns of about 30 tokens each: far more than the 250 the prompt may use (300 - 50).
      const history: { role: 'user' | 'assistant'; content: string }[] = [];
      let parentId: string | null = null;
      for (let i = 1; i <= 16; i += 1) {
        const role = i % 2 === 1 ? 'user' : 'assistant';
        const content = `turn ${i}: the quick brown fox jumps over the lazy dog, then the dog chases the fox around the yard ${i}`;
        const row = await insertMessage(t, {
          conversationId: conv.id,
          userId: user.id,
          role,
          content,
          parentId,
        });
        parentId = row.id;
        history.push({ role, content });
      }
      const newMessage = 'And the final question?';
      const res = await send(user, conv.id, { content: newMessage, role: 'user' });
      expect(res.status).toBe(201);

      const sent = fake.chatRequests[0].body?.messages as { role: string; content: string }[];
      expect(sent[0]).toEqual({ role: 'system', content: system });
      expect(sent.at(-1)).toEqual({ role: 'user', content: newMessage });
      const kept = sent.slice(1, -1);
      // Some turns were dropped, some kept: the kept ones are the newest, in order.
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(history.length);
      expect(countChatTokens(history)).toBeGreaterThan(300);
      expect(kept).toEqual(history.slice(history.length - kept.length));
      // What was sent fits the window minus the reply budget; one more older turn would not have.
      const budget = 300 - 50;
      expect(countChatTokens(sent as never)).toBeLessThanOrEqual(budget);
      const withOneMore = [sent[0], history[history.length - kept.length - 1], ...sent.slice(1)];
      expect(countChatTokens(withOneMore as never)).toBeGreaterThan(budget);
      expect(fake.chatRequests[0].body?.max_tokens).toBeLessThanOrEqual(50);
    });

    it('a new message that alone does not fit → 422 on content, nothing stored, no upstream call', async () => {
      const conv = await aConversation(t, user, { model: 'tiny-ctx' });
      const before = await fetchQuota(t, user);
      const content = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
      expect(countTextTokens(content)).toBeGreaterThan(300);

      const res = await send(user, conv.id, { content, role: 'user' });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain('content');
      expect(fake.chatRequests).toHaveLength(0);
      expect(await messageCount(conv.id)).toBe(0);
      expect(await fetchQuota(t, user)).toEqual(before);
    });
  });

  describe('quota (API.md §8)', () => {
    it('a normal user with no request left today → 429 QUOTA_EXCEEDED naming the window and its reset; nothing sent or stored', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);
      await setQuotaCounters(t, user.id, { dayRequests: 50, monthRequests: 50 });

      const res = await send(user, conv.id, { content: 'one more?', role: 'user' });
      expectError(res, 429, 'QUOTA_EXCEEDED');
      expect(res.body.error.details).toMatchObject({
        window: 'daily_requests',
        resets_at: utcResets().day,
      });
      const streamed = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages/stream`)
        .set(bearer(user.accessToken))
        .send({ content: 'one more?', role: 'user' });
      expectError(streamed, 429, 'QUOTA_EXCEEDED');
      expect(streamed.body.error.details).toMatchObject({
        window: 'daily_requests',
        resets_at: utcResets().day,
      });

      expect(fake.chatRequests).toHaveLength(0);
      expect(await messageCount(conv.id)).toBe(0);
      const quota = await fetchQuota(t, user);
      expect(quota.usage_today).toEqual({ requests: 50, tokens: 0 });
      expect(quota.remaining_today.requests).toBe(0);
    });

    it('the monthly request limit used up → 429 naming the monthly window and the first of next month', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);
      await setQuotaCounters(t, user.id, { dayRequests: 0, monthRequests: 1000 });
      const res = await send(user, conv.id, { content: 'hi', role: 'user' });
      expectError(res, 429, 'QUOTA_EXCEEDED');
      expect(res.body.error.details).toMatchObject({
        window: 'monthly_requests',
        resets_at: utcResets().month,
      });
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('the daily tokens used up → 429 naming daily_tokens', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);
      await setQuotaCounters(t, user.id, { dayTokens: 10_000, monthTokens: 10_000 });
      const res = await send(user, conv.id, { content: 'hi', role: 'user' });
      expectError(res, 429, 'QUOTA_EXCEEDED');
      expect(res.body.error.details).toMatchObject({
        window: 'daily_tokens',
        resets_at: utcResets().day,
      });
      expect(fake.chatRequests).toHaveLength(0);
    });

    describe('a minimum reply (QUOTA_MIN_REPLY_TOKENS, default 256)', () => {
      const content = 'near the end of the day';
      const prompt = countChatTokens([{ role: 'user', content }]);

      /** A user and conversation whose daily token window has `room` tokens left. */
      async function withRoom(room: number) {
        const user = await registerUser(t);
        const conv = await aConversation(t, user);
        const limit = (await fetchQuota(t, user)).daily_limit.tokens;
        await setQuotaCounters(t, user.id, {
          dayRequests: 7,
          dayTokens: limit - room,
          monthRequests: 7,
          monthTokens: limit - room,
        });
        return { user, conv, limit };
      }

      it.each([
        ['JSON', 'json'],
        ['the SSE route', 'sse'],
        ['stream: true', 'stream-true'],
      ] as const)(
        'room for the prompt and 255 reply tokens → 429 QUOTA_EXCEEDED naming daily_tokens and tokens_needed over %s; nothing sent, stored or billed',
        async (_label, way) => {
          const { user, conv, limit } = await withRoom(prompt + 255);
          const path = way === 'sse' ? 'messages/stream' : 'messages';
          const res = await t
            .api()
            .post(`/api/v1/conversations/${conv.id}/${path}`)
            .set(bearer(user.accessToken))
            .send({ content, role: 'user', ...(way === 'stream-true' ? { stream: true } : {}) });
          expectError(res, 429, 'QUOTA_EXCEEDED');
          expect(res.body.error.details).toMatchObject({
            window: 'daily_tokens',
            limit,
            used: limit - prompt - 255,
            tokens_needed: prompt + 256,
            resets_at: utcResets().day,
          });
          expect(fake.chatRequests).toHaveLength(0);
          expect(await messageCount(conv.id)).toBe(0);
          expect((await fetchQuota(t, user)).usage_today).toEqual({
            requests: 7,
            tokens: limit - prompt - 255,
          });
        },
      );

      it('room for the prompt and exactly 256 → granted, the upstream asked for at most 256', async () => {
        const { user, conv } = await withRoom(prompt + 256);
        fake.script({ text: 'Fits.', usage: { prompt_tokens: prompt, completion_tokens: 2 } });
        const res = await send(user, conv.id, { content, role: 'user' });
        expect(res.status).toBe(201);
        expect(fake.chatRequests).toHaveLength(1);
        expect(fake.chatRequests[0].body?.max_tokens).toBe(256);
      });

      it('a send whose own max_tokens is below 256 needs only that: granted with room for it, refused one token short', async () => {
        const granted = await withRoom(prompt + 40);
        fake.script({ text: 'Small.', usage: { prompt_tokens: prompt, completion_tokens: 2 } });
        const ok = await send(granted.user, granted.conv.id, {
          content,
          role: 'user',
          max_tokens: 40,
        });
        expect(ok.status).toBe(201);
        expect(fake.chatRequests[0].body?.max_tokens).toBe(40);

        const short = await withRoom(prompt + 39);
        const refused = await send(short.user, short.conv.id, {
          content,
          role: 'user',
          max_tokens: 40,
        });
        expectError(refused, 429, 'QUOTA_EXCEEDED');
        expect(refused.body.error.details).toMatchObject({
          window: 'daily_tokens',
          tokens_needed: prompt + 40,
        });
        expect(fake.chatRequests).toHaveLength(1);
      });
    });

    it('a VIP has the larger limits: shown in the quota and still able to send past the normal daily limit', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);
      const normal = await fetchQuota(t, user);
      expect(normal.daily_limit).toEqual({ requests: 50, tokens: 10_000 });
      expect(normal.monthly_limit).toEqual({ requests: 1000, tokens: 100_000 });

      await t.sql('UPDATE users SET is_vip = true WHERE id = $1', [user.id]);
      const vip = await fetchQuota(t, user);
      expect(vip.daily_limit).toEqual({ requests: 200, tokens: 50_000 });
      expect(vip.monthly_limit).toEqual({ requests: 5000, tokens: 500_000 });

      await setQuotaCounters(t, user.id, {
        dayRequests: 50,
        monthRequests: 50,
        dayTokens: 10_000,
        monthTokens: 10_000,
      });
      fake.script({ usage: { prompt_tokens: 20, completion_tokens: 5 } });
      const res = await send(user, conv.id, { content: 'VIP question', role: 'user' });
      expect(res.status).toBe(201);
      const after = await fetchQuota(t, user);
      expect(after.usage_today).toEqual({ requests: 51, tokens: 10_025 });
      expect(after.remaining_today).toEqual({ requests: 149, tokens: 50_000 - 10_025 });

      // Back to normal: the same counters are over the normal limits.
      await t.sql('UPDATE users SET is_vip = false WHERE id = $1', [user.id]);
      const refused = await send(user, conv.id, { content: 'and now?', role: 'user' });
      expectError(refused, 429, 'QUOTA_EXCEEDED');
      expect(fake.chatRequests).toHaveLength(1);
    });
  });

  describe('Idempotency-Key', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('a retried send returns the first send’s result: no second upstream call, charged once', async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      fake.script({ text: 'Only once.', usage: { prompt_tokens: 10, completion_tokens: 3 } });
      const key = `retry-${randomUUID()}`;
      const first = await send(
        user,
        conv.id,
        { content: 'idempotent?', role: 'user' },
        { 'Idempotency-Key': key },
      );
      expect(first.status).toBe(201);
      const again = await send(
        user,
        conv.id,
        { content: 'idempotent?', role: 'user' },
        { 'Idempotency-Key': key },
      );
      expect(again.status).toBe(201);
      expect(again.body.data).toEqual(first.body.data);

      expect(fake.chatRequests).toHaveLength(1);
      expect(await messageCount(conv.id)).toBe(2);
      const after = await fetchQuota(t, user);
      expect(after.usage_today).toEqual({
        requests: before.usage_today.requests + 1,
        tokens: before.usage_today.tokens + 13,
      });

      // Another key is another send.
      const other = await send(
        user,
        conv.id,
        { content: 'idempotent?', role: 'user' },
        { 'Idempotency-Key': `${key}-2` },
      );
      expect(other.status).toBe(201);
      expect(other.body.data.assistant_message.id).not.toBe(first.body.data.assistant_message.id);
      expect(fake.chatRequests).toHaveLength(2);
    });

    it('a retry while the first is still generating attaches to it', async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      const text = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
      fake.script({ text, chunkIntervalMs: 15 });
      const key = `attach-${randomUUID()}`;
      const first = send(
        user,
        conv.id,
        { content: 'slow one', role: 'user' },
        { 'Idempotency-Key': key },
      ).then((r) => r);
      await until(() => fake.chatRequests.length === 1, 5000, 'the first upstream request');
      const [running] = await t.sql<{ status: string }>(
        "SELECT status FROM messages WHERE conversation_id = $1 AND role = 'assistant'",
        [conv.id],
      );
      expect(running.status).toBe('streaming');
      const second = await send(
        user,
        conv.id,
        { content: 'slow one', role: 'user' },
        { 'Idempotency-Key': key },
      );
      const firstRes = await first;
      expect(firstRes.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body.data.assistant_message.id).toBe(firstRes.body.data.assistant_message.id);
      expect(second.body.data.assistant_message.content).toBe(text);
      expect(second.body.data).toEqual(firstRes.body.data);
      expect(fake.chatRequests).toHaveLength(1);
      expect(await messageCount(conv.id)).toBe(2);
      expect((await fetchQuota(t, user)).usage_today.requests).toBe(
        before.usage_today.requests + 1,
      );
    });

    it('sends with the same key at the same moment make one reply, charged once', async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      fake.script({
        text: 'Raced.',
        chunkIntervalMs: 5,
        usage: { prompt_tokens: 9, completion_tokens: 2 },
      });
      const key = `race-${randomUUID()}`;
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          send(user, conv.id, { content: 'at once', role: 'user' }, { 'Idempotency-Key': key }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      const ids = new Set(results.map((r) => r.body.data.assistant_message.id as string));
      expect(ids.size).toBe(1);
      expect(fake.chatRequests).toHaveLength(1);
      expect(await messageCount(conv.id)).toBe(2);
      const after = await fetchQuota(t, user);
      expect(after.usage_today).toEqual({
        requests: before.usage_today.requests + 1,
        tokens: before.usage_today.tokens + 11,
      });
    });

    it('the same key on another conversation → 422 on Idempotency-Key', async () => {
      const a = await aConversation(t, user);
      const b = await aConversation(t, user);
      const key = `moved-${randomUUID()}`;
      expect(
        (await send(user, a.id, { content: 'first', role: 'user' }, { 'Idempotency-Key': key }))
          .status,
      ).toBe(201);
      const res = await send(
        user,
        b.id,
        { content: 'first', role: 'user' },
        { 'Idempotency-Key': key },
      );
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain('Idempotency-Key');
      expect(await messageCount(b.id)).toBe(0);
      expect(fake.chatRequests).toHaveLength(1);
    });

    /** A send with `key` over one of the three ways: JSON, `stream: true`, the SSE route. */
    async function sendVia(
      way: 'json' | 'stream-true' | 'sse',
      conversationId: string,
      body: Record<string, unknown>,
      key: string,
    ): Promise<{ status: number; code?: string; details?: any; messageId?: string }> {
      if (way === 'json') {
        const res = await send(user, conversationId, body, { 'Idempotency-Key': key });
        return {
          status: res.status,
          code: res.body.error?.code,
          details: res.body.error?.details,
          messageId: res.body.data?.assistant_message?.id,
        };
      }
      const path = way === 'sse' ? 'messages/stream' : 'messages';
      const res = await readSse(`${t.url}/api/v1/conversations/${conversationId}/${path}`, {
        headers: { ...bearer(user.accessToken), 'Idempotency-Key': key },
        body: way === 'sse' ? body : { ...body, stream: true },
      });
      const start = res.frames.find((f) => f.data?.type === 'start');
      return {
        status: res.status,
        code: res.json?.error?.code,
        details: res.json?.error?.details,
        messageId: start?.data.message_id,
      };
    }

    it.each([
      ['json', 'other text', { content: 'a different question' }],
      ['json', 'another temperature', { content: 'first question', temperature: 0.2 }],
      ['json', 'another max_tokens', { content: 'first question', max_tokens: 7 }],
      ['stream-true', 'other text', { content: 'a different question' }],
      ['sse', 'other text', { content: 'a different question' }],
      ['sse', 'another model', { content: 'first question', model: 'gpt-4' }],
    ] as const)(
      'the same key with a different body (%s, %s) → 422 VALIDATION_ERROR on Idempotency-Key, nothing started',
      async (way, _what, body) => {
        const conv = await aConversation(t, user);
        const key = `changed-${randomUUID()}`;
        fake.script({ text: 'First.', usage: { prompt_tokens: 5, completion_tokens: 2 } });
        const first = await sendVia(way, conv.id, { content: 'first question' }, key);
        expect(first.messageId).toEqual(expect.stringMatching(UUID));
        const before = await fetchQuota(t, user);

        const res = await sendVia(way, conv.id, { role: 'user', ...body }, key);
        expect([res.status, res.code]).toEqual([422, 'VALIDATION_ERROR']);
        expect(res.details).toMatchObject({
          field: 'Idempotency-Key',
          reason: 'idempotency_key_mismatch',
        });
        expect(res.messageId).toBeUndefined();
        expect(fake.chatRequests).toHaveLength(1);
        expect(await messageCount(conv.id)).toBe(2);
        expect((await fetchQuota(t, user)).usage_today).toEqual(before.usage_today);
      },
    );

    it('the same body replayed — as JSON, `stream: true`, the SSE route, fields reordered — is the first send', async () => {
      const conv = await aConversation(t, user);
      const key = `same-${randomUUID()}`;
      fake.script({ text: 'Once.', usage: { prompt_tokens: 5, completion_tokens: 2 } });
      const body = { content: 'same question', temperature: 0.5, max_tokens: 50 };
      const first = await sendVia('json', conv.id, body, key);
      expect(first.status).toBe(201);
      const reordered = {
        max_tokens: 50,
        role: 'user',
        temperature: 0.5,
        content: 'same question',
      };
      for (const [way, b] of [
        ['json', body],
        ['json', reordered],
        ['stream-true', body],
        ['sse', reordered],
      ] as const) {
        const again = await sendVia(way, conv.id, b, key);
        // 201 with the whole reply, or 200 with its event stream (SSE).
        expect([way, again.status, again.messageId]).toEqual([
          way,
          way === 'json' ? 201 : 200,
          first.messageId,
        ]);
      }
      expect(fake.chatRequests).toHaveLength(1);
      expect(await messageCount(conv.id)).toBe(2);
    });

    it('sends of one key with different bodies at the same moment: one reply, the others 422', async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      fake.script({ text: 'Raced.', chunkIntervalMs: 5 });
      const key = `race-bodies-${randomUUID()}`;
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          send(user, conv.id, { content: `body ${i}`, role: 'user' }, { 'Idempotency-Key': key }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      console.log(`one key, 6 bodies at once: ${statuses.join(' ')}`);
      expect(statuses).toEqual([201, 422, 422, 422, 422, 422]);
      for (const r of results.filter((x) => x.status === 422)) {
        expect(r.body.error.details.field).toBe('Idempotency-Key');
      }
      expect(fake.chatRequests).toHaveLength(1);
      expect(await messageCount(conv.id)).toBe(2);
      expect((await fetchQuota(t, user)).usage_today.requests).toBe(
        before.usage_today.requests + 1,
      );
    });

    it('a key stored before request hashes were kept (no hash) still replays the first send', async () => {
      const conv = await aConversation(t, user);
      const key = `legacy-${randomUUID()}`;
      const first = await sendVia('json', conv.id, { content: 'old key' }, key);
      expect(first.status).toBe(201);
      await t.sql(
        'UPDATE idempotency_keys SET request_hash = NULL WHERE user_id = $1 AND key = $2',
        [user.id, key],
      );
      const again = await sendVia('json', conv.id, { content: 'something else' }, key);
      expect([again.status, again.messageId]).toEqual([201, first.messageId]);
      expect(fake.chatRequests).toHaveLength(1);
    });

    it('keys are per user: another user’s same key is a separate send', async () => {
      const other = await registerUser(t);
      const mine = await aConversation(t, user);
      const theirs = await aConversation(t, other);
      const key = `shared-${randomUUID()}`;
      const a = await send(
        user,
        mine.id,
        { content: 'mine', role: 'user' },
        { 'Idempotency-Key': key },
      );
      const b = await send(
        other,
        theirs.id,
        { content: 'theirs', role: 'user' },
        { 'Idempotency-Key': key },
      );
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.body.data.assistant_message.id).not.toBe(a.body.data.assistant_message.id);
      expect(fake.chatRequests).toHaveLength(2);
    });

    it.each([
      ['300 characters', 'k'.repeat(300)],
      ['with a space', 'has space'],
      ['non-ASCII', 'clé-été'],
    ])('a malformed key (%s) → 400, nothing sent', async (_label, key) => {
      const conv = await aConversation(t, user);
      const res = await send(
        user,
        conv.id,
        { content: 'hi', role: 'user' },
        { 'Idempotency-Key': key },
      );
      expectError(res, 400, 'VALIDATION_ERROR');
      const streamed = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages/stream`)
        .set(bearer(user.accessToken))
        .set('Idempotency-Key', key)
        .send({ content: 'hi', role: 'user' });
      expectError(streamed, 400, 'VALIDATION_ERROR');
      expect(fake.chatRequests).toHaveLength(0);
      expect(await messageCount(conv.id)).toBe(0);
    });
  });

  describe('ownership and identifiers', () => {
    let owner: RegisteredUser;
    let intruder: RegisteredUser;
    let conv: ConversationData;

    beforeAll(async () => {
      owner = await registerUser(t);
      intruder = await registerUser(t);
      conv = await aConversation(t, owner);
    });

    it('another user’s conversation → 404 on both send endpoints; nothing stored, no upstream call', async () => {
      const res = await send(intruder, conv.id, { content: 'let me in', role: 'user' });
      expectError(res, 404, 'RESOURCE_NOT_FOUND');
      const streamed = await readSse(`${t.url}/api/v1/conversations/${conv.id}/messages/stream`, {
        headers: bearer(intruder.accessToken),
        body: { content: 'let me in', role: 'user' },
      });
      expect(streamed.status).toBe(404);
      expect(streamed.json?.error?.code).toBe('RESOURCE_NOT_FOUND');
      expect(await messageCount(conv.id)).toBe(0);
      expect(fake.chatRequests).toHaveLength(0);
      expect((await fetchQuota(t, intruder)).usage_today).toEqual({ requests: 0, tokens: 0 });
    });

    it('an unknown conversation → 404; a malformed id → 400; no token → 401', async () => {
      expectError(
        await send(owner, randomUUID(), { content: 'hi', role: 'user' }),
        404,
        'RESOURCE_NOT_FOUND',
      );
      expectError(
        await send(owner, 'not-a-uuid', { content: 'hi', role: 'user' }),
        400,
        'VALIDATION_ERROR',
      );
      const stream400 = await t
        .api()
        .post('/api/v1/conversations/12345/messages/stream')
        .set(bearer(owner.accessToken))
        .send({ content: 'hi', role: 'user' });
      expectError(stream400, 400, 'VALIDATION_ERROR');
      const anonymous = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .send({ content: 'hi', role: 'user' });
      expectError(anonymous, 401, 'AUTHENTICATION_ERROR');
      expect(fake.chatRequests).toHaveLength(0);
    });
  });

  describe('a provider failure without streaming', () => {
    it('→ 502 OPENAI_API_ERROR in the envelope; the user message is stored, the reply stored as failed; quota released', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      fake.script({ status: 500 });

      const res = await send(user, conv.id, { content: 'will fail', role: 'user' });
      expectError(res, 502, 'OPENAI_API_ERROR');
      expect(fake.chatRequests).toHaveLength(1);

      const rows = await stored(conv.id);
      expect(rows.map((r) => [r.role, r.status, r.content])).toEqual([
        ['user', 'completed', 'will fail'],
        ['assistant', 'failed', ''],
      ]);
      expect(rows[1].parent_id).toBe(rows[0].id);
      expect(await fetchQuota(t, user)).toEqual(before);

      // The conversation goes on: the next send works.
      const next = await send(user, conv.id, { content: 'try again', role: 'user' });
      expect(next.status).toBe(201);
      expect(next.body.data.user_message.parent_id).toBe(rows[1].id);
    });
  });
});

describe('Sending a message with the offline development provider (no OPENAI_API_KEY)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({
      OPENAI_API_KEY: undefined,
      OPENAI_BASE_URL: undefined,
      LLM_PROVIDER: undefined,
      OFFLINE_TOKEN_DELAY_MS: '0',
      MODELS_FILE: undefined,
      MODELS_JSON: undefined,
      DEFAULT_MODEL: undefined,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers a labelled development reply through POST …/messages and the stream endpoint', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user);
    expect(conv.model).toBe('offline-dev');

    const res = await t
      .api()
      .post(`/api/v1/conversations/${conv.id}/messages`)
      .set(bearer(user.accessToken))
      .send({ content: 'What is 2 + 2?', role: 'user' });
    expect(res.status).toBe(201);
    const reply = res.body.data.assistant_message as MessageData;
    expect(reply.content).toMatch(/^\[Offline development model\]/);
    expect(reply.content).toContain('What is 2 + 2?');
    expect(reply.status).toBe('completed');
    expect(reply.tokens_used).toBe(countTextTokens(reply.content));
    expect(res.body.data.usage.completion_tokens).toBe(reply.tokens_used);
    expect(res.body.data.usage.prompt_tokens).toBeGreaterThan(0);
    expect(res.body.data.usage.total_tokens).toBe(
      res.body.data.usage.prompt_tokens + reply.tokens_used,
    );
    // The offline model is priced 0: the request counts, its tokens are not billed (issue 16).
    expect((await fetchQuota(t, user)).usage_today).toEqual({ requests: 1, tokens: 0 });

    const stream = await readSse(`${t.url}/api/v1/conversations/${conv.id}/messages/stream`, {
      headers: bearer(user.accessToken),
      body: { content: 'And 3 + 3?', role: 'user' },
    });
    expect(stream.status).toBe(200);
    const events = stream.events;
    expect(events[0]).toMatchObject({ type: 'start', message_id: expect.stringMatching(UUID) });
    expect(events.at(-1)).toMatchObject({ type: 'end', stopped: false });
    const text = events
      .filter((e) => e.type === 'content')
      .map((e) => e.content as string)
      .join('');
    expect(text).toMatch(/^\[Offline development model\]/);
    expect(text).toContain('And 3 + 3?');
    const [row] = await t.sql<{ content: string; status: string }>(
      'SELECT content, status FROM messages WHERE id = $1',
      [events[0].message_id],
    );
    expect(row).toEqual({ content: text, status: 'completed' });
  });
});
