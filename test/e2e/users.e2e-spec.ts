import { aUser, bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { ISO_UTC, fieldsOf } from '../support/expect';

const NORMAL_LIMITS = {
  daily_requests: 50,
  monthly_requests: 1000,
  daily_tokens: 10000,
  monthly_tokens: 100000,
};
const VIP_LIMITS = {
  daily_requests: 200,
  monthly_requests: 5000,
  daily_tokens: 50000,
  monthly_tokens: 500000,
};

interface UserRow {
  username: string;
  email: string;
  is_vip: boolean;
  is_active: boolean;
  role: string;
  updated_at: Date;
}

function withAuth<T extends { set: (name: string, value: string) => T }>(req: T, auth?: string): T {
  return auth === undefined ? req : req.set('Authorization', auth);
}

/** No key anywhere in the body mentions a password (no hash, no echo). */
function expectNoPasswordIn(body: unknown): void {
  const keys: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        keys.push(k);
        walk(child);
      }
    }
  };
  walk(body);
  expect(keys.filter((k) => /password/i.test(k))).toEqual([]);
  expect(JSON.stringify(body)).not.toMatch(/\$argon2/);
}

describe('Users (/users/me)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const rowOf = async (id: string): Promise<UserRow> => {
    const [row] = await t.sql<UserRow>(
      'SELECT username, email, is_vip, is_active, role, updated_at FROM users WHERE id = $1',
      [id],
    );
    return row;
  };
  const me = (token: string) => t.api().get('/api/v1/users/me').set(bearer(token));
  const quota = (token: string) => t.api().get('/api/v1/users/me/quota').set(bearer(token));
  const update = (token: string, body: unknown) =>
    t
      .api()
      .put('/api/v1/users/me')
      .set(bearer(token))
      .send(body as object);
  const changePassword = (token: string, body: object) =>
    t.api().post('/api/v1/users/me/change-password').set(bearer(token)).send(body);
  const login = (username: string, password: string) =>
    t.api().post('/api/v1/auth/login').send({ username, password });

  describe('GET /users/me', () => {
    it('returns the profile with the normal quota block and no password', async () => {
      const user = await registerUser(t);
      const res = await me(user.accessToken);
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      const data = res.body.data;
      expect(data).toEqual({
        id: user.id,
        username: user.username,
        email: user.email,
        is_active: true,
        is_vip: false,
        role: 'user',
        created_at: expect.stringMatching(ISO_UTC),
        updated_at: expect.stringMatching(ISO_UTC),
        quota: {
          ...NORMAL_LIMITS,
          requests_used_today: 0,
          tokens_used_today: 0,
          storage: { limit_bytes: 100 * 1024 * 1024, used_bytes: 0, files: 0 },
        },
      });
      expect(data.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(Date.parse(data.updated_at)).toBeGreaterThanOrEqual(Date.parse(data.created_at));
      expectNoPasswordIn(res.body);
    });

    it('gives a VIP the VIP limits, in the profile and in /quota', async () => {
      const user = await registerUser(t);
      await t.sql('UPDATE users SET is_vip = true WHERE id = $1', [user.id]);

      const profile = await me(user.accessToken);
      expect(profile.status).toBe(200);
      expect(profile.body.data.is_vip).toBe(true);
      const vipStorage = { limit_bytes: 1024 * 1024 * 1024, used_bytes: 0, files: 0 };
      expect(profile.body.data.quota).toEqual({
        ...VIP_LIMITS,
        requests_used_today: 0,
        tokens_used_today: 0,
        storage: vipStorage,
      });

      const res = await quota(user.accessToken);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        daily_limit: { requests: 200, tokens: 50000 },
        monthly_limit: { requests: 5000, tokens: 500000 },
        usage_today: { requests: 0, tokens: 0 },
        usage_this_month: { requests: 0, tokens: 0 },
        remaining_today: { requests: 200, tokens: 50000 },
        storage: vipStorage,
      });
    });
  });

  describe('GET /users/me/quota', () => {
    it('answers exactly the shape of API.md §3 for a normal user', async () => {
      const user = await registerUser(t);
      const res = await quota(user.accessToken);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, message: expect.any(String) });
      expect(res.body.data).toEqual({
        daily_limit: { requests: 50, tokens: 10000 },
        monthly_limit: { requests: 1000, tokens: 100000 },
        usage_today: { requests: 0, tokens: 0 },
        usage_this_month: { requests: 0, tokens: 0 },
        remaining_today: { requests: 50, tokens: 10000 },
        storage: { limit_bytes: 100 * 1024 * 1024, used_bytes: 0, files: 0 },
      });
    });
  });

  describe('PUT /users/me', () => {
    let user: RegisteredUser;
    let other: RegisteredUser;

    beforeEach(async () => {
      user = await registerUser(t);
      other = await registerUser(t);
    });

    it('changes the username, moves updated_at forward, and login works with the new one', async () => {
      const before = await me(user.accessToken);
      await new Promise((r) => setTimeout(r, 5));
      const { username } = aUser();
      const res = await update(user.accessToken, { username });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        id: user.id,
        username,
        email: user.email,
        is_vip: false,
      });
      expect(res.body.data.quota).toMatchObject(NORMAL_LIMITS);
      expect(res.body.data.created_at).toBe(before.body.data.created_at);
      expect(Date.parse(res.body.data.updated_at)).toBeGreaterThan(
        Date.parse(before.body.data.updated_at),
      );
      expectNoPasswordIn(res.body);

      expect((await rowOf(user.id)).username).toBe(username);
      expect((await me(user.accessToken)).body.data.username).toBe(username);
      expect((await login(username, user.password)).status).toBe(200);
      expect((await login(user.username, user.password)).status).toBe(401);
    });

    it('changes the e-mail, and login by the new e-mail works', async () => {
      const { email } = aUser();
      const res = await update(user.accessToken, { email });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ id: user.id, username: user.username, email });
      expect((await rowOf(user.id)).email).toBe(email);
      expect((await login(email, user.password)).status).toBe(200);
      expect((await login(user.email, user.password)).status).toBe(401);
    });

    it('changes both at once', async () => {
      const { username, email } = aUser();
      const res = await update(user.accessToken, { username, email });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ id: user.id, username, email });
      expect(await rowOf(user.id)).toMatchObject({ username, email });
    });

    it("refuses another user's username in a different case with 422 naming username", async () => {
      const res = await update(user.accessToken, { username: other.username.toUpperCase() });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('username');
      expect((await rowOf(user.id)).username).toBe(user.username);
    });

    it("refuses another user's e-mail in a different case with 422 naming email", async () => {
      const res = await update(user.accessToken, { email: other.email.toUpperCase() });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('email');
      expect((await rowOf(user.id)).email).toBe(user.email);
    });

    it('names both fields when both are taken, and changes neither', async () => {
      const res = await update(user.accessToken, { username: other.username, email: other.email });
      expect(res.status).toBe(422);
      expect(fieldsOf(res).sort()).toEqual(['email', 'username']);
      expect(await rowOf(user.id)).toMatchObject({ username: user.username, email: user.email });
    });

    it('accepts its own current values', async () => {
      const res = await update(user.accessToken, { username: user.username, email: user.email });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ username: user.username, email: user.email });
    });

    it('answers an empty body with 422', async () => {
      const res = await update(user.accessToken, {});
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['is_vip', { is_vip: true }, 'is_vip'],
      ['is_active', { is_active: false }, 'is_active'],
      ['role', { role: 'admin' }, 'role'],
      ['id', { id: '00000000-0000-4000-8000-000000000000' }, 'id'],
      ['password_hash', { password_hash: 'x' }, 'password_hash'],
      ['created_at', { created_at: '2000-01-01T00:00:00Z' }, 'created_at'],
    ])('rejects mass assignment of %s with 422 and changes nothing', async (_, body, field) => {
      const before = await rowOf(user.id);
      const res = await update(user.accessToken, body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain(field);
      expect(await rowOf(user.id)).toEqual(before);
      expect((await me(user.accessToken)).status).toBe(200);
    });

    it('rejects a valid username sent with is_vip, applying neither', async () => {
      const before = await rowOf(user.id);
      const { username } = aUser();
      const res = await update(user.accessToken, { username, is_vip: true });
      expect(res.status).toBe(422);
      expect(fieldsOf(res)).toEqual(['is_vip']);
      const after = await rowOf(user.id);
      expect(after).toEqual(before);
      expect(after.username).toBe(user.username);
      expect(after.is_vip).toBe(false);
    });

    it.each<[string, unknown]>([
      ['2 characters', 'ab'],
      ['51 characters', 'a'.repeat(51)],
      ['an @', 'name@host'],
      ['a space', 'two words'],
      ['a leading space', ' padded'],
      ['a number instead of text', 12345],
      ['an empty string', ''],
    ])('rejects a username of %s with 422 naming username', async (_, username) => {
      const res = await update(user.accessToken, { username });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(fieldsOf(res)).toEqual(['username']);
      expect((await rowOf(user.id)).username).toBe(user.username);
    });

    it('accepts a username of exactly 3 and exactly 50 characters, in any script', async () => {
      const tag = aUser().username;
      const fifty = `${tag}_${'x'.repeat(50)}`.slice(0, 50);
      const fiftyRes = await update(user.accessToken, { username: fifty });
      expect(fiftyRes.status).toBe(200);
      expect(fiftyRes.body.data.username).toBe(fifty);

      // Three random CJK letters: valid, and unlikely to be taken on a shared database.
      const three = Array.from({ length: 3 }, () =>
        String.fromCharCode(0x4e00 + Math.floor(Math.random() * 20000)),
      ).join('');
      const threeRes = await update(user.accessToken, { username: three });
      expect(threeRes.status).toBe(200);
      expect((await rowOf(user.id)).username).toBe(three);
    });

    it.each([
      ['no @', 'not-an-email'],
      ['no domain', 'a@'],
      ['no local part', '@b.example'],
      ['a space', 'x y@example.com'],
      ['a 250-character local part', `${'a'.repeat(250)}@example.com`],
      ['a number', 42],
    ])('rejects an e-mail with %s with 422 naming email', async (_, email) => {
      const res = await update(user.accessToken, { email });
      expect(res.status).toBe(422);
      expect(fieldsOf(res)).toEqual(['email']);
      expect((await rowOf(user.id)).email).toBe(user.email);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['username: null', { username: null }, 'username'],
      ['email: null', { email: null }, 'email'],
      [
        'username: null next to a valid e-mail',
        { username: null, email: 'fine@example.com' },
        'username',
      ],
      ['email: null next to a valid username', { username: 'fine_name_x', email: null }, 'email'],
    ])('answers %s with 422 naming the field, writing nothing', async (_, body, field) => {
      const before = await rowOf(user.id);
      const res = await update(user.accessToken, body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(fieldsOf(res)).toEqual([field]);
      expect(await rowOf(user.id)).toEqual(before);
    });

    it('stores an e-mail trimmed and in lower case', async () => {
      const { email } = aUser();
      const res = await update(user.accessToken, { email: `  ${email.toUpperCase()} ` });
      expect(res.status).toBe(200);
      expect(res.body.data.email).toBe(email);
      expect((await rowOf(user.id)).email).toBe(email);
    });

    it('lets only one of two users racing for the same username have it', async () => {
      const { username } = aUser();
      const [a, b] = await Promise.all([
        update(user.accessToken, { username }),
        update(other.accessToken, { username: username.toUpperCase() }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 422]);
      const loser = a.status === 422 ? a : b;
      expect(loser.body.error.code).toBe('VALIDATION_ERROR');
      expect(fieldsOf(loser)).toEqual(['username']);
      const [{ n }] = await t.sql<{ n: string }>(
        'SELECT count(*) AS n FROM users WHERE lower(username) = lower($1)',
        [username],
      );
      expect(Number(n)).toBe(1);
    });
  });

  describe('POST /users/me/change-password', () => {
    const newPassword = 'brand-new-password-123';

    it('changes the password: new login works, old fails, this session stays, other sessions end', async () => {
      const user = await registerUser(t);
      const other = await login(user.username, user.password);
      expect(other.status).toBe(200);
      const otherAccess: string = other.body.data.access_token;
      const otherRefresh: string = other.body.data.refresh_token;
      expect((await me(otherAccess)).status).toBe(200);

      const res = await changePassword(user.accessToken, {
        current_password: user.password,
        new_password: newPassword,
        confirm_password: newPassword,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: null });

      expect((await login(user.username, newPassword)).status).toBe(200);
      const old = await login(user.username, user.password);
      expect(old.status).toBe(401);
      expect(old.body.error.code).toBe('AUTHENTICATION_ERROR');

      // The session that changed the password goes on.
      expect((await me(user.accessToken)).status).toBe(200);
      const refreshed = await t
        .api()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: user.refreshToken });
      expect(refreshed.status).toBe(200);

      // Every other session is over.
      const otherMe = await me(otherAccess);
      expect(otherMe.status).toBe(401);
      expect(otherMe.body.error.code).toBe('AUTHENTICATION_ERROR');
      const otherRefreshed = await t
        .api()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: otherRefresh });
      expect(otherRefreshed.status).toBe(401);
      expect(otherRefreshed.body.error.code).toBe('AUTHENTICATION_ERROR');
    });

    describe('refusals, each leaving the password as it was', () => {
      let user: RegisteredUser;

      beforeAll(async () => {
        user = await registerUser(t);
      });
      afterEach(async () => {
        expect((await login(user.username, user.password)).status).toBe(200);
        expect((await me(user.accessToken)).status).toBe(200);
      });

      it('rejects a wrong current password with 422 naming current_password', async () => {
        const res = await changePassword(user.accessToken, {
          current_password: `${user.password}-wrong`,
          new_password: newPassword,
          confirm_password: newPassword,
        });
        expect(res.status).toBe(422);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
        expect(fieldsOf(res)).toEqual(['current_password']);
      });

      it('rejects a confirmation that does not match with 422 naming confirm_password', async () => {
        const res = await changePassword(user.accessToken, {
          current_password: user.password,
          new_password: newPassword,
          confirm_password: `${newPassword}-typo`,
        });
        expect(res.status).toBe(422);
        expect(fieldsOf(res)).toEqual(['confirm_password']);
      });

      it('rejects a new password shorter than 8 characters with 422 naming new_password', async () => {
        const res = await changePassword(user.accessToken, {
          current_password: user.password,
          new_password: 'short12',
          confirm_password: 'short12',
        });
        expect(res.status).toBe(422);
        expect(fieldsOf(res)).toEqual(['new_password']);
      });

      it('rejects a new password equal to the current one with 422 naming new_password', async () => {
        const res = await changePassword(user.accessToken, {
          current_password: user.password,
          new_password: user.password,
          confirm_password: user.password,
        });
        expect(res.status).toBe(422);
        expect(fieldsOf(res)).toEqual(['new_password']);
      });

      it('rejects missing fields and unknown fields with 422', async () => {
        const missing = await changePassword(user.accessToken, { new_password: newPassword });
        expect(missing.status).toBe(422);
        expect(fieldsOf(missing)).toEqual(
          expect.arrayContaining(['current_password', 'confirm_password']),
        );

        const extra = await changePassword(user.accessToken, {
          current_password: user.password,
          new_password: newPassword,
          confirm_password: newPassword,
          user_id: '00000000-0000-4000-8000-000000000000',
        });
        expect(extra.status).toBe(422);
        expect(fieldsOf(extra)).toEqual(['user_id']);
      });

      it('never echoes a password back in an error', async () => {
        const res = await changePassword(user.accessToken, {
          current_password: `${user.password}-wrong`,
          new_password: newPassword,
          confirm_password: newPassword,
        });
        expect(res.status).toBe(422);
        expect(JSON.stringify(res.body)).not.toContain(user.password);
        expect(JSON.stringify(res.body)).not.toContain(newPassword);
      });
    });
  });

  describe('without a valid access token', () => {
    const routes: [string, (auth?: string) => ReturnType<ReturnType<TestApp['api']>['get']>][] = [
      ['GET /users/me', (auth) => withAuth(t.api().get('/api/v1/users/me'), auth)],
      [
        'PUT /users/me',
        (auth) => withAuth(t.api().put('/api/v1/users/me'), auth).send({ username: 'whoever' }),
      ],
      ['GET /users/me/quota', (auth) => withAuth(t.api().get('/api/v1/users/me/quota'), auth)],
      [
        'POST /users/me/change-password',
        (auth) =>
          withAuth(t.api().post('/api/v1/users/me/change-password'), auth).send({
            current_password: 'whatever-1',
            new_password: 'whatever-2',
            confirm_password: 'whatever-2',
          }),
      ],
    ];

    it.each(routes)('%s answers 401 AUTHENTICATION_ERROR with no token', async (_, call) => {
      const res = await call();
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
    });

    it.each(routes)('%s answers 401 with a forged or malformed token', async (_, call) => {
      for (const header of [
        'Bearer not-a-jwt',
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
        'Basic dXNlcjpwYXNz',
        'Bearer ',
      ]) {
        const res = await call(header);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('AUTHENTICATION_ERROR');
      }
    });

    it('answers 403 AUTHORIZATION_ERROR on every users route once the account is deactivated', async () => {
      const user = await registerUser(t);
      await t.sql('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
      for (const [, call] of routes) {
        const res = await call(`Bearer ${user.accessToken}`);
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('AUTHORIZATION_ERROR');
      }
      expect(await rowOf(user.id)).toMatchObject({ username: user.username, is_active: false });
    });

    it('answers 401 to a token whose session was logged out', async () => {
      const user = await registerUser(t);
      expect(
        (await t.api().post('/api/v1/auth/logout').set(bearer(user.accessToken)).send({})).status,
      ).toBe(200);
      const res = await me(user.accessToken);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('AUTHENTICATION_ERROR');
    });
  });
});
