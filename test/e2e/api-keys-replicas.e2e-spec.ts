import { EVENT_BUS } from '../../src/redis/event-bus';
import { bearer, registerUser, type RegisteredUser } from '../factories';
import { bootApp, type TestApp } from '../support/app';
import { expectError, until } from '../support/expect';
import { chatWsUrl, closeAllWs, connectWs } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

/**
 * An API key revoked (or its user deactivated) through one replica stops working on another
 * at once, although that replica holds the key in its cache for a minute: the event bus drops
 * it. Needs PostgreSQL and Redis shared by both replicas (jest.config.js runs *replica* files
 * only then).
 */
describe('API keys across replicas (PostgreSQL + Redis)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // A cache lifetime far longer than the test waits: only the bus can explain a 401 in time.
    const env = { ...TITLES_OFF, AUTH_SESSION_CACHE_MS: '60000' };
    a = await bootApp(env);
    b = await bootApp(env);
    for (const t of [a, b])
      await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
  });
  afterAll(async () => {
    await closeAllWs();
    await a?.close();
    await b?.close();
  });

  const aKey = async (user: RegisteredUser) => {
    const res = await a
      .api()
      .post('/api/v1/api-keys')
      .set(bearer(user.accessToken))
      .send({ name: 'replicated' });
    expect(res.status).toBe(201);
    return res.body.data as { id: string; key: string };
  };
  const meOn = (t: TestApp, key: string) => t.api().get('/api/v1/users/me').set(bearer(key));
  /** 401 on `t` within a second (the cache would hold the key for a minute). */
  const refusedSoon = async (t: TestApp, key: string) => {
    await until(async () => (await meOn(t, key)).status === 401, 1000, 'the key refused');
    expectError(await meOn(t, key), 401, 'AUTHENTICATION_ERROR');
  };

  it('a key revoked on one replica is refused at once on the other, and its socket there closes', async () => {
    const user = await registerUser(a);
    const { id, key } = await aKey(user);
    // Used on b first: b caches it.
    expect((await meOn(b, key)).status).toBe(200);
    expect((await meOn(b, key)).status).toBe(200);
    const socket = await connectWs(chatWsUrl(b.url, `?token=${key}`));
    await socket.roundTrip();

    const res = await a.api().delete(`/api/v1/api-keys/${id}`).set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    await refusedSoon(b, key);
    expect((await socket.waitForClose()).code).toBe(4401);
  });

  it('a user deactivated on one replica: their key is refused at once on the other', async () => {
    const admin = await registerUser(a);
    await a.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const user = await registerUser(a);
    const { key } = await aKey(user);
    expect((await meOn(b, key)).status).toBe(200);

    const res = await a
      .api()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set(bearer(admin.accessToken))
      .send({ is_active: false });
    expect(res.status).toBe(200);
    await refusedSoon(b, key);
  });

  it('an admin revoking a key on one replica: refused at once on the other', async () => {
    const admin = await registerUser(a);
    await a.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const user = await registerUser(a);
    const { id, key } = await aKey(user);
    expect((await meOn(b, key)).status).toBe(200);
    const res = await a
      .api()
      .delete(`/api/v1/admin/users/${user.id}/api-keys/${id}`)
      .set(bearer(admin.accessToken));
    expect(res.status).toBe(200);
    await refusedSoon(b, key);
  });
});
