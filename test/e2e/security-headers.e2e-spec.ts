import type { Response } from 'supertest';
import { bootApp, TestApp } from '../support/app';
import { expectError } from '../support/expect';

const ALLOWED = 'https://chat.example.com';
const ALSO_ALLOWED = 'https://admin.example.com';
const FOREIGN = 'https://evil.example.net';

function expectHelmetHeaders(res: Response): void {
  expect(res.headers).toMatchObject({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'strict-transport-security': expect.stringContaining('max-age='),
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'x-dns-prefetch-control': 'off',
    'x-permitted-cross-domain-policies': 'none',
  });
  expect(res.headers['x-powered-by']).toBeUndefined();
}

describe('Security headers and CORS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ CORS_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}`, BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('helmet', () => {
    it('sets its headers and a CSP that allows nothing on API answers', async () => {
      const res = await t.api().get('/api/v1/health/live');
      expect(res.status).toBe(200);
      expectHelmetHeaders(res);
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
    });

    it('sets them on errors too: the JSON 404, a 401 and an oversized body (413)', async () => {
      const missing = await t.api().get('/nowhere');
      expectError(missing, 404, 'RESOURCE_NOT_FOUND');
      expectHelmetHeaders(missing);
      const unauthenticated = await t.api().get('/api/v1/users/me');
      expectError(unauthenticated, 401, 'AUTHENTICATION_ERROR');
      expectHelmetHeaders(unauthenticated);
      const tooLarge = await t
        .api()
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ username: 'x'.repeat(4096), password: 'y' }));
      expectError(tooLarge, 413, 'VALIDATION_ERROR');
      expectHelmetHeaders(tooLarge);
      expect(tooLarge.headers['x-request-id']).toBeTruthy();
    });

    it('gives the Swagger UI a CSP it works under (same-origin scripts only, no inline ones)', async () => {
      const page = await t.api().get('/api/docs/');
      if (page.status === 404) return; // API_DOCS_ENABLED=false in this environment
      expect(page.status).toBe(200);
      expectHelmetHeaders(page);
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      const html = page.text;
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, body] of scripts) {
        expect(attributes).toMatch(/src=/);
        expect(body.trim()).toBe('');
        const src = /src=["']([^"']+)["']/.exec(attributes)![1];
        expect(src).not.toMatch(/^(https?:)?\/\//);
        const asset = await t.api().get(new URL(src, `${t.url}/api/docs/`).pathname);
        expect(asset.status).toBe(200);
      }
    });
  });

  describe('CORS from CORS_ORIGINS', () => {
    const preflight = (origin: string) =>
      t
        .api()
        .options('/api/v1/conversations')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type,idempotency-key');

    it.each([ALLOWED, ALSO_ALLOWED])(
      'answers a preflight from %s with the allow headers',
      async (origin) => {
        const res = await preflight(origin);
        expect(res.status).toBe(204);
        expect(res.headers['access-control-allow-origin']).toBe(origin);
        expect(res.headers['access-control-allow-credentials']).toBe('true');
        expect(res.headers['access-control-allow-methods']).toContain('POST');
        expect(res.headers['access-control-allow-headers']).toContain('authorization');
        expect(res.headers.vary).toContain('Origin');
      },
    );

    it('gives a foreign origin no allow headers', async () => {
      const res = await preflight(FOREIGN);
      // No CORS for it: the request goes on like any OPTIONS request (the JSON 404).
      expect(res.status).toBe(404);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      const get = await t.api().get('/api/v1/health/live').set('Origin', FOREIGN);
      expect(get.status).toBe(200);
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('exposes X-Request-Id, Retry-After and RateLimit-* to allowed origins', async () => {
      const res = await t.api().get('/api/v1/health/live').set('Origin', ALLOWED);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      const exposed = res.headers['access-control-expose-headers']
        .split(',')
        .map((h) => h.trim().toLowerCase());
      expect(exposed).toEqual(
        expect.arrayContaining([
          'x-request-id',
          'retry-after',
          'ratelimit-limit',
          'ratelimit-remaining',
          'ratelimit-reset',
        ]),
      );
    });
  });

  describe('CORS with CORS_ORIGINS empty', () => {
    it('allows no origin at all', async () => {
      const closed = await bootApp({ CORS_ORIGINS: '' });
      try {
        const res = await closed
          .api()
          .options('/api/v1/conversations')
          .set('Origin', ALLOWED)
          .set('Access-Control-Request-Method', 'POST');
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
      } finally {
        await closed.close();
      }
    });
  });
});
