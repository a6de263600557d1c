import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import { MemoryEventBus } from '../../redis/event-bus';
import { ApiKeyCache } from './api-key-cache';
import type { ResolvedApiKey } from './api-keys.repository';

const USER = '00000000-0000-4000-8000-000000000001';
const OTHER_USER = '00000000-0000-4000-8000-000000000002';

function aKey(keyId: string, userId = USER): ResolvedApiKey {
  return {
    keyId,
    userId,
    username: 'alice',
    role: 'user',
    isVip: false,
    userActive: true,
    expiresAt: null,
  };
}

function cacheWith(ttlMs: number): { cache: ApiKeyCache; bus: MemoryEventBus } {
  const config = new AppConfig(
    validateEnv({ JWT_SECRET: 'x'.repeat(40), AUTH_SESSION_CACHE_MS: String(ttlMs) }),
  );
  const bus = new MemoryEventBus();
  const cache = new ApiKeyCache(config, bus);
  cache.onModuleInit();
  return { cache, bus };
}

const reader = (answer: () => ResolvedApiKey | null) => jest.fn(() => Promise.resolve(answer()));

describe(ApiKeyCache.name, () => {
  afterEach(() => jest.useRealTimers());

  describe('byHashOr', () => {
    it('reads a key once and serves it from memory within the lifetime', async () => {
      const { cache } = cacheWith(5000);
      const read = reader(() => aKey('k1'));
      await cache.byHashOr('h1', read);
      expect(await cache.byHashOr('h1', read)).toMatchObject({ keyId: 'k1' });
      expect(read).toHaveBeenCalledTimes(1);
    });

    it('reads again once the lifetime is over', async () => {
      jest.useFakeTimers({ now: 1_000_000 });
      const { cache } = cacheWith(5000);
      const read = reader(() => aKey('k1'));
      await cache.byHashOr('h1', read);
      jest.setSystemTime(1_005_001);
      await cache.byHashOr('h1', read);
      expect(read).toHaveBeenCalledTimes(2);
    });

    it('keeps nothing unknown, and nothing at all with a lifetime of 0', async () => {
      const { cache } = cacheWith(5000);
      const none = reader(() => null);
      await cache.byHashOr('h1', none);
      await cache.byHashOr('h1', none);
      expect(none).toHaveBeenCalledTimes(2);
      const off = cacheWith(0).cache;
      const read = reader(() => aKey('k1'));
      await off.byHashOr('h1', read);
      await off.byHashOr('h1', read);
      expect(read).toHaveBeenCalledTimes(2);
      expect(off.size).toBe(0);
    });

    it('stores nothing read while an invalidation arrived', async () => {
      const { cache, bus } = cacheWith(5000);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow = jest.fn(async () => {
        await gate;
        return aKey('k1');
      });
      const pending = cache.byHashOr('h1', slow);
      await bus.publish('session.revoked', { userId: USER, sessionIds: ['k1'] });
      release();
      await pending;
      expect(cache.size).toBe(0);
    });
  });

  describe('invalidation over the bus', () => {
    it('drops a revoked key (its id as a session id) and no other', async () => {
      const { cache, bus } = cacheWith(5000);
      await cache.byHashOr(
        'h1',
        reader(() => aKey('k1')),
      );
      await cache.byHashOr(
        'h2',
        reader(() => aKey('k2')),
      );
      await bus.publish('session.revoked', { userId: USER, sessionIds: ['k1'] });
      const read = reader(() => null);
      expect(await cache.byHashOr('h1', read)).toBeNull();
      expect(read).toHaveBeenCalledTimes(1);
      expect(cache.size).toBe(1);
    });

    it('drops every key of a user updated (deactivated, role, tier), and only theirs', async () => {
      const { cache, bus } = cacheWith(5000);
      await cache.byHashOr(
        'h1',
        reader(() => aKey('k1')),
      );
      await cache.byHashOr(
        'h2',
        reader(() => aKey('k2')),
      );
      await cache.byHashOr(
        'h3',
        reader(() => aKey('k3', OTHER_USER)),
      );
      await bus.publish('user.updated', { userId: USER });
      expect(cache.size).toBe(1);
      const read = reader(() => aKey('k3', OTHER_USER));
      await cache.byHashOr('h3', read);
      expect(read).not.toHaveBeenCalled();
    });
  });

  describe('byIdOr', () => {
    it('serves a key held by hash, reads one not held, and reads again once it is dropped', async () => {
      const { cache, bus } = cacheWith(5000);
      await cache.byHashOr(
        'h1',
        reader(() => aKey('k1')),
      );
      const read = reader(() => null);
      expect(await cache.byIdOr('k1', read)).toMatchObject({ keyId: 'k1' });
      expect(read).not.toHaveBeenCalled();
      expect(await cache.byIdOr('k9', read)).toBeNull();
      await bus.publish('session.revoked', { userId: USER, sessionIds: ['k1'] });
      expect(await cache.byIdOr('k1', read)).toBeNull();
      expect(read).toHaveBeenCalledTimes(2);
    });
  });
});
