import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import { ApiKeySecret, isApiKeyToken } from './api-key-secret';

const configWith = (env: Record<string, string>) =>
  new AppConfig(validateEnv({ JWT_SECRET: 'j'.repeat(40), ...env }));

describe(ApiKeySecret.name, () => {
  describe('generate', () => {
    it('makes sk- keys of 32 random bytes, a hex HMAC and the shown prefix', () => {
      const secret = new ApiKeySecret(configWith({}));
      const { key, hash, prefix } = secret.generate();
      expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(prefix).toBe(key.slice(0, 11));
      expect(secret.hashOf(key)).toBe(hash);
      expect(isApiKeyToken(key)).toBe(true);
    });

    it('never makes the same key twice', () => {
      const secret = new ApiKeySecret(configWith({}));
      const keys = new Set(Array.from({ length: 1000 }, () => secret.generate().key));
      expect(keys.size).toBe(1000);
    });
  });

  describe('hashOf', () => {
    it('answers null for text that cannot be a key, so nothing is looked up', () => {
      const secret = new ApiKeySecret(configWith({}));
      for (const text of [
        'sk-short',
        `sk-${'a'.repeat(44)}`,
        `sk-${'a'.repeat(42)}!`,
        'eyJ.x.y',
        '',
      ])
        expect(secret.hashOf(text)).toBeNull();
    });

    it('depends on the server secret: API_KEY_SECRET when set, else JWT_SECRET', () => {
      const key = `sk-${'a'.repeat(43)}`;
      const fromJwt = new ApiKeySecret(configWith({})).hashOf(key);
      expect(new ApiKeySecret(configWith({})).hashOf(key)).toBe(fromJwt);
      expect(new ApiKeySecret(configWith({ JWT_SECRET: 'k'.repeat(40) })).hashOf(key)).not.toBe(
        fromJwt,
      );
      const dedicated = configWith({ API_KEY_SECRET: 'd'.repeat(32) });
      const fromDedicated = new ApiKeySecret(dedicated).hashOf(key);
      expect(fromDedicated).not.toBe(fromJwt);
      // A dedicated secret survives a new JWT_SECRET.
      expect(
        new ApiKeySecret(
          configWith({ API_KEY_SECRET: 'd'.repeat(32), JWT_SECRET: 'z'.repeat(40) }),
        ).hashOf(key),
      ).toBe(fromDedicated);
    });
  });
});

describe('API_KEY_SECRET', () => {
  it('is refused when shorter than 32 characters', () => {
    expect(() => configWith({ API_KEY_SECRET: 'short' })).toThrow(/API_KEY_SECRET/);
  });
});
