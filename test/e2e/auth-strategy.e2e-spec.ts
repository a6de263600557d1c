import { bearer, registerUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { expectError } from '../support/expect';

/**
 * The HTTP guard's passport-jwt strategy is an instance of each application, not an entry of
 * passport's process-wide registry: two applications in one process (as replica tests run
 * them), signing with different secrets, each accept only their own tokens — whichever was
 * created last.
 */
describe('access-token strategy per application', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await bootApp({ JWT_SECRET: `app-a-secret-${'a'.repeat(40)}` });
    b = await bootApp({ JWT_SECRET: `app-b-secret-${'b'.repeat(40)}` });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('accepts a token on the application that signed it and refuses it on the other', async () => {
    const onA = await registerUser(a);
    const onB = await registerUser(b);
    expect((await a.api().get('/api/v1/users/me').set(bearer(onA.accessToken))).status).toBe(200);
    expect((await b.api().get('/api/v1/users/me').set(bearer(onB.accessToken))).status).toBe(200);
    expectError(
      await a.api().get('/api/v1/users/me').set(bearer(onB.accessToken)),
      401,
      'AUTHENTICATION_ERROR',
    );
    expectError(
      await b.api().get('/api/v1/users/me').set(bearer(onA.accessToken)),
      401,
      'AUTHENTICATION_ERROR',
    );
  });

  it('keeps concurrent requests apart: each answers, with its own user', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => registerUser(a)));
    const calls = Array.from({ length: 64 }, (_, i) => users[i % users.length]);
    const answers = await Promise.all(
      calls.map((user) =>
        a.api().get('/api/v1/users/me').set(bearer(user.accessToken)).timeout(10_000),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(calls.map(() => 200));
    expect(answers.map((r) => r.body.data.id)).toEqual(calls.map((u) => u.id));
  });

  it('answers a missing and a malformed token as before', async () => {
    const missing = await a.api().get('/api/v1/users/me');
    expectError(missing, 401, 'AUTHENTICATION_ERROR');
    const malformed = await a.api().get('/api/v1/users/me').set('Authorization', 'Bearer x.y.z');
    expectError(malformed, 401, 'AUTHENTICATION_ERROR');
    expect(malformed.body.error.message).not.toBe(missing.body.error.message);
  });
});
