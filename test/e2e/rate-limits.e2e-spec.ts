import { randomBytes, randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Response } from 'supertest';
import { aUser, bearer, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { expectError } from '../support/expect';

/** A fresh /16 of documentation-like addresses per run: counters left in a shared Redis never match. */
const NET = `10.${randomInt(0, 256)}.${randomInt(0, 256)}`;
let hostCounter = 0;
const nextIp = () => `${NET.replace(/^10\./, '172.')}.${++hostCounter % 250}`;
const xff = (ip: string) => ({ 'X-Forwarded-For': ip });
const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

function login(t: TestApp, username: string, headers: Record<string, string> = {}) {
  return t
    .api()
    .post('/api/v1/auth/login')
    .set(headers)
    .send({ username, password: 'wrong-password-1' });
}

/** Registers a user from its own (forwarded) address, so registrations do not use up one IP's auth budget. */
async function register(t: TestApp, headers: Record<string, string>): Promise<RegisteredUser> {
  const input = aUser();
  const res = await t
    .api()
    .post('/api/v1/auth/register')
    .set(headers)
    .send({ ...input, confirm_password: input.password });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    ...input,
    id: res.body.data.user.id,
    accessToken: res.body.data.access_token,
    refreshToken: res.body.data.refresh_token,
  };
}

function rateHeaders(res: Response) {
  return {
    limit: Number(res.headers['ratelimit-limit']),
    remaining: Number(res.headers['ratelimit-remaining']),
    reset: Number(res.headers['ratelimit-reset']),
  };
}

/** A 429 in the contract's shape, with Retry-After and the RateLimit-* headers of the used-up budget. */
function expectRefused(res: Response, group: string, limit: number): void {
  expectError(res, 429, 'RATE_LIMIT_EXCEEDED');
  expect(res.body.error.details).toMatchObject({ group, limit });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.body.error.details.retry_after).toBe(retryAfter);
  expect(rateHeaders(res)).toEqual({ limit, remaining: 0, reset: retryAfter });
}

