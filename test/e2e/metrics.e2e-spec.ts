import { randomUUID } from 'node:crypto';
import {
  aConversation,
  bearer,
  registerUser,
  RegisteredUser,
  setQuotaCounters,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { expectError, until } from '../support/expect';
import { FakeOpenAi, piecesOf, startFakeOpenAi } from '../support/fake-openai';
import { metricTypes, Scrape } from '../support/prometheus-text';
import { chatWsUrl, closeAllWs, connectWs, refusedUpgrade } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const MODEL = 'gpt-3.5-turbo';

async function scrape(t: TestApp, path = '/metrics', token?: string): Promise<Scrape> {
  const req = t.api().get(path);
  if (token) req.set(bearer(token));
  const res = await req;
  if (res.status !== 200) throw new Error(`scrape ${path}: ${res.status} ${res.text}`);
  return new Scrape(res.text);
}

/**
 * Two apps run side by side in this one process, each with its own registry: B (METRICS_TOKEN
 * set, a default rate limit of 3 per minute), then A (the fake OpenAI provider, one message per
 * minute per user, open /metrics). Booting both works, and neither sees the other's traffic.
 * Passport keeps one "jwt" strategy per process, owned by the app booted last: on the embedded
 * database (one per app) user tokens of B stop working once A boots, so B's tests that need a
 * user run before A boots.
 */
describe('Prometheus metrics: GET /metrics', () => {
  let fake: FakeOpenAi | undefined;
  let a: TestApp | undefined;
  let b: TestApp;
  const users: RegisteredUser[] = [];

  afterEach(async () => {
    fake?.reset();
    await closeAllWs();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await fake?.close();
  });

  const newUser = async (t: TestApp) => {
    const user = await registerUser(t);
    users.push(user);
    return user;
  };
  const send = (t: TestApp, user: RegisteredUser, conversationId: string, content: string) =>
    t
      .api()
      .post(`/api/v1/conversations/${conversationId}/messages`)
      .set(bearer(user.accessToken))
      .send({ content, role: 'user' });

  describe('app B: METRICS_TOKEN set', () => {
    beforeAll(async () => {
      b = await bootApp({
        LLM_PROVIDER: 'offline',
        OPENAI_API_KEY: undefined,
        METRICS_TOKEN,
        RATE_LIMIT_DEFAULT: '3',
      });
    });

    it('answers 401 in the error envelope without the token or with a wrong one, 200 with it, on both paths', async () => {
      for (const path of ['/metrics', '/api/v1/metrics']) {
        const none = await b.api().get(path);
        expectError(none, 401, 'AUTHENTICATION_ERROR');
        expect(none.headers['content-type']).toMatch(/application\/json/);
        expect(none.headers['x-request-id']).toBeTruthy();
        expectError(
          await b.api().get(path).set(bearer('wrong-token')),
          401,
          'AUTHENTICATION_ERROR',
        );
        expectError(
          await b
            .api()
            .get(path)
            .set(bearer(`${METRICS_TOKEN}x`)),
          401,
          'AUTHENTICATION_ERROR',
        );
        expectError(
          await b.api().get(path).set('Authorization', `Basic ${METRICS_TOKEN}`),
          401,
          'AUTHENTICATION_ERROR',
        );
        const ok = await b.api().get(path).set(bearer(METRICS_TOKEN));
        expect(ok.status).toBe(200);
        expect(new Scrape(ok.text).has('http_requests_total')).toBe(true);
      }
      // The refusals were themselves counted, with their status.
      const s = await scrape(b, '/metrics', METRICS_TOKEN);
      expect(s.value('http_requests_total', { endpoint: '/metrics', status: '401' })).toBe(4);
      expect(s.value('http_requests_total', { endpoint: '/api/v1/metrics', status: '401' })).toBe(
        4,
      );
    });

    it('is never rate limited, while the default limit refuses other routes (counted as 429)', async () => {
      const user = await newUser(b);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await b.api().get('/api/v1/users/me').set(bearer(user.accessToken))).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      for (let i = 0; i < 6; i++) {
        expect((await b.api().get('/metrics').set(bearer(METRICS_TOKEN))).status).toBe(200);
      }
      const s = await scrape(b, '/metrics', METRICS_TOKEN);
      expect(s.value('http_requests_total', { endpoint: '/api/v1/users/me', status: '429' })).toBe(
        1,
      );
      expect(s.value('http_requests_total', { endpoint: '/metrics', status: '429' })).toBe(0);
      // The global throttler guard's refusal is counted under its group.
      expect(s.value('rate_limit_rejections_total', { group: 'default' })).toBe(1);
      expect(s.value('rate_limit_rejections_total')).toBe(1);
    });
  });

  describe('app A: traffic and what it moves', () => {
    let t: TestApp;
    let openai: FakeOpenAi;
    beforeAll(async () => {
      fake = openai = await startFakeOpenAi();
      a = t = await bootApp({
        ...TITLES_OFF,
        OPENAI_API_KEY: 'sk-e2e',
        OPENAI_BASE_URL: openai.baseURL,
        LLM_PROVIDER: 'openai',
        LLM_MAX_RETRIES: '0',
        LLM_REQUEST_TIMEOUT_MS: '5000',
        LLM_FIRST_TOKEN_TIMEOUT_MS: '5000',
        LLM_IDLE_TIMEOUT_MS: '5000',
        MODELS_FILE: undefined,
        MODELS_JSON: undefined,
        DEFAULT_MODEL: undefined,
        METRICS_TOKEN: undefined,
        RATE_LIMIT_MESSAGES: '1',
      });
    });

    it('serves Prometheus text at /metrics and /api/v1/metrics: no user token, no envelope, default process metrics', async () => {
      for (const path of ['/metrics', '/api/v1/metrics']) {
        const res = await t.api().get(path);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
        expect(res.text.startsWith('{')).toBe(false);
        const types = metricTypes(res.text);
        expect(
          Object.fromEntries(
            [...types].filter(
              ([name]) => !name.startsWith('process_') && !name.startsWith('nodejs_'),
            ),
          ),
        ).toEqual({
          http_requests_total: 'counter',
          http_request_duration_seconds: 'histogram',
          openai_requests_total: 'counter',
          openai_tokens_total: 'counter',
          openai_time_to_first_token_seconds: 'histogram',
          openai_generation_duration_seconds: 'histogram',
          active_generations: 'gauge',
          ws_connections: 'gauge',
          quota_rejections_total: 'counter',
          rate_limit_rejections_total: 'counter',
          database_up: 'gauge',
          generation_admission_queue_depth: 'gauge',
          generation_admission_wait_seconds: 'histogram',
          generation_admission_shed_total: 'counter',
          generation_orphans_closed_total: 'counter',
          generation_overruns_total: 'counter',
          llm_failovers_total: 'counter',
          file_uploads_total: 'counter',
          file_upload_bytes_total: 'counter',
          files_swept_total: 'counter',
          file_stored_bytes: 'gauge',
        });
        const parsed = new Scrape(res.text);
        for (const name of [
          'process_cpu_user_seconds_total',
          'process_resident_memory_bytes',
          'process_start_time_seconds',
          'nodejs_heap_size_used_bytes',
          'nodejs_eventloop_lag_seconds',
        ]) {
          expect({ name, present: parsed.has(name) }).toEqual({ name, present: true });
        }
        expect(parsed.value('database_up')).toBe(1);
        expect(parsed.value('active_generations')).toBe(0);
        expect(parsed.value('ws_connections')).toBe(0);
      }
      // Not under a wrong spelling of the prefix, and other paths outside /api/v1 stay the JSON 404.
      expectError(await t.api().get('/api/v1/api/v1/metrics'), 404, 'RESOURCE_NOT_FOUND');
      expectError(await t.api().get('/metricsx'), 404, 'RESOURCE_NOT_FOUND');
    });

    it('counts requests by route pattern and real status: a 200, a 404 on an unknown id, a guard 401, an unmatched path, a malformed body', async () => {
      const user = await newUser(t);
      const conv = await aConversation(t, user, { title: 'metrics' });
      const missing = randomUUID();
      const before = await scrape(t);

      expect(
        (await t.api().get(`/api/v1/conversations/${conv.id}`).set(bearer(user.accessToken)))
          .status,
      ).toBe(200);
      expectError(
        await t.api().get(`/api/v1/conversations/${missing}`).set(bearer(user.accessToken)),
        404,
        'RESOURCE_NOT_FOUND',
      );
      expectError(await t.api().get('/api/v1/users/me'), 401, 'AUTHENTICATION_ERROR');
      expectError(await t.api().get(`/api/v1/no-such-route/${missing}`), 404, 'RESOURCE_NOT_FOUND');
      expectError(await t.api().get(`/outside/${missing}`), 404, 'RESOURCE_NOT_FOUND');
      const malformed = await t
        .api()
        .post('/api/v1/conversations')
        .set(bearer(user.accessToken))
        .set('Content-Type', 'application/json')
        .send('{"title": ');
      expectError(malformed, 400, 'VALIDATION_ERROR');

      const after = await scrape(t);
      const delta = (labels: Record<string, string>) =>
        after.value('http_requests_total', labels) - before.value('http_requests_total', labels);
      const byId = '/api/v1/conversations/:id';
      expect({
        ok: delta({ method: 'GET', endpoint: byId, status: '200' }),
        notFound: delta({ method: 'GET', endpoint: byId, status: '404' }),
        unauthenticated: delta({ method: 'GET', endpoint: '/api/v1/users/me', status: '401' }),
        unmatched404: delta({ method: 'GET', endpoint: 'unmatched', status: '404' }),
        unmatched400: delta({ method: 'POST', endpoint: 'unmatched', status: '400' }),
        scrape: delta({ method: 'GET', endpoint: '/metrics', status: '200' }),
      }).toEqual({
        ok: 1,
        notFound: 1,
        unauthenticated: 1,
        unmatched404: 2,
        unmatched400: 1,
        scrape: 1,
      });

      const count = (s: Scrape) =>
        s.value('http_request_duration_seconds_count', { method: 'GET', endpoint: byId });
      expect(count(after) - count(before)).toBe(2);
      const inf = (s: Scrape) =>
        s.value('http_request_duration_seconds_bucket', {
          method: 'GET',
          endpoint: byId,
          le: '+Inf',
        });
      expect(inf(after) - inf(before)).toBe(2);
      expect(
        after.value('http_request_duration_seconds_sum', { method: 'GET', endpoint: byId }),
      ).toBeGreaterThan(
        before.value('http_request_duration_seconds_sum', { method: 'GET', endpoint: byId }),
      );

      // Only patterns or the fixed label: never a raw path, an id, a user.
      for (const endpoint of after.labelValues('http_requests_total', 'endpoint')) {
        expect(
          endpoint === 'unmatched' || endpoint === '/metrics' || endpoint.startsWith('/api/v1/'),
        ).toBe(true);
        expect(endpoint).not.toMatch(UUID_ANYWHERE);
      }
      expect(after.text).not.toMatch(UUID_ANYWHERE);
      expect(after.text).not.toContain('no-such-route');
      expect(after.text).not.toContain('outside');
    });

    it('counts a generated reply: requests by model and status, the tokens the provider reported, time to first token and duration', async () => {
      const user = await newUser(t);
      const conv = await aConversation(t, user);
      const text = 'Counting tokens for the dashboard.';
      openai.script({
        text,
        chunkIntervalMs: 5,
        usage: { prompt_tokens: 37, completion_tokens: 11 },
      });
      const before = await scrape(t);

      const res = await send(t, user, conv.id, 'How many tokens?');
      expect(res.status).toBe(201);
      expect(res.body.data.usage).toEqual({
        prompt_tokens: 37,
        completion_tokens: 11,
        total_tokens: 48,
      });
      expect(res.body.data.assistant_message.content).toBe(text);
      expect(piecesOf(text).length).toBeGreaterThan(1);

      const after = await scrape(t);
      const delta = (name: string, labels: Record<string, string> = {}) =>
        after.value(name, labels) - before.value(name, labels);
      expect({
        ok: delta('openai_requests_total', { model: MODEL, status: 'ok' }),
        failed: delta('openai_requests_total') - delta('openai_requests_total', { status: 'ok' }),
        prompt: delta('openai_tokens_total', { model: MODEL, kind: 'prompt' }),
        completion: delta('openai_tokens_total', { model: MODEL, kind: 'completion' }),
        ttft: delta('openai_time_to_first_token_seconds_count', { model: MODEL }),
        duration: delta('openai_generation_duration_seconds_count', { model: MODEL }),
        sends: delta('http_requests_total', {
          method: 'POST',
          endpoint: '/api/v1/conversations/:id/messages',
          status: '201',
        }),
      }).toEqual({ ok: 1, failed: 0, prompt: 37, completion: 11, ttft: 1, duration: 1, sends: 1 });
      // The reply took at least its chunk intervals; time to first token is at most the whole.
      const ttftSum = delta('openai_time_to_first_token_seconds_sum', { model: MODEL });
      const durationSum = delta('openai_generation_duration_seconds_sum', { model: MODEL });
      expect(ttftSum).toBeGreaterThan(0);
      expect(durationSum).toBeGreaterThanOrEqual(ttftSum);
      expect(after.value('active_generations')).toBe(0);
    });

    it('counts an upstream failure under its own status, with no tokens', async () => {
      const user = await newUser(t);
      const conv = await aConversation(t, user);
      openai.script({ status: 500 });
      const before = await scrape(t);

      expectError(await send(t, user, conv.id, 'fail please'), 502, 'OPENAI_API_ERROR');

      const after = await scrape(t);
      const delta = (name: string, labels: Record<string, string> = {}) =>
        after.value(name, labels) - before.value(name, labels);
      expect({
        upstream: delta('openai_requests_total', { model: MODEL, status: 'upstream_error' }),
        ok: delta('openai_requests_total', { status: 'ok' }),
        tokens: delta('openai_tokens_total'),
        sends502: delta('http_requests_total', {
          endpoint: '/api/v1/conversations/:id/messages',
          status: '502',
        }),
      }).toEqual({ upstream: 1, ok: 0, tokens: 0, sends502: 1 });
      expect(after.value('active_generations')).toBe(0);
    });

    it('active_generations goes up while a reply streams and back down when it ends', async () => {
      const user = await newUser(t);
      const conv = await aConversation(t, user);
      openai.script({ text: 'one two three four five six', chunkIntervalMs: 150 });
      expect((await scrape(t)).value('active_generations')).toBe(0);

      // supertest sends on then(): start it now, await it later.
      const pending = send(t, user, conv.id, 'take your time').then((r) => r);
      let seen = 0;
      await until(
        async () => {
          seen = (await scrape(t)).value('active_generations');
          return seen === 1;
        },
        5000,
        'active_generations to reach 1',
      );
      expect(seen).toBe(1);
      expect((await pending).status).toBe(201);
      expect((await scrape(t)).value('active_generations')).toBe(0);
    });

    it('counts a quota rejection by window and a message rate-limit rejection by group', async () => {
      const quotaUser = await newUser(t);
      const quotaConv = await aConversation(t, quotaUser);
      await setQuotaCounters(t, quotaUser.id, { dayRequests: 50, monthRequests: 50 });
      const limited = await newUser(t);
      const limitedConv = await aConversation(t, limited);
      const before = await scrape(t);

      const overQuota = await send(t, quotaUser, quotaConv.id, 'one more?');
      expectError(overQuota, 429, 'QUOTA_EXCEEDED');
      expect(overQuota.body.error.details.window).toBe('daily_requests');
      expect((await send(t, limited, limitedConv.id, 'first')).status).toBe(201);
      const overRate = await send(t, limited, limitedConv.id, 'second');
      expectError(overRate, 429, 'RATE_LIMIT_EXCEEDED');
      expect(overRate.body.error.details.group).toBe('messages');

      const after = await scrape(t);
      const delta = (name: string, labels: Record<string, string> = {}) =>
        after.value(name, labels) - before.value(name, labels);
      expect({
        daily: delta('quota_rejections_total', { window: 'daily_requests' }),
        allQuota: delta('quota_rejections_total'),
        messages: delta('rate_limit_rejections_total', { group: 'messages' }),
        allRate: delta('rate_limit_rejections_total'),
        http429: delta('http_requests_total', {
          endpoint: '/api/v1/conversations/:id/messages',
          status: '429',
        }),
      }).toEqual({ daily: 1, allQuota: 1, messages: 1, allRate: 1, http429: 2 });
      // The four windows are exported from the start, so rate() works before any rejection.
      expect(after.labelValues('quota_rejections_total', 'window').sort()).toEqual([
        'daily_requests',
        'daily_tokens',
        'monthly_requests',
        'monthly_tokens',
      ]);
    });

    it('ws_connections follows authenticated WebSocket connections up and back down; refused upgrades do not count', async () => {
      const user = await newUser(t);
      expect((await scrape(t)).value('ws_connections')).toBe(0);

      const first = await connectWs(chatWsUrl(t.url, `?token=${user.accessToken}`));
      const second = await connectWs(chatWsUrl(t.url, `?token=${user.accessToken}`));
      await first.roundTrip();
      await second.roundTrip();
      expect((await scrape(t)).value('ws_connections')).toBe(2);
      expect(await refusedUpgrade(chatWsUrl(t.url, '?token=not-a-token'))).toBe(401);
      expect((await scrape(t)).value('ws_connections')).toBe(2);

      await first.close();
      await until(
        async () => (await scrape(t)).value('ws_connections') === 1,
        5000,
        'one socket left',
      );
      await second.close();
      await until(
        async () => (await scrape(t)).value('ws_connections') === 0,
        5000,
        'no socket left',
      );
    });

    it('never carries a user: no id, username or e-mail anywhere in the scrape', async () => {
      const text = (await scrape(t)).text;
      expect(users.length).toBeGreaterThan(3);
      for (const user of users) {
        expect(text).not.toContain(user.id);
        expect(text).not.toContain(user.username);
        expect(text).not.toContain(user.email);
      }
      expect(text).not.toMatch(UUID_ANYWHERE);
      expect(text).not.toMatch(/user_?id|username|email/i);
    });
  });

  it('keeps its own registry: neither app sees the other one’s traffic', async () => {
    if (!a) throw new Error('app A did not boot');
    // Both apps are up at once here.
    const inB = await scrape(b, '/metrics', METRICS_TOKEN);
    const inA = await scrape(a);
    // A generated replies and rejected sends; B never did.
    expect(inA.value('openai_requests_total')).toBeGreaterThan(0);
    expect(inB.value('openai_requests_total')).toBe(0);
    expect(inB.value('quota_rejections_total')).toBe(0);
    expect(
      inB.value('http_requests_total', { endpoint: '/api/v1/conversations/:id/messages' }),
    ).toBe(0);
    // B refused scrapes without the token; A never answered a 401 on /metrics.
    expect(
      inB.value('http_requests_total', { endpoint: '/metrics', status: '401' }),
    ).toBeGreaterThan(0);
    expect(inA.value('http_requests_total', { endpoint: '/metrics', status: '401' })).toBe(0);
    expect(inA.value('http_requests_total', { endpoint: '/api/v1/users/me', status: '429' })).toBe(
      0,
    );
    // Process metrics are the process's: both report the same start time.
    expect(inA.value('process_start_time_seconds')).toBe(inB.value('process_start_time_seconds'));
  });
});
