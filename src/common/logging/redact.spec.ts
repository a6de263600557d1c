import fc from 'fast-check';
import { isSecretKey, redactDeep, redactText, REDACTED, sanitizeUrl } from './redact';

/** Values a credential could take in a URL (no separators of the query itself). */
const credential = fc
  .string({ minLength: 6, maxLength: 60, unit: 'grapheme-ascii' })
  .filter((s) => /^[^&#\s"'<>=?;]+$/.test(s) && !s.includes('REDACTED'));

describe(sanitizeUrl.name, () => {
  it.each([
    ['/api/v1/ws/chat?token=eyJabc.def.ghi', '/api/v1/ws/chat?token=[REDACTED]'],
    ['/api/v1/ws/chat?ticket=abc123&x=1', '/api/v1/ws/chat?ticket=[REDACTED]&x=1'],
    [
      '/cb?code=1&access_token=a&refresh_token=b',
      '/cb?code=[REDACTED]&access_token=[REDACTED]&refresh_token=[REDACTED]',
    ],
    ['/reset-password?TOKEN=Secret', '/reset-password?TOKEN=[REDACTED]'],
    ['/api/v1/conversations?page=2&size=20', '/api/v1/conversations?page=2&size=20'],
  ])('redacts %s', (url, expected) => {
    expect(sanitizeUrl(url)).toBe(expected);
  });

  it('keeps no credential value of any of the sensitive parameters, wherever it stands', () => {
    const names = ['token', 'ticket', 'access_token', 'refresh_token', 'password', 'api_key'];
    fc.assert(
      fc.property(fc.constantFrom(...names), credential, fc.boolean(), (name, value, first) => {
        const url = first
          ? `/api/v1/ws/chat?${name}=${value}&page=1`
          : `/api/v1/ws/chat?page=1&${name}=${value}`;
        const out = sanitizeUrl(url);
        expect(out).not.toContain(value);
        expect(out).toContain(`${name}=${REDACTED}`);
        expect(out).toContain('page=1');
      }),
    );
  });
});

describe(redactText.name, () => {
  it('redacts bearer credentials and JWTs in free text', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    expect(redactText(`Authorization: Bearer ${jwt}`)).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText(`token was ${jwt}.`)).toBe(`token was ${REDACTED}.`);
    expect(redactText('Basic dXNlcjpwYXNz')).toBe(`Basic ${REDACTED}`);
  });

  it('redacts API keys in free text', () => {
    const key = 'sk-Xy3kQ9aB_c-1234567890abcdefghijklmnopqrstu';
    expect(redactText(`key ${key} refused`)).toBe(`key ${REDACTED} refused`);
    expect(redactText(`/api/v1/ws/chat?token=${key}`)).toBe(`/api/v1/ws/chat?token=${REDACTED}`);
    // Words that merely start so are left alone.
    expect(redactText('sk-short and task-force')).toBe('sk-short and task-force');
  });

  it('redacts secret fields inside serialized JSON', () => {
    const text = 'body {"username":"al","password":"hunter2-x","refresh_token":"r\\"t"}';
    const out = redactText(text);
    expect(out).not.toContain('hunter2-x');
    expect(out).not.toContain('r\\"t');
    expect(out).toContain('"username":"al"');
  });
});

describe(isSecretKey.name, () => {
  it.each([
    'password',
    'new_password',
    'confirm_password',
    'currentPassword',
    'token',
    'access_token',
    'refreshToken',
    'secret',
    'JWT_SECRET',
    'api_key',
    'apiKey',
    'OPENAI_API_KEY',
    'authorization',
    'Cookie',
    'set-cookie',
    'ticket',
    'password_hash',
    'tokenHash',
  ])('takes %s for a secret', (key) => expect(isSecretKey(key)).toBe(true));

  it.each(['prompt_tokens', 'completion_tokens', 'max_tokens', 'tokens_used', 'username', 'id'])(
    'keeps %s',
    (key) => expect(isSecretKey(key)).toBe(false),
  );
});

describe(redactDeep.name, () => {
  it('replaces secret fields at any depth and keeps the rest', () => {
    const input = {
      user: { id: 'u1', profile: { settings: [{ api_key: 'k-1', theme: 'dark' }] } },
      body: { password: 'p-1', nested: { deeper: { refresh_token: 'r-1' } } },
      usage: { prompt_tokens: 3, completion_tokens: 4 },
      url: '/x?token=t-1',
    };
    const out = JSON.stringify(redactDeep(input));
    for (const secret of ['k-1', 'p-1', 'r-1', 't-1']) expect(out).not.toContain(secret);
    expect(redactDeep(input)).toMatchObject({
      user: { id: 'u1', profile: { settings: [{ api_key: REDACTED, theme: 'dark' }] } },
      usage: { prompt_tokens: 3, completion_tokens: 4 },
    });
  });

  it('survives cycles and keeps errors for their serializer', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const error = new Error('boom');
    expect(redactDeep({ a, error })).toEqual({ a: { name: 'a', self: '[Circular]' }, error });
  });
});
