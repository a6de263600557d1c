import * as jwt from 'jsonwebtoken';
import { createHash, randomUUID } from 'node:crypto';
import { bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TEST_JWT_SECRET, TestApp } from '../support/app';
import { sleep } from '../support/expect';

interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The claims of one of our access tokens (not verified: the test only reads them). */
interface AccessClaims {
  sub: string;
  sid: string;
  typ: string;
  iat: number;
  exp: number;
}
function claimsOf(token: string): AccessClaims {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as AccessClaims;
}

/** Helpers bound to one running app. */
function client(t: TestApp) {
  const me = (token?: string) => {
    const req = t.api().get('/api/v1/users/me');
    return token === undefined ? req : req.set(bearer(token));
  };
  const refresh = (refreshToken: string) =>
    t.api().post('/api/v1/auth/refresh').send({ refresh_token: refreshToken });
  const login = async (user: RegisteredUser): Promise<TokenPair> => {
    const res = await t
      .api()
      .post('/api/v1/auth/login')
      .send({ username: user.username, password: user.password });
    expect(res.status).toBe(200);
    return { accessToken: res.body.data.access_token, refreshToken: res.body.data.refresh_token };
  };
  const rotate = async (refreshToken: string): Promise<TokenPair> => {
    const res = await refresh(refreshToken);
    expect(res.status).toBe(200);
    return { accessToken: res.body.data.access_token, refreshToken: res.body.data.refresh_token };
  };
  const sessionOf = async (accessToken: string) => {
    const rows = await t.sql<{ revoked_at: Date | null; revoke_reason: string | null }>(
      'SELECT revoked_at, revoke_reason FROM sessions WHERE id = $1',
      [claimsOf(accessToken).sid],
    );
    expect(rows).toHaveLength(1);
    return rows[0];
  };
  return { me, refresh, login, rotate, sessionOf };
}

/** 401 AUTHENTICATION_ERROR in the error envelope, and nothing else. */
function expectUnauthenticated(res: { status: number; body: Record<string, any>; text: string }) {
  expect(res.status).toBe(401);
  expect(res.body.success).toBe(false);
  expect(res.body.error.code).toBe('AUTHENTICATION_ERROR');
  expect(res.body.data).toBeUndefined();
  expect(res.text).not.toContain('access_token');
}

