import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Response } from 'supertest';
import { aUser, bearer, registerUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { ISO_UTC, UUID } from '../support/expect';

const CJK = /[\u4e00-\u9fff]/;

/** A timestamp in ISO 8601 UTC, close to now. */
function expectFreshTimestamp(value: unknown): void {
  expect(value).toEqual(expect.stringMatching(ISO_UTC));
  expect(Math.abs(Date.parse(value as string) - Date.now())).toBeLessThan(60_000);
}

/** The contract's error envelope, with the given status and code, and nothing else at the top. */
function expectError(res: Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body).sort()).toEqual(['error', 'success', 'timestamp']);
  expect(res.body.success).toBe(false);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(0);
  expectFreshTimestamp(res.body.timestamp);
  expect(res.headers['x-request-id']).toBeTruthy();
}

/** No internals in an error body: no stack, no frames, no SQL, no driver error names. */
function expectNoInternals(res: Response): void {
  const text = JSON.stringify(res.body);
  expect(Object.keys(res.body.error ?? {})).not.toContain('stack');
  expect(text).not.toMatch(/"stack"/);
  expect(text).not.toMatch(/\bat [\w.<>$]+ \(|\bat \/|\\n\s+at /);
  expect(text).not.toMatch(/node_modules|\.(ts|js):\d+/);
  for (const word of [
    'QueryFailedError',
    'TypeORMError',
    'SELECT',
    'INSERT',
    'UPDATE ',
    'relation "',
    'syntax error',
  ]) {
    expect(text).not.toContain(word);
  }
}

function issuesOf(res: Response): string[] {
  const details = (res.body?.error?.details ?? {}) as {
    issue?: string;
    fields?: { issue: string }[];
  };
  return [details.issue, ...(details.fields ?? []).map((f) => f.issue)].filter(
    (i): i is string => !!i,
  );
}

describe('The contract frame', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const register = (body: unknown) =>
    t
      .api()
      .post('/api/v1/auth/register')
      .send(body as object);

  describe('envelopes', () => {
    it('wraps a success as {success, data, message, timestamp} with an ISO UTC timestamp', async () => {
      const user = await registerUser(t);
      const res = await t.api().get('/api/v1/users/me').set(bearer(user.accessToken));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'message', 'success', 'timestamp']);
      expect(res.body.success).toBe(true);
      expect(typeof res.body.message).toBe('string');
      expect(res.body.message.length).toBeGreaterThan(0);
      expect(res.body.data.id).toBe(user.id);
      expectFreshTimestamp(res.body.timestamp);
      expect(res.body.data.created_at).toMatch(ISO_UTC);
      expect(res.body.data.updated_at).toMatch(ISO_UTC);
    });

    it('answers register with 201 and login with 200', async () => {
      const input = aUser();
      const created = await register({ ...input, confirm_password: input.password });
      expect(created.status).toBe(201);
      expect(created.body.success).toBe(true);
      expect(created.body.data.user.created_at).toMatch(ISO_UTC);
      expectFreshTimestamp(created.body.timestamp);

      const login = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: input.username, password: input.password });
      expect(login.status).toBe(200);
      expect(login.body.success).toBe(true);
    });

    it('answers an action with data null', async () => {
      const user = await registerUser(t);
      const res = await t.api().post('/api/v1/auth/logout').set(bearer(user.accessToken)).send({});
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: null });
      expect(Object.keys(res.body)).toContain('data');
    });
  });

  describe('400 versus 422', () => {
    it('answers malformed JSON with 400 VALIDATION_ERROR in the envelope and a request id', async () => {
      const res = await t
        .api()
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"username": ');
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(res.headers['x-request-id']).toMatch(UUID);
      expectNoInternals(res);
    });

    it('answers a well-formed body that breaks a rule with 422', async () => {
      const input = aUser();
      const res = await register({ ...input, password: 'short', confirm_password: 'short' });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('password');
      expect(typeof res.body.error.details.issue).toBe('string');
    });

    it('lists several invalid fields in details.fields, first one also at the top', async () => {
      const res = await register({
        username: 'ab',
        email: 'nope',
        password: 'x',
        confirm_password: 'y',
      });
      expectError(res, 422, 'VALIDATION_ERROR');
      const { details } = res.body.error;
      expect(Array.isArray(details.fields)).toBe(true);
      const fields = new Set((details.fields as { field: string }[]).map((f) => f.field));
      expect(fields).toEqual(new Set(['username', 'email', 'password', 'confirm_password']));
      expect(details.field).toBe(details.fields[0].field);
      expect(details.issue).toBe(details.fields[0].issue);
      // Only field and issue travel: no internal keys.
      for (const f of details.fields as Record<string, unknown>[])
        expect(Object.keys(f).sort()).toEqual(['field', 'issue']);
    });

    it.each<[string, string]>([
      ['a JSON array', '[{"username":"a","password":"b"}]'],
      ['an empty JSON array', '[]'],
      ['a JSON string', '"hello"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
      ['truncated JSON', '{"username": "a", '],
      ['JSON with a trailing comma', '{"username": "a",}'],
    ])('answers %s as the body with 400', async (_, raw) => {
      const res = await t
        .api()
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send(raw);
      expectError(res, 400, 'VALIDATION_ERROR');
      expectNoInternals(res);
    });

    it('answers a body over the size cap with 413 VALIDATION_ERROR', async () => {
      const big = { username: 'x'.repeat(300 * 1024), password: 'whatever-123' };
      const res = await t.api().post('/api/v1/auth/login').send(big);
      expectError(res, 413, 'VALIDATION_ERROR');
      expectNoInternals(res);
    });

    it('answers a URL over the header size cap with 431 VALIDATION_ERROR in the envelope', async () => {
      const res = await t.api().get(`/api/v1/conversations?search=${'x'.repeat(20_000)}`);
      expectError(res, 431, 'VALIDATION_ERROR');
      expectNoInternals(res);
    });

    it('accepts a body just under the cap as far as size goes (then validates it)', async () => {
      const res = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: 'x'.repeat(200 * 1024), password: 'whatever-123' });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('username');
    });

    it('treats a text/plain body as no body: 422 for the missing fields, not 500', async () => {
      const input = aUser();
      const res = await t
        .api()
        .post('/api/v1/auth/register')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ ...input, confirm_password: input.password }));
      expectError(res, 422, 'VALIDATION_ERROR');
      expectNoInternals(res);
      const [{ n }] = await t.sql<{ n: string }>(
        'SELECT count(*) AS n FROM users WHERE username = $1',
        [input.username],
      );
      expect(Number(n)).toBe(0);
    });

    it('treats a request with no body at all as an empty body: 422', async () => {
      const res = await t.api().post('/api/v1/auth/login');
      expectError(res, 422, 'VALIDATION_ERROR');
    });

    it('accepts an action whose body is all optional when no body is sent (logout with only the bearer header)', async () => {
      const user = await registerUser(t);
      const res = await t.api().post('/api/v1/auth/logout').set(bearer(user.accessToken));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: null });
      expect((await t.api().get('/api/v1/users/me').set(bearer(user.accessToken))).status).toBe(
        401,
      );
    });

    it('answers an unknown route with 404 RESOURCE_NOT_FOUND', async () => {
      for (const res of [
        await t.api().get('/api/v1/no-such-route'),
        await t.api().post('/api/v1/no-such-route').send({}),
        await t.api().delete('/api/v1/users/me'),
        await t.api().get('/users/me'),
        await t.api().get('/'),
        await t.api().post('/api/v2/auth/login').send({}),
      ]) {
        expectError(res, 404, 'RESOURCE_NOT_FOUND');
      }
    });
  });

  describe('compressed bodies (Content-Encoding)', () => {
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    const gzipped = gzipSync(json({ title: 'gzip ok' }));

    async function post(encoding: string, body: Buffer, user: { accessToken: string }) {
      return (
        t
          .api()
          .post('/api/v1/conversations')
          .set(bearer(user.accessToken))
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', encoding)
          // As bytes: superagent would otherwise send a Buffer as its JSON form (its types say a
          // serializer returns a string; a Buffer is written as it is).
          .serialize((bytes: Buffer) => bytes as unknown as string)
          .send(body)
      );
    }

    async function conversationsOf(userId: string): Promise<number> {
      const [{ n }] = await t.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM conversations WHERE user_id = $1',
        [userId],
      );
      return n;
    }

    it('reads a well-formed gzip, deflate or brotli body', async () => {
      const user = await registerUser(t);
      for (const [encoding, body] of [
        ['gzip', gzipSync(json({ title: 'gzip ok' }))],
        ['deflate', deflateSync(json({ title: 'deflate ok' }))],
        ['br', brotliCompressSync(json({ title: 'br ok' }))],
      ] as const) {
        const res = await post(encoding, body, user);
        expect([encoding, res.status, res.body.data?.title]).toEqual([
          encoding,
          201,
          `${encoding} ok`,
        ]);
      }
    });

    it.each([
      ['gzip', 'not gzip at all', Buffer.from('not gzip at all')],
      ['gzip', 'cut short', gzipped.subarray(0, gzipped.length - 12)],
      ['gzip', 'a corrupted byte', Buffer.from(gzipped.map((b, i) => (i === 12 ? b ^ 0xff : b)))],
      ['deflate', 'not deflate', Buffer.from('xxxxxxxxxxxxxxxx')],
      ['deflate', 'cut short', deflateSync(json({ title: 'x'.repeat(500) })).subarray(0, 20)],
      ['br', 'not brotli', Buffer.from('garbage garbage garbage')],
    ])(
      'answers a malformed %s body (%s) with 400 VALIDATION_ERROR in the envelope, nothing stored',
      async (encoding, _what, body) => {
        const user = await registerUser(t);
        const res = await post(encoding, body, user);
        expectError(res, 400, 'VALIDATION_ERROR');
        expectNoInternals(res);
        expect(JSON.stringify(res.body)).not.toMatch(/Z_|zlib|incorrect header/);
        expect(await conversationsOf(user.id)).toBe(0);
      },
    );

    it.each(['compress', 'x-unknown', 'gzip, gzip', 'identity, gzip'])(
      'answers the unsupported Content-Encoding %p with 415 VALIDATION_ERROR',
      async (encoding) => {
        const user = await registerUser(t);
        const res = await post(encoding, gzipped, user);
        expectError(res, 415, 'VALIDATION_ERROR');
        expectNoInternals(res);
        expect(await conversationsOf(user.id)).toBe(0);
      },
    );

    it('counts the size cap after decompression: a small gzip of a huge body is 413', async () => {
      const user = await registerUser(t);
      const bomb = gzipSync(Buffer.from(`{"title":"${' '.repeat(20 * 1024 * 1024)}"}`));
      expect(bomb.length).toBeLessThan(100 * 1024);
      const res = await post('gzip', bomb, user);
      expectError(res, 413, 'VALIDATION_ERROR');
      expect(await conversationsOf(user.id)).toBe(0);
    });
  });

  describe('no internals in error bodies', () => {
    it('leaks nothing in a handful of ordinary errors', async () => {
      const user = await registerUser(t);
      const responses = [
        await t
          .api()
          .post('/api/v1/auth/login')
          .send({ username: user.username, password: 'wrong-password-1' }),
        await t.api().post('/api/v1/auth/refresh').send({ refresh_token: 'no-such-token' }),
        await t.api().get('/api/v1/users/me').set('Authorization', 'Bearer x.y.z'),
        await t.api().put('/api/v1/users/me').set(bearer(user.accessToken)).send({ is_vip: true }),
        await register({
          username: user.username,
          email: user.email,
          password: 'whatever-1',
          confirm_password: 'whatever-1',
        }),
        await t.api().get("/api/v1/users/me/'; SELECT 1 --"),
      ];
      expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 422, 422, 404]);
      for (const res of responses) expectNoInternals(res);
    });

    it('answers a failing database with 503 DATABASE_ERROR and no SQL', async () => {
      const user = await registerUser(t);
      await t.sql('ALTER TABLE sessions RENAME TO sessions_gone');
      let res: Response;
      try {
        res = await t.api().get('/api/v1/users/me').set(bearer(user.accessToken));
      } finally {
        await t.sql('ALTER TABLE sessions_gone RENAME TO sessions');
      }
      expectError(res, 503, 'DATABASE_ERROR');
      expectNoInternals(res);
      expect(JSON.stringify(res.body)).not.toContain('sessions');
      // And it recovers once the database does.
      expect((await t.api().get('/api/v1/users/me').set(bearer(user.accessToken))).status).toBe(
        200,
      );
    });
  });

  describe('language', () => {
    it('answers in Chinese for zh-CN while codes and fields stay English', async () => {
      const res = await register({
        username: 'ab',
        email: aUser().email,
        password: 'short',
        confirm_password: 'short',
      });
      const zh = await t
        .api()
        .post('/api/v1/auth/register')
        .set('Accept-Language', 'zh-CN,zh;q=0.9')
        .send({
          username: 'ab',
          email: aUser().email,
          password: 'short',
          confirm_password: 'short',
        });
      expectError(zh, 422, 'VALIDATION_ERROR');
      expect(zh.body.error.message).toMatch(CJK);
      const issues = issuesOf(zh);
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues) expect(issue).toMatch(CJK);
      // Same fields, in the same order, as the English answer.
      const fields = (r: Response) =>
        (r.body.error.details.fields as { field: string }[]).map((f) => f.field);
      expect(fields(zh)).toEqual(fields(res));
    });

    it('answers a taken username in Chinese, code unchanged', async () => {
      const user = await registerUser(t);
      const res = await t
        .api()
        .post('/api/v1/auth/register')
        .set('Accept-Language', 'zh-CN,zh;q=0.9')
        .send({
          username: user.username,
          email: aUser().email,
          password: 'whatever-1',
          confirm_password: 'whatever-1',
        });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('username');
      expect(res.body.error.details.issue).toMatch(CJK);
    });

    it.each<[string, Record<string, string>, number, string]>([
      ['malformed JSON', { 'Content-Type': 'application/json' }, 400, 'VALIDATION_ERROR'],
      ['no token', {}, 401, 'AUTHENTICATION_ERROR'],
    ])('answers %s in Chinese too', async (_, headers, status, code) => {
      const req =
        status === 400
          ? t.api().post('/api/v1/auth/login').set(headers).send('{"x":')
          : t.api().get('/api/v1/users/me').set(headers);
      const res = await req.set('Accept-Language', 'zh-CN');
      expectError(res, status, code);
      expect(res.body.error.message).toMatch(CJK);
    });

    it('answers a success message in Chinese', async () => {
      const user = await registerUser(t);
      const res = await t
        .api()
        .get('/api/v1/users/me')
        .set(bearer(user.accessToken))
        .set('Accept-Language', 'zh-CN');
      expect(res.status).toBe(200);
      expect(res.body.message).toMatch(CJK);
      expect(res.body.data.role).toBe('user');
    });

    it.each<[string, string | undefined]>([
      ['en-US', 'en-US'],
      ['en-US,zh;q=0.5', 'en-US,zh;q=0.5'],
      ['no Accept-Language', undefined],
      ['an unsupported language', 'fr-FR'],
    ])('answers in English for %s', async (_, header) => {
      let req = t.api().post('/api/v1/auth/register');
      if (header !== undefined) req = req.set('Accept-Language', header);
      const res = await req.send({
        username: 'ab',
        email: aUser().email,
        password: 'short',
        confirm_password: 'short',
      });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.error.message).not.toMatch(CJK);
      expect(res.body.error.message).toMatch(/[A-Za-z]/);
      for (const issue of issuesOf(res)) expect(issue).not.toMatch(CJK);
    });
  });

  describe('X-Request-Id', () => {
    it('is set on successes and errors, different for each request', async () => {
      const user = await registerUser(t);
      const ok = await t.api().get('/api/v1/users/me').set(bearer(user.accessToken));
      const bad = await t.api().get('/api/v1/users/me');
      const missing = await t.api().get('/api/v1/no-such-route');
      const parse = await t
        .api()
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{');
      const ids = [ok, bad, missing, parse].map((r) => r.headers['x-request-id']);
      expect([ok.status, bad.status, missing.status, parse.status]).toEqual([200, 401, 404, 400]);
      for (const id of ids) expect(id).toMatch(UUID);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('echoes a client X-Request-Id on success and on error', async () => {
      const user = await registerUser(t);
      const ok = await t
        .api()
        .get('/api/v1/users/me')
        .set(bearer(user.accessToken))
        .set('X-Request-Id', 'client-req-ok.1:a_b');
      expect(ok.status).toBe(200);
      expect(ok.headers['x-request-id']).toBe('client-req-ok.1:a_b');

      const err = await t.api().get('/api/v1/users/me').set('X-Request-Id', 'client-req-42');
      expect(err.status).toBe(401);
      expect(err.headers['x-request-id']).toBe('client-req-42');

      const parse = await t
        .api()
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .set('X-Request-Id', 'client-req-43')
        .send('{');
      expect(parse.status).toBe(400);
      expect(parse.headers['x-request-id']).toBe('client-req-43');
    });

    it.each<[string, string]>([
      ['300 characters long', 'a'.repeat(300)],
      ['containing spaces', 'my request id'],
      ['containing a quote and angle brackets', '<script>"x"</script>'],
      ['containing a slash', 'a/b'],
    ])('replaces an unsafe one (%s) with its own', async (_, sent) => {
      const res = await t.api().get('/api/v1/users/me').set('X-Request-Id', sent);
      expect(res.status).toBe(401);
      expect(res.headers['x-request-id']).not.toBe(sent);
      expect(res.headers['x-request-id']).toMatch(UUID);
    });
  });
});
