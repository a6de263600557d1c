import { randomBytes, randomUUID } from 'node:crypto';
import { EVENT_BUS } from '../../src/redis/event-bus';
import {
  aConversation,
  bearer,
  fetchQuota,
  registerUser,
  RegisteredUser,
  setQuotaCounters,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { expectError, fieldsOf, ISO_UTC } from '../support/expect';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { chatWsUrl, closeAllWs, connectWs } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

/**
 * The admin API (/api/v1/admin): who may call it, the user list, PATCH of role/tier/active
 * and its effects (sessions, sockets, quota), and usage totals priced from the catalog.
 * Replies come from a local OpenAI-compatible server through the real SDK; older or
 * unpriced replies are inserted as rows.
 */

const PRICES = {
  'gpt-3.5-turbo': { input: 0.001, output: 0.002 },
  'gpt-4': { input: 0.03, output: 0.06 },
} as const;
type PricedModel = keyof typeof PRICES;

const MODELS = [
  {
    id: 'gpt-3.5-turbo',
    name: 'GPT-3.5 Turbo',
    max_tokens: 4096,
    context_window: 4096,
    cost_per_1k_tokens: PRICES['gpt-3.5-turbo'],
    capabilities: ['text'],
  },
  {
    id: 'gpt-4',
    name: 'GPT-4',
    max_tokens: 8192,
    context_window: 8192,
    cost_per_1k_tokens: PRICES['gpt-4'],
    capabilities: ['text'],
  },
];

const NORMAL_QUOTA = { requests: 50, tokens: 10000 };
const VIP_QUOTA = { requests: 200, tokens: 50000 };
const WS_CLOSE_UNAUTHORIZED = 4401;

const costOf = (model: PricedModel, prompt: number, completion: number) =>
  (prompt * PRICES[model].input + completion * PRICES[model].output) / 1000;

const utcDay = (d: Date) => d.toISOString().slice(0, 10);
const daysAgo = (n: number) => utcDay(new Date(Date.now() - n * 86_400_000));

interface AdminUser {
  id: string;
  username: string;
  email: string;
  role: string;
  is_active: boolean;
  is_vip: boolean;
  created_at: string;
  updated_at: string;
}

interface UsageRowData {
  date: string;
  model: string | null;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number | null;
}

interface ReplyRow {
  conversationId: string;
  userId: string;
  model: string | null;
  prompt: number | null;
  completion: number | null;
  status?: 'completed' | 'stopped' | 'failed' | 'streaming';
  createdAt: string;
}

async function boot(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const t = await bootApp({
    ...TITLES_OFF,
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-admin-e2e',
    LLM_MAX_RETRIES: '0',
    MODELS_FILE: undefined,
    MODELS_JSON: JSON.stringify(MODELS),
    DEFAULT_MODEL: 'gpt-3.5-turbo',
    QUOTA_TIMEZONE: undefined,
    ...env,
  });
  // With Redis the bus subscribes asynchronously: wait until it hears its channels.
  await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
  return t;
}

/** An assistant reply stored as a row, with its own time (history the sends cannot make). */
async function insertReply(t: TestApp, r: ReplyRow): Promise<void> {
  await t.sql(
    `INSERT INTO messages (conversation_id, user_id, role, content, status, model, tokens_used,
                           prompt_tokens, completion_tokens, created_at, updated_at)
     VALUES ($1, $2, 'assistant', 'a stored reply', $3, $4, $5, $6, $7, $8, $8)`,
    [
      r.conversationId,
      r.userId,
      r.status ?? 'completed',
      r.model,
      r.completion ?? 0,
      r.prompt,
      r.completion,
      r.createdAt,
    ],
  );
}

describe('Admin API (/api/v1/admin)', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  let admin: RegisteredUser;
  let user: RegisteredUser;

  const makeAdmin = (id: string) => t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [id]);
  const get = (path: string, token?: string) => {
    const req = t.api().get(`/api/v1/admin${path}`);
    return token === undefined ? req : req.set(bearer(token));
  };
  const patch = (id: string, body: unknown, token = admin.accessToken) =>
    t
      .api()
      .patch(`/api/v1/admin/users/${id}`)
      .set(bearer(token))
      .send(body as object);
  const rowOf = async (id: string) => {
    const [row] = await t.sql<{ role: string; is_active: boolean; is_vip: boolean }>(
      'SELECT role, is_active, is_vip FROM users WHERE id = $1',
      [id],
    );
    return row;
  };

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await boot({ OPENAI_BASE_URL: fake.baseURL });
    admin = await registerUser(t);
    await makeAdmin(admin.id);
    user = await registerUser(t);
  });
  afterEach(async () => {
    fake.reset();
    await closeAllWs();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  describe('authorization', () => {
    const routes = (id: string) => [
      { name: 'GET /admin/users', call: (token?: string) => get('/users', token) },
      {
        name: 'PATCH /admin/users/{id}',
        call: (token?: string) => {
          const req = t.api().patch(`/api/v1/admin/users/${id}`);
          return (token === undefined ? req : req.set(bearer(token))).send({ is_vip: true });
        },
      },
      {
        name: 'GET /admin/users/{id}/usage',
        call: (token?: string) => get(`/users/${id}/usage`, token),
      },
      { name: 'GET /admin/usage', call: (token?: string) => get('/usage', token) },
    ];

    it('answers 401 AUTHENTICATION_ERROR on every admin route without a token', async () => {
      for (const route of routes(user.id)) {
        const res = await route.call();
        expectError(res, 401, 'AUTHENTICATION_ERROR');
      }
    });

    it('answers 403 AUTHORIZATION_ERROR on every admin route for a user, and changes nothing', async () => {
      const other = await registerUser(t);
      for (const route of routes(other.id)) {
        const res = await route.call(user.accessToken);
        expectError(res, 403, 'AUTHORIZATION_ERROR');
        expect(res.body.data).toBeUndefined();
        expect(res.headers['x-request-id']).toBeTruthy();
      }
      expect((await rowOf(other.id)).is_vip).toBe(false);
    });

    it('lets the same admin token through on every route', async () => {
      for (const route of routes(user.id).filter((r) => !r.name.startsWith('PATCH'))) {
        const res = await route.call(admin.accessToken);
        expect({ route: route.name, status: res.status }).toEqual({
          route: route.name,
          status: 200,
        });
        expect(res.body.success).toBe(true);
      }
    });

    it('applies a role change to the next request of an existing token (promotion and demotion)', async () => {
      const someone = await registerUser(t);
      expectError(await get('/users', someone.accessToken), 403, 'AUTHORIZATION_ERROR');

      const promoted = await patch(someone.id, { role: 'admin' });
      expect(promoted.status).toBe(200);
      expect(promoted.body.data.role).toBe('admin');
      expect((await get('/users', someone.accessToken)).status).toBe(200);

      const demoted = await patch(someone.id, { role: 'user' });
      expect(demoted.status).toBe(200);
      expect(demoted.body.data.role).toBe('user');
      expectError(await get('/users', someone.accessToken), 403, 'AUTHORIZATION_ERROR');
    });
  });

  describe('GET /admin/users', () => {
    const tag = `q${randomBytes(3).toString('hex')}`;
    let tagged: RegisteredUser[];

    beforeAll(async () => {
      // Three users found by the tag: two through the username, one through the e-mail only.
      tagged = [];
      tagged.push(await registerUser(t, { username: `${tag}_first` }));
      tagged.push(await registerUser(t, { username: `${tag}_second` }));
      tagged.push(
        await registerUser(t, {
          username: `mail_${randomBytes(3).toString('hex')}`,
          email: `${tag}.third@example.com`,
        }),
      );
    });

    it('pages the users newest first in the conversations list shape, without passwords', async () => {
      const res = await get(`/users?search=${tag}`, admin.accessToken);
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(Object.keys(res.body.data).sort()).toEqual(['pagination', 'users']);
      expect(res.body.data.pagination).toEqual({ page: 1, size: 20, total: 3, pages: 1 });
      const users = res.body.data.users as AdminUser[];
      expect(users.map((u) => u.id)).toEqual([...tagged].reverse().map((u) => u.id));
      expect(users[2]).toEqual({
        id: tagged[0].id,
        username: tagged[0].username,
        email: tagged[0].email,
        role: 'user',
        is_active: true,
        is_vip: false,
        created_at: expect.stringMatching(ISO_UTC),
        updated_at: expect.stringMatching(ISO_UTC),
      });
      expect(JSON.stringify(res.body)).not.toMatch(/password|\$argon2/i);

      const page1 = await get(`/users?search=${tag}&size=2&page=1`, admin.accessToken);
      const page2 = await get(`/users?search=${tag}&size=2&page=2`, admin.accessToken);
      expect(page1.body.data.pagination).toEqual({ page: 1, size: 2, total: 3, pages: 2 });
      expect(page2.body.data.pagination).toEqual({ page: 2, size: 2, total: 3, pages: 2 });
      const paged = [...page1.body.data.users, ...page2.body.data.users].map(
        (u: AdminUser) => u.id,
      );
      expect(paged).toEqual(users.map((u) => u.id));
    });

    it('searches username and e-mail case-insensitively, with LIKE characters taken literally', async () => {
      const upper = await get(`/users?search=${tag.toUpperCase()}`, admin.accessToken);
      expect(upper.body.data.pagination.total).toBe(3);
      const byMail = await get(`/users?search=${tag}.THIRD@`, admin.accessToken);
      expect((byMail.body.data.users as AdminUser[]).map((u) => u.id)).toEqual([tagged[2].id]);
      const percent = await get(`/users?search=${encodeURIComponent('%')}`, admin.accessToken);
      expect(percent.status).toBe(200);
      // Other suites sharing the database may have registered e-mails with a literal '%'.
      const [{ literal }] = await t.sql<{ literal: number }>(
        `SELECT count(*)::int AS literal FROM users WHERE strpos(username, '%') > 0 OR strpos(email, '%') > 0`,
      );
      expect(percent.body.data.pagination.total).toBe(literal);
      const all = await get('/users?size=100', admin.accessToken);
      const [{ n }] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM users');
      expect(all.body.data.pagination.total).toBe(n);
    });

    it('filters by role, is_active and is_vip', async () => {
      await t.sql('UPDATE users SET is_vip = true WHERE id = $1', [tagged[1].id]);
      await t.sql('UPDATE users SET is_active = false WHERE id = $1', [tagged[2].id]);
      const ids = async (query: string) =>
        (
          (await get(`/users?search=${tag}&${query}`, admin.accessToken)).body.data
            .users as AdminUser[]
        ).map((u) => u.id);
      expect(await ids('is_vip=true')).toEqual([tagged[1].id]);
      expect(await ids('is_active=false')).toEqual([tagged[2].id]);
      expect(await ids('is_active=true&is_vip=false')).toEqual([tagged[0].id]);
      expect(await ids('role=admin')).toEqual([]);
      const admins = (await get('/users?role=admin&size=100', admin.accessToken)).body.data
        .users as AdminUser[];
      expect(admins.map((u) => u.id)).toContain(admin.id);
      expect(admins.every((u) => u.role === 'admin')).toBe(true);
    });

    it.each([
      ['size=0'],
      ['size=101'],
      ['page=abc'],
      ['role=root'],
      ['is_active=maybe'],
      ['unknown=1'],
    ])('answers 400 VALIDATION_ERROR for the query %s', async (query) => {
      const res = await get(`/users?${query}`, admin.accessToken);
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(fieldsOf(res).length).toBeGreaterThan(0);
    });
  });

  describe('PATCH /admin/users/{id}', () => {
    it('makes a user VIP and back: their own quota shows the tier at once', async () => {
      const someone = await registerUser(t);
      expect((await fetchQuota(t, someone)).daily_limit).toEqual(NORMAL_QUOTA);

      const res = await patch(someone.id, { is_vip: true });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        id: someone.id,
        is_vip: true,
        is_active: true,
        role: 'user',
      });
      expect((await rowOf(someone.id)).is_vip).toBe(true);
      expect((await fetchQuota(t, someone)).daily_limit).toEqual(VIP_QUOTA);
      const profile = await t.api().get('/api/v1/users/me').set(bearer(someone.accessToken));
      expect(profile.body.data.is_vip).toBe(true);
      expect(profile.body.data.quota.daily_requests).toBe(VIP_QUOTA.requests);

      expect((await patch(someone.id, { is_vip: false })).body.data.is_vip).toBe(false);
      expect((await fetchQuota(t, someone)).daily_limit).toEqual(NORMAL_QUOTA);
    });

    it('a VIP change reaches an open WebSocket at its next chat_message, without reconnecting', async () => {
      const someone = await registerUser(t);
      const conv = await aConversation(t, someone);
      await setQuotaCounters(t, someone.id, { dayRequests: NORMAL_QUOTA.requests });
      const socket = await connectWs(chatWsUrl(t.url, `?token=${someone.accessToken}`));

      socket.send({ type: 'chat_message', conversation_id: conv.id, content: 'over the limit' });
      const refused = await socket.waitFor((f) => f.type === 'error', { what: 'the quota error' });
      expect(refused.error.code).toBe('QUOTA_EXCEEDED');

      expect((await patch(someone.id, { is_vip: true })).status).toBe(200);
      fake.script({ text: 'as a VIP', usage: { prompt_tokens: 5, completion_tokens: 3 } });
      const from = socket.frames.length;
      socket.send({ type: 'chat_message', conversation_id: conv.id, content: 'now as a VIP' });
      const end = await socket.waitFor((f) => f.type === 'message_end' || f.type === 'error', {
        from,
        what: 'the reply',
      });
      expect(end.type).toBe('message_end');
      expect(socket.isOpen).toBe(true);
    });

    it('deactivating ends every session: the live socket closes 4401, access and refresh tokens stop working, login is refused', async () => {
      const victim = await registerUser(t);
      const second = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: victim.username, password: victim.password });
      expect(second.status).toBe(200);
      const socket = await connectWs(chatWsUrl(t.url, `?token=${victim.accessToken}`));
      const otherSocket = await connectWs(
        chatWsUrl(t.url, `?token=${second.body.data.access_token}`),
      );
      expect((await t.api().get('/api/v1/users/me').set(bearer(victim.accessToken))).status).toBe(
        200,
      );

      const res = await patch(victim.id, { is_active: false });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ id: victim.id, is_active: false });

      expect((await socket.waitForClose()).code).toBe(WS_CLOSE_UNAUTHORIZED);
      expect((await otherSocket.waitForClose()).code).toBe(WS_CLOSE_UNAUTHORIZED);
      expectError(
        await t.api().get('/api/v1/users/me').set(bearer(victim.accessToken)),
        401,
        'AUTHENTICATION_ERROR',
      );
      expectError(
        await t.api().post('/api/v1/auth/refresh').send({ refresh_token: victim.refreshToken }),
        401,
        'AUTHENTICATION_ERROR',
      );
      expectError(
        await t
          .api()
          .post('/api/v1/auth/login')
          .send({ username: victim.username, password: victim.password }),
        403,
        'AUTHORIZATION_ERROR',
      );
      const sessions = await t.sql<{ revoked_at: Date | null; revoke_reason: string | null }>(
        'SELECT revoked_at, revoke_reason FROM sessions WHERE user_id = $1',
        [victim.id],
      );
      expect(sessions).toHaveLength(2);
      expect(
        sessions.every((s) => s.revoked_at !== null && s.revoke_reason === 'deactivated'),
      ).toBe(true);

      // Reactivated, the account can log in again (the ended sessions stay ended).
      expect((await patch(victim.id, { is_active: true })).body.data.is_active).toBe(true);
      const back = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: victim.username, password: victim.password });
      expect(back.status).toBe(200);
      expectError(
        await t.api().get('/api/v1/users/me').set(bearer(victim.accessToken)),
        401,
        'AUTHENTICATION_ERROR',
      );
    });

    it('refuses an admin demoting or deactivating themselves (422), and changes nothing', async () => {
      const demote = await patch(admin.id, { role: 'user' });
      expectError(demote, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(demote)).toEqual(['role']);
      const deactivate = await patch(admin.id, { is_active: false, is_vip: true });
      expectError(deactivate, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(deactivate)).toEqual(['is_active']);
      expect(await rowOf(admin.id)).toEqual({ role: 'admin', is_active: true, is_vip: false });
      expect((await get('/users', admin.accessToken)).status).toBe(200);

      // Their own tier is theirs to change.
      expect((await patch(admin.id, { is_vip: true })).status).toBe(200);
      expect((await patch(admin.id, { is_vip: false, role: 'admin' })).status).toBe(200);
    });

    it('never leaves the service without an active admin, even when two admins demote each other at once', async () => {
      // Only these two are admins for this test (the others get their role back after it).
      const others = await t.sql<{ id: string }>(`SELECT id FROM users WHERE role = 'admin'`);
      await t.sql(`UPDATE users SET role = 'user' WHERE role = 'admin'`);
      try {
        const a = await registerUser(t);
        const b = await registerUser(t);
        await makeAdmin(a.id);
        await makeAdmin(b.id);
        const [ab, ba] = await Promise.all([
          patch(b.id, { role: 'user' }, a.accessToken),
          patch(a.id, { is_active: false }, b.accessToken),
        ]);
        const statuses = [ab.status, ba.status].sort();
        expect(statuses[0]).toBe(200);
        // The loser was refused: either it was no longer an admin (403), or its target was the last one (422).
        expect([403, 422]).toContain(statuses[1]);
        const [{ n }] = await t.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND is_active`,
        );
        expect(n).toBe(1);
      } finally {
        await t.sql(`UPDATE users SET role = 'admin' WHERE id = ANY($1::uuid[])`, [
          others.map((o) => o.id),
        ]);
      }
    });

    it.each([
      [{ username: 'renamed' }, 'username'],
      [{ is_vip: true, password: 'x12345678' }, 'password'],
      [{ email: 'x@example.com', is_active: false }, 'email'],
      [{ id: randomUUID() }, 'id'],
    ])('refuses the unknown field in %j with 422 and applies nothing', async (body, field) => {
      const someone = await registerUser(t);
      const res = await patch(someone.id, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain(field);
      expect(await rowOf(someone.id)).toEqual({ role: 'user', is_active: true, is_vip: false });
    });

    it.each([
      [{}, 'body'],
      [{ is_vip: 'yes' }, 'is_vip'],
      [{ is_active: null }, 'is_active'],
      [{ role: 'root' }, 'role'],
      [{ role: null }, 'role'],
    ])('refuses %j with 422 on %s', async (body, field) => {
      const res = await patch(user.id, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain(field);
    });

    it('answers 400 for an id that is not a UUID and 404 for an unknown one', async () => {
      const bad = await patch('not-a-uuid', { is_vip: true });
      expectError(bad, 400, 'VALIDATION_ERROR');
      expectError(await patch(randomUUID(), { is_vip: true }), 404, 'RESOURCE_NOT_FOUND');
      expectError(await get('/users/not-a-uuid/usage', admin.accessToken), 400, 'VALIDATION_ERROR');
      expectError(
        await get(`/users/${randomUUID()}/usage`, admin.accessToken),
        404,
        'RESOURCE_NOT_FOUND',
      );
    });
  });

  describe('usage', () => {
    it("reports a user's quota and replies per day and model, priced from the catalog", async () => {
      const customer = await registerUser(t);
      const conv = await aConversation(t, customer, { model: 'gpt-3.5-turbo' });
      const send = (model: PricedModel) =>
        t
          .api()
          .post(`/api/v1/conversations/${conv.id}/messages`)
          .set(bearer(customer.accessToken))
          .send({ content: 'hello', model });
      fake.script(
        { text: 'one', usage: { prompt_tokens: 100, completion_tokens: 20 } },
        { text: 'two', usage: { prompt_tokens: 100, completion_tokens: 20 } },
        { text: 'three', usage: { prompt_tokens: 50, completion_tokens: 10 } },
      );
      expect((await send('gpt-3.5-turbo')).status).toBe(201);
      expect((await send('gpt-3.5-turbo')).status).toBe(201);
      expect((await send('gpt-4')).status).toBe(201);
      const today = utcDay(new Date());
      // Not billed, so not counted: a failed reply and one still streaming.
      for (const status of ['failed', 'streaming'] as const) {
        await insertReply(t, {
          conversationId: conv.id,
          userId: customer.id,
          model: 'gpt-4',
          prompt: 999,
          completion: 999,
          status,
          createdAt: new Date().toISOString(),
        });
      }
      // A model the catalog no longer has: counted, not priced.
      await insertReply(t, {
        conversationId: conv.id,
        userId: customer.id,
        model: 'retired-model',
        prompt: 7,
        completion: 3,
        createdAt: new Date().toISOString(),
      });
      // A stopped reply three days ago, and one 40 days ago (outside the default 30 days).
      const threeDaysAgo = daysAgo(3);
      await insertReply(t, {
        conversationId: conv.id,
        userId: customer.id,
        model: 'gpt-4',
        prompt: 10,
        completion: 5,
        status: 'stopped',
        createdAt: `${threeDaysAgo}T12:00:00Z`,
      });
      const fortyDaysAgo = daysAgo(40);
      await insertReply(t, {
        conversationId: conv.id,
        userId: customer.id,
        model: 'gpt-4',
        prompt: 1000,
        completion: 1000,
        createdAt: `${fortyDaysAgo}T12:00:00Z`,
      });

      const res = await get(`/users/${customer.id}/usage`, admin.accessToken);
      expect(res.status).toBe(200);
      const data = res.body.data;
      expect(data.user).toMatchObject({ id: customer.id, username: customer.username });
      expect(data.quota).toEqual(await fetchQuota(t, customer));
      expect(data.quota.usage_today.requests).toBe(3);
      expect(data.range).toEqual({ from: daysAgo(29), to: today, time_zone: 'UTC' });
      expect(data.currency).toBe('USD');

      const turbo = costOf('gpt-3.5-turbo', 200, 40);
      const gpt4Today = costOf('gpt-4', 50, 10);
      const gpt4Earlier = costOf('gpt-4', 10, 5);
      const rows = data.days as UsageRowData[];
      expect(rows.map((r) => [r.date, r.model])).toEqual([
        [threeDaysAgo, 'gpt-4'],
        [today, 'gpt-3.5-turbo'],
        [today, 'gpt-4'],
        [today, 'retired-model'],
      ]);
      expect(rows[0]).toMatchObject({
        requests: 1,
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
      });
      expect(rows[0].cost).toBeCloseTo(gpt4Earlier, 9);
      expect(rows[1]).toMatchObject({
        requests: 2,
        prompt_tokens: 200,
        completion_tokens: 40,
        total_tokens: 240,
      });
      expect(rows[1].cost).toBeCloseTo(turbo, 9);
      expect(rows[2]).toMatchObject({ requests: 1, prompt_tokens: 50, completion_tokens: 10 });
      expect(rows[2].cost).toBeCloseTo(gpt4Today, 9);
      expect(rows[3]).toMatchObject({
        requests: 1,
        prompt_tokens: 7,
        completion_tokens: 3,
        cost: null,
      });
      expect(data.unpriced_models).toEqual(['retired-model']);

      // The per-model totals and the range's totals agree with the stored rows.
      const gpt4 = (data.models as UsageRowData[]).find((m) => m.model === 'gpt-4');
      expect(gpt4).toMatchObject({ requests: 2, prompt_tokens: 60, completion_tokens: 15 });
      expect(gpt4?.cost).toBeCloseTo(gpt4Today + gpt4Earlier, 9);
      expect(data.totals).toMatchObject({
        requests: 5,
        prompt_tokens: 267,
        completion_tokens: 58,
        total_tokens: 325,
      });
      expect(data.totals.cost).toBeCloseTo(turbo + gpt4Today + gpt4Earlier, 9);
      const [stored] = await t.sql<{ requests: number; tokens: number }>(
        `SELECT count(*)::int AS requests, sum(prompt_tokens + completion_tokens)::int AS tokens
           FROM messages WHERE user_id = $1 AND role = 'assistant' AND status IN ('completed', 'stopped')
            AND created_at >= now() - interval '29 days'`,
        [customer.id],
      );
      expect(stored.requests).toBe(data.totals.requests);

      // A range that reaches back 40 days takes the old reply in.
      const wide = await get(
        `/users/${customer.id}/usage?from=${fortyDaysAgo}&to=${today}`,
        admin.accessToken,
      );
      expect(wide.status).toBe(200);
      expect(wide.body.data.days[0]).toMatchObject({
        date: fortyDaysAgo,
        model: 'gpt-4',
        requests: 1,
      });
      expect(wide.body.data.totals.requests).toBe(6);
      // Only `from`: 30 days from it.
      const fromOnly = await get(
        `/users/${customer.id}/usage?from=${fortyDaysAgo}`,
        admin.accessToken,
      );
      expect(fromOnly.body.data.range).toMatchObject({ from: fortyDaysAgo, to: daysAgo(11) });
      expect(fromOnly.body.data.totals.requests).toBe(1);
    });

    it('totals every user per day and model over a range of days', async () => {
      const a = await registerUser(t);
      const b = await registerUser(t);
      const convA = await aConversation(t, a);
      const convB = await aConversation(t, b);
      // Far in the past, so nothing else in this database falls in the range.
      const rows: ReplyRow[] = [
        {
          conversationId: convA.id,
          userId: a.id,
          model: 'gpt-4',
          prompt: 100,
          completion: 50,
          createdAt: '2001-03-10T00:00:00Z',
        },
        {
          conversationId: convB.id,
          userId: b.id,
          model: 'gpt-4',
          prompt: 300,
          completion: 150,
          createdAt: '2001-03-10T23:59:59Z',
        },
        {
          conversationId: convB.id,
          userId: b.id,
          model: 'gpt-3.5-turbo',
          prompt: 1000,
          completion: 500,
          createdAt: '2001-03-11T08:00:00Z',
        },
        {
          conversationId: convA.id,
          userId: a.id,
          model: null,
          prompt: null,
          completion: null,
          createdAt: '2001-03-11T09:00:00Z',
        },
        {
          conversationId: convA.id,
          userId: a.id,
          model: 'gpt-4',
          prompt: 1,
          completion: 1,
          status: 'failed',
          createdAt: '2001-03-11T10:00:00Z',
        },
        {
          conversationId: convA.id,
          userId: a.id,
          model: 'gpt-4',
          prompt: 5,
          completion: 5,
          createdAt: '2001-03-12T00:00:00Z',
        },
        {
          conversationId: convA.id,
          userId: a.id,
          model: 'gpt-4',
          prompt: 5,
          completion: 5,
          createdAt: '2001-03-09T23:59:59Z',
        },
      ];
      for (const r of rows) await insertReply(t, r);

      const res = await get('/usage?from=2001-03-10&to=2001-03-11', admin.accessToken);
      expect(res.status).toBe(200);
      const data = res.body.data;
      expect(data.range).toEqual({ from: '2001-03-10', to: '2001-03-11', time_zone: 'UTC' });
      expect(data.days).toEqual([
        {
          date: '2001-03-10',
          model: 'gpt-4',
          requests: 2,
          prompt_tokens: 400,
          completion_tokens: 200,
          total_tokens: 600,
          cost: expect.any(Number),
        },
        {
          date: '2001-03-11',
          model: 'gpt-3.5-turbo',
          requests: 1,
          prompt_tokens: 1000,
          completion_tokens: 500,
          total_tokens: 1500,
          cost: expect.any(Number),
        },
        {
          date: '2001-03-11',
          model: null,
          requests: 1,
          prompt_tokens: 0,
          completion_tokens: 0,
          total_tokens: 0,
          cost: null,
        },
      ]);
      expect(data.days[0].cost).toBeCloseTo(costOf('gpt-4', 400, 200), 9);
      expect(data.days[1].cost).toBeCloseTo(costOf('gpt-3.5-turbo', 1000, 500), 9);
      expect(data.unpriced_models).toEqual([null]);
      expect(data.totals).toMatchObject({
        requests: 4,
        prompt_tokens: 1400,
        completion_tokens: 700,
        total_tokens: 2100,
      });
      expect(data.totals.cost).toBeCloseTo(
        costOf('gpt-4', 400, 200) + costOf('gpt-3.5-turbo', 1000, 500),
        9,
      );

      // One user's share of the same range.
      const ofB = await get(
        `/users/${b.id}/usage?from=2001-03-10&to=2001-03-11`,
        admin.accessToken,
      );
      expect(ofB.body.data.totals).toMatchObject({
        requests: 2,
        prompt_tokens: 1300,
        completion_tokens: 650,
      });
    });

    it.each([
      ['from=2024-03-02&to=2024-03-01', 'from'],
      ['from=2023-01-01&to=2024-12-31', 'to'],
      ['from=2024-02-30', 'from'],
      ['to=yesterday', 'to'],
      ['from=2024-01-01T00:00:00Z', 'from'],
      ['days=3', 'days'],
    ])('answers 400 for the range %s', async (query, field) => {
      for (const path of ['/usage', `/users/${user.id}/usage`]) {
        const res = await get(`${path}?${query}`, admin.accessToken);
        expectError(res, 400, 'VALIDATION_ERROR');
        expect(fieldsOf(res)).toContain(field);
      }
    });

    it('accepts a range of exactly 366 days', async () => {
      const res = await get('/usage?from=2024-01-01&to=2024-12-31', admin.accessToken);
      expect(res.status).toBe(200);
      expect(res.body.data.range).toMatchObject({ from: '2024-01-01', to: '2024-12-31' });
    });
  });
});

describe('Admin usage days in QUOTA_TIMEZONE', () => {
  let t: TestApp;
  const get = (who: RegisteredUser, path: string) =>
    t.api().get(`/api/v1/admin${path}`).set(bearer(who.accessToken));

  beforeAll(async () => {
    t = await boot({ QUOTA_TIMEZONE: 'Asia/Shanghai', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('cuts days at local midnight of the configured zone (UTC+8)', async () => {
    const admin = await registerUser(t);
    await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const conv = await aConversation(t, admin);
    // 15:59:59Z is 23:59:59 in Shanghai; 16:00Z is the next day's midnight there.
    for (const createdAt of [
      '2002-06-01T15:59:59Z',
      '2002-06-01T16:00:00Z',
      '2002-06-02T03:00:00Z',
      '2002-05-31T16:00:00Z',
      '2002-05-31T15:59:59Z',
    ]) {
      await insertReply(t, {
        conversationId: conv.id,
        userId: admin.id,
        model: 'gpt-4',
        prompt: 1,
        completion: 1,
        createdAt,
      });
    }
    const res = await get(admin, '/usage?from=2002-06-01&to=2002-06-02');
    expect(res.status).toBe(200);
    expect(res.body.data.range.time_zone).toBe('Asia/Shanghai');
    expect((res.body.data.days as UsageRowData[]).map((d) => [d.date, d.requests])).toEqual([
      ['2002-06-01', 2],
      ['2002-06-02', 2],
    ]);
  });
});
