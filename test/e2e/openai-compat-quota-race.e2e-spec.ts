import OpenAI, { APIError } from 'openai';
import { fetchQuota, registerUser, setQuotaCounters } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, fakeOpenAiEnv, startFakeOpenAi } from '../support/fake-openai';
import { TITLES_OFF } from '../support/titles';

const CALLS = 200;

interface Outcome {
  streamed: boolean;
  status: number;
  code?: unknown;
  content?: string;
}

describe(`Quota race through the OpenAI-compatible endpoint: ${CALLS} concurrent calls, one request left`, () => {
  let fake: FakeOpenAi;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({ ...TITLES_OFF, ...fakeOpenAiEnv(fake) });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  /** One call with the SDK, streamed or not, reduced to what the race is judged on. */
  async function call(client: OpenAI, i: number): Promise<Outcome> {
    const streamed = i % 2 === 1;
    const params = { model: 'gpt-4', messages: [{ role: 'user' as const, content: `racer ${i}` }] };
    try {
      if (!streamed) {
        const answer = await client.chat.completions.create(params);
        return { streamed, status: 200, content: answer.choices[0].message.content ?? '' };
      }
      const stream = await client.chat.completions.create({ ...params, stream: true });
      let content = '';
      for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
      return { streamed, status: 200, content };
    } catch (error) {
      if (!(error instanceof APIError)) throw error;
      return { streamed, status: error.status ?? 0, code: error.code };
    }
  }

  it('exactly one upstream call and one answer; the other 199 get 429 insufficient_quota; billed = used', async () => {
    const user = await registerUser(t);
    await setQuotaCounters(t, user.id, { dayRequests: 49, monthRequests: 49 });
    fake.setDefault({
      text: 'The one reply that fits.',
      chunkIntervalMs: 5,
      usage: { prompt_tokens: 20, completion_tokens: 6 },
    });
    const client = new OpenAI({
      baseURL: `${t.url}/api/v1/openai`,
      apiKey: user.accessToken,
      maxRetries: 0,
      timeout: 30_000,
    });
    const outcomes = await Promise.all(Array.from({ length: CALLS }, (_, i) => call(client, i)));

    const won = outcomes.filter((o) => o.status === 200);
    const refused = outcomes.filter((o) => o.status === 429);
    expect({ won: won.length, refused: refused.length }).toEqual({ won: 1, refused: CALLS - 1 });
    expect(won[0].content).toBe('The one reply that fits.');
    expect(new Set(refused.map((o) => o.code))).toEqual(new Set(['insufficient_quota']));
    // Both ways of calling took part and were refused alike.
    expect(new Set(refused.map((o) => o.streamed))).toEqual(new Set([true, false]));
    expect(fake.chatRequests).toHaveLength(1);

    const quota = await fetchQuota(t, user);
    expect(quota.usage_today).toEqual({ requests: 50, tokens: 26 });
    expect(quota.remaining_today.requests).toBe(0);
    const [{ n }] = await t.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM conversations WHERE user_id = $1',
      [user.id],
    );
    expect(n).toBe(0);
  });
});
