import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { registerUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { expectError, sleep } from '../support/expect';

const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;
const LOCKOUT_ENV = {
  LOGIN_LOCKOUT_THRESHOLD: '3',
  LOGIN_LOCKOUT_BASE_SECONDS: '1',
  LOGIN_LOCKOUT_MAX_SECONDS: '3',
};

function login(t: TestApp, username: string, password = 'wrong-password-1') {
  return t.api().post('/api/v1/auth/login').send({ username, password });
}

async function failTimes(t: TestApp, username: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await login(t, username);
    expect([i, res.status]).toEqual([i, 401]);
  }
}

/** The lockout answer: 429 RATE_LIMIT_EXCEEDED with Retry-After = details.retry_after. */
function expectLocked(res: Response, retryAfter: number): void {
  expectError(res, 429, 'RATE_LIMIT_EXCEEDED');
  expect(res.body.error.details).toEqual({ group: 'login_lockout', retry_after: retryAfter });
  expect(res.headers['retry-after']).toBe(String(retryAfter));
}

describe('Login lockout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp(LOCKOUT_ENV);
  });
  afterAll(async () => {
    await t.close();
  });

  it('locks an existing and an unknown name alike: same status, body and Retry-After', async () => {
    const user = await registerUser(t);
    const unknown = unique('ghost');
    // Each asked right after its own failures: the lock lasts 1 s, and a loaded machine can take
    // that long for three more failed logins.
    await failTimes(t, user.username, 3);
    // Spelled differently, still the same name (trimmed, lower-cased).
    const existing = await login(t, ` ${user.username.toUpperCase()}`);
    await failTimes(t, unknown, 3);
    const missing = await login(t, unknown.toUpperCase());
    expectLocked(existing, 1);
    expectLocked(missing, 1);
    expect(missing.body.error).toEqual(existing.body.error);
    expect(Object.keys(missing.body).sort()).toEqual(Object.keys(existing.body).sort());
    // Another name is not affected.
    expect((await login(t, unique('someone'))).status).toBe(401);
  });

  it('refuses the right password while locked, then lets it in once the lock ends', async () => {
    const user = await registerUser(t);
    await failTimes(t, user.username, 3);
    expectLocked(await login(t, user.username, user.password), 1);
    // The lock is on the account: its e-mail is locked too.
    expectLocked(await login(t, user.email, user.password), 1);
    await sleep(1100);
    const ok = await login(t, user.username, user.password);
    expect(ok.status).toBe(200);
    expect(ok.body.data.access_token).toEqual(expect.any(String));
  });

  it("counts the username and the e-mail of one account together (no extra guesses through the alias), another account's apart", async () => {
    const user = await registerUser(t);
    const other = await registerUser(t);
    await failTimes(t, user.username, 2);
    await failTimes(t, user.email.toUpperCase(), 1); // the 3rd failure of the account
    expectLocked(await login(t, user.username), 1);
    expectLocked(await login(t, user.email), 1);
    expectLocked(await login(t, user.email, user.password), 1);
    expect((await login(t, other.username, other.password)).status).toBe(200);
    expect((await login(t, other.email, other.password)).status).toBe(200);
  });

  it('doubles the lock with each further failure, up to the cap', async () => {
    const name = unique('ghost');
    await failTimes(t, name, 3);
    expectLocked(await login(t, name), 1);
    await sleep(1100);
    await failTimes(t, name, 1); // 4th failure: 2 s
    expectLocked(await login(t, name), 2);
    await sleep(2100);
    await failTimes(t, name, 1); // 5th failure: 4 s, capped at 3 s
    expectLocked(await login(t, name), 3);
  });

  it('starts a name afresh after a successful login', async () => {
    const user = await registerUser(t);
    await failTimes(t, user.username, 2);
    expect((await login(t, user.username, user.password)).status).toBe(200);
    // Without the reset, the 4th failure overall would have locked the name by now.
    await failTimes(t, user.username, 2);
    expect((await login(t, user.username, user.password)).status).toBe(200);
    await failTimes(t, user.username, 3);
    expectLocked(await login(t, user.username, user.password), 1);
  });
});

const withRedis = process.env.REDIS_URL ? describe : describe.skip;

withRedis('Login lockout shared by two instances through Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await bootApp({
      ...LOCKOUT_ENV,
      LOGIN_LOCKOUT_BASE_SECONDS: '30',
      LOGIN_LOCKOUT_MAX_SECONDS: '60',
    });
    b = await bootApp({
      ...LOCKOUT_ENV,
      LOGIN_LOCKOUT_BASE_SECONDS: '30',
      LOGIN_LOCKOUT_MAX_SECONDS: '60',
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('counts failures on either instance and locks the name on both', async () => {
    const name = unique('ghost');
    await failTimes(a, name, 1);
    await failTimes(b, name, 1);
    await failTimes(a, name, 1);
    for (const app of [a, b]) {
      const res = await login(app, name);
      expectError(res, 429, 'RATE_LIMIT_EXCEEDED');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(29);
      expect(retryAfter).toBeLessThanOrEqual(30);
    }
  });
});
