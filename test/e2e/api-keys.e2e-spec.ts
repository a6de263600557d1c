import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { EVENT_BUS } from '../../src/redis/event-bus';
import { aConversation, bearer, registerUser, type RegisteredUser } from '../factories';
import { bootApp, type TestApp } from '../support/app';
import { expectError, fieldsOf, ISO_UTC, sleep, until, UUID } from '../support/expect';
import { fakeOpenAiEnv, startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai';
import { readSse } from '../support/sse';
import { chatWsUrl, closeAllWs, connectWs, refusedUpgrade } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

const KEY_SHAPE = /^sk-[A-Za-z0-9_-]{43}$/;

interface CreatedKey {
  id: string;
  name: string;
  key: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

/**
 * API keys (API.md §12): create, list, revoke; stored as a hash; accepted only on the routes
 * that allow them (REST chat routes, SSE, the WebSocket handshake) and refused with 403 on
 * account, key and admin routes; revoked, expired and deactivated → 401. The model is a local
 * OpenAI-compatible server through the real SDK.
 */
describe('API keys (/api/v1/api-keys)', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  /** Every response body of the suite, to check that no key (but at creation) or hash leaks. */
  const seen: { text: string; creation: boolean }[] = [];
  const created: CreatedKey[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    fake.setDefault({ text: 'Hello from the key' });
    t = await bootApp({ ...fakeOpenAiEnv(fake), ...TITLES_OFF });
    await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
  });
  afterAll(async () => {
    await closeAllWs();
    await t?.close();
    await fake?.close();
  });

  const record = (res: Response, creation = false): Response => {
    seen.push({ text: res.text ?? '', creation });
    return res;
  };
  const create = async (token: string, body: object = { name: 'script' }) =>
    record(await t.api().post('/api/v1/api-keys').set(bearer(token)).send(body), true);
  const aKey = async (user: RegisteredUser, body: object = { name: 'script' }) => {
    const res = await create(user.accessToken, body);
    expect(res.status).toBe(201);
    const key = res.body.data as CreatedKey;
    created.push(key);
    return key;
  };
  const get = async (path: string, token: string) =>
    record(await t.api().get(`/api/v1${path}`).set(bearer(token)));
  const list = async (token: string) => {
    const res = await get('/api-keys', token);
    expect(res.status).toBe(200);
    return res.body.data.api_keys as Omit<CreatedKey, 'key'>[];
  };
  const revoke = async (token: string, id: string) =>
    record(await t.api().delete(`/api/v1/api-keys/${id}`).set(bearer(token)));
  const anAdmin = async () => {
    const admin = await registerUser(t);
    await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    return admin;
  };

  describe('POST /api-keys', () => {
    it('answers the key once, with its prefix, and stores only an HMAC of it', async () => {
      const user = await registerUser(t);
      const before = Date.now();
      const key = await aKey(user, { name: '  nightly report  ' });
      expect(Object.keys(key).sort()).toEqual(
        ['created_at', 'expires_at', 'id', 'key', 'last_used_at', 'name', 'prefix'].sort(),
      );
      expect(key.id).toMatch(UUID);
      expect(key.name).toBe('nightly report');
      expect(key.key).toMatch(KEY_SHAPE);
      expect(key.prefix).toBe(key.key.slice(0, 11));
      expect(key.created_at).toMatch(ISO_UTC);
      expect(Date.parse(key.created_at)).toBeGreaterThanOrEqual(before - 1000);
      expect(key.expires_at).toBeNull();
      expect(key.last_used_at).toBeNull();

      const rows = await t.sql<{ hash: string; prefix: string; whole: string }>(
        `SELECT hash, prefix, k::text AS whole FROM api_keys k WHERE id = $1`,
        [key.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0].prefix).toBe(key.prefix);
      // The key is in no column; the random part is not either.
      expect(rows[0].whole).not.toContain(key.key);
      expect(rows[0].whole).not.toContain(key.key.slice(11));

      // Never shown again: the list has no `key`.
      const listed = await list(user.accessToken);
      expect(listed).toEqual([
        {
          id: key.id,
          name: key.name,
          prefix: key.prefix,
          created_at: key.created_at,
          expires_at: null,
          last_used_at: null,
        },
      ]);
    });

    it('sets expires_at from expires_in_days', async () => {
      const user = await registerUser(t);
      const key = await aKey(user, { name: 'month', expires_in_days: 30 });
      const expires = Date.parse(key.expires_at!);
      expect(expires - Date.parse(key.created_at)).toBeGreaterThan(30 * 86_400_000 - 5000);
      expect(expires - Date.parse(key.created_at)).toBeLessThan(30 * 86_400_000 + 5000);
    });

    it.each([
      ['no name', {}, 'name'],
      ['an empty name', { name: '' }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name of 101 characters', { name: 'x'.repeat(101) }, 'name'],
      ['a name that is not a string', { name: 7 }, 'name'],
      ['expires_in_days 0', { name: 'k', expires_in_days: 0 }, 'expires_in_days'],
      ['expires_in_days 3651', { name: 'k', expires_in_days: 3651 }, 'expires_in_days'],
      ['a fractional expires_in_days', { name: 'k', expires_in_days: 1.5 }, 'expires_in_days'],
      ['an unknown field', { name: 'k', scopes: ['all'] }, 'scopes'],
    ])('refuses %s with 422 VALIDATION_ERROR', async (_what, body, field) => {
      const user = await registerUser(t);
      const res = await create(user.accessToken, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain(field);
      expect(await list(user.accessToken)).toEqual([]);
    });

    it('refuses the 21st live key with 422; a revoked or expired key frees its place', async () => {
      const user = await registerUser(t);
      const keys: CreatedKey[] = [];
      for (let i = 0; i < 20; i++) keys.push(await aKey(user, { name: `key ${i}` }));
      const refused = await create(user.accessToken, { name: 'one too many' });
      expectError(refused, 422, 'VALIDATION_ERROR');
      expect(refused.body.error.details).toMatchObject({ field: 'api_keys', limit: 20 });
      expect(await list(user.accessToken)).toHaveLength(20);

      expect((await revoke(user.accessToken, keys[0].id)).status).toBe(200);
      await aKey(user, { name: 'in the freed place' });
      expectError(
        await create(user.accessToken, { name: 'again too many' }),
        422,
        'VALIDATION_ERROR',
      );

      await t.sql(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        keys[1].id,
      ]);
      await aKey(user, { name: 'in the expired one’s place' });
      // Another user is not held up by this one's keys.
      await aKey(await registerUser(t));
    });
  });

  it('creates no more than 20 live keys under 30 concurrent creations', async () => {
    const user = await registerUser(t);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => create(user.accessToken, { name: `race ${i}` })),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 422)).toHaveLength(10);
    const rows = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1`,
      [user.id],
    );
    expect(rows[0].n).toBe(20);
  });

  describe('DELETE /api-keys/{id}', () => {
    it('revokes at once: 401 on the next request, gone from the list; a second revoke 404', async () => {
      const user = await registerUser(t);
      const key = await aKey(user);
      expect((await get('/users/me', key.key)).status).toBe(200);
      const res = await revoke(user.accessToken, key.id);
      expect(res.status).toBe(200);
      expect(res.body.data).toBeNull();
      expectError(await get('/users/me', key.key), 401, 'AUTHENTICATION_ERROR');
      expect(await list(user.accessToken)).toEqual([]);
      expectError(await revoke(user.accessToken, key.id), 404, 'RESOURCE_NOT_FOUND');
      const rows = await t.sql<{ revoked: boolean }>(
        `SELECT revoked_at IS NOT NULL AS revoked FROM api_keys WHERE id = $1`,
        [key.id],
      );
      expect(rows[0].revoked).toBe(true);
    });

    it("answers 404 for another user's key and leaves it working; 400 for a malformed id", async () => {
      const owner = await registerUser(t);
      const key = await aKey(owner);
      const stranger = await registerUser(t);
      expectError(await revoke(stranger.accessToken, key.id), 404, 'RESOURCE_NOT_FOUND');
      expectError(await revoke(stranger.accessToken, randomUUID()), 404, 'RESOURCE_NOT_FOUND');
      expectError(await revoke(stranger.accessToken, 'not-a-uuid'), 400, 'VALIDATION_ERROR');
      expect((await get('/users/me', key.key)).status).toBe(200);
    });

    it('closes a socket opened with the key (4401)', async () => {
      const user = await registerUser(t);
      const key = await aKey(user);
      const socket = await connectWs(chatWsUrl(t.url, `?token=${key.key}`));
      await socket.roundTrip();
      expect((await revoke(user.accessToken, key.id)).status).toBe(200);
      expect((await socket.waitForClose()).code).toBe(4401);
      expect(await refusedUpgrade(chatWsUrl(t.url, `?token=${key.key}`))).toBe(401);
    });
  });

  describe('Authorization: Bearer sk-…', () => {
    it('authenticates as the key’s user on the REST chat routes', async () => {
      const user = await registerUser(t);
      const { key } = await aKey(user);
      const asKey = { accessToken: key };

      const me = await get('/users/me', key);
      expect(me.status).toBe(200);
      expect(me.body.data).toMatchObject({ id: user.id, username: user.username });
      expect((await get('/users/me/quota', key)).status).toBe(200);
      expect((await get('/models', key)).status).toBe(200);
      expect((await get('/files', key)).status).toBe(200);

      const conversation = await aConversation(t, asKey, { title: 'by key' });
      const listed = await get('/conversations', key);
      const ids = (listed.body.data.conversations as { id: string }[]).map((c) => c.id);
      expect(ids).toEqual([conversation.id]);
      const sent = record(
        await t
          .api()
          .post(`/api/v1/conversations/${conversation.id}/messages`)
          .set(bearer(key))
          .send({ content: 'hello', role: 'user' }),
      );
      expect(sent.status).toBe(201);
      expect(sent.body.data.assistant_message.content).toBe('Hello from the key');
      const regenerated = record(
        await t
          .api()
          .post(`/api/v1/messages/${sent.body.data.assistant_message.id}/regenerate`)
          .set(bearer(key))
          .send({}),
      );
      expect(regenerated.status).toBe(201);
      const messages = await get(`/conversations/${conversation.id}/messages`, key);
      expect(messages.status).toBe(200);
      // The same conversation is the user's, whichever credential is used.
      expect((await get(`/conversations/${conversation.id}`, user.accessToken)).status).toBe(200);
    });

    it('streams a send over SSE, and with stream: true', async () => {
      const user = await registerUser(t);
      const { key } = await aKey(user);
      const conversation = await aConversation(t, { accessToken: key });
      for (const [path, body] of [
        ['messages/stream', { content: 'stream it' }],
        ['messages', { content: 'stream it too', stream: true }],
      ] as const) {
        const stream = await readSse(`${t.url}/api/v1/conversations/${conversation.id}/${path}`, {
          headers: bearer(key),
          body,
        });
        expect(stream.status).toBe(200);
        expect(stream.events[0]).toMatchObject({ type: 'start' });
        expect(stream.events.at(-1)).toMatchObject({ type: 'end' });
      }
    });

    it('opens the WebSocket with ?token= or the bearer subprotocol, and chats over it', async () => {
      const user = await registerUser(t);
      const { key } = await aKey(user);
      const conversation = await aConversation(t, { accessToken: key });
      const socket = await connectWs(chatWsUrl(t.url, `?token=${encodeURIComponent(key)}`));
      await socket.roundTrip();
      socket.send({ type: 'chat_message', conversation_id: conversation.id, content: 'hi' });
      const end = await socket.waitFor((f) => f.type === 'message_end' || f.type === 'error');
      expect(end.type).toBe('message_end');
      const viaProtocol = await connectWs(chatWsUrl(t.url), { protocols: ['bearer', key] });
      await viaProtocol.roundTrip();
      expect(await refusedUpgrade(chatWsUrl(t.url, `?token=sk-${'x'.repeat(43)}`))).toBe(401);
    });

    it('is refused with 403 on /auth/*, /api-keys, profile and password changes and /admin', async () => {
      const admin = await anAdmin();
      const { key, id } = await aKey(admin);
      const as = (req: ReturnType<ReturnType<TestApp['api']>['get']>) => req.set(bearer(key));
      const attempts: [string, Promise<Response>][] = [
        ['POST /auth/logout', as(t.api().post('/api/v1/auth/logout')).send({})],
        ['GET /auth/sessions', as(t.api().get('/api/v1/auth/sessions'))],
        ['POST /auth/ws-ticket', as(t.api().post('/api/v1/auth/ws-ticket'))],
        ['GET /api-keys', as(t.api().get('/api/v1/api-keys'))],
        ['POST /api-keys', as(t.api().post('/api/v1/api-keys')).send({ name: 'from a key' })],
        ['DELETE /api-keys/{id}', as(t.api().delete(`/api/v1/api-keys/${id}`))],
        ['PUT /users/me', as(t.api().put('/api/v1/users/me')).send({ username: 'taken_over' })],
        [
          'POST /users/me/change-password',
          as(t.api().post('/api/v1/users/me/change-password')).send({
            current_password: admin.password,
            new_password: 'new-password-123',
            confirm_password: 'new-password-123',
          }),
        ],
        ['GET /admin/users', as(t.api().get('/api/v1/admin/users'))],
        [
          'PATCH /admin/users/{id}',
          as(t.api().patch(`/api/v1/admin/users/${admin.id}`)).send({ is_vip: true }),
        ],
        [
          'GET /admin/users/{id}/api-keys',
          as(t.api().get(`/api/v1/admin/users/${admin.id}/api-keys`)),
        ],
      ];
      for (const [what, pending] of attempts) {
        const res = record(await pending);
        expect({ what, status: res.status, code: res.body?.error?.code }).toEqual({
          what,
          status: 403,
          code: 'AUTHORIZATION_ERROR',
        });
      }
      // Nothing changed: the key still works where keys do, and no key was made or revoked.
      expect((await get('/users/me', key)).body.data.username).toBe(admin.username);
      expect(await list(admin.accessToken)).toHaveLength(1);
    });

    it('answers 401 for an unknown, malformed, expired key and one of a deactivated user', async () => {
      expectError(await get('/users/me', `sk-${'a'.repeat(43)}`), 401, 'AUTHENTICATION_ERROR');
      expectError(await get('/users/me', 'sk-short'), 401, 'AUTHENTICATION_ERROR');

      const user = await registerUser(t);
      const expiring = await aKey(user, { name: 'expiring', expires_in_days: 1 });
      await t.sql(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        expiring.id,
      ]);
      expectError(await get('/users/me', expiring.key), 401, 'AUTHENTICATION_ERROR');
      expect(await refusedUpgrade(chatWsUrl(t.url, `?token=${expiring.key}`))).toBe(401);

      const admin = await anAdmin();
      const live = await aKey(user, { name: 'live' });
      expect((await get('/users/me', live.key)).status).toBe(200); // cached now
      const socket = await connectWs(chatWsUrl(t.url, `?token=${live.key}`));
      await socket.roundTrip();
      const patched = await t
        .api()
        .patch(`/api/v1/admin/users/${user.id}`)
        .set(bearer(admin.accessToken))
        .send({ is_active: false });
      expect(patched.status).toBe(200);
      expectError(await get('/users/me', live.key), 401, 'AUTHENTICATION_ERROR');
      expect((await socket.waitForClose()).code).toBe(4401);
      // Reactivated: the key works again (it was never revoked).
      await t
        .api()
        .patch(`/api/v1/admin/users/${user.id}`)
        .set(bearer(admin.accessToken))
        .send({ is_active: true });
      expect((await get('/users/me', live.key)).status).toBe(200);
    });

    it('sets last_used_at on use and does not rewrite it within the minute', async () => {
      const user = await registerUser(t);
      const key = await aKey(user);
      const lastUsed = async () =>
        (
          await t.sql<{ at: Date | null }>(
            `SELECT last_used_at AS at FROM api_keys WHERE id = $1`,
            [key.id],
          )
        )[0].at;
      expect(await lastUsed()).toBeNull();
      expect((await get('/users/me', key.key)).status).toBe(200);
      await until(async () => (await lastUsed()) !== null, 5000, 'last_used_at written');
      const first = (await lastUsed())!.getTime();
      await sleep(20);
      for (let i = 0; i < 5; i++) expect((await get('/users/me/quota', key.key)).status).toBe(200);
      await sleep(200);
      expect((await lastUsed())!.getTime()).toBe(first);
      const [listed] = await list(user.accessToken);
      expect(Date.parse(listed.last_used_at!)).toBe(first);
    });

    it('leaves access tokens working everywhere, keys or not', async () => {
      const user = await registerUser(t);
      expect((await get('/auth/sessions', user.accessToken)).status).toBe(200);
      expect((await get('/users/me', user.accessToken)).status).toBe(200);
    });
  });

  describe('admin: /admin/users/{id}/api-keys', () => {
    it("lists a user's keys with revoked ones, never a key or hash, and revokes one at once", async () => {
      const admin = await anAdmin();
      const user = await registerUser(t);
      const kept = await aKey(user, { name: 'kept' });
      const gone = await aKey(user, { name: 'gone' });
      expect((await revoke(user.accessToken, gone.id)).status).toBe(200);

      const res = await get(`/admin/users/${user.id}/api-keys`, admin.accessToken);
      expect(res.status).toBe(200);
      const keys = res.body.data.api_keys as Record<string, unknown>[];
      expect(keys.map((k) => k.id).sort()).toEqual([kept.id, gone.id].sort());
      for (const k of keys) {
        expect(Object.keys(k).sort()).toEqual(
          ['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at'].sort(),
        );
      }
      expect(keys.find((k) => k.id === gone.id)!.revoked_at).toMatch(ISO_UTC);
      expect(keys.find((k) => k.id === kept.id)!.revoked_at).toBeNull();

      expect((await get('/users/me', kept.key)).status).toBe(200);
      const revoked = record(
        await t
          .api()
          .delete(`/api/v1/admin/users/${user.id}/api-keys/${kept.id}`)
          .set(bearer(admin.accessToken)),
      );
      expect(revoked.status).toBe(200);
      expect(revoked.body.data).toBeNull();
      expectError(await get('/users/me', kept.key), 401, 'AUTHENTICATION_ERROR');
    });

    it('answers 404 for an unknown user or a key of another user, 403 to non-admins', async () => {
      const admin = await anAdmin();
      const user = await registerUser(t);
      const other = await registerUser(t);
      const key = await aKey(other);
      expectError(
        await get(`/admin/users/${randomUUID()}/api-keys`, admin.accessToken),
        404,
        'RESOURCE_NOT_FOUND',
      );
      expectError(
        record(
          await t
            .api()
            .delete(`/api/v1/admin/users/${user.id}/api-keys/${key.id}`)
            .set(bearer(admin.accessToken)),
        ),
        404,
        'RESOURCE_NOT_FOUND',
      );
      expect((await get('/users/me', key.key)).status).toBe(200);
      expectError(
        await get(`/admin/users/${other.id}/api-keys`, user.accessToken),
        403,
        'AUTHORIZATION_ERROR',
      );
    });
  });

  it('never shows a key (but in its creation answer) or a hash in any answer', async () => {
    expect(created.length).toBeGreaterThan(20);
    const hashes = (await t.sql<{ hash: string }>(`SELECT hash FROM api_keys`)).map((r) => r.hash);
    for (const { text, creation } of seen) {
      for (const hash of hashes) expect(text).not.toContain(hash);
      if (creation) continue;
      for (const { key } of created) expect(text).not.toContain(key.slice(11));
    }
  });
});
