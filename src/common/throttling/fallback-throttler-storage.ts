import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { RedisFallback } from './redis-fallback';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The one storage of every rate limit (the throttler guard's `auth` and `default`, and
 * RateLimiter's `messages`): Redis when configured, shared by replicas; this process's memory
 * otherwise, and whenever Redis fails.
 */
export class FallbackThrottlerStorage implements ThrottlerStorage {
  private readonly memory = new ThrottlerStorageService();

  constructor(
    private readonly primary: ThrottlerStorage | null,
    private readonly fallback: RedisFallback,
  ) {}

  get usingMemory(): boolean {
    return this.fallback.usingMemory;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const primary = this.primary;
    const inMemory = () => this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
    if (!primary) return inMemory();
    return this.fallback.run(
      () => primary.increment(key, ttl, limit, blockDuration, throttlerName),
      inMemory,
    );
  }

  onApplicationShutdown(): void {
    this.memory.onApplicationShutdown();
  }
}
