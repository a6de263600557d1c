import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { aConversation, bearer, fetchQuota, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, FakeReply, startFakeOpenAi } from '../support/fake-openai';
import { parseExposition } from '../support/prometheus-text';
import { readSse } from '../support/sse';
import { TITLES_OFF } from '../support/titles';
import { freePort } from '../support/service-process';

/** A catalog in YAML, as an operator would write it: three providers, models routed to each. */
function catalogYaml(primary: string, backup: string, dead: string): string {
  const model = (id: string, lines: string[]) => [
    `  - id: ${id}`,
    `    name: ${id}`,
    '    max_tokens: 2000',
    '    cost_per_1k_tokens: { input: 0.001, output: 0.002 }',
    '    capabilities: [text]',
    ...lines.map((l) => `    ${l}`),
  ];
  return [
    'providers:',
    '  - id: primary',
    `    base_url: ${primary}`,
    '    api_key_env: PRIMARY_KEY',
    '    timeout_ms: 1500',
    '    max_retries: 0',
    '  - id: backup',
    `    base_url: ${backup}`,
    '    max_retries: 0',
    '    headers: { x-team: chat }',
    '  - id: dead',
    `    base_url: ${dead}`,
    '    max_retries: 0',
    'models:',
    ...model('chat-main', [
      'provider: primary',
      'upstream_model: gpt-4',
      'fallbacks: [chat-backup]',
    ]),
    ...model('chat-backup', ['provider: backup', 'upstream_model: gpt-3.5-turbo']),
    ...model('chat-dead', ['provider: dead', 'upstream_model: ghost', 'fallbacks: [chat-backup]']),
    '',
  ].join('\n');
}

