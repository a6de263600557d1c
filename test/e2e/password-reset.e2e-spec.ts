import { randomBytes } from 'node:crypto';
import { bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { decodeQuotedPrintable, ReceivedMail, startSmtp, TestSmtp } from '../support/smtp';

const RESET_LINK = /https:\/\/chat\.example\.com\/reset-password\?token=([A-Za-z0-9_\-.~%]+)/;

/** The reset token out of an e-mail: from the link, and checked to appear on its own as well. */
function tokenFrom(mail: ReceivedMail): string {
  const match = RESET_LINK.exec(mail.text);
  if (!match) throw new Error(`no reset link in the e-mail:\n${mail.text}`);
  const token = decodeURIComponent(match[1]);
  expect(mail.text.replace(match[0], '')).toContain(token);
  return token;
}

function expectUnauthenticated(res: { status: number; body: Record<string, any> }) {
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('AUTHENTICATION_ERROR');
}

describe('decodeQuotedPrintable (test helper)', () => {
  it('joins soft line breaks and decodes =XX bytes as UTF-8', () => {
    expect(decodeQuotedPrintable('https://a.example/x?token=3Dab=\r\ncd=\nef')).toBe(
      'https://a.example/x?token=abcdef',
    );
    expect(decodeQuotedPrintable('caf=C3=A9 =E4=BD=A0')).toBe('café 你');
  });
});

describe('Password reset over SMTP', () => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await bootApp({
      RATE_LIMIT_AUTH: '10000',
      SMTP_URL: smtp.url,
      PUBLIC_URL: 'https://chat.example.com',
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const forgot = (email: string) => t.api().post('/api/v1/auth/forgot-password').send({ email });
  const reset = (token: string, password: string, confirm = password) =>
    t
      .api()
      .post('/api/v1/auth/reset-password')
      .send({ token, new_password: password, confirm_password: confirm });
  const login = (username: string, password: string) =>
    t.api().post('/api/v1/auth/login').send({ username, password });
  const me = (token: string) => t.api().get('/api/v1/users/me').set(bearer(token));
  const refresh = (token: string) =>
    t.api().post('/api/v1/auth/refresh').send({ refresh_token: token });

  /** Asks for a reset and returns the token from the e-mail that arrives. */
  const requestToken = async (user: RegisteredUser): Promise<string> => {
    const res = await forgot(user.email);
    expect(res.status).toBe(200);
    return tokenFrom(await smtp.waitForMessage(user.email));
  };

  it('answers known and unknown e-mails identically, and mails only the known one a reset link', async () => {
    const user = await registerUser(t);
    const unknownEmail = `nobody_${randomBytes(5).toString('hex')}@example.com`;

    const unknown = await forgot(unknownEmail);
    const known = await forgot(user.email.toUpperCase());
    for (const res of [known, unknown]) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: null });
      expect(typeof res.body.message).toBe('string');
    }
    const withoutTime = (body: Record<string, unknown>) => ({ ...body, timestamp: undefined });
    expect(withoutTime(unknown.body)).toEqual(withoutTime(known.body));

    const mail = await smtp.waitForMessage(user.email);
    expect(mail.to).toEqual([user.email.toLowerCase()]);
    const token = tokenFrom(mail);
    expect(token.length).toBeGreaterThanOrEqual(32);
    // The database keeps a hash only, never the token.
    const stored = await t.sql('SELECT 1 FROM password_resets WHERE token_hash = $1', [token]);
    expect(stored).toHaveLength(0);

    // The unknown address was asked first; give a stray mail a moment to show up anyway.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.messagesTo(unknownEmail)).toHaveLength(0);
  });

  it('resets the password once with the mailed token and ends every prior session', async () => {
    const user = await registerUser(t);
    const second = await login(user.username, user.password);
    expect(second.status).toBe(200);
    const token = await requestToken(user);

    const newPassword = `new-${randomBytes(6).toString('hex')}-pass`;
    const res = await reset(token, newPassword);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, data: null });

    expectUnauthenticated(await login(user.username, user.password));
    const fresh = await login(user.username, newPassword);
    expect(fresh.status).toBe(200);
    expect((await me(fresh.body.data.access_token)).status).toBe(200);

    // Every session from before the reset is over: access and refresh tokens.
    expectUnauthenticated(await me(user.accessToken));
    expectUnauthenticated(await me(second.body.data.access_token));
    expectUnauthenticated(await refresh(user.refreshToken));
    expectUnauthenticated(await refresh(second.body.data.refresh_token));

    // The token worked once.
    const again = await reset(token, `other-${newPassword}`);
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('VALIDATION_ERROR');
    expect(again.body.error.details.field).toBe('token');
    expect((await login(user.username, newPassword)).status).toBe(200);
  });

  it('invalidates the other outstanding reset tokens of the user once one is used', async () => {
    const user = await registerUser(t);
    const older = await requestToken(user);
    const newer = await requestToken(user);
    expect(newer).not.toBe(older);
    expect((await reset(newer, 'first-new-password')).status).toBe(200);
    const res = await reset(older, 'second-new-password');
    expect(res.status).toBe(422);
    expect(res.body.error.details.field).toBe('token');
    expect((await login(user.username, 'first-new-password')).status).toBe(200);
  });

  it('rejects an expired token with 422 on token, leaving the password unchanged', async () => {
    const user = await registerUser(t);
    const token = await requestToken(user);
    await t.sql(
      `UPDATE password_resets SET expires_at = now() - interval '1 minute' WHERE user_id = $1 AND used_at IS NULL`,
      [user.id],
    );
    const res = await reset(token, 'never-applied-password');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.field).toBe('token');
    expect((await login(user.username, user.password)).status).toBe(200);
    expect((await me(user.accessToken)).status).toBe(200);
  });

  it('issues tokens that expire after one hour', async () => {
    const user = await registerUser(t);
    await requestToken(user);
    const rows = await t.sql<{ seconds: number }>(
      `SELECT extract(epoch FROM expires_at - created_at)::int AS seconds FROM password_resets WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(Math.abs(rows[0].seconds - 3600)).toBeLessThanOrEqual(5);
  });

  it('rejects a mismatched confirm_password or a short new password with 422, without using up the token', async () => {
    const user = await registerUser(t);
    const token = await requestToken(user);

    const mismatch = await reset(token, 'brand-new-password', 'brand-new-passwort');
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.code).toBe('VALIDATION_ERROR');
    expect(mismatch.body.error.details.field).toBe('confirm_password');

    const short = await reset(token, 'short');
    expect(short.status).toBe(422);
    expect(short.body.error.details.field).toBe('new_password');

    expect((await login(user.username, user.password)).status).toBe(200);
    expect((await reset(token, 'brand-new-password')).status).toBe(200);
  });

  it('rejects an unknown token with 422 on token', async () => {
    const res = await reset(randomBytes(32).toString('base64url'), 'whatever-password');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.field).toBe('token');
  });

  it('rejects a malformed e-mail on forgot-password with 422 on email', async () => {
    const res = await forgot('not-an-email');
    expect(res.status).toBe(422);
    expect(res.body.error.details.field).toBe('email');
  });

  it('still answers 200 at once when the mail server is down', async () => {
    const user = await registerUser(t);
    await smtp.close();
    const start = Date.now();
    const res = await forgot(user.email);
    expect(res.status).toBe(200);
    expect(res.body.data).toBeNull();
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe('Password reset mail cooldown (PASSWORD_RESET_MAIL_COOLDOWN_SECONDS=2)', () => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await bootApp({
      RATE_LIMIT_AUTH: '10000',
      SMTP_URL: smtp.url,
      PUBLIC_URL: 'https://chat.example.com',
      PASSWORD_RESET_MAIL_COOLDOWN_SECONDS: '2',
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const forgot = (email: string) => t.api().post('/api/v1/auth/forgot-password').send({ email });

  it("sends one mail per address per window whoever asks, answering every request alike; the mailed token works, so a third party cannot use up the owner's resets", async () => {
    const user = await registerUser(t);
    const other = await registerUser(t);
    // A third party asks ten times for the owner's address (any spelling), then the owner asks.
    const answers = [];
    for (let i = 0; i < 10; i++)
      answers.push(await forgot(i % 2 ? user.email.toUpperCase() : user.email));
    answers.push(await forgot(user.email));
    const withoutTime = (body: Record<string, unknown>) => ({ ...body, timestamp: undefined });
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(withoutTime(res.body)).toEqual(withoutTime(answers[0].body));
    }
    const mail = await smtp.waitForMessage(user.email);
    // Another address is not held by this one's cooldown.
    expect((await forgot(other.email)).status).toBe(200);
    await smtp.waitForMessage(other.email);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.messagesTo(user.email)).toHaveLength(1);
    const rows = await t.sql('SELECT 1 FROM password_resets WHERE user_id = $1', [user.id]);
    expect(rows).toHaveLength(1);

    // The one mail that went out works for the owner.
    const token = tokenFrom(mail);
    const reset = await t.api().post('/api/v1/auth/reset-password').send({
      token,
      new_password: 'owner-new-password-1',
      confirm_password: 'owner-new-password-1',
    });
    expect(reset.status).toBe(200);

    // After the window, the next request sends again.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await forgot(user.email)).status).toBe(200);
    await smtp.waitForMessage(user.email);
    expect(smtp.messagesTo(user.email)).toHaveLength(2);
  });
});

describe('Password reset without SMTP (the default boot)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ RATE_LIMIT_AUTH: '10000', SMTP_URL: undefined });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers forgot-password with 200 data null and still records a reset token', async () => {
    const user = await registerUser(t);
    const res = await t.api().post('/api/v1/auth/forgot-password').send({ email: user.email });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, data: null });
    const rows = await t.sql(
      'SELECT 1 FROM password_resets WHERE user_id = $1 AND used_at IS NULL',
      [user.id],
    );
    expect(rows).toHaveLength(1);
  });
});