describe('HTTP rate limits behind a trusted proxy (TRUST_PROXY=loopback)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({
      RATE_LIMIT_AUTH: '5',
      RATE_LIMIT_DEFAULT: '5',
      TRUST_PROXY: 'loopback',
      CORS_ORIGINS: 'https://chat.example.com',
      LLM_PROVIDER: 'offline',
      OPENAI_API_KEY: undefined,
      OFFLINE_TOKEN_DELAY_MS: '0',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('auth: refuses the 6th login from one client IP, with headers; another IP and another auth route still pass', async () => {
    const ip = nextIp();
    for (let i = 0; i < 5; i++) {
      const res = await login(t, unique('nobody'), xff(ip));
      expect(res.status).toBe(401);
      const headers = rateHeaders(res);
      expect(headers.limit).toBe(5);
      expect(headers.remaining).toBe(4 - i);
      expect(headers.reset).toBeGreaterThanOrEqual(1);
      expect(headers.reset).toBeLessThanOrEqual(60);
    }
    expectRefused(await login(t, unique('nobody'), xff(ip)), 'auth', 5);

    expect((await login(t, unique('nobody'), xff(nextIp()))).status).toBe(401);
    const forgot = await t
      .api()
      .post('/api/v1/auth/forgot-password')
      .set(xff(ip))
      .send({ email: `${unique('x')}@example.com` });
    expect(forgot.status).toBe(200);
  });

  it('auth: refuses the 6th try on one account name from many IPs (names compared case-insensitively)', async () => {
    const name = unique('victim');
    const spellings = [name, name.toUpperCase(), ` ${name}`, name, name.toUpperCase()];
    for (const spelling of spellings) {
      const res = await login(t, spelling, xff(nextIp()));
      expect(res.status).toBe(401);
    }
    const lastIp = nextIp();
    expectRefused(await login(t, name, xff(lastIp)), 'auth', 5);
    // That IP has one try counted; another name from it is served.
    expect((await login(t, unique('other'), xff(lastIp))).status).toBe(401);
  });

  it('auth: counts register by the username and the e-mail tried', async () => {
    const input = aUser();
    for (let i = 0; i < 5; i++) {
      const res = await t
        .api()
        .post('/api/v1/auth/register')
        .set(xff(nextIp()))
        .send({ ...input, email: `${unique('e')}@example.com`, confirm_password: input.password });
      expect(res.status).toBe(i === 0 ? 201 : 422);
    }
    const sixth = await t
      .api()
      .post('/api/v1/auth/register')
      .set(xff(nextIp()))
      .send({ ...aUser(), username: input.username, confirm_password: 'irrelevant-123' });
    expectRefused(sixth, 'auth', 5);
  });

  it('default: counts per user, so two users behind one IP do not share a budget', async () => {
    const ip = nextIp();
    const [a, b] = [await register(t, xff(nextIp())), await register(t, xff(nextIp()))];
    for (let i = 0; i < 5; i++) {
      const res = await t.api().get('/api/v1/users/me').set(xff(ip)).set(bearer(a.accessToken));
      expect(res.status).toBe(200);
      expect(rateHeaders(res).limit).toBe(5);
      expect(rateHeaders(res).remaining).toBe(4 - i);
    }
    expectRefused(
      await t.api().get('/api/v1/conversations').set(xff(ip)).set(bearer(a.accessToken)),
      'default',
      5,
    );
    const other = await t.api().get('/api/v1/users/me').set(xff(ip)).set(bearer(b.accessToken));
    expect(other.status).toBe(200);
    expect(rateHeaders(other).remaining).toBe(4);
  });

  it('default: message sends are not counted by it (they have the messages budget)', async () => {
    const user = await register(t, xff(nextIp()));
    const created = await t
      .api()
      .post('/api/v1/conversations')
      .set(bearer(user.accessToken))
      .send({});
    expect(rateHeaders(created).remaining).toBe(4);
    for (let i = 0; i < 6; i++) {
      const sent = await t
        .api()
        .post(`/api/v1/conversations/${created.body.data.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: `hello ${i}` });
      expect(sent.status).toBe(201);
      // The headers of a send are its own budget's (100000 in this suite).
      expect(rateHeaders(sent).limit).toBe(100000);
    }
    const me = await t.api().get('/api/v1/users/me').set(bearer(user.accessToken));
    expect(me.status).toBe(200);
    expect(rateHeaders(me).remaining).toBe(3);
  });

  it('never limits health probes, info, models and metrics', async () => {
    const user = await register(t, xff(nextIp()));
    const paths = [
      '/api/v1/health',
      '/api/v1/health/live',
      '/api/v1/health/ready',
      '/api/v1/info',
      '/api/v1/models',
      '/metrics',
    ];
    for (const path of paths) {
      for (let i = 0; i < 8; i++) {
        const res = await t.api().get(path).set(bearer(user.accessToken));
        expect([path, res.status]).toEqual([path, 200]);
        expect(res.headers['ratelimit-limit']).toBeUndefined();
      }
    }
    // The same user's default budget was not touched by any of it.
    const me = await t.api().get('/api/v1/users/me').set(bearer(user.accessToken));
    expect(rateHeaders(me).remaining).toBe(4);
  });

  it('lets browsers read the rate-limit headers (CORS exposed headers)', async () => {
    const user = await register(t, xff(nextIp()));
    const res = await t
      .api()
      .get('/api/v1/users/me')
      .set('Origin', 'https://chat.example.com')
      .set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    const exposed = String(res.headers['access-control-expose-headers'])
      .split(',')
      .map((h) => h.trim().toLowerCase());
    for (const header of [
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
      'retry-after',
    ])
      expect(exposed).toContain(header);
  });
});

/** Sends a login from a given local address (127.0.0.0/8 are all this machine). */
function loginFrom(t: TestApp, localAddress: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: { error?: { code: string } } }>((resolve, reject) => {
    const url = new URL('/api/v1/auth/login', t.url);
    const body = JSON.stringify({ username: unique('nobody'), password: 'wrong-password-1' });
    const req = httpRequest(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'Content-Type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text) as { error?: { code: string } },
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP rate limits without TRUST_PROXY', () => {
  let t: TestApp;
  beforeAll(async () => {
    // In memory: these counters are keyed by 127.0.0.x, which other suites share in Redis.
    t = await bootApp({ RATE_LIMIT_AUTH: '3', REDIS_URL: undefined });
  });
  afterAll(async () => {
    await t.close();
  });

  it('ignores X-Forwarded-For: a client rotating it still hits its own per-IP limit', async () => {
    const local = '127.0.0.3';
    for (let i = 0; i < 3; i++) {
      const res = await loginFrom(t, local, xff(`198.51.100.${i + 1}`));
      expect(res.status).toBe(401);
    }
    const refused = await loginFrom(t, local, xff('198.51.100.99'));
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('RATE_LIMIT_EXCEEDED');
    // A client at another address is counted apart.
    expect((await loginFrom(t, '127.0.0.4')).status).toBe(401);
  });
});

describe('TRUST_PROXY validation', () => {
  it('refuses to boot with TRUST_PROXY=true (it would believe any forwarded address)', async () => {
    await expect(bootApp({ TRUST_PROXY: 'true' })).rejects.toThrow(/TRUST_PROXY/);
  });
});

const withRedis = process.env.REDIS_URL ? describe : describe.skip;

withRedis('HTTP rate limits shared by two instances through Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { RATE_LIMIT_AUTH: '4', TRUST_PROXY: 'loopback' };
    a = await bootApp(env);
    b = await bootApp(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('counts one budget over both instances (per IP and per account name)', async () => {
    const ip = nextIp();
    for (let i = 0; i < 4; i++) {
      const res = await login(i % 2 === 0 ? a : b, unique('nobody'), xff(ip));
      expect(res.status).toBe(401);
      expect(rateHeaders(res).remaining).toBe(3 - i);
    }
    expectRefused(await login(a, unique('nobody'), xff(ip)), 'auth', 4);
    expectRefused(await login(b, unique('nobody'), xff(ip)), 'auth', 4);

    const name = unique('shared');
    for (let i = 0; i < 4; i++) {
      expect((await login(i % 2 === 0 ? b : a, name, xff(nextIp()))).status).toBe(401);
    }
    expectRefused(await login(a, name, xff(nextIp())), 'auth', 4);
  });
});
