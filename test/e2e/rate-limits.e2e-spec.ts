import { randomBytes, randomInt, randomUUID } from 'node:crypto';
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
      RATE_LIMIT_RECOVERY: '3',
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

  it('never limits health probes and metrics', async () => {
    const user = await register(t, xff(nextIp()));
    const ip = nextIp();
    const paths = ['/api/v1/health', '/api/v1/health/live', '/api/v1/health/ready', '/metrics'];
    for (const path of paths) {
      for (let i = 0; i < 8; i++) {
        const res = await t.api().get(path).set(xff(ip)).set(bearer(user.accessToken));
        expect([path, res.status]).toEqual([path, 200]);
        expect(res.headers['ratelimit-limit']).toBeUndefined();
      }
    }
    // Neither the user's default budget nor the address's was touched by any of it.
    const me = await t.api().get('/api/v1/users/me').set(bearer(user.accessToken));
    expect(rateHeaders(me).remaining).toBe(4);
    expect(rateHeaders(await t.api().get('/api/v1/models').set(xff(ip))).remaining).toBe(4);
  });

  it('default: the public catalog (/models, /info) counts per client address, token or not', async () => {
    const ip = nextIp();
    const user = await register(t, xff(nextIp()));
    const answers = [];
    for (const path of ['/api/v1/models', '/api/v1/info', '/api/v1/models', '/api/v1/info']) {
      answers.push(await t.api().get(path).set(xff(ip)));
    }
    // A bearer token does not make a public route count per user: it is the address's budget.
    answers.push(await t.api().get('/api/v1/models').set(xff(ip)).set(bearer(user.accessToken)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((r) => rateHeaders(r).remaining)).toEqual([4, 3, 2, 1, 0]);
    expectRefused(await t.api().get('/api/v1/info').set(xff(ip)), 'default', 5);
    expectRefused(await t.api().get('/api/v1/models').set(xff(ip)), 'default', 5);
    // Another address, and the user's own budget, are untouched.
    expect((await t.api().get('/api/v1/models').set(xff(nextIp()))).status).toBe(200);
    const me = await t.api().get('/api/v1/users/me').set(xff(ip)).set(bearer(user.accessToken));
    expect(me.status).toBe(200);
    expect(rateHeaders(me).remaining).toBe(4);
  });

  it('default: requests whose token fails count per client address: 401 until spent, then 429', async () => {
    const ip = nextIp();
    const user = await register(t, xff(nextIp()));
    const forged = `${user.accessToken.slice(0, -4)}AAAA`;
    const tries = [
      t.api().get('/api/v1/users/me').set(xff(ip)).set(bearer(forged)),
      t.api().get('/api/v1/conversations').set(xff(ip)).set(bearer('not-a-jwt')),
      t.api().get('/api/v1/users/me').set(xff(ip)),
      t.api().post('/api/v1/auth/logout').set(xff(ip)).set(bearer(forged)),
      t.api().get('/api/v1/auth/sessions').set(xff(ip)).set(bearer(forged)),
    ];
    for (const req of tries) expectError(await req, 401, 'AUTHENTICATION_ERROR');
    expectRefused(
      await t.api().get('/api/v1/users/me').set(xff(ip)).set(bearer(forged)),
      'default',
      5,
    );
    // The public catalog from that address shares the spent budget.
    expectRefused(await t.api().get('/api/v1/models').set(xff(ip)), 'default', 5);
    // A bad token from another address is still a plain 401; the user's own token works anywhere.
    expectError(
      await t.api().get('/api/v1/users/me').set(xff(nextIp())).set(bearer(forged)),
      401,
      'AUTHENTICATION_ERROR',
    );
    const me = await t.api().get('/api/v1/users/me').set(xff(ip)).set(bearer(user.accessToken));
    expect(me.status).toBe(200);
  });

  it('recovery: logout, change-password and the session routes pass with the default budget spent; they have a budget of their own per session and address', async () => {
    const user = await register(t, xff(nextIp()));
    const ip = nextIp();
    const stolen = (
      await t
        .api()
        .post('/api/v1/auth/login')
        .set(xff(nextIp()))
        .send({ username: user.username, password: user.password })
    ).body.data as { access_token: string };
    // The thief spends the user's default budget.
    for (let i = 0; i < 5; i++)
      await t.api().get('/api/v1/conversations').set(xff(ip)).set(bearer(stolen.access_token));
    expectRefused(
      await t.api().get('/api/v1/users/me').set(xff(ip)).set(bearer(user.accessToken)),
      'default',
      5,
    );
    // The owner's recovery routes still answer, counted by `recovery` (3 here), not `default`.
    const sessions = await t
      .api()
      .get('/api/v1/auth/sessions')
      .set(xff(ip))
      .set(bearer(user.accessToken));
    expect(sessions.status).toBe(200);
    expect(rateHeaders(sessions)).toMatchObject({ limit: 3, remaining: 2 });
    const changed = await t
      .api()
      .post('/api/v1/users/me/change-password')
      .set(xff(ip))
      .set(bearer(user.accessToken))
      .send({
        current_password: user.password,
        new_password: 'another-password-1',
        confirm_password: 'another-password-1',
      });
    expect(changed.status).toBe(200);
    expect(rateHeaders(changed)).toMatchObject({ limit: 3, remaining: 1 });
    // The password change ended the thief's session.
    expectError(
      await t.api().get('/api/v1/users/me').set(xff(nextIp())).set(bearer(stolen.access_token)),
      401,
      'AUTHENTICATION_ERROR',
    );
    const revoke = await t
      .api()
      .delete(`/api/v1/auth/sessions/${randomUUID()}`)
      .set(xff(ip))
      .set(bearer(user.accessToken));
    expectError(revoke, 404, 'RESOURCE_NOT_FOUND');
    expectRefused(
      await t.api().post('/api/v1/auth/logout').set(xff(ip)).set(bearer(user.accessToken)),
      'recovery',
      3,
    );
    // The same session from another address has a budget of its own.
    const out = await t
      .api()
      .post('/api/v1/auth/logout')
      .set(xff(nextIp()))
      .set(bearer(user.accessToken));
    expect(out.status).toBe(200);
  });

  it('auth: forgot-password is refused per IP, never per e-mail (the mail cooldown holds the address instead)', async () => {
    const email = `${unique('owner')}@example.com`;
    // Six requests for one address from six addresses: all answered 200.
    for (let i = 0; i < 6; i++) {
      const res = await t
        .api()
        .post('/api/v1/auth/forgot-password')
        .set(xff(nextIp()))
        .send({ email });
      expect([i, res.status]).toEqual([i, 200]);
    }
    // One address asking for six e-mails: the 6th is refused.
    const ip = nextIp();
    for (let i = 0; i < 5; i++) {
      const res = await t
        .api()
        .post('/api/v1/auth/forgot-password')
        .set(xff(ip))
        .send({ email: `${unique('x')}@example.com` });
      expect(res.status).toBe(200);
    }
    expectRefused(
      await t
        .api()
        .post('/api/v1/auth/forgot-password')
        .set(xff(ip))
        .send({ email: `${unique('x')}@example.com` }),
      'auth',
      5,
    );
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

describe('RATE_LIMIT_AUTH_IP: the per-client-IP part of the auth limit, set apart', () => {
  let t: TestApp;
  beforeAll(async () => {
    // An office behind one address: 8 tries per minute from it, 3 per account name.
    t = await bootApp({
      RATE_LIMIT_AUTH: '3',
      RATE_LIMIT_AUTH_IP: '8',
      TRUST_PROXY: 'loopback',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('many accounts from one IP get the IP limit, past the account limit', async () => {
    const office = nextIp();
    for (let i = 0; i < 8; i++) {
      expect((await login(t, unique('colleague'), xff(office))).status).toBe(401);
    }
    expectRefused(await login(t, unique('colleague'), xff(office)), 'auth', 8);
  });

  it('one account still gets the account limit, from one IP or many', async () => {
    const office = nextIp();
    const name = unique('target');
    for (let i = 0; i < 3; i++) expect((await login(t, name, xff(office))).status).toBe(401);
    expectRefused(await login(t, name, xff(office)), 'auth', 3);
    expectRefused(await login(t, name, xff(nextIp())), 'auth', 3);
    // The office's address has budget left for other accounts.
    expect((await login(t, unique('colleague'), xff(office))).status).toBe(401);
  });

  // Unset, it is RATE_LIMIT_AUTH: the first suite's 6th login from one IP is refused at 5.
  it('refuses an invalid value at boot', async () => {
    await expect(bootApp({ RATE_LIMIT_AUTH_IP: '0' })).rejects.toThrow(/RATE_LIMIT_AUTH_IP/);
  });
});

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
