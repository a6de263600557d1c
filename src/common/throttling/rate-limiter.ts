import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { AppError } from '../errors/app-error';

export const RATE_LIMIT_STORAGE = Symbol('RateLimitStorage');

/** Named budgets; `messages` is shared by REST sends, SSE streams and WebSocket chat_message. */
export type RateLimitGroup = 'messages' | 'auth' | 'default';

const WINDOW_MS = 60_000;

/**
 * Budgets per key and minute (once over, a key stays refused for a window, as the throttler
 * does) on @nestjs/throttler's storage on @nestjs/throttler's storage: Redis when configured (shared
 * by replicas), memory otherwise. If Redis fails, counting falls back to this process's memory
 * rather than failing every request.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly fallback = new ThrottlerStorageService();
  private degraded = false;

  constructor(@Inject(RATE_LIMIT_STORAGE) private readonly storage: ThrottlerStorage) {}

  /** Counts one hit; throws RATE_LIMIT_EXCEEDED (429) with `retry_after` seconds when over `limit`. */
  async consume(group: RateLimitGroup, key: string, limit: number): Promise<void> {
    const record = await this.increment(`${group}:${key}`, limit, group);
    if (record.isBlocked || record.totalHits > limit) {
      const retryAfter = Math.max(
        1,
        Math.ceil(record.isBlocked ? record.timeToBlockExpire : record.timeToExpire),
      );
      throw new AppError('RATE_LIMIT_EXCEEDED', 'error.rate_limit', {
        group,
        limit,
        window_seconds: WINDOW_MS / 1000,
        retry_after: retryAfter,
      });
    }
  }

  private async increment(key: string, limit: number, group: string) {
    if (this.storage !== this.fallback) {
      try {
        const record = await this.storage.increment(key, WINDOW_MS, limit, WINDOW_MS, group);
        if (this.degraded) this.logger.log('rate-limit storage is back');
        this.degraded = false;
        return record;
      } catch (error) {
        if (!this.degraded)
          this.logger.warn(`rate-limit storage failed, counting in memory: ${String(error)}`);
        this.degraded = true;
      }
    }
    return this.fallback.increment(key, WINDOW_MS, limit, WINDOW_MS, group);
  }

  onApplicationShutdown(): void {
    this.fallback.onApplicationShutdown();
  }
}
