import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

/** After a Redis failure, how long calls go straight to memory before Redis is tried again. */
export const RETRY_AFTER_FAILURE_MS = 1000;

/**
 * Runs an operation on Redis, or on this process's memory when Redis is not configured, not
 * connected, or failing. A failing Redis is skipped for a moment (so a hanging one costs one
 * command timeout, not one per request) and tried again after; limits keep being counted in
 * memory meanwhile, never failing the request.
 */
export class RedisFallback {
  private readonly logger: Logger;
  private degraded = false;
  private retryAt = 0;

  constructor(
    what: string,
    private readonly redis: Pick<Redis, 'status'> | null,
  ) {
    this.logger = new Logger(what);
  }

  /** True while Redis is configured but counting happens in this process's memory. */
  get usingMemory(): boolean {
    return this.degraded;
  }

  async run<T>(onRedis: () => Promise<T>, inMemory: () => T | Promise<T>): Promise<T> {
    if (!this.redis) return inMemory();
    if (this.redis.status !== 'ready') {
      this.markFailed(`not connected (${this.redis.status})`);
      return inMemory();
    }
    if (this.degraded && Date.now() < this.retryAt) return inMemory();
    try {
      const result = await onRedis();
      if (this.degraded) this.logger.log('Redis is back: using it again');
      this.degraded = false;
      return result;
    } catch (error) {
      this.markFailed(error instanceof Error ? error.message : String(error));
      return inMemory();
    }
  }

  private markFailed(reason: string): void {
    if (!this.degraded)
      this.logger.warn(`Redis unavailable, using this process's memory: ${reason}`);
    this.degraded = true;
    this.retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
  }
}