describe('Several providers: routing, failover before the first token, health', () => {
  let primary: FakeOpenAi;
  let backup: FakeOpenAi;
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    [primary, backup] = await Promise.all([startFakeOpenAi(), startFakeOpenAi()]);
    dir = mkdtempSync(join(tmpdir(), 'providers-'));
    const file = join(dir, 'models.yaml');
    writeFileSync(
      file,
      catalogYaml(primary.baseURL, backup.baseURL, `http://127.0.0.1:${await freePort()}/v1`),
    );
    t = await bootApp({
      ...TITLES_OFF,
      MODELS_FILE: file,
      MODELS_JSON: undefined,
      PRIMARY_KEY: 'sk-primary',
      OPENAI_API_KEY: undefined,
      OPENAI_BASE_URL: undefined,
      LLM_PROVIDER: undefined,
      DEFAULT_MODEL: undefined,
    });
  });
  afterEach(() => {
    primary.reset();
    backup.reset();
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([primary?.close(), backup?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (user: RegisteredUser, conversationId: string, body: object) =>
    t
      .api()
      .post(`/api/v1/conversations/${conversationId}/messages`)
      .set(bearer(user.accessToken))
      .send(body);
  const assistantRow = async (conversationId: string) =>
    (
      await t.sql<{ model: string; status: string; content: string }>(
        `SELECT model, status, content FROM messages
          WHERE conversation_id = $1 AND role = 'assistant' ORDER BY seq DESC LIMIT 1`,
        [conversationId],
      )
    )[0];
  const metric = async (name: string, labels: Record<string, string>) => {
    const res = await t.api().get('/metrics');
    const sample = parseExposition(res.text).find(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
    return sample?.value ?? 0;
  };

  it('/health lists each provider: one down makes it degraded (200), a missing model is named', async () => {
    backup.setModels(['llama3.1:8b']);
    const res = await t.api().get('/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'degraded',
      services: {
        database: 'healthy',
        openai: 'unhealthy',
        'provider:primary': 'healthy',
        'provider:backup': 'healthy',
        'provider:dead': 'unhealthy',
      },
      providers: {
        primary: { status: 'healthy', missing_models: [] },
        backup: { status: 'healthy', missing_models: ['gpt-3.5-turbo'] },
        dead: { status: 'unhealthy', reason: 'connection_error', missing_models: [] },
      },
    });
    expect((await t.api().get('/api/v1/health/ready')).status).toBe(200);
    // Cached: a second probe does not ask the providers again.
    const listed = primary.requests.length;
    await t.api().get('/api/v1/health');
    expect(primary.requests.length).toBe(listed);
  });

  it('/models and /info list the catalog models', async () => {
    const models = await t.api().get('/api/v1/models');
    const listed = models.body.data.models as { id: string }[];
    expect(listed.map((m) => m.id)).toEqual(['chat-main', 'chat-backup', 'chat-dead']);
    const info = await t.api().get('/api/v1/info');
    expect(info.body).toMatchObject({ default_model: 'chat-main', llm_provider: 'openai' });
  });

  it('sends each model to its provider under its upstream name, with that provider’s key and headers', async () => {
    const user = await registerUser(t);
    const main = await aConversation(t, user, { model: 'chat-main' });
    const other = await aConversation(t, user, { model: 'chat-backup' });
    expect((await send(user, main.id, { content: 'hi', role: 'user' })).status).toBe(201);
    expect((await send(user, other.id, { content: 'hi', role: 'user' })).status).toBe(201);
    expect(primary.chatRequests.map((r) => r.body?.model)).toEqual(['gpt-4']);
    expect(backup.chatRequests.map((r) => r.body?.model)).toEqual(['gpt-3.5-turbo']);
    expect(primary.chatRequests[0].headers.authorization).toBe('Bearer sk-primary');
    // A provider without a key gets no Authorization header at all.
    expect(backup.chatRequests[0].headers.authorization).toBeUndefined();
    expect(backup.chatRequests[0].headers['x-team']).toBe('chat');
    expect((await assistantRow(main.id)).model).toBe('chat-main');
  });

  it.each<[string, FakeReply | null]>([
    ['a 500', { status: 500 }],
    ['a 429', { status: 429 }],
    ['a stall before the first token', { stallAfterChunks: 0 }],
  ])(
    'passes to the fallback after %s: the served model is stored, billed and counted',
    async (_, failure) => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user, { model: 'chat-main' });
      if (failure) primary.script(failure);
      backup.script({
        text: 'Backup answer here.',
        usage: { prompt_tokens: 30, completion_tokens: 4 },
      });
      const before = await metric('llm_failovers_total', { from: 'chat-main', to: 'chat-backup' });

      const res = await send(user, conv.id, { content: 'hello', role: 'user', max_tokens: 1500 });
      expect(res.status).toBe(201);
      expect(res.body.data.assistant_message.content).toBe('Backup answer here.');
      expect(primary.chatRequests).toHaveLength(1);
      expect(backup.chatRequests.map((r) => r.body?.model)).toEqual(['gpt-3.5-turbo']);
      expect(await assistantRow(conv.id)).toMatchObject({
        model: 'chat-backup',
        status: 'completed',
      });
      expect(res.body.data.assistant_message.model).toBe('chat-backup');
      // Billed what the backup reported, against the one reservation.
      const quota = await fetchQuota(t, user);
      expect(quota.usage_today).toEqual({ requests: 1, tokens: 34 });
      expect(await metric('llm_failovers_total', { from: 'chat-main', to: 'chat-backup' })).toBe(
        before + 1,
      );
      expect(
        await metric('openai_requests_total', {
          model: 'chat-backup',
          purpose: 'reply',
          status: 'ok',
        }),
      ).toBeGreaterThan(0);
    },
  );

  it('passes to the fallback when the provider refuses the connection', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user, { model: 'chat-dead' });
    const res = await send(user, conv.id, { content: 'hello', role: 'user' });
    expect(res.status).toBe(201);
    expect(backup.chatRequests).toHaveLength(1);
    expect((await assistantRow(conv.id)).model).toBe('chat-backup');
  });

  it('the OpenAI-compatible endpoint fails over the same way: the backup answers, one request billed', async () => {
    const user = await registerUser(t);
    primary.script({ status: 503 });
    backup.script({
      text: 'Backup via compat.',
      usage: { prompt_tokens: 12, completion_tokens: 3 },
    });
    const sdk = new OpenAI({
      baseURL: `${t.url}/api/v1/openai`,
      apiKey: user.accessToken,
      maxRetries: 0,
    });
    const chunks: string[] = [];
    const stream = await sdk.chat.completions.create({
      model: 'chat-main',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 100,
      stream: true,
    });
    for await (const chunk of stream) chunks.push(chunk.choices[0]?.delta?.content ?? '');
    expect(chunks.join('')).toBe('Backup via compat.');
    expect(primary.chatRequests).toHaveLength(1);
    expect(backup.chatRequests.map((r) => r.body?.model)).toEqual(['gpt-3.5-turbo']);
    expect((await fetchQuota(t, user)).usage_today).toEqual({ requests: 1, tokens: 15 });
    expect(
      await metric('openai_requests_total', {
        model: 'chat-backup',
        purpose: 'compat',
        status: 'ok',
      }),
    ).toBeGreaterThan(0);
  });

  it('does not switch once text reached the client: the stream ends with an error event', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user, { model: 'chat-main' });
    primary.script({ text: 'one two three four five', chunkIntervalMs: 5, cutAfterChunks: 3 });
    const before = await fetchQuota(t, user);
    const stream = await readSse(`${t.url}/api/v1/conversations/${conv.id}/messages/stream`, {
      headers: bearer(user.accessToken),
      body: { content: 'fail midway', role: 'user' },
    });
    const last = stream.events.at(-1);
    expect(last.type).toBe('error');
    expect(last.error.code).toBe('OPENAI_API_ERROR');
    expect(backup.chatRequests).toHaveLength(0);
    expect(await assistantRow(conv.id)).toMatchObject({
      model: 'chat-main',
      status: 'failed',
      content: 'one two ',
    });
    // A failed reply is not billed.
    expect((await fetchQuota(t, user)).usage_today).toEqual(before.usage_today);
  });

  it('a conversation whose model left the catalog is readable, refuses sends with 422 until switched', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user, { model: 'chat-main' });
    await t.sql('UPDATE conversations SET model = $2 WHERE id = $1', [conv.id, 'retired-model']);
    const read = await t
      .api()
      .get(`/api/v1/conversations/${conv.id}`)
      .set(bearer(user.accessToken));
    expect(read.status).toBe(200);
    expect(read.body.data.model).toBe('retired-model');

    const refused = await send(user, conv.id, { content: 'hello', role: 'user' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { field: 'model' },
    });
    // Not the unknown-model answer of a request that names a model: it says what to do.
    expect(JSON.stringify(refused.body.error)).toMatch(/no longer offered.*PUT/);
    expect(primary.chatRequests).toHaveLength(0);

    const unknown = await t
      .api()
      .put(`/api/v1/conversations/${conv.id}`)
      .set(bearer(user.accessToken))
      .send({ model: 'no-such-model' });
    expect(unknown.status).toBe(422);
    const switched = await t
      .api()
      .put(`/api/v1/conversations/${conv.id}`)
      .set(bearer(user.accessToken))
      .send({ model: 'chat-backup' });
    expect(switched.status).toBe(200);
    expect(switched.body.data.model).toBe('chat-backup');
    expect((await send(user, conv.id, { content: 'hello', role: 'user' })).status).toBe(201);
    expect(backup.chatRequests).toHaveLength(1);
  });
});

