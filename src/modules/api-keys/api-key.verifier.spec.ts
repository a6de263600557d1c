import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import { MemoryEventBus } from '../../redis/event-bus';
import { ApiKeyActivity } from './api-key-activity';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeySecret } from './api-key-secret';
import { ApiKeyVerifier } from './api-key.verifier';
import type { ApiKeysRepository, ResolvedApiKey } from './api-keys.repository';

const USER = '00000000-0000-4000-8000-000000000001';

/** A key table in memory, by hash, counting lookups and last_used_at writes. */
function fakeRepository() {
  const rows = new Map<string, ResolvedApiKey>();
  const repo: Pick<ApiKeysRepository, 'findByHash' | 'findById' | 'touch'> = {
    findByHash: jest.fn((hash: string) => Promise.resolve(rows.get(hash) ?? null)),
    findById: jest.fn((id: string) =>
      Promise.resolve([...rows.values()].find((k) => k.keyId === id) ?? null),
    ),
    touch: jest.fn(() => Promise.resolve()),
  };
  return { rows, repo: repo as ApiKeysRepository & typeof repo };
}

function setup() {
  const config = new AppConfig(validateEnv({ JWT_SECRET: 'x'.repeat(40) }));
  const secret = new ApiKeySecret(config);
  const { rows, repo } = fakeRepository();
  const cache = new ApiKeyCache(config, new MemoryEventBus());
  const verifier = new ApiKeyVerifier(secret, repo, cache, new ApiKeyActivity(repo));
  const add = (over: Partial<ResolvedApiKey> = {}) => {
    const { key, hash } = secret.generate();
    const row: ResolvedApiKey = {
      keyId: `key-${rows.size + 1}`,
      userId: USER,
      username: 'alice',
      role: 'user',
      isVip: true,
      userActive: true,
      expiresAt: null,
      ...over,
    };
    rows.set(hash, row);
    return { key, row };
  };
  return { verifier, repo, add };
}

describe(ApiKeyVerifier.name, () => {
  afterEach(() => jest.useRealTimers());

  describe('verify', () => {
    it("answers the key's user, saying it came by key, and its expiry", async () => {
      const { verifier, add } = setup();
      const expiresAt = new Date(Date.now() + 60_000);
      const { key, row } = add({ expiresAt });
      expect(await verifier.verify(key)).toEqual({
        user: {
          id: USER,
          sessionId: row.keyId,
          apiKeyId: row.keyId,
          username: 'alice',
          role: 'user',
          isVip: true,
        },
        expiresAt: expiresAt.getTime(),
      });
    });

    it.each([
      ['an unknown key', () => `sk-${'a'.repeat(43)}`],
      ['text of another shape', () => 'sk-nope'],
    ])('refuses %s with 401', async (_what, key) => {
      const { verifier, repo } = setup();
      await expect(verifier.verify(key())).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR' });
      if (key() === 'sk-nope') expect(repo.findByHash).not.toHaveBeenCalled();
    });

    it('refuses a key of a deactivated user with 401', async () => {
      const { verifier, add } = setup();
      const { key } = add({ userActive: false });
      await expect(verifier.verify(key)).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR' });
    });

    it('refuses a key once it expires, even while it is cached', async () => {
      jest.useFakeTimers({ now: 1_000_000 });
      const { verifier, add, repo } = setup();
      const { key } = add({ expiresAt: new Date(1_001_000) });
      await verifier.verify(key);
      jest.setSystemTime(1_001_000);
      await expect(verifier.verify(key)).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR' });
      expect(repo.findByHash).toHaveBeenCalledTimes(1);
    });

    it('writes last_used_at at most once a minute per key', async () => {
      jest.useFakeTimers({ now: 1_000_000 });
      const { verifier, add, repo } = setup();
      const first = add();
      const second = add();
      for (let i = 0; i < 5; i++) await verifier.verify(first.key);
      await verifier.verify(second.key);
      expect(repo.touch).toHaveBeenCalledTimes(2);
      expect(repo.touch).toHaveBeenCalledWith(first.row.keyId, 60);
      jest.setSystemTime(1_059_999);
      await verifier.verify(first.key);
      expect(repo.touch).toHaveBeenCalledTimes(2);
      jest.setSystemTime(1_060_000);
      await verifier.verify(first.key);
      expect(repo.touch).toHaveBeenCalledTimes(3);
    });
  });

  describe('keyUser', () => {
    it('answers the user of a live key by id, 401 once it is gone', async () => {
      const { verifier, add } = setup();
      const { row } = add();
      expect(await verifier.keyUser(row.keyId)).toMatchObject({ id: USER, apiKeyId: row.keyId });
      await expect(verifier.keyUser('key-404')).rejects.toMatchObject({
        code: 'AUTHENTICATION_ERROR',
      });
    });
  });
});
