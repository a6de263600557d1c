import { EVENT_BUS } from '../../src/redis/event-bus';
import { AdminService } from '../../src/modules/admin/admin.service';
import { bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { expectError } from '../support/expect';

/**
 * Sessions are cached per process (AUTH_SESSION_CACHE_MS); a revocation, a deactivation or a
 * tier change made on one replica must reach the cache of every other replica through the
 * event bus, not after the cache lifetime. The lifetime is set to a minute here, so only the
 * bus can explain a refusal within the bound below. Needs PostgreSQL and Redis shared by both
 * replicas (jest.config.js runs *replica* files only then).
 */
const CACHE_MS = 60_000;
/** Far above Redis pub/sub delivery on loopback, far below the cache lifetime. */
const BUS_BOUND_MS = 2000;

/** Polls `probe` until it returns true; the elapsed time, or Infinity past `boundMs`. */
async function msUntil(probe: () => Promise<boolean>, boundMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started <= boundMs) {
    if (await probe()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 5));
  }
  return Infinity;
}

describe('session cache across replicas (PostgreSQL + Redis)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const env = { AUTH_SESSION_CACHE_MS: String(CACHE_MS) };
    a = await bootApp(env);
    b = await bootApp(env);
    for (const t of [a, b])
      await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  /** Signs in and makes replica b cache the session. */
  async function cachedOnB(): Promise<RegisteredUser> {
    const user = await registerUser(a);
    const me = await b.api().get('/api/v1/users/me').set(bearer(user.accessToken));
    expect(me.status).toBe(200);
    return user;
  }

  it('serves a cached session without reading it again', async () => {
    const user = await cachedOnB();
    // Revoked behind the service's back (no bus message): the cache still answers, which is
    // what the bus invalidation in the next tests is needed for.
    await a.sql(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1`, [user.id]);
    const me = await b.api().get('/api/v1/users/me').set(bearer(user.accessToken));
    expect(me.status).toBe(200);
  });

  it('refuses a session logged out on another replica within the bus bound', async () => {
    const user = await cachedOnB();
    const out = await a.api().post('/api/v1/auth/logout').set(bearer(user.accessToken));
    expect(out.status).toBe(200);
    const ms = await msUntil(async () => {
      const res = await b.api().get('/api/v1/users/me').set(bearer(user.accessToken));
      return res.status === 401;
    }, BUS_BOUND_MS);
    console.log(`logout on replica a → 401 on replica b after ${ms} ms`);
    expect(ms).toBeLessThanOrEqual(BUS_BOUND_MS);
    const res = await b.api().get('/api/v1/users/me').set(bearer(user.accessToken));
    expectError(res, 401, 'AUTHENTICATION_ERROR');
  });

  it('refuses the other sessions after a password change on another replica', async () => {
    const user = await cachedOnB();
    const second = await b
      .api()
      .post('/api/v1/auth/login')
      .send({ username: user.username, password: user.password });
    expect(second.status).toBe(200);
    const kept = second.body.data.access_token as string;
    const change = await a.api().post('/api/v1/users/me/change-password').set(bearer(kept)).send({
      current_password: user.password,
      new_password: 'another-correct-horse-9',
      confirm_password: 'another-correct-horse-9',
    });
    expect(change.status).toBe(200);
    const ms = await msUntil(async () => {
      const res = await b.api().get('/api/v1/users/me').set(bearer(user.accessToken));
      return res.status === 401;
    }, BUS_BOUND_MS);
    expect(ms).toBeLessThanOrEqual(BUS_BOUND_MS);
    const still = await b.api().get('/api/v1/users/me').set(bearer(kept));
    expect(still.status).toBe(200);
  });

  it('refuses a user deactivated on another replica, and sees a new tier', async () => {
    const user = await cachedOnB();
    const admin = a.app.get(AdminService);
    await admin.updateUser(null, user.id, { is_vip: true });
    const vipMs = await msUntil(async () => {
      const res = await b.api().get('/api/v1/users/me/quota').set(bearer(user.accessToken));
      // The VIP tier's daily request limit (QUOTA_VIP_DAILY_REQUESTS, 200 by default; normal: 50).
      return res.status === 200 && res.body.data.daily_limit.requests === 200;
    }, BUS_BOUND_MS);
    expect(vipMs).toBeLessThanOrEqual(BUS_BOUND_MS);

    await admin.updateUser(null, user.id, { is_active: false });
    const offMs = await msUntil(async () => {
      const res = await b.api().get('/api/v1/users/me').set(bearer(user.accessToken));
      return res.status === 401 || res.status === 403;
    }, BUS_BOUND_MS);
    expect(offMs).toBeLessThanOrEqual(BUS_BOUND_MS);
  });
});
