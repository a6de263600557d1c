import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import { MemoryEventBus } from '../../redis/event-bus';
import { SessionCache } from './session-cache';
import type { ActiveSession } from './sessions.repository';

const USER = '00000000-0000-4000-8000-000000000001';
const OTHER_USER = '00000000-0000-4000-8000-000000000002';

function session(sessionId: string, userId = USER, isVip = false): ActiveSession {
  return { sessionId, userId, username: 'alice', role: 'user', isActive: true, isVip };
}

function cacheWith(ttlMs: number): { cache: SessionCache; bus: MemoryEventBus } {
  const config = new AppConfig(
    validateEnv({ JWT_SECRET: 'x'.repeat(40), AUTH_SESSION_CACHE_MS: String(ttlMs) }),
  );
  const bus = new MemoryEventBus();
  const cache = new SessionCache(config, bus);
  cache.onModuleInit();
  return { cache, bus };
}

/** A database read that counts its calls and answers `answer()` at the time of the call. */
function reader(answer: () => ActiveSession | null) {
  const read = jest.fn(() => Promise.resolve(answer()));
  return read;
}

describe(SessionCache.name, () => {
  afterEach(() => jest.useRealTimers());

  describe('get', () => {
    it('reads a live session once and serves it from memory within the lifetime', async () => {
      const { cache } = cacheWith(5000);
      const read = reader(() => session('s1'));
      await cache.get(USER, 's1', read);
      const again = await cache.get(USER, 's1', read);
      expect(read).toHaveBeenCalledTimes(1);
      expect(again).toMatchObject({ sessionId: 's1', userId: USER });
    });

    it('reads again once the lifetime is over', async () => {
      jest.useFakeTimers({ now: 1_000_000 });
      const { cache } = cacheWith(5000);
      const read = reader(() => session('s1'));
      await cache.get(USER, 's1', read);
      jest.setSystemTime(1_000_000 + 5001);
      await cache.get(USER, 's1', read);
      expect(read).toHaveBeenCalledTimes(2);
    });

    it('never keeps a refusal: an unknown or revoked session is read every time', async () => {
      const { cache } = cacheWith(5000);
      const read = reader(() => null);
      expect(await cache.get(USER, 's1', read)).toBeNull();
      expect(await cache.get(USER, 's1', read)).toBeNull();
      expect(read).toHaveBeenCalledTimes(2);
      expect(cache.size).toBe(0);
    });

    it('does not serve a session to a token naming another user', async () => {
      const { cache } = cacheWith(5000);
      await cache.get(
        USER,
        's1',
        reader(() => session('s1')),
      );
      const read = reader(() => session('s1'));
      await cache.get(OTHER_USER, 's1', read);
      expect(read).toHaveBeenCalledTimes(1);
    });

    it('reads on every call when the lifetime is 0', async () => {
      const { cache } = cacheWith(0);
      const read = reader(() => session('s1'));
      await cache.get(USER, 's1', read);
      await cache.get(USER, 's1', read);
      expect(read).toHaveBeenCalledTimes(2);
    });

    it('does not store a read that was under way when its user was invalidated', async () => {
      const { cache, bus } = cacheWith(5000);
      let finish: (s: ActiveSession) => void = () => undefined;
      const slow = jest.fn(() => new Promise<ActiveSession | null>((r) => (finish = r)));
      const pending = cache.get(USER, 's1', slow);
      await bus.publish('session.revoked', { userId: USER, sessionIds: ['s1'] });
      finish(session('s1'));
      await pending;
      const read = reader(() => null);
      expect(await cache.get(USER, 's1', read)).toBeNull();
      expect(read).toHaveBeenCalledTimes(1);
    });
  });

  describe('invalidation through the bus', () => {
    async function cached(cache: SessionCache, ...ids: string[]) {
      for (const id of ids)
        await cache.get(
          USER,
          id,
          reader(() => session(id)),
        );
    }

    it('drops the revoked sessions only', async () => {
      const { cache, bus } = cacheWith(5000);
      await cached(cache, 's1', 's2');
      await bus.publish('session.revoked', { userId: USER, sessionIds: ['s1'] });
      const read1 = reader(() => null);
      const read2 = reader(() => session('s2'));
      expect(await cache.get(USER, 's1', read1)).toBeNull();
      await cache.get(USER, 's2', read2);
      expect(read1).toHaveBeenCalledTimes(1);
      expect(read2).not.toHaveBeenCalled();
    });

    it('drops every session but the one kept (change-password), or all of them', async () => {
      const { cache, bus } = cacheWith(5000);
      await cached(cache, 's1', 's2', 's3');
      await bus.publish('session.revoked', { userId: USER, allExcept: 's2' });
      expect(cache.size).toBe(1);
      await bus.publish('session.revoked', { userId: USER, allExcept: null });
      expect(cache.size).toBe(0);
    });

    it('drops a user whose role, tier or activity changed', async () => {
      const { cache, bus } = cacheWith(5000);
      await cached(cache, 's1');
      await cache.get(
        OTHER_USER,
        's9',
        reader(() => session('s9', OTHER_USER)),
      );
      await bus.publish('user.updated', { userId: USER });
      const read = reader(() => session('s1', USER, true));
      expect(await cache.get(USER, 's1', read)).toMatchObject({ isVip: true });
      expect(read).toHaveBeenCalledTimes(1);
      expect(cache.size).toBe(2);
    });
  });
});
