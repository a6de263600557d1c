import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { AppError } from '../errors/app-error';
import { FallbackThrottlerStorage } from './fallback-throttler-storage';
import { RateLimiter } from './rate-limiter';
import { RedisFallback, RETRY_AFTER_FAILURE_MS } from './redis-fallback';

describe(RateLimiter.name, () => {
  const storages: { onApplicationShutdown(): void }[] = [];
  const memory = () => {
    const storage = new ThrottlerStorageService();
    storages.push(storage);
    return storage;
  };
  afterAll(() => storages.forEach((s) => s.onApplicationShutdown()));

  describe('consume', () => {
    it('lets `limit` hits through per key, then refuses with RATE_LIMIT_EXCEEDED and retry_after', async () => {
      const limiter = new RateLimiter(memory());
      for (let i = 0; i < 3; i++) await limiter.consume('messages', 'user-a', 3);
      const error = await limiter
        .consume('messages', 'user-a', 3)
        .catch((e: unknown) => e as AppError);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: 'RATE_LIMIT_EXCEEDED',
        details: { group: 'messages', limit: 3 },
      });
      const retryAfter = (error as AppError).details?.retry_after as number;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      await expect(limiter.consume('messages', 'user-b', 3)).resolves.toMatchObject({
        remaining: 2,
      });
    });
  });

  describe('hit', () => {
    it('counts the remaining budget down and reports the reset, without throwing once over', async () => {
      const limiter = new RateLimiter(memory());
      const states = [];
      for (let i = 0; i < 4; i++) states.push(await limiter.hit('default', 'ip:1', 3));
      expect(states.map((s) => s.remaining)).toEqual([2, 1, 0, 0]);
      expect(states.map((s) => s.exceeded)).toEqual([false, false, false, true]);
      for (const s of states) {
        expect(s.resetSeconds).toBeGreaterThanOrEqual(1);
        expect(s.resetSeconds).toBeLessThanOrEqual(60);
      }
      expect(states[3].retryAfter).toBeGreaterThanOrEqual(1);
    });
  });
});

describe(FallbackThrottlerStorage.name, () => {
  const broken: ThrottlerStorage = {
    increment: () => Promise.reject(new Error('connection refused')),
  };

  it('counts in memory, still limiting, when Redis fails', async () => {
    const storage = new FallbackThrottlerStorage(
      broken,
      new RedisFallback('test', { status: 'ready' }),
    );
    const limiter = new RateLimiter(storage);
    await limiter.consume('messages', 'user-c', 2);
    await limiter.consume('messages', 'user-c', 2);
    await expect(limiter.consume('messages', 'user-c', 2)).rejects.toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
    });
    expect(storage.usingMemory).toBe(true);
    storage.onApplicationShutdown();
  });

  it('does not call a disconnected Redis, and goes back to it once it answers again', async () => {
    let calls = 0;
    let failing = true;
    const flaky: ThrottlerStorage = {
      increment: () => {
        calls += 1;
        return failing
          ? Promise.reject(new Error('timeout'))
          : Promise.resolve({
              totalHits: 1,
              timeToExpire: 60,
              isBlocked: false,
              timeToBlockExpire: 0,
            });
      },
    };
    const client: Pick<Redis, 'status'> = { status: 'reconnecting' };
    const storage = new FallbackThrottlerStorage(flaky, new RedisFallback('test', client));
    await storage.increment('k', 60_000, 5, 60_000, 'default');
    expect(calls).toBe(0);
    expect(storage.usingMemory).toBe(true);

    client.status = 'ready';
    // Connected again but failed a moment ago: skipped until the retry time, then tried.
    await storage.increment('k', 60_000, 5, 60_000, 'default');
    expect(calls).toBe(0);
    await new Promise((r) => setTimeout(r, RETRY_AFTER_FAILURE_MS + 20));
    await storage.increment('k', 60_000, 5, 60_000, 'default');
    expect(calls).toBe(1);
    expect(storage.usingMemory).toBe(true);

    failing = false;
    await new Promise((r) => setTimeout(r, RETRY_AFTER_FAILURE_MS + 20));
    await storage.increment('k', 60_000, 5, 60_000, 'default');
    expect(calls).toBe(2);
    expect(storage.usingMemory).toBe(false);
    storage.onApplicationShutdown();
  });

  it('uses memory only when Redis is not configured', async () => {
    const storage = new FallbackThrottlerStorage(null, new RedisFallback('test', null));
    const record = await storage.increment('k', 60_000, 5, 60_000, 'default');
    expect(record.totalHits).toBe(1);
    expect(storage.usingMemory).toBe(false);
    storage.onApplicationShutdown();
  });
});
