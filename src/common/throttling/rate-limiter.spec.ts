import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { AppError } from '../errors/app-error';
import { RateLimiter } from './rate-limiter';

describe(RateLimiter.name, () => {
  const limiters: RateLimiter[] = [];
  const make = (storage: ThrottlerStorage) => {
    const limiter = new RateLimiter(storage);
    limiters.push(limiter);
    return limiter;
  };
  afterAll(() => limiters.forEach((l) => l.onApplicationShutdown()));

  describe('consume', () => {
    it('lets `limit` hits through per key, then refuses with RATE_LIMIT_EXCEEDED and retry_after', async () => {
      const storage = new ThrottlerStorageService();
      const limiter = make(storage);
      for (let i = 0; i < 3; i++) await limiter.consume('messages', 'user-a', 3);
      const error = await limiter
        .consume('messages', 'user-a', 3)
        .catch((e: unknown) => e as AppError);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: 'RATE_LIMIT_EXCEEDED',
        status: 429,
        details: { group: 'messages', limit: 3 },
      });
      const retryAfter = (error as AppError).details?.retry_after as number;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      await expect(limiter.consume('messages', 'user-b', 3)).resolves.toBeUndefined();
      storage.onApplicationShutdown();
    });

    it('counts in memory, still limiting, when its storage fails', async () => {
      const broken: ThrottlerStorage = {
        increment: () => Promise.reject(new Error('connection refused')),
      };
      const limiter = make(broken);
      await limiter.consume('messages', 'user-c', 2);
      await limiter.consume('messages', 'user-c', 2);
      await expect(limiter.consume('messages', 'user-c', 2)).rejects.toMatchObject({
        code: 'RATE_LIMIT_EXCEEDED',
      });
    });
  });
});
