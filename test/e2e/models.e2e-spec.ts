import type { Response } from 'supertest';
import { LLM_PROVIDER, LlmEvent, LlmProvider } from '../../src/modules/llm/llm-provider';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { ISO_UTC } from '../support/expect';
import { TITLES_OFF } from '../support/titles';

const CONTRACT_FIELDS = [
  'capabilities',
  'cost_per_1k_tokens',
  'description',
  'id',
  'max_tokens',
  'name',
];

function expectModelsEnvelope(res: Response): { id: string }[] {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body).sort()).toEqual(['data', 'message', 'success', 'timestamp']);
  expect(res.body.success).toBe(true);
  expect(res.body.timestamp).toMatch(ISO_UTC);
  expect(Object.keys(res.body.data)).toEqual(['models']);
  const models = res.body.data.models as Record<string, unknown>[];
  for (const model of models) {
    expect(Object.keys(model).sort()).toEqual(CONTRACT_FIELDS);
    expect(typeof model.id).toBe('string');
    expect(typeof model.name).toBe('string');
    expect(typeof model.description).toBe('string');
    expect(Number.isInteger(model.max_tokens)).toBe(true);
    expect(Object.keys(model.cost_per_1k_tokens as object).sort()).toEqual(['input', 'output']);
    expect(Array.isArray(model.capabilities)).toBe(true);
  }
  return models as { id: string }[];
}

describe('GET /api/v1/models', () => {
  describe('with the openai provider', () => {
    let fake: FakeOpenAi;
    let t: TestApp;

    beforeAll(async () => {
      fake = await startFakeOpenAi();
      t = await bootApp({
        ...TITLES_OFF,
        OPENAI_API_KEY: 'sk-e2e',
        OPENAI_BASE_URL: fake.baseURL,
        LLM_PROVIDER: undefined,
        MODELS_FILE: undefined,
        MODELS_JSON: undefined,
        DEFAULT_MODEL: undefined,
      });
    });
    afterAll(async () => {
      await t?.close();
      await fake?.close();
    });

    it('needs no access token and answers the contract catalog in the envelope', async () => {
      const res = await t.api().get('/api/v1/models');
      const models = expectModelsEnvelope(res);
      expect(models).toEqual([
        {
          id: 'gpt-4',
          name: 'GPT-4',
          description: expect.any(String),
          max_tokens: 8192,
          cost_per_1k_tokens: { input: 0.03, output: 0.06 },
          capabilities: ['text', 'code', 'reasoning'],
        },
        {
          id: 'gpt-4-turbo',
          name: 'GPT-4 Turbo',
          description: expect.any(String),
          max_tokens: 4096,
          cost_per_1k_tokens: { input: 0.01, output: 0.03 },
          capabilities: ['text', 'code', 'reasoning', 'vision'],
        },
        {
          id: 'gpt-3.5-turbo',
          name: 'GPT-3.5 Turbo',
          description: expect.any(String),
          max_tokens: 4096,
          cost_per_1k_tokens: { input: 0.001, output: 0.002 },
          capabilities: ['text', 'code'],
        },
      ]);
      expect(res.headers['x-request-id']).toBeTruthy();
    });

    it('ignores a bad token on this public route', async () => {
      const res = await t.api().get('/api/v1/models').set('Authorization', 'Bearer not.a.jwt');
      expect(res.status).toBe(200);
    });

    it('answers in Chinese for zh-CN, data unchanged', async () => {
      const en = await t.api().get('/api/v1/models');
      const zh = await t.api().get('/api/v1/models').set('Accept-Language', 'zh-CN');
      expect(zh.body.message).toMatch(/[\u4e00-\u9fff]/);
      expect(zh.body.data).toEqual(en.body.data);
    });

    it('wires the configured provider: the openai SDK against OPENAI_BASE_URL with the key', async () => {
      const provider = t.app.get<LlmProvider>(LLM_PROVIDER);
      expect(provider.name).toBe('openai');
      let text = '';
      const events: LlmEvent[] = [];
      for await (const event of provider.stream({
        model: 'gpt-4',
        messages: [{ role: 'user', content: 'hi' }],
      })) {
        events.push(event);
        if (event.type === 'delta') text += event.text;
      }
      expect(text).toBe('Hello from the fake model.');
      expect(events.at(-1)).toMatchObject({ type: 'usage', usageSource: 'provider' });
      expect(fake.chatRequests.at(-1)?.headers.authorization).toBe('Bearer sk-e2e');
    });
  });

  describe('with the offline provider (no OPENAI_API_KEY)', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await bootApp({
        OPENAI_API_KEY: undefined,
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

    it('lists the offline development model first, then the catalog', async () => {
      const models = expectModelsEnvelope(await t.api().get('/api/v1/models'));
      expect(models.map((m) => m.id)).toEqual([
        'offline-dev',
        'gpt-4',
        'gpt-4-turbo',
        'gpt-3.5-turbo',
      ]);
      expect(t.app.get<LlmProvider>(LLM_PROVIDER).name).toBe('offline');
    });
  });
});