describe('The offline model spends no tokens of the quota', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({
      ...TITLES_OFF,
      OPENAI_API_KEY: undefined,
      LLM_PROVIDER: undefined,
      MODELS_FILE: undefined,
      MODELS_JSON: undefined,
      DEFAULT_MODEL: undefined,
      OFFLINE_TOKEN_DELAY_MS: '0',
      QUOTA_NORMAL_DAILY_TOKENS: '5',
      QUOTA_NORMAL_DAILY_REQUESTS: '2',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a user with a tiny token quota chats with the offline model; requests still count', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user);
    expect(conv.model).toBe('offline-dev');
    const send = () =>
      t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: 'a question that is longer than five tokens, surely', role: 'user' });
    const first = await send();
    expect(first.status).toBe(201);
    expect(first.body.data.assistant_message.content).toMatch(/Offline development model/);
    expect((await send()).status).toBe(201);
    expect((await fetchQuota(t, user)).usage_today).toEqual({ requests: 2, tokens: 0 });
    const third = await send();
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { window: 'daily_requests' },
    });
  });

  it('the OpenAI-compatible endpoint bills the offline model no tokens either', async () => {
    const user = await registerUser(t);
    const sdk = new OpenAI({
      baseURL: `${t.url}/api/v1/openai`,
      apiKey: user.accessToken,
      maxRetries: 0,
    });
    const answer = await sdk.chat.completions.create({
      model: 'offline-dev',
      messages: [{ role: 'user', content: 'a question that is longer than five tokens, surely' }],
    });
    expect(answer.choices[0].message.content).toMatch(/Offline development model/);
    expect(answer.usage?.total_tokens).toBeGreaterThan(5);
    expect((await fetchQuota(t, user)).usage_today).toEqual({ requests: 1, tokens: 0 });
  });

  it('a priced model answered offline still needs tokens', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user, { model: 'gpt-4' });
    const res = await t
      .api()
      .post(`/api/v1/conversations/${conv.id}/messages`)
      .set(bearer(user.accessToken))
      .send({ content: 'hello there', role: 'user' });
    expect(res.status).toBe(429);
    expect(res.body.error.details.window).toBe('daily_tokens');
  });
});
