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
import { FakeOpenAi, startFakeOpenAi, fakeOpenAiEnv } from '../support/fake-openai';
import { readSse } from '../support/sse';
import { utcResets } from '../support/expect';
import { TITLES_OFF } from '../support/titles';

const SENDS = 50;

type Kind = 'json' | 'stream endpoint' | 'send with stream: true';

interface Outcome {
  kind: Kind;
  status: number;
  /** The error envelope's code, when the answer was one. */
  code?: string;
  details?: Record<string, unknown>;
  /** The assistant message id of a reply that was produced. */
  replyId?: string;
  ended?: 'end' | 'error';
}

describe(`Quota race: ${SENDS} concurrent sends with one request left`, () => {
  let fake: FakeOpenAi;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({
      ...TITLES_OFF,
      ...fakeOpenAiEnv(fake, 'sk-e2e'),
      // The limits under test are the quota's, not the rate limiter's.
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

  /** One send over HTTP, as JSON or as SSE, reduced to what the race is judged on. */
  async function sendOnce(
    user: RegisteredUser,
    conv: ConversationData,
    i: number,
  ): Promise<Outcome> {
    const kinds: Kind[] = ['json', 'stream endpoint', 'send with stream: true'];
    const kind = kinds[i % kinds.length];
    const body = { content: `racer ${i}`, role: 'user' };
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
    const url =
      kind === 'stream endpoint'
        ? `${t.url}/api/v1/conversations/${conv.id}/messages/stream`
        : `${t.url}/api/v1/conversations/${conv.id}/messages`;
    const stream = await readSse(
      url,
      {
        headers: bearer(user.accessToken),
        body: kind === 'stream endpoint' ? body : { ...body, stream: true },
      },
      20_000,
    );
    const json = stream.json;
    const last = stream.events.at(-1);
    return {
      kind,
      status: stream.status,
      code: json?.error?.code,
      details: json?.error?.details,
      replyId: stream.status === 200 ? stream.events[0]?.message_id : undefined,
      ended: last?.type === 'end' || last?.type === 'error' ? last.type : undefined,
    };
  }

  async function race(
    user: RegisteredUser,
  ): Promise<{ conv: ConversationData; outcomes: Outcome[] }> {
    const conv = await aConversation(t, user);
    fake.setDefault({
      text: 'The one reply that fits.',
      chunkIntervalMs: 5,
      usage: { prompt_tokens: 20, completion_tokens: 6 },
    });
    const outcomes = await Promise.all(
      Array.from({ length: SENDS }, (_, i) => sendOnce(user, conv, i)),
    );
    return { conv, outcomes };
  }

  function expectOneWinner(outcomes: Outcome[], window: string, resetsAt: string): Outcome {
    const won = outcomes.filter((o) => o.status === 201 || o.status === 200);
    const refused = outcomes.filter((o) => o.status === 429);
    expect({
      won: won.length,
      refused: refused.length,
      other: outcomes.length - won.length - refused.length,
    }).toEqual({
      won: 1,
      refused: SENDS - 1,
      other: 0,
    });
    expect(won[0].ended).toBe('end');
    expect(won[0].replyId).toEqual(expect.any(String));
    for (const o of refused) {
      expect(o.code).toBe('QUOTA_EXCEEDED');
      expect(o.details).toMatchObject({ window, resets_at: resetsAt });
    }
    // Every kind of send took part and was refused the same way.
    expect(new Set(refused.map((o) => o.kind)).size).toBe(3);
    return won[0];
  }

  it('daily: exactly one upstream call and one reply; the other 49 get 429 QUOTA_EXCEEDED naming daily_requests', async () => {
    const user = await registerUser(t);
    await setQuotaCounters(t, user.id, { dayRequests: 49, monthRequests: 49 });
    const { conv, outcomes } = await race(user);

    const winner = expectOneWinner(outcomes, 'daily_requests', utcResets().day);
    expect(fake.chatRequests).toHaveLength(1);
    const rows = await t.sql<{ id: string; role: string; status: string }>(
      'SELECT id, role, status FROM messages WHERE conversation_id = $1 ORDER BY seq',
      [conv.id],
    );
    expect(rows.map((r) => [r.role, r.status])).toEqual([
      ['user', 'completed'],
      ['assistant', 'completed'],
    ]);
    expect(rows[1].id).toBe(winner.replyId);
    const quota = await fetchQuota(t, user);
    expect(quota.usage_today).toEqual({ requests: 50, tokens: 26 });
    expect(quota.remaining_today.requests).toBe(0);
  });

  it('monthly: the last request of the month is given once; the rest are refused naming monthly_requests', async () => {
    const user = await registerUser(t);
    await setQuotaCounters(t, user.id, { dayRequests: 0, monthRequests: 999 });
    const { conv, outcomes } = await race(user);

    expectOneWinner(outcomes, 'monthly_requests', utcResets().month);
    expect(fake.chatRequests).toHaveLength(1);
    const [{ n }] = await t.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
      [conv.id],
    );
    expect(n).toBe(2);
    const quota = await fetchQuota(t, user);
    expect(quota.usage_this_month.requests).toBe(1000);
    expect(quota.usage_today.requests).toBe(1);
    expect(quota.remaining_today.requests).toBe(0);
  });
});
