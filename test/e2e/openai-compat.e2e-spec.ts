import { execFile } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import OpenAI, {
  APIError,
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  RateLimitError,
  UnprocessableEntityError,
} from 'openai';
import { bearer, fetchQuota, registerUser, RegisteredUser, setQuotaCounters } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, fakeOpenAiEnv, piecesOf, startFakeOpenAi } from '../support/fake-openai';
import { until } from '../support/expect';
import { countChatTokens } from '../../src/modules/llm/tokenizer';
import { TITLES_OFF } from '../support/titles';
import { GenerationLeases } from '../../src/modules/generation/generation-leases';

/** The SDK's view of the endpoint: only baseURL and apiKey differ from OpenAI's own. */
function sdkFor(t: TestApp, apiKey: string): OpenAI {
  return new OpenAI({ baseURL: `${t.url}/api/v1/openai`, apiKey, maxRetries: 0 });
}

/** The OpenAI-shaped error body an SDK error carries. */
function errorOf(error: unknown): {
  status?: number;
  code?: unknown;
  type?: unknown;
  param?: unknown;
} {
  if (!(error instanceof APIError)) throw error;
  return { status: error.status, code: error.code, type: error.type, param: error.param };
}

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('OpenAI-compatible endpoint (API.md §12)', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  let user: RegisteredUser;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({ ...TITLES_OFF, ...fakeOpenAiEnv(fake) });
  });
  beforeEach(async () => {
    user = await registerUser(t);
    client = sdkFor(t, user.accessToken);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  /** Rows stored for the user: a completion stores none. */
  const storedRows = async (userId: string) => {
    const [row] = await t.sql<{ conversations: number; messages: number }>(
      `SELECT (SELECT count(*)::int FROM conversations WHERE user_id = $1) AS conversations,
              (SELECT count(*)::int FROM messages WHERE user_id = $1) AS messages`,
      [userId],
    );
    return row;
  };

  it('lists the catalog in OpenAI’s model list shape', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo']);
    for (const m of page.data) {
      expect(m).toEqual({
        id: m.id,
        object: 'model',
        created: expect.any(Number),
        owned_by: expect.any(String),
      });
    }
  });

  it('answers a non-streamed completion in OpenAI’s shape, sends the upstream exactly the mapped request, bills the real usage and stores nothing', async () => {
    fake.script({
      text: 'Hello there, friend.',
      usage: { prompt_tokens: 31, completion_tokens: 5 },
    });
    const body = {
      model: 'gpt-3.5-turbo',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: [{ type: 'text', text: 'Say hello.' }] },
        { role: 'assistant', content: 'Hi?' },
        { role: 'user', content: 'Again.' },
      ],
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 50,
      stop: ['END', 'STOP'],
      user: 'script-7',
      // Extras OpenAI clients send: ignored.
      seed: 7,
      logprobs: false,
      frequency_penalty: 0,
    } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
    const answer = await client.chat.completions.create(body);

    expect(answer).toEqual({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gpt-3.5-turbo',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello there, friend.' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 31, completion_tokens: 5, total_tokens: 36 },
    });
    expect(Math.abs(answer.created - Date.now() / 1000)).toBeLessThan(60);

    expect(fake.chatRequests).toHaveLength(1);
    const sent = fake.chatRequests[0].body!;
    expect({
      model: sent.model,
      messages: sent.messages,
      max_tokens: sent.max_tokens,
      temperature: sent.temperature,
      top_p: sent.top_p,
      stop: sent.stop,
    }).toEqual({
      model: 'gpt-3.5-turbo',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Answer in English.' },
        { role: 'user', content: 'Say hello.' },
        { role: 'assistant', content: 'Hi?' },
        { role: 'user', content: 'Again.' },
      ],
      max_tokens: 50,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['END', 'STOP'],
    });
    // Extras are not passed on; the caller's identity is ours, not the client's `user`.
    expect(sent).not.toHaveProperty('seed');
    expect(sent).not.toHaveProperty('user');

    const quota = await fetchQuota(t, user);
    expect(quota.usage_today).toEqual({ requests: 1, tokens: 36 });
    expect(await storedRows(user.id)).toEqual({ conversations: 0, messages: 0 });
  });

  it('caps max_tokens with the catalog and sends the chat default when none is asked', async () => {
    await client.chat.completions.create({
      model: 'gpt-4-turbo',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 100_000,
    });
    // gpt-3.5-turbo: max_tokens 4096 in a 4096-token window, so the prompt's room is the cap.
    await client.chat.completions.create({
      model: 'gpt-3.5-turbo',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4096,
    });
    await client.chat.completions.create({
      model: 'gpt-4',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const prompt = countChatTokens([{ role: 'user', content: 'hi' }]);
    expect(fake.chatRequests.map((r) => r.body!.max_tokens)).toEqual([4096, 4096 - prompt, 1024]);
  });

  it('streams chunks (role first, then content, then finish_reason) without a usage chunk by default', async () => {
    const text = 'One two three four five.';
    fake.script({ text, usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const stream = await client.chat.completions.create({
      model: 'gpt-3.5-turbo',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    for (const c of chunks) {
      expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-3.5-turbo' });
      expect(c.choices).toHaveLength(1);
      expect(c).not.toHaveProperty('usage');
    }
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(text);
    expect(chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect((await fetchQuota(t, user)).usage_today).toEqual({ requests: 1, tokens: 15 });
    expect(await storedRows(user.id)).toEqual({ conversations: 0, messages: 0 });
  });

  it('adds the usage chunk (empty choices) with stream_options.include_usage, and ends with data: [DONE]', async () => {
    fake.script({ text: 'Short reply.', usage: { prompt_tokens: 12, completion_tokens: 3 } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);

    // The raw stream, as a client without the SDK reads it.
    fake.script({ text: 'Raw reply.' });
    const raw = await fetch(`${t.url}/api/v1/openai/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(user.accessToken), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }),
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(raw.headers.get('ratelimit-limit')).toEqual(expect.any(String));
    const textOfStream = await raw.text();
    expect(textOfStream.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(
      textOfStream
        .split('\n\n')
        .filter(Boolean)
        .every((f) => f.startsWith('data: ')),
    ).toBe(true);
  });

  describe('errors in OpenAI’s shape, caught as the SDK’s error classes', () => {
    const hi = [{ role: 'user' as const, content: 'hi' }];

    it('400 for n > 1, tools, tool messages and audio; nothing reaches the upstream', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ n: 2 }, 'n'],
        [
          {
            tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
          },
          'tools',
        ],
        [{ tool_choice: 'auto' }, 'tool_choice'],
        [{ modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } }, 'audio'],
        [{ messages: [{ role: 'tool', content: 'x', tool_call_id: 'c1' }] }, 'messages[0].role'],
      ];
      for (const [extra, param] of cases) {
        const error = await thrown(
          client.chat.completions.create({
            model: 'gpt-3.5-turbo',
            messages: hi,
            ...extra,
          } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming),
        );
        expect(error).toBeInstanceOf(BadRequestError);
        expect({ param, ...errorOf(error) }).toEqual({
          param,
          status: 400,
          type: 'invalid_request_error',
          code: 'unsupported_parameter',
        });
      }
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('400 for an image sent to a model without vision; the vision model gets its parts', async () => {
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ];
      const error = await thrown(client.chat.completions.create({ model: 'gpt-4', messages }));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(errorOf(error)).toMatchObject({ status: 400, param: 'messages' });
      expect(fake.chatRequests).toHaveLength(0);

      await client.chat.completions.create({ model: 'gpt-4-turbo', messages });
      expect(fake.chatRequests[0].body!.messages).toEqual([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ]);
    });

    it('422 for a number out of range; 400 for a wrong type, a malformed JSON or gzip body', async () => {
      const range = await thrown(
        client.chat.completions.create({ model: 'gpt-4', messages: hi, temperature: 5 }),
      );
      expect(range).toBeInstanceOf(UnprocessableEntityError);
      expect(errorOf(range)).toMatchObject({ status: 422, param: 'temperature' });
      const type = await thrown(
        client.chat.completions.create({
          model: 'gpt-4',
          messages: 'hi',
        } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming),
      );
      expect(errorOf(type)).toMatchObject({ status: 400, param: 'messages' });

      for (const res of [
        await t
          .api()
          .post('/api/v1/openai/chat/completions')
          .set(bearer(user.accessToken))
          .set('Content-Type', 'application/json')
          .send('{"model": '),
        await t
          .api()
          .post('/api/v1/openai/chat/completions')
          .set(bearer(user.accessToken))
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', 'gzip')
          .serialize((b: Buffer) => b as unknown as string)
          .send(gzipSync(Buffer.from('{"model":"gpt-4"}')).subarray(0, 8)),
      ]) {
        expect(res.status).toBe(400);
        expect(Object.keys(res.body)).toEqual(['error']);
        expect(res.body.error).toMatchObject({
          message: expect.any(String),
          type: 'invalid_request_error',
          code: expect.any(String),
        });
        expect(res.text).not.toMatch(/"stack"|at \w+ \(/);
      }
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('401 without a key or with a bad one', async () => {
      for (const key of ['not-a-token', 'sk-unknown']) {
        const error = await thrown(
          sdkFor(t, key).chat.completions.create({ model: 'gpt-4', messages: hi }),
        );
        expect(error).toBeInstanceOf(AuthenticationError);
        expect(errorOf(error)).toMatchObject({ status: 401, code: 'invalid_api_key' });
      }
      const none = await t.api().get('/api/v1/openai/models');
      expect(none.status).toBe(401);
      expect(none.body.error).toMatchObject({
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      });
      expect(none.body).not.toHaveProperty('success');
    });

    it('takes an API key as the SDK key; a revoked key is 401 in OpenAI’s shape at once', async () => {
      const created = await t
        .api()
        .post('/api/v1/api-keys')
        .set(bearer(user.accessToken))
        .send({ name: 'notebook' })
        .expect(201);
      const key = created.body.data.key as string;
      const byKey = sdkFor(t, key);
      fake.script({ text: 'Keyed answer.' });
      const answer = await byKey.chat.completions.create({ model: 'gpt-4', messages: hi });
      expect(answer.choices[0].message.content).toBe('Keyed answer.');
      expect((await byKey.models.list()).data.length).toBeGreaterThan(0);
      await t
        .api()
        .delete(`/api/v1/api-keys/${created.body.data.id as string}`)
        .set(bearer(user.accessToken))
        .expect(200);
      const error = await thrown(byKey.chat.completions.create({ model: 'gpt-4', messages: hi }));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(errorOf(error)).toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect(fake.requests).toHaveLength(1);
    });

    it('404 model_not_found for a model outside the catalog', async () => {
      const error = await thrown(
        client.chat.completions.create({ model: 'gpt-9-imaginary', messages: hi }),
      );
      expect(error).toBeInstanceOf(NotFoundError);
      expect(errorOf(error)).toEqual({
        status: 404,
        type: 'invalid_request_error',
        code: 'model_not_found',
        param: 'model',
      });
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('429 insufficient_quota with Retry-After when the quota is used up; nothing reaches the upstream', async () => {
      await setQuotaCounters(t, user.id, { dayRequests: 50, monthRequests: 50 });
      const error = await thrown(client.chat.completions.create({ model: 'gpt-4', messages: hi }));
      expect(error).toBeInstanceOf(RateLimitError);
      expect(errorOf(error)).toMatchObject({
        status: 429,
        type: 'insufficient_quota',
        code: 'insufficient_quota',
      });
      const headers = (error as RateLimitError).headers;
      const retryAfter = Number(headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
      expect(headers.get('x-should-retry')).toBe('false');
      expect(fake.chatRequests).toHaveLength(0);
      // The rest of the API keeps its envelope.
      const envelope = await t
        .api()
        .get('/api/v1/conversations/not-a-uuid')
        .set(bearer(user.accessToken));
      expect(envelope.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    });

    it('429 rate_limit_exceeded once the messages rate limit is spent (a boot with a small limit)', async () => {
      const small = await bootApp({
        ...TITLES_OFF,
        ...fakeOpenAiEnv(fake),
        RATE_LIMIT_MESSAGES: '2',
      });
      try {
        const someone = await registerUser(small);
        const sdk = sdkFor(small, someone.accessToken);
        await sdk.chat.completions.create({ model: 'gpt-4', messages: hi });
        await sdk.chat.completions.create({ model: 'gpt-4', messages: hi });
        const error = await thrown(sdk.chat.completions.create({ model: 'gpt-4', messages: hi }));
        expect(error).toBeInstanceOf(RateLimitError);
        expect(errorOf(error)).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
        expect(Number((error as RateLimitError).headers.get('retry-after'))).toBeGreaterThan(0);
        expect(fake.chatRequests).toHaveLength(2);
      } finally {
        await small.close();
      }
    });

    it('502 when the upstream fails before the first token (not billed); an error event when it fails mid-stream', async () => {
      fake.script({ status: 500 });
      const before = await thrown(client.chat.completions.create({ model: 'gpt-4', messages: hi }));
      expect(errorOf(before)).toMatchObject({
        status: 502,
        type: 'upstream_error',
        code: 'upstream_error',
      });
      expect((await fetchQuota(t, user)).usage_today).toEqual({ requests: 0, tokens: 0 });

      fake.script({ text: 'one two three four five six', errorEventAfterChunks: 3 });
      const stream = await client.chat.completions.create({
        model: 'gpt-4',
        messages: hi,
        stream: true,
      });
      const seen: string[] = [];
      const during = await thrown(
        (async () => {
          for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
        })(),
      );
      expect(during).toBeInstanceOf(APIError);
      expect((during as APIError).error).toMatchObject({
        type: 'upstream_error',
        code: 'upstream_error',
      });
      expect(seen.join('')).toBe('one two ');
      expect((await fetchQuota(t, user)).usage_today).toEqual({ requests: 0, tokens: 0 });
    });
  });

  it('stops the upstream request when the client aborts mid-stream, and settles the usage', async () => {
    const text = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    fake.script({ text, chunkIntervalMs: 15, usage: false });
    const abort = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gpt-4', messages: [{ role: 'user', content: 'talk long' }], stream: true },
      { signal: abort.signal },
    );
    let pieces = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) pieces += 1;
      if (pieces === 5) abort.abort();
    }
    expect(await fake.waitForClientClose(fake.chatRequests[0], 5000)).toBe(true);
    // Settled on what was produced (counted: the upstream reported no usage), never the budget.
    await until(
      async () => (await fetchQuota(t, user)).usage_today.requests === 1,
      5000,
      'settled',
    );
    const usage = (await fetchQuota(t, user)).usage_today;
    expect(usage.tokens).toBeGreaterThan(0);
    expect(usage.tokens).toBeLessThan(100 + piecesOf(text).length);
    const [{ held }] = await t.sql<{ held: number }>(
      'SELECT day_tokens::int AS held FROM quota_counters WHERE user_id = $1',
      [user.id],
    );
    expect(held).toBe(usage.tokens);
    expect(await storedRows(user.id)).toEqual({ conversations: 0, messages: 0 });
  });

  it('stops the upstream request when a non-streamed call is abandoned, and settles the usage', async () => {
    const text = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    fake.script({ text, chunkIntervalMs: 15, usage: false });
    const abort = new AbortController();
    const call = client.chat.completions.create(
      { model: 'gpt-4', messages: [{ role: 'user', content: 'talk long' }] },
      { signal: abort.signal },
    );
    await until(() => fake.chatRequests.length === 1, 5000, 'the upstream call');
    await new Promise((resolve) => setTimeout(resolve, 150));
    abort.abort();
    await expect(call).rejects.toThrow();
    expect(await fake.waitForClientClose(fake.chatRequests[0], 5000)).toBe(true);
    await until(
      async () => (await fetchQuota(t, user)).usage_today.requests === 1,
      5000,
      'settled',
    );
    const usage = (await fetchQuota(t, user)).usage_today;
    expect(usage.tokens).toBeGreaterThan(0);
    expect(usage.tokens).toBeLessThan(100 + piecesOf(text).length);
  });

  it('holds a lease while a call runs: a process taken for dead is settled by the sweep, once', async () => {
    const hi = [{ role: 'user' as const, content: 'Hello' }];
    const leases = () =>
      t.sql<{ message_id: string; owner: string }>(
        'SELECT message_id, owner FROM generation_leases WHERE user_id = $1',
        [user.id],
      );
    // A normal call leaves no lease behind.
    fake.script({ text: 'Done.' });
    await client.chat.completions.create({ model: 'gpt-4', messages: hi });
    expect(await leases()).toEqual([]);

    const before = await fetchQuota(t, user);
    let answer!: () => void;
    fake.script({
      text: 'Late answer.',
      holdUntil: new Promise<void>((resolve) => (answer = resolve)),
    });
    const call = client.chat.completions.create({ model: 'gpt-4', messages: hi });
    await until(async () => (await leases()).length === 1);
    const [lease] = await leases();
    expect(lease.owner).toBe(t.app.get(GenerationLeases).owner);
    // While this process lives, its sweep leaves the running call alone.
    expect(await t.app.get(GenerationLeases).closeIfOrphaned(lease.message_id)).toBe(false);
    // Its owner taken for dead: the sweep gives back the reservation, as for a reply.
    await t.sql(
      `UPDATE generation_leases SET owner = 'a-lost-process', created_at = now() - interval '1 hour'
        WHERE message_id = $1`,
      [lease.message_id],
    );
    expect(await t.app.get(GenerationLeases).closeIfOrphaned(lease.message_id)).toBe(true);
    expect((await fetchQuota(t, user)).usage_today).toEqual(before.usage_today);
    // The call still ends; its own settle finds the lease closed and settles nothing again.
    answer();
    expect((await call).choices[0].message.content).toBe('Late answer.');
    expect(await leases()).toEqual([]);
    expect((await fetchQuota(t, user)).usage_today).toEqual(before.usage_today);
  });

  it('counts the calls in the metrics with purpose="compat" and the route as endpoint', async () => {
    await client.chat.completions.create({
      model: 'gpt-4',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const metrics = await t.api().get('/metrics');
    expect(metrics.text).toMatch(
      /openai_requests_total\{model="gpt-4",purpose="compat",status="ok"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /http_requests_total\{method="POST",endpoint="\/api\/v1\/openai\/chat\/completions",status="200"\} [1-9]/,
    );
  });

  it('answers a Python requests client (test/clients/openai_compat_client.py)', async () => {
    fake.script({ text: 'Hi from the fake, Python.' });
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'python3',
        [`${__dirname}/../clients/openai_compat_client.py`],
        { env: { ...process.env, BASE_URL: t.url, API_KEY: user.accessToken }, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(out.stdout)).toMatchObject({
      content: 'Hi from the fake, Python.',
      finish_reason: 'stop',
    });
    expect(fake.chatRequests[0].body).not.toHaveProperty('seed');
  });
});