describe('Auth tokens: refresh, logout, bearer validation', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await bootApp({ RATE_LIMIT_AUTH: '10000' });
    api = client(t);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('POST /auth/refresh', () => {
    it('returns a new access and refresh token (200, no user) and marks the old refresh token used', async () => {
      const user = await registerUser(t);
      const res = await api.refresh(user.refreshToken);
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 1800,
      });
      expect(res.body.data.user).toBeUndefined();
      expect(res.body.data.refresh_token).not.toBe(user.refreshToken);
      // Same session, same user.
      expect(claimsOf(res.body.data.access_token)).toMatchObject({
        sub: user.id,
        sid: claimsOf(user.accessToken).sid,
      });

      const me = await api.me(res.body.data.access_token);
      expect(me.status).toBe(200);
      expect(me.body.data.id).toBe(user.id);
      // Access tokens live 30 minutes; refresh tokens 7 days.
      const claims = claimsOf(res.body.data.access_token);
      expect(claims.exp - claims.iat).toBe(1800);
      const successor = await t.sql<{ expires_at: Date }>(
        'SELECT expires_at FROM refresh_tokens WHERE token_hash = $1',
        [sha256(res.body.data.refresh_token)],
      );
      expect(successor).toHaveLength(1);
      const sevenDays = 7 * 24 * 3600 * 1000;
      expect(
        Math.abs(new Date(successor[0].expires_at).getTime() - Date.now() - sevenDays),
      ).toBeLessThan(60_000);

      const rows = await t.sql<{ used_at: Date | null }>(
        'SELECT used_at FROM refresh_tokens WHERE token_hash = $1',
        [sha256(user.refreshToken)],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].used_at).not.toBeNull();
      // Only hashes are stored, never the token itself.
      const clear = await t.sql(
        'SELECT 1 FROM refresh_tokens WHERE token_hash = $1 OR successor_sealed = $1',
        [res.body.data.refresh_token],
      );
      expect(clear).toHaveLength(0);
    });

    it('chains: each successor works once in turn', async () => {
      const user = await registerUser(t);
      const first = await api.rotate(user.refreshToken);
      const second = await api.rotate(first.refreshToken);
      const third = await api.rotate(second.refreshToken);
      expect(
        new Set([user.refreshToken, first.refreshToken, second.refreshToken, third.refreshToken])
          .size,
      ).toBe(4);
      expect((await api.me(third.accessToken)).status).toBe(200);
    });

    it('ends the whole session when a used token is replayed after its successor was used', async () => {
      const user = await registerUser(t);
      const other = await api.login(user); // a second session of the same user
      const first = await api.rotate(user.refreshToken);
      const second = await api.rotate(first.refreshToken);

      // The thief (or the victim) presents the already-rotated first token again.
      expectUnauthenticated(await api.refresh(user.refreshToken));

      // The whole family is dead: the newest refresh token and the newest access token.
      expectUnauthenticated(await api.refresh(second.refreshToken));
      expectUnauthenticated(await api.me(second.accessToken));
      expectUnauthenticated(await api.me(first.accessToken));
      expect(await api.sessionOf(second.accessToken)).toMatchObject({
        revoked_at: expect.anything(),
        revoke_reason: 'refresh_reuse',
      });

      // The user's other session is untouched.
      expect((await api.me(other.accessToken)).status).toBe(200);
      expect((await api.refresh(other.refreshToken)).status).toBe(200);
    });

    it('answers 10 concurrent refreshes with one token with ONE successor, which then works', async () => {
      const user = await registerUser(t);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => api.refresh(user.refreshToken)),
      );
      const statuses = results.map((r) => r.status);
      // The concurrent losers get the winner's successor (within the grace), not an error.
      expect(statuses).toEqual(Array(10).fill(200));
      const successors = new Set(results.map((r) => r.body.data.refresh_token as string));
      expect(successors.size).toBe(1);
      const [successor] = [...successors];
      expect(successor).not.toBe(user.refreshToken);

      // Exactly one new refresh token was minted for the session.
      const minted = await t.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1',
        [claimsOf(user.accessToken).sid],
      );
      expect(minted[0].n).toBe(2);

      for (const r of results) expect((await api.me(r.body.data.access_token)).status).toBe(200);
      const next = await api.rotate(successor);
      expect((await api.me(next.accessToken)).status).toBe(200);
    });

    it('rejects an expired refresh token with 401', async () => {
      const user = await registerUser(t);
      await t.sql(
        `UPDATE refresh_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = $1`,
        [sha256(user.refreshToken)],
      );
      expectUnauthenticated(await api.refresh(user.refreshToken));
      // The access token of the session is not affected by its refresh token expiring.
      expect((await api.me(user.accessToken)).status).toBe(200);
    });

    it.each([
      ['an unknown random token', () => 'A'.repeat(43)],
      ['garbage', () => 'garbage !@#$%^&*()'],
      ['an access token', (u: RegisteredUser) => u.accessToken],
    ])('rejects %s with 401', async (_name, build) => {
      const user = await registerUser(t);
      expectUnauthenticated(await api.refresh(build(user)));
    });

    it('refuses an inactive account with 403 without using the token up', async () => {
      const user = await registerUser(t);
      await t.sql('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
      const refused = await api.refresh(user.refreshToken);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('AUTHORIZATION_ERROR');
      const [row] = await t.sql<{ used_at: Date | null; n: number }>(
        `SELECT rt.used_at, (SELECT count(*)::int FROM refresh_tokens x WHERE x.session_id = rt.session_id) AS n
           FROM refresh_tokens rt WHERE rt.token_hash = $1`,
        [sha256(user.refreshToken)],
      );
      expect(row).toEqual({ used_at: null, n: 1 });
      // Reactivated, the same token still works.
      await t.sql('UPDATE users SET is_active = true WHERE id = $1', [user.id]);
      expect((await api.refresh(user.refreshToken)).status).toBe(200);
    });

    it('rejects a body without refresh_token as a validation error', async () => {
      const res = await t.api().post('/api/v1/auth/refresh').send({});
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('refresh_token');
    });
  });

  describe('POST /auth/logout', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    const logout = (accessToken?: string, body: Record<string, unknown> = {}) => {
      const req = t.api().post('/api/v1/auth/logout');
      return (accessToken === undefined ? req : req.set(bearer(accessToken))).send(body);
    };

    it('answers 200 with data null and kills that access token and its refresh token; other sessions live on', async () => {
      const session = await api.login(user);
      const other = await api.login(user);
      const res = await logout(session.accessToken);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: null, message: expect.any(String) });

      expectUnauthenticated(await api.me(session.accessToken));
      expectUnauthenticated(await api.refresh(session.refreshToken));
      expectUnauthenticated(await logout(session.accessToken));
      expect(await api.sessionOf(session.accessToken)).toMatchObject({ revoke_reason: 'logout' });

      expect((await api.me(other.accessToken)).status).toBe(200);
      expect((await api.refresh(other.refreshToken)).status).toBe(200);
    });

    it('also ends the session of the refresh token given in the body, when it is the same user', async () => {
      const current = await api.login(user);
      const other = await api.login(user);
      const bystander = await api.login(user);
      const res = await logout(current.accessToken, { refresh_token: other.refreshToken });
      expect(res.status).toBe(200);
      expect(res.body.data).toBeNull();
      expectUnauthenticated(await api.me(current.accessToken));
      expectUnauthenticated(await api.me(other.accessToken));
      expectUnauthenticated(await api.refresh(other.refreshToken));
      expect((await api.me(bystander.accessToken)).status).toBe(200);
    });

    it('never ends another user’s session through the body refresh token', async () => {
      const mine = await api.login(user);
      const stranger = await registerUser(t);
      const res = await logout(mine.accessToken, { refresh_token: stranger.refreshToken });
      expect(res.status).toBe(200);
      expect((await api.me(stranger.accessToken)).status).toBe(200);
      expect((await api.refresh(stranger.refreshToken)).status).toBe(200);
    });

    it('requires a bearer token (401 without one)', async () => {
      expectUnauthenticated(await logout());
      expectUnauthenticated(await logout(undefined, { refresh_token: user.refreshToken }));
      // The refresh token alone does not log anyone out.
      expect((await api.me(user.accessToken)).status).toBe(200);
    });
  });

  describe('bearer tokens on GET /users/me', () => {
    let victim: RegisteredUser;
    let other: RegisteredUser;
    let genuine: AccessClaims;

    beforeAll(async () => {
      victim = await registerUser(t);
      other = await registerUser(t);
      genuine = claimsOf(victim.accessToken);
    });

    const now = () => Math.floor(Date.now() / 1000);
    const sign = (
      payload: object,
      options: jwt.SignOptions = {},
      secret: string = TEST_JWT_SECRET,
    ) => jwt.sign(payload, secret, { algorithm: 'HS256', ...options });
    const claims = () => ({ sub: genuine.sub, sid: genuine.sid, typ: 'access' });

    it('accepts the genuine token and a token forged exactly like the attacks below but done right (control)', async () => {
      expect((await api.me(victim.accessToken)).status).toBe(200);
      const forged = sign({ ...claims() }, { expiresIn: 300 });
      const res = await api.me(forged);
      expect(res.status).toBe(200);
      expect(res.body.data.id).toBe(victim.id);
    });

    it('rejects a request without an Authorization header', async () => {
      expectUnauthenticated(await api.me());
    });

    it('rejects a non-Bearer scheme carrying a valid token', async () => {
      expectUnauthenticated(
        await t.api().get('/api/v1/users/me').set('Authorization', `Basic ${victim.accessToken}`),
      );
    });

    const attacks: [string, () => string][] = [
      ['an empty token', () => ''],
      ['a malformed token', () => 'not-a-jwt'],
      ['a token of three garbage parts', () => 'aaa.bbb.ccc'],
      [
        'alg "none" with the same claims',
        () =>
          `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims(), iat: now(), exp: now() + 600 })}.`,
      ],
      [
        'alg "none" with the genuine signature kept',
        () =>
          `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims(), iat: now(), exp: now() + 600 })}.${victim.accessToken.split('.')[2]}`,
      ],
      [
        'HS256 signed with a wrong secret',
        () => sign(claims(), { expiresIn: 300 }, `${TEST_JWT_SECRET}-wrong`),
      ],
      [
        'HS384 signed with the right secret',
        () => sign(claims(), { expiresIn: 300, algorithm: 'HS384' }),
      ],
      [
        'HS512 signed with the right secret',
        () => sign(claims(), { expiresIn: 300, algorithm: 'HS512' }),
      ],
      [
        'an expired token (right secret)',
        () => sign({ ...claims(), iat: now() - 3600, exp: now() - 60 }),
      ],
      ['typ "refresh"', () => sign({ ...claims(), typ: 'refresh' }, { expiresIn: 300 })],
      ['no typ', () => sign({ sub: genuine.sub, sid: genuine.sid }, { expiresIn: 300 })],
      ['no sid', () => sign({ sub: genuine.sub, typ: 'access' }, { expiresIn: 300 })],
      [
        'a sid that is not a UUID',
        () => sign({ ...claims(), sid: 'not-a-uuid' }, { expiresIn: 300 }),
      ],
      ['a sid of no session', () => sign({ ...claims(), sid: randomUUID() }, { expiresIn: 300 })],
      [
        "another user's sub on this session (right secret)",
        () => sign({ ...claims(), sub: other.id }, { expiresIn: 300 }),
      ],
      [
        "a payload switched to another user's sub and session, genuine signature kept",
        () => {
          const [header, , signature] = victim.accessToken.split('.');
          const theirs = claimsOf(other.accessToken);
          return `${header}.${b64url({ ...genuine, sub: theirs.sub, sid: theirs.sid })}.${signature}`;
        },
      ],
      [
        'a payload with a later exp, genuine signature kept',
        () => {
          const [header, , signature] = victim.accessToken.split('.');
          return `${header}.${b64url({ ...genuine, exp: genuine.exp + 86400 })}.${signature}`;
        },
      ],
      ['the refresh token used as a bearer token', () => victim.refreshToken],
    ];
    it.each(attacks)('rejects %s with 401 AUTHENTICATION_ERROR', async (_name, build) => {
      const res = await api.me(build());
      expectUnauthenticated(res);
      expect(res.text).not.toContain(victim.email);
    });
  });
});

describe('Auth tokens: the refresh reuse grace', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await bootApp({ RATE_LIMIT_AUTH: '10000', JWT_REFRESH_REUSE_GRACE: '1' });
    api = client(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a replay within the grace with the same successor', async () => {
    const user = await registerUser(t);
    const first = await api.rotate(user.refreshToken);
    const again = await api.rotate(user.refreshToken);
    expect(again.refreshToken).toBe(first.refreshToken);
    expect((await api.me(first.accessToken)).status).toBe(200);
  });

  it('treats a replay after the grace as theft: 401 and the session ends', async () => {
    const user = await registerUser(t);
    const first = await api.rotate(user.refreshToken);
    await sleep(1500);
    expectUnauthenticated(await api.refresh(user.refreshToken));
    // Its (never used) successor and the session's access tokens are dead too.
    expectUnauthenticated(await api.refresh(first.refreshToken));
    expectUnauthenticated(await api.me(first.accessToken));
    expectUnauthenticated(await api.me(user.accessToken));
    expect(await api.sessionOf(first.accessToken)).toMatchObject({
      revoke_reason: 'refresh_reuse',
    });
  });
});
