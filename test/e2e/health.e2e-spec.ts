import { bootApp, TestApp } from '../support/app';
import { startFakeOpenAi, FakeOpenAi } from '../support/fake-openai';
import { freePort } from '../support/service-process';

describe('Health and info', () => {
  describe('with the offline development model', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootApp({ OPENAI_API_KEY: undefined, LLM_PROVIDER: undefined });
    });
    afterAll(async () => {
      await t.close();
    });

    it('GET /health answers the contract shape without an envelope, no token needed', async () => {
      const res = await t.api().get('/api/v1/health');
      expect(res.status).toBe(200);
      expect(res.body.success).toBeUndefined();
      expect(res.body).toEqual({
        status: 'healthy',
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        version: '1.0.0',
        services: {
          database: 'healthy',
          redis: process.env.REDIS_URL ? 'healthy' : 'not_configured',
          openai: 'not_configured',
        },
        llm_provider: 'offline',
        uptime: expect.any(Number),
      });
    });

    it('GET /health/live and /health/ready answer 200', async () => {
      expect((await t.api().get('/api/v1/health/live')).body).toEqual({ status: 'ok' });
      const ready = await t.api().get('/api/v1/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ok', database: 'up', draining: false });
    });

    it('GET /info reports the deployment truthfully', async () => {
      const res = await t.api().get('/api/v1/info');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: 'ChatGPT Backend API',
        version: '1.0.0',
        environment: 'test',
        llm_provider: 'offline',
        features: { websocket: true, streaming: true, file_upload: true },
      });
      expect(res.body.supported_models).toEqual(
        expect.arrayContaining(['offline-dev', 'gpt-3.5-turbo', 'gpt-4']),
      );
    });
  });

  describe('with an OpenAI-compatible provider', () => {
    let fake: FakeOpenAi;
    beforeAll(async () => {
      fake = await startFakeOpenAi();
    });
    afterAll(async () => {
      await fake.close();
    });

    it('reports openai healthy by listing models, spending no tokens', async () => {
      const t = await bootApp({
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: fake.baseURL,
        LLM_PROVIDER: 'openai',
      });
      try {
        const res = await t.api().get('/api/v1/health');
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          status: 'healthy',
          services: { openai: 'healthy' },
          llm_provider: 'openai',
        });
        expect(fake.chatRequests).toHaveLength(0);
        expect(fake.requests.some((r) => r.path.endsWith('/models'))).toBe(true);
        expect((await t.api().get('/api/v1/info')).body.llm_provider).toBe('openai');
      } finally {
        await t.close();
      }
    });

    it('is degraded, still 200, when the provider does not answer', async () => {
      const port = await freePort();
      const t = await bootApp({
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
        LLM_PROVIDER: 'openai',
        LLM_MAX_RETRIES: '0',
      });
      try {
        const res = await t.api().get('/api/v1/health');
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          status: 'degraded',
          services: { database: 'healthy', openai: 'unhealthy' },
        });
      } finally {
        await t.close();
      }
    });
  });
});
