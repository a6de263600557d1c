import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { aConversation, bearer, fetchQuota, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, FakeReply, piecesOf, startFakeOpenAi } from '../support/fake-openai';
import { until } from '../support/expect';
import { readSse } from '../support/sse';
import { TITLES_OFF } from '../support/titles';

/** Retry-After in milliseconds, so SDK retries do not wait their default half second. */
const QUICK_RETRY = { 'retry-after-ms': '5' };
const FIRST_TOKEN_TIMEOUT_MS = 600;
const IDLE_TIMEOUT_MS = 400;
const TEXT = Array.from({ length: 10 }, (_, i) => `part${i}`).join(' ');
/** What the fake has streamed after its role chunk and three pieces. */
const THREE_PIECES = piecesOf(TEXT).slice(0, 3).join('');

function expectError(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.success).toBe(false);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.headers['x-request-id']).toBeTruthy();
}

interface Fault {
  name: string;
  /** Replies in order; `always` becomes the fake's default. */
  replies?: FakeReply[];
  always?: FakeReply;
  status: 502 | 504;
  /** The reply's text the model sent before failing. */
  partial: string;
  /** Upstream chat requests the send makes (first try plus SDK retries). */
  requests: number;
  /** The server closes the upstream request itself (a deadline fired). */
  closesUpstream: boolean;
}

const FAULTS: Fault[] = [
  {
    name: '500 on every attempt (retries exhausted)',
    always: { status: 500, headers: QUICK_RETRY },
    status: 502,
    partial: '',
    requests: 3,
    closesUpstream: false,
  },
  {
    name: 'a 401 (not retried)',
    replies: [{ status: 401 }],
    status: 502,
    partial: '',
    requests: 1,
    closesUpstream: false,
  },
  {
    name: 'headers but no first token within LLM_FIRST_TOKEN_TIMEOUT_MS',
    replies: [{ text: TEXT, stallAfterChunks: 0 }],
    status: 504,
    partial: '',
    requests: 1,
    closesUpstream: true,
  },
  {
    name: 'no answer at all (not even headers)',
    replies: [{ stallBeforeHeaders: true }],
    status: 504,
    partial: '',
    requests: 1,
    closesUpstream: true,
  },
  {
    name: 'a stall mid-stream longer than LLM_IDLE_TIMEOUT_MS',
    replies: [{ text: TEXT, chunkIntervalMs: 5, stallAfterChunks: 4 }],
    status: 504,
    partial: THREE_PIECES,
    requests: 1,
    closesUpstream: true,
  },
  {
    name: 'the connection cut mid-stream',
    replies: [{ text: TEXT, chunkIntervalMs: 5, cutAfterChunks: 4 }],
    status: 502,
    partial: THREE_PIECES,
    requests: 1,
    closesUpstream: false,
  },
  {
    name: 'garbage in the event stream',
    replies: [{ text: TEXT, chunkIntervalMs: 5, garbageAfterChunks: 4 }],
    status: 502,
    partial: THREE_PIECES,
    requests: 1,
    closesUpstream: false,
  },
  {
    name: 'an error event inside the stream',
    replies: [{ text: TEXT, chunkIntervalMs: 5, errorEventAfterChunks: 4 }],
    status: 502,
    partial: THREE_PIECES,
    requests: 1,
    closesUpstream: false,
  },
  {
    name: 'a stream that ends without a finish reason',
    replies: [{ text: TEXT, chunkIntervalMs: 5, finishReason: null, usage: false, omitDone: true }],
    status: 502,
    partial: TEXT,
    requests: 1,
    closesUpstream: false,
  },
];

