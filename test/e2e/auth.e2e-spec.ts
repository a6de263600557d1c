import { randomBytes } from 'node:crypto';
import { aUser, bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CJK = /[\u4e00-\u9fff]/;

/** Every key anywhere in a JSON value, lower-cased. */
function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [k.toLowerCase(), ...allKeys(v)]);
  }
  return [];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A random lower-case alphanumeric string. */
function randomName(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

describe('Auth: register and login', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Many auth calls in one minute: keep any auth rate limit out of the way of these tests.
    t = await bootApp({ RATE_LIMIT_AUTH: '10000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const register = (body: Record<string, unknown>, lang?: string) => {
    const req = t.api().post('/api/v1/auth/register');
    if (lang) void req.set('Accept-Language', lang);
    return req.send(body);
  };
  const login = (username: string, password: string, lang?: string) => {
    const req = t.api().post('/api/v1/auth/login');
    if (lang) void req.set('Accept-Language', lang);
    return req.send({ username, password });
  };
  const usersNamed = async (username: string) =>
    t.sql<{ id: string }>('SELECT id FROM users WHERE lower(username) = lower($1)', [username]);

  describe('POST /auth/register', () => {
    it('creates the user (201) and answers the user and a token pair in the envelope, never a password', async () => {
      const input = aUser();
      const res = await register({ ...input, confirm_password: input.password });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        success: true,
        data: expect.any(Object),
        message: expect.any(String),
        timestamp: expect.any(String),
      });
      expect(res.body.message.length).toBeGreaterThan(0);
      expect(new Date(res.body.timestamp).toISOString()).toBe(res.body.timestamp);

      const { data } = res.body;
      expect(data).toMatchObject({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 1800,
        user: {
          id: expect.stringMatching(UUID),
          username: input.username,
          email: input.email,
          is_active: true,
          is_vip: false,
          created_at: expect.any(String),
        },
      });
      expect(Date.parse(data.user.created_at)).not.toBeNaN();
      expect(Math.abs(Date.parse(data.user.created_at) - Date.now())).toBeLessThan(60_000);
      expect(data.access_token).not.toBe(data.refresh_token);

      expect(allKeys(res.body).filter((k) => k.includes('password'))).toEqual([]);
      expect(res.text).not.toContain(input.password);
      expect(res.text).not.toContain('$argon2');

      // The tokens are live: the access token opens /users/me for this very user.
      const me = await t.api().get('/api/v1/users/me').set(bearer(data.access_token));
      expect(me.status).toBe(200);
      expect(me.body.data.id).toBe(data.user.id);
    });

    it('stores the password as an argon2id hash, never in clear', async () => {
      const user = await registerUser(t);
      const rows = await t.sql<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE id = $1',
        [user.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].password_hash.startsWith('$argon2id$')).toBe(true);
      expect(rows[0].password_hash).not.toContain(user.password);
    });

    it('accepts the boundary lengths: username 3 and 50, password 8 and 128', async () => {
      const short = {
        username: randomName(3),
        email: `${randomName(12)}@example.com`,
        password: 'p'.repeat(8),
      };
      const long = {
        username: randomName(50),
        email: `${randomName(12)}@example.com`,
        password: 'q'.repeat(128),
      };
      for (const input of [short, long]) {
        const res = await register({ ...input, confirm_password: input.password });
        expect(res.status).toBe(201);
        expect(res.body.data.user.username).toBe(input.username);
      }
    });

    const invalid: [string, (u: ReturnType<typeof aUser>) => Record<string, unknown>, string][] = [
      ['a 2-character username', (u) => ({ ...u, username: 'ab' }), 'username'],
      ['a 51-character username', (u) => ({ ...u, username: 'a'.repeat(51) }), 'username'],
      ['a bad e-mail', (u) => ({ ...u, email: 'not-an-email' }), 'email'],
      [
        'a 7-character password',
        (u) => ({ ...u, password: 'x'.repeat(7), confirm_password: 'x'.repeat(7) }),
        'password',
      ],
      [
        'a 129-character password',
        (u) => ({ ...u, password: 'x'.repeat(129), confirm_password: 'x'.repeat(129) }),
        'password',
      ],
      [
        'a confirm_password that differs',
        (u) => ({ ...u, confirm_password: `${u.password}!` }),
        'confirm_password',
      ],
      ['a missing username', ({ username: _username, ...rest }) => rest, 'username'],
    ];
    it.each(invalid)(
      'rejects %s with 422 VALIDATION_ERROR naming the field, creating nobody',
      async (_name, build, field) => {
        const input = aUser();
        const body = build({ ...input, confirm_password: input.password } as ReturnType<
          typeof aUser
        >);
        const res = await register(body);
        expect(res.status).toBe(422);
        expect(res.body.success).toBe(false);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
        expect(res.body.error.details.field).toBe(field);
        expect(typeof res.body.error.details.issue).toBe('string');
        expect(await usersNamed(input.username)).toHaveLength(0);
      },
    );

    it('reports several bad fields as details.fields plus field/issue of the first', async () => {
      const res = await register({
        username: 'ab',
        email: 'nope',
        password: 'short',
        confirm_password: 'other',
      });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      const { details } = res.body.error;
      expect(Array.isArray(details.fields)).toBe(true);
      const fields = (details.fields as { field: string; issue: string }[]).map((f) => f.field);
      expect(fields).toEqual(
        expect.arrayContaining(['username', 'email', 'password', 'confirm_password']),
      );
      expect(details.field).toBe(details.fields[0].field);
      expect(details.issue).toBe(details.fields[0].issue);
      for (const f of details.fields) expect(typeof f.issue).toBe('string');
    });

    it.each([
      ['is_vip', true],
      ['role', 'admin'],
      ['is_active', false],
      ['id', '00000000-0000-4000-8000-000000000000'],
    ])(
      'rejects an unknown field %s with 422 naming it, and creates no user',
      async (field, value) => {
        const input = aUser();
        const res = await register({ ...input, confirm_password: input.password, [field]: value });
        expect(res.status).toBe(422);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
        const details = res.body.error.details as { field: string; fields?: { field: string }[] };
        const named = [details.field, ...(details.fields ?? []).map((f) => f.field)];
        expect(named).toContain(field);
        expect(await usersNamed(input.username)).toHaveLength(0);
      },
    );

    it('rejects a username taken in another case with 422 on username', async () => {
      const base = `Alice_${randomName(8)}`;
      await registerUser(t, { username: base });
      const other = aUser({ username: base.toLowerCase() });
      const res = await register({ ...other, confirm_password: other.password });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('username');
      expect(await usersNamed(base)).toHaveLength(1);
    });

    it('rejects an e-mail taken in another case with 422 on email', async () => {
      const first = await registerUser(t);
      const other = aUser({ email: first.email.toUpperCase() });
      const res = await register({ ...other, confirm_password: other.password });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('email');
      expect(await usersNamed(other.username)).toHaveLength(0);
      const count = await t.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)',
        [first.email],
      );
      expect(count[0].n).toBe(1);
    });

    it('names both fields when username and e-mail are both taken', async () => {
      const first = await registerUser(t);
      const res = await register({
        username: first.username.toUpperCase(),
        email: first.email.toUpperCase(),
        password: 'another-password',
        confirm_password: 'another-password',
      });
      expect(res.status).toBe(422);
      const fields = (res.body.error.details.fields as { field: string }[]).map((f) => f.field);
      expect(fields.sort()).toEqual(['email', 'username']);
    });

    it('lets exactly one of two concurrent registrations of the same username through; the other gets 422', async () => {
      const username = `race_${randomName(10)}`;
      const a = aUser({ username });
      const b = aUser({ username: username.toUpperCase() });
      const [ra, rb] = await Promise.all([
        register({ ...a, confirm_password: a.password }),
        register({ ...b, confirm_password: b.password }),
      ]);
      expect([ra.status, rb.status].sort()).toEqual([201, 422]);
      const loser = ra.status === 422 ? ra : rb;
      expect(loser.body.error.code).toBe('VALIDATION_ERROR');
      expect(loser.body.error.details.field).toBe('username');
      expect(await usersNamed(username)).toHaveLength(1);
    });
  });

  describe('POST /auth/login', () => {
    it('refuses a NUL character in the username with 422, not a database error', async () => {
      const res = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: 'ali\u0000ce', password: 'whatever-123' });
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_ERROR',
        details: { field: 'username' },
      });
    });

    it('refuses lone UTF-16 surrogates with 422, not a 500 (found by the fuzz: register, email)', async () => {
      const res = await t
        .api()
        .post('/api/v1/auth/register')
        .set('Content-Type', 'application/json')
        .send(
          '{"username":"surrogate_user","email":"\\udfff\\ud800","password":"long-enough-1","confirm_password":"long-enough-1"}',
        );
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_ERROR',
        details: { field: 'email' },
      });
    });

    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    const expectLoggedIn = (res: Awaited<ReturnType<typeof login>>) => {
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toMatchObject({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 1800,
        user: { id: user.id, username: user.username, email: user.email },
      });
      expect(allKeys(res.body).filter((k) => k.includes('password'))).toEqual([]);
      expect(res.text).not.toContain(user.password);
    };

    it('logs in by username with 200 (not 201) and a working token pair', async () => {
      const res = await login(user.username, user.password);
      expectLoggedIn(res);
      const me = await t.api().get('/api/v1/users/me').set(bearer(res.body.data.access_token));
      expect(me.status).toBe(200);
      expect(me.body.data.id).toBe(user.id);
    });

    it('logs in by username in another case', async () => {
      expectLoggedIn(await login(user.username.toUpperCase(), user.password));
    });

    it('logs in by e-mail, in any case', async () => {
      expectLoggedIn(await login(user.email, user.password));
      expectLoggedIn(await login(user.email.toUpperCase(), user.password));
    });

    it('opens a new session per login: distinct token pairs', async () => {
      const [a, b] = [
        await login(user.username, user.password),
        await login(user.username, user.password),
      ];
      expect(a.body.data.refresh_token).not.toBe(b.body.data.refresh_token);
      expect(a.body.data.access_token).not.toBe(b.body.data.access_token);
    });

    it('answers a wrong password and an unknown user identically: 401 AUTHENTICATION_ERROR, same message', async () => {
      const wrong = await login(user.username, `${user.password}-wrong`);
      const unknown = await login(`nobody_${randomName(10)}`, user.password);
      const unknownEmail = await login(`nobody_${randomName(10)}@example.com`, user.password);
      for (const res of [wrong, unknown, unknownEmail]) {
        expect(res.status).toBe(401);
        expect(res.body.success).toBe(false);
        expect(res.body.error.code).toBe('AUTHENTICATION_ERROR');
        expect(res.body.data).toBeUndefined();
      }
      expect(unknown.body.error).toEqual(wrong.body.error);
      expect(unknownEmail.body.error).toEqual(wrong.body.error);
    });

    it('takes about as long for an unknown user as for a wrong password (no user enumeration by timing)', async () => {
      const time = async (username: string) => {
        const start = process.hrtime.bigint();
        const res = await login(username, 'definitely-wrong-password');
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        expect(res.status).toBe(401);
        return ms;
      };
      // Warm both paths once (the dummy hash is computed lazily), then alternate.
      await time(user.username);
      await time(`ghost_${randomName(10)}`);
      const wrong: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        wrong.push(await time(user.username));
        unknown.push(await time(`ghost_${randomName(10)}`));
      }
      const wrongMedian = median(wrong);
      const unknownMedian = median(unknown);
      console.log(
        `[login timing] median wrong password ${wrongMedian.toFixed(1)} ms, unknown user ${unknownMedian.toFixed(1)} ms`,
      );
      const ratio = unknownMedian / wrongMedian;
      expect(ratio).toBeGreaterThanOrEqual(0.33);
      expect(ratio).toBeLessThanOrEqual(3);
    });

    it('rejects a login body without a password with 422 on password', async () => {
      const res = await t.api().post('/api/v1/auth/login').send({ username: user.username });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('password');
    });

    it('answers in Chinese for Accept-Language zh-CN, in English by default; the code never changes', async () => {
      const zh = await login(user.username, 'definitely-wrong-password', 'zh-CN');
      const en = await login(user.username, 'definitely-wrong-password');
      const enExplicit = await login(user.username, 'definitely-wrong-password', 'en-US,en;q=0.9');
      expect(zh.status).toBe(401);
      expect(en.status).toBe(401);
      expect(zh.body.error.code).toBe('AUTHENTICATION_ERROR');
      expect(en.body.error.code).toBe('AUTHENTICATION_ERROR');
      expect(zh.body.error.message).toMatch(CJK);
      expect(en.body.error.message).not.toMatch(CJK);
      expect(en.body.error.message).toMatch(/[a-z]/i);
      expect(enExplicit.body.error.message).toBe(en.body.error.message);
      expect(zh.body.error.message).not.toBe(en.body.error.message);
    });

    it('translates validation issues for zh-CN while keeping field and code', async () => {
      const res = await register(
        {
          username: 'ab',
          email: 'x@example.com',
          password: 'long-enough',
          confirm_password: 'long-enough',
        },
        'zh-CN',
      );
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('username');
      expect(res.body.error.message).toMatch(CJK);
      expect(res.body.error.details.issue).toMatch(CJK);
    });

    it('refuses an inactive user with 403 AUTHORIZATION_ERROR, also on an access token issued before', async () => {
      const victim = await registerUser(t);
      const before = await t.api().get('/api/v1/users/me').set(bearer(victim.accessToken));
      expect(before.status).toBe(200);

      await t.sql('UPDATE users SET is_active = false WHERE id = $1', [victim.id]);

      const res = await login(victim.username, victim.password);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('AUTHORIZATION_ERROR');
      expect(res.body.data).toBeUndefined();
      expect(res.text).not.toContain('access_token');

      const me = await t.api().get('/api/v1/users/me').set(bearer(victim.accessToken));
      expect(me.status).toBe(403);
      expect(me.body.error.code).toBe('AUTHORIZATION_ERROR');

      const refreshed = await t
        .api()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: victim.refreshToken });
      expect(refreshed.status).toBe(403);
      expect(refreshed.body.error.code).toBe('AUTHORIZATION_ERROR');
      expect(refreshed.text).not.toContain('access_token');

      // A wrong password for an inactive account still says only "wrong credentials".
      const wrong = await login(victim.username, 'definitely-wrong-password');
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('AUTHENTICATION_ERROR');
    });
  });
});
