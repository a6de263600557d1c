import { randomUUID } from 'node:crypto';
import { countChatTokens } from '../../src/modules/llm/tokenizer';
import { EVENT_BUS } from '../../src/redis/event-bus';
import {
  aConversation,
  bearer,
  ConversationData,
  fetchQuota,
  registerUser,
  RegisteredUser,
  setQuotaCounters,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { utcResets } from '../support/expect';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { readSse } from '../support/sse';
import { chatWsUrl, closeAllWs, connectWs, WsClient } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

/**
 * Issue 6: the last unit of a quota window raced by 200 sends at once over every way of
 * sending — POST …/messages (JSON), POST …/messages/stream, POST …/messages with
 * `stream: true`, and WebSocket `chat_message` on several sockets of the same user. The
 * reservation is one conditional UPDATE (QuotaRepository.reserve): whatever the transport,
 * a window is never overspent, and a refused send reaches neither the provider nor the
 * database. The e2e quota-race suite does the same at 50, over REST and SSE only.
 */

const SENDS = 200;
const SOCKETS = 10;
/** The message every racer sends: the same text, so every prompt counts the same tokens. */
const CONTENT = 'one more question, please';
/** The prompt the app estimates for CONTENT in an empty conversation with no system message. */
const PROMPT_TOKENS = countChatTokens([{ role: 'user', content: CONTENT }]);

type Kind = 'json' | 'stream endpoint' | 'stream: true' | 'websocket';
const KINDS: Kind[] = ['json', 'stream endpoint', 'stream: true', 'websocket'];

interface Outcome {
  kind: Kind;
  /** HTTP status; for WebSocket 200 for a reply started, 429/… mapped from the error code. */
  status: number;
  code?: string;
  details?: Record<string, unknown>;
  replyId?: string;
  ended?: 'end' | 'error';
}

interface Race {
  conv: ConversationData;
  outcomes: Outcome[];
  won: Outcome[];
  refused: Outcome[];
  elapsedMs: number;
}

describe(`Quota race: ${SENDS} concurrent sends over REST, SSE and WebSocket`, () => {
  let fake: FakeOpenAi;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({
      ...TITLES_OFF,
      OPENAI_API_KEY: 'sk-fault',
      OPENAI_BASE_URL: fake.baseURL,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      LLM_REQUEST_TIMEOUT_MS: '20000',
      LLM_FIRST_TOKEN_TIMEOUT_MS: '20000',
      LLM_IDLE_TIMEOUT_MS: '20000',
      MODELS_FILE: undefined,
      MODELS_JSON: undefined,
      DEFAULT_MODEL: undefined,
      CORS_ORIGINS: undefined,
      // The limits under test are the quota's, not the rate limiter's.
      RATE_LIMIT_AUTH: '100000',
      RATE_LIMIT_DEFAULT: '100000',
      RATE_LIMIT_MESSAGES: '100000',
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

  async function sendHttp(
    user: RegisteredUser,
    conv: ConversationData,
    kind: Exclude<Kind, 'websocket'>,
    body: Record<string, unknown>,
  ): Promise<Outcome> {
    if (kind === 'json') {
      const res = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .send(body);
      return {
        kind,
        status: res.status,
        code: res.body?.error?.code,
        details: res.body?.error?.details,
        replyId: res.body?.data?.assistant_message?.id,
        ended: res.status === 201 ? 'end' : undefined,
      };
    }
    const base = `${t.url}/api/v1/conversations/${conv.id}/messages`;
    const stream = await readSse(
      kind === 'stream endpoint' ? `${base}/stream` : base,
      {
        headers: bearer(user.accessToken),
        body: kind === 'stream endpoint' ? body : { ...body, stream: true },
      },
      30_000,
    );
    const last = stream.events.at(-1);
    return {
      kind,
      status: stream.status,
      code: stream.json?.error?.code,
      details: stream.json?.error?.details,
      replyId: stream.status === 200 ? stream.events[0]?.message_id : undefined,
      ended: last?.type === 'end' || last?.type === 'error' ? last.type : undefined,
    };
  }

  /** A chat_message on one socket: the error frame naming its request id, or the reply it started, to its end. */
  async function sendWs(
    client: WsClient,
    conv: ConversationData,
    body: Record<string, unknown>,
  ): Promise<Outcome> {
    const requestId = randomUUID();
    client.send({ type: 'chat_message', conversation_id: conv.id, request_id: requestId, ...body });
    const answer = await client.waitFor(
      (f) => f.request_id === requestId && (f.type === 'message_start' || f.type === 'error'),
      { timeoutMs: 30_000, what: `the answer to ${requestId}` },
    );
    if (answer.type === 'error') {
      const code = answer.error?.code as string;
      return { kind: 'websocket', status: code === 'QUOTA_EXCEEDED' ? 429 : 0, code };
    }
    const replyId = answer.message_id as string;
    const end = await client.waitFor(
      (f) => f.message_id === replyId && (f.type === 'message_end' || f.type === 'error'),
      { timeoutMs: 30_000, what: `the end of ${replyId}` },
    );
    return {
      kind: 'websocket',
      status: 200,
      replyId,
      ended: end.type === 'message_end' ? 'end' : 'error',
      code: end.type === 'error' ? (end.error?.code as string) : undefined,
    };
  }

  /** Fires SENDS sends at once, a quarter over each transport, and sorts the outcomes. */
  async function race(
    user: RegisteredUser,
    label: string,
    body: Record<string, unknown> = {},
  ): Promise<Race> {
    const conv = await aConversation(t, user);
    const sockets = await Promise.all(
      Array.from({ length: SOCKETS }, () =>
        connectWs(chatWsUrl(t.url, `?token=${encodeURIComponent(user.accessToken)}`)),
      ),
    );
    const sendBody = { content: CONTENT, role: 'user', ...body };
    const started = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: SENDS }, (_, i) => {
        const kind = KINDS[i % KINDS.length];
        return kind === 'websocket'
          ? sendWs(sockets[Math.floor(i / KINDS.length) % SOCKETS], conv, sendBody)
          : sendHttp(user, conv, kind, sendBody);
      }),
    );
    const elapsedMs = Date.now() - started;
    const won = outcomes.filter((o) => o.status === 200 || o.status === 201);
    const refused = outcomes.filter((o) => o.status === 429);
    console.log(
      `quota race (${label}): ${SENDS} sends (${SENDS / KINDS.length} per transport, ${SOCKETS} sockets) → ` +
        `${won.length} winner(s) [${won.map((o) => o.kind).join(', ')}], ${refused.length} refused, ` +
        `${outcomes.length - won.length - refused.length} other, ` +
        `${fake.chatRequests.length} upstream call(s), ${elapsedMs} ms`,
    );
    return { conv, outcomes, won, refused, elapsedMs };
  }

  /**
   * Every send that did not win was refused 429 QUOTA_EXCEEDED; over HTTP the envelope names
   * the window (a refusal explained while held tokens were being given back once named the
   * wrong one: known issue 11, fixed).
   */
  function expectRefusals(r: Race, window: string, resetsAt: string): void {
    expect({
      won: r.won.length,
      refused: r.refused.length,
      other: r.outcomes.filter((o) => !r.won.includes(o) && !r.refused.includes(o)),
    }).toEqual({ won: r.won.length, refused: SENDS - r.won.length, other: [] });
    for (const o of r.refused) {
      expect(o.code).toBe('QUOTA_EXCEEDED');
      // WebSocket error frames carry only { code, message } (docs/asyncapi.yaml).
      if (o.kind === 'websocket') continue;
      expect(o.details).toMatchObject({ window, resets_at: resetsAt });
      // At least the prompt and one reply token; more for a racer whose context already
      // held the user message of a winner inserted before it read the conversation.
      if (window.endsWith('tokens')) {
        expect(o.details?.tokens_needed).toBeGreaterThanOrEqual(PROMPT_TOKENS + 1);
      }
    }
    // Every transport took part and was refused the same way.
    expect(new Set(r.refused.map((o) => o.kind))).toEqual(new Set(KINDS));
    for (const o of r.won) {
      expect(o.ended).toBe('end');
      expect(o.replyId).toEqual(expect.any(String));
    }
  }

  /** The conversation's rows: one completed user + assistant pair per winner, nothing else. */
  async function expectStoredReplies(r: Race): Promise<void> {
    const rows = await t.sql<{ id: string; role: string; status: string }>(
      'SELECT id, role, status FROM messages WHERE conversation_id = $1 ORDER BY seq',
      [r.conv.id],
    );
    const assistants = rows.filter((row) => row.role === 'assistant');
    expect(rows.filter((row) => row.role === 'user')).toHaveLength(r.won.length);
    expect(assistants.map((a) => a.status)).toEqual(r.won.map(() => 'completed'));
    expect(new Set(assistants.map((a) => a.id))).toEqual(new Set(r.won.map((o) => o.replyId)));
  }

  it('daily requests: 1 left → exactly 1 upstream call and 1 reply; 199 refused naming daily_requests; used == limit', async () => {
    const user = await registerUser(t);
    await setQuotaCounters(t, user.id, { dayRequests: 49, monthRequests: 49 });
    fake.setDefault({
      text: 'The one reply that fits.',
      chunkIntervalMs: 5,
      usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: 6 },
    });
    const r = await race(user, 'daily requests, 1 left');

    expect(r.won).toHaveLength(1);
    expectRefusals(r, 'daily_requests', utcResets().day);
    expect(fake.chatRequests).toHaveLength(1);
    await expectStoredReplies(r);
    const quota = await fetchQuota(t, user);
    expect(quota.daily_limit.requests).toBe(50);
    expect(quota.usage_today).toEqual({ requests: 50, tokens: PROMPT_TOKENS + 6 });
    expect(quota.remaining_today.requests).toBe(0);
  });

  it('monthly requests: 1 left → exactly 1 upstream call and 1 reply; 199 refused naming monthly_requests; used == limit', async () => {
    const user = await registerUser(t);
    await setQuotaCounters(t, user.id, { dayRequests: 0, monthRequests: 999 });
    fake.setDefault({
      text: 'The last reply of the month.',
      chunkIntervalMs: 5,
      usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: 6 },
    });
    const r = await race(user, 'monthly requests, 1 left');

    expect(r.won).toHaveLength(1);
    expectRefusals(r, 'monthly_requests', utcResets().month);
    expect(fake.chatRequests).toHaveLength(1);
    await expectStoredReplies(r);
    const quota = await fetchQuota(t, user);
    expect(quota.monthly_limit.requests).toBe(1000);
    expect(quota.usage_this_month.requests).toBe(1000);
    expect(quota.usage_today.requests).toBe(1);
  });

  it('daily tokens: room for one reply → exactly 1 upstream call, capped at what is left; 199 refused naming daily_tokens; never over the limit', async () => {
    const user = await registerUser(t);
    const limit = (await fetchQuota(t, user)).daily_limit.tokens;
    const replyBudget = 30;
    // Room for one prompt plus its whole reply budget, and a few tokens more: too few for
    // a second send (it needs PROMPT_TOKENS + its own 30-token budget, below
    // QUOTA_MIN_REPLY_TOKENS), before or after the first one settles.
    const slack = 3;
    const used = limit - (PROMPT_TOKENS + replyBudget + slack);
    await setQuotaCounters(t, user.id, { dayTokens: used, monthTokens: used });
    // The provider honours max_tokens and reports the prompt as the app counts it.
    fake.setDefault({
      text: 'A reply that uses its whole budget.',
      chunkIntervalMs: 5,
      usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: replyBudget },
    });
    const r = await race(user, 'daily tokens, room for 1', { max_tokens: replyBudget });

    expect(r.won).toHaveLength(1);
    expectRefusals(r, 'daily_tokens', utcResets().day);
    expect(fake.chatRequests).toHaveLength(1);
    expect(fake.chatRequests[0].body).toMatchObject({
      max_tokens: replyBudget,
      messages: [{ role: 'user', content: CONTENT }],
    });
    await expectStoredReplies(r);
    const quota = await fetchQuota(t, user);
    expect(quota.usage_today).toEqual({ requests: 1, tokens: limit - slack });
    expect(limit - quota.usage_today.tokens).toBeGreaterThanOrEqual(0); // overshoot 0
  });

  it('monthly tokens: room for a few replies, given back as they settle → upstream calls == replies, tokens used never over the limit', async () => {
    const user = await registerUser(t);
    const limit = (await fetchQuota(t, user)).monthly_limit.tokens;
    const replyBudget = 40;
    // Room for three whole reservations; each reply bills only its prompt and one token, so
    // what settles is given back and later racers can still get in.
    const room = 3 * (PROMPT_TOKENS + replyBudget);
    await setQuotaCounters(t, user.id, { dayTokens: 0, monthTokens: limit - room });
    fake.setDefault({
      text: 'Short.',
      chunkIntervalMs: 20,
      usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: 1 },
    });
    const r = await race(user, 'monthly tokens, room for 3 reservations', {
      max_tokens: replyBudget,
    });

    expect(r.won.length).toBeGreaterThanOrEqual(3);
    expectRefusals(r, 'monthly_tokens', utcResets().month);
    // Every reply reached the provider once; no refused send did.
    expect(fake.chatRequests).toHaveLength(r.won.length);
    for (const request of fake.chatRequests) {
      const maxTokens = request.body?.max_tokens as number;
      expect(maxTokens).toBeGreaterThanOrEqual(1);
      expect(maxTokens).toBeLessThanOrEqual(replyBudget);
    }
    await expectStoredReplies(r);
    const quota = await fetchQuota(t, user);
    const billed = r.won.length * (PROMPT_TOKENS + 1);
    // Refused sends held nothing; every winner billed what it used, exactly once.
    expect(quota.usage_this_month).toEqual({
      requests: r.won.length,
      tokens: limit - room + billed,
    });
    expect(quota.usage_this_month.tokens).toBeLessThanOrEqual(limit); // overshoot 0
    console.log(
      `quota race (monthly tokens): ${r.won.length} replies billed ${billed} of ${room} tokens of room; ` +
        `${limit - quota.usage_this_month.tokens} left unused after the race`,
    );
  });

  // Found by this suite (docs/RELIABILITY.md, known issue 11, fixed): a refused reservation is
  // explained from a second read of the usage. When the room was held by a reply in flight that
  // settled between the two, no window looked full at the read and the error named the first
  // window, daily_requests, far below its limit, with the wrong reset time. Now a refusal that
  // finds nothing full asks again (up to RESERVE_ATTEMPTS), and the last try names the tightest
  // window. Here a trigger gives the held tokens back right after the refusing statement, every time.
  it('a send refused while the last tokens were held, given back before the refusal is explained, is served on the next try', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user);
    const limit = (await fetchQuota(t, user)).daily_limit.tokens;
    const held = 500;
    // One token short of a prompt's minimum, with `held` tokens reserved by a reply in flight.
    await setQuotaCounters(t, user.id, {
      dayRequests: 2,
      dayTokens: limit - PROMPT_TOKENS,
      monthRequests: 2,
      monthTokens: limit - PROMPT_TOKENS,
    });
    fake.setDefault({
      text: 'Served.',
      usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: 1 },
    });
    await t.sql('CREATE TABLE test_refused_updates (n int NOT NULL)');
    await t.sql('INSERT INTO test_refused_updates VALUES (0)');
    await t.sql(`CREATE OR REPLACE FUNCTION test_settle_between() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM changed) THEN
            UPDATE test_refused_updates SET n = n + 1;
            -- The reservation has just been refused: the reply in flight settles now,
            -- before the refusal is explained.
            IF (SELECT n FROM test_refused_updates) = 1 THEN
              UPDATE quota_counters SET day_tokens = day_tokens - ${held},
                     month_tokens = month_tokens - ${held}, day_requests = day_requests - 1,
                     month_requests = month_requests - 1
               WHERE user_id = '${user.id}';
            END IF;
          END IF;
          RETURN NULL;
        END $$`);
    await t.sql(`CREATE TRIGGER test_settle_between AFTER UPDATE ON quota_counters
        REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION test_settle_between()`);
    let res: Awaited<ReturnType<ReturnType<TestApp['api']>['post']>>;
    try {
      res = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: CONTENT, role: 'user' });
      const [{ n }] = await t.sql<{ n: number }>('SELECT n FROM test_refused_updates');
      expect(n).toBeGreaterThanOrEqual(1); // the interleaving happened
    } finally {
      await t.sql('DROP TRIGGER test_settle_between ON quota_counters');
      await t.sql('DROP FUNCTION test_settle_between()');
      await t.sql('DROP TABLE test_refused_updates');
    }
    console.log(
      `refused-then-room (fixed known issue 11): answered ${res.status} ${JSON.stringify(res.body?.error?.details ?? null)}`,
    );
    // The room is back by the second try: served, one upstream call.
    expect(res.status).toBe(201);
    expect(fake.chatRequests).toHaveLength(1);
  });
});