describe('Upstream faults during a send', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({
      ...TITLES_OFF,
      OPENAI_API_KEY: 'sk-e2e',
      OPENAI_BASE_URL: fake.baseURL,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '2',
      LLM_REQUEST_TIMEOUT_MS: '3000',
      LLM_FIRST_TOKEN_TIMEOUT_MS: String(FIRST_TOKEN_TIMEOUT_MS),
      LLM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
      MODELS_FILE: undefined,
      MODELS_JSON: undefined,
      DEFAULT_MODEL: undefined,
      RATE_LIMIT_AUTH: '10000',
      RATE_LIMIT_DEFAULT: '100000',
      RATE_LIMIT_MESSAGES: '10000',
    });
    user = await registerUser(t);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const arrange = (fault: Fault) => {
    if (fault.replies) fake.script(...fault.replies);
    if (fault.always) fake.setDefault(fault.always);
  };
  const rowsOf = (conversationId: string) =>
    t.sql<{
      id: string;
      role: string;
      status: string;
      content: string;
      parent_id: string | null;
      tokens_used: number;
    }>(
      'SELECT id, role, status, content, parent_id, tokens_used FROM messages WHERE conversation_id = $1 ORDER BY seq',
      [conversationId],
    );
  const expectStoredFailure = async (conversationId: string, content: string, partial: string) => {
    const rows = await rowsOf(conversationId);
    expect(rows.map((r) => [r.role, r.status, r.content, r.tokens_used])).toEqual([
      ['user', 'completed', content, expect.any(Number)],
      ['assistant', 'failed', partial, 0],
    ]);
    expect(rows[1].parent_id).toBe(rows[0].id);
    return rows;
  };
  const expectUpstream = async (fault: Fault) => {
    expect(fake.chatRequests).toHaveLength(fault.requests);
    if (fault.closesUpstream)
      expect(await fake.waitForClientClose(fake.chatRequests.at(-1)!)).toBe(true);
  };

  describe.each(FAULTS)('$name', (fault) => {
    it(`without streaming → ${fault.status} OPENAI_API_ERROR; the partial reply stored as failed; quota released`, async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      arrange(fault);
      const started = Date.now();

      const res = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: `non-stream: ${fault.name}`, role: 'user' });

      expectError(res, fault.status, 'OPENAI_API_ERROR');
      if (fault.status === 504)
        expect(Date.now() - started).toBeGreaterThanOrEqual(
          Math.min(FIRST_TOKEN_TIMEOUT_MS, IDLE_TIMEOUT_MS) - 50,
        );
      await expectUpstream(fault);
      await expectStoredFailure(conv.id, `non-stream: ${fault.name}`, fault.partial);
      expect(await fetchQuota(t, user)).toEqual(before);
    });

    it('streaming → start, what was generated, then an error event OPENAI_API_ERROR; stored as failed; quota released', async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      arrange(fault);

      const stream = await readSse(`${t.url}/api/v1/conversations/${conv.id}/messages/stream`, {
        headers: bearer(user.accessToken),
        body: { content: `stream: ${fault.name}`, role: 'user' },
      });

      expect(stream.status).toBe(200);
      const events = stream.events;
      expect(stream.frames.map((f) => Number(f.id))).toEqual(events.map((_, i) => i + 1));
      expect(events[0]).toMatchObject({ type: 'start' });
      expect(events.slice(1, -1).every((e) => e.type === 'content')).toBe(true);
      expect(
        events
          .slice(1, -1)
          .map((e) => e.content as string)
          .join(''),
      ).toBe(fault.partial);
      expect(events.at(-1)).toEqual({
        type: 'error',
        error: { code: 'OPENAI_API_ERROR', message: expect.any(String) },
      });
      await expectUpstream(fault);
      const rows = await expectStoredFailure(conv.id, `stream: ${fault.name}`, fault.partial);
      expect(rows[1].id).toBe(events[0].message_id);
      expect(await fetchQuota(t, user)).toEqual(before);
    });
  });

  describe('429 then success (the SDK retries before the first token)', () => {
    it.each([false, true])(
      'stream: %s → the reply, two upstream requests, billed once',
      async (streaming) => {
        const conv = await aConversation(t, user);
        const before = await fetchQuota(t, user);
        fake.script(
          { status: 429, headers: QUICK_RETRY },
          {
            text: 'After a retry.',
            chunkIntervalMs: 5,
            usage: { prompt_tokens: 11, completion_tokens: 3 },
          },
        );
        const url = `${t.url}/api/v1/conversations/${conv.id}/messages${streaming ? '/stream' : ''}`;
        if (streaming) {
          const stream = await readSse(url, {
            headers: bearer(user.accessToken),
            body: { content: 'retry me', role: 'user' },
          });
          expect(stream.status).toBe(200);
          expect(stream.events.at(-1)).toEqual({
            type: 'end',
            usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
            stopped: false,
          });
        } else {
          const res = await t
            .api()
            .post(`/api/v1/conversations/${conv.id}/messages`)
            .set(bearer(user.accessToken))
            .send({ content: 'retry me', role: 'user' });
          expect(res.status).toBe(201);
          expect(res.body.data.assistant_message).toMatchObject({
            content: 'After a retry.',
            status: 'completed',
          });
        }
        expect(fake.chatRequests).toHaveLength(2);
        const rows = await rowsOf(conv.id);
        expect(rows.map((r) => [r.role, r.status, r.content])).toEqual([
          ['user', 'completed', 'retry me'],
          ['assistant', 'completed', 'After a retry.'],
        ]);
        const after = await fetchQuota(t, user);
        expect(after.usage_today).toEqual({
          requests: before.usage_today.requests + 1,
          tokens: before.usage_today.tokens + 14,
        });
      },
    );
  });

  // A send reads the conversation (ownership, context) in one statement and stores its messages
  // in another; a DELETE of the conversation may commit in between. The store then fails on the
  // messages → conversations foreign key, and the send must answer 404 with nothing left behind.
  const onPostgres = process.env.DATABASE_URL !== undefined;
  (onPostgres ? it : it.skip)(
    'a conversation deleted between the read and the store answers 404, stores nothing and releases the quota (real interleaving, PostgreSQL)',
    async () => {
      const conv = await aConversation(t, user, { title: 'vanishes while sending' });
      const before = await fetchQuota(t, user);
      // Another connection holds the user's quota row: the send reads the conversation, then
      // waits on that lock inside its storing statement; the delete commits meanwhile.
      const [{ id: userId }] = await t.sql<{ id: string }>(
        'SELECT user_id AS id FROM conversations WHERE id = $1',
        [conv.id],
      );
      await t.sql(
        `INSERT INTO quota_counters (user_id, day, month) VALUES ($1, current_date, date_trunc('month', current_date))
         ON CONFLICT (user_id) DO NOTHING`,
        [userId],
      );
      const other = t.app.get(DataSource).createQueryRunner();
      await other.connect();
      try {
        await other.startTransaction();
        await other.query('SELECT 1 FROM quota_counters WHERE user_id = $1 FOR UPDATE', [userId]);
        const send = t
          .api()
          .post(`/api/v1/conversations/${conv.id}/messages`)
          .set(bearer(user.accessToken))
          .send({ content: 'hello?', role: 'user' })
          .then((res) => res);
        await until(async () => {
          const waiting = await t.sql(
            `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH q AS (INSERT INTO quota_counters%'`,
          );
          return waiting.length > 0;
        });
        await other.query('DELETE FROM conversations WHERE id = $1', [conv.id]);
        await other.commitTransaction();
        expectError(await send, 404, 'RESOURCE_NOT_FOUND');
      } finally {
        if (other.isTransactionActive) await other.rollbackTransaction();
        await other.release();
      }
      expect(fake.chatRequests).toHaveLength(0);
      expect(await t.sql('SELECT id FROM messages WHERE conversation_id = $1', [conv.id])).toEqual(
        [],
      );
      expect((await fetchQuota(t, user)).usage_today).toEqual(before.usage_today);
    },
  );

  it('a store failing on the conversation foreign key answers 404, stores nothing and releases the quota', async () => {
    // Embedded PGlite has one connection, so the interleaving above cannot be staged with a
    // lock; a trigger raises the error the database gives when the conversation is gone.
    const conv = await aConversation(t, user, { title: 'vanishes while sending' });
    const before = await fetchQuota(t, user);
    await t.sql(`CREATE OR REPLACE FUNCTION test_vanish() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE foreign_key_violation USING CONSTRAINT = 'messages_conversation_fk',
          MESSAGE = 'insert or update on table "messages" violates foreign key constraint "messages_conversation_fk"';
      END $$`);
    await t.sql(
      `CREATE TRIGGER test_vanish BEFORE INSERT ON messages FOR EACH ROW
         WHEN (NEW.content = 'vanishing hello?') EXECUTE FUNCTION test_vanish()`,
    );
    try {
      const res = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: 'vanishing hello?', role: 'user' });
      expectError(res, 404, 'RESOURCE_NOT_FOUND');
    } finally {
      await t.sql('DROP TRIGGER test_vanish ON messages');
      await t.sql('DROP FUNCTION test_vanish()');
    }
    expect(fake.chatRequests).toHaveLength(0);
    expect(await t.sql('SELECT id FROM messages WHERE conversation_id = $1', [conv.id])).toEqual(
      [],
    );
    expect((await fetchQuota(t, user)).usage_today).toEqual(before.usage_today);
  });

  it('after a failed reply the conversation goes on', async () => {
    const conv = await aConversation(t, user);
    fake.script({ text: TEXT, chunkIntervalMs: 5, cutAfterChunks: 4 }, { text: 'Fine now.' });
    const failed = await t
      .api()
      .post(`/api/v1/conversations/${conv.id}/messages`)
      .set(bearer(user.accessToken))
      .send({ content: 'first try', role: 'user' });
    expectError(failed, 502, 'OPENAI_API_ERROR');
    const ok = await t
      .api()
      .post(`/api/v1/conversations/${conv.id}/messages`)
      .set(bearer(user.accessToken))
      .send({ content: 'second try', role: 'user' });
    expect(ok.status).toBe(201);
    expect(ok.body.data.assistant_message.content).toBe('Fine now.');
    const messages = fake.chatRequests[1].body?.messages as { role: string; content: string }[];
    expect(messages.at(-1)).toEqual({ role: 'user', content: 'second try' });
    expect(messages[0]).toEqual({ role: 'user', content: 'first try' });
  });
});
