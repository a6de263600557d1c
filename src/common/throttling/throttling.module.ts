import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { AUTH_IP_THROTTLER } from './app-throttler.guard';
import { FallbackThrottlerStorage } from './fallback-throttler-storage';
import { RATE_LIMIT_STORAGE, RATE_LIMIT_WINDOW_MS, RateLimiter } from './rate-limiter';
import { RedisFallback } from './redis-fallback';
import { ResumeBudget } from './resume-budget';

/** The Redis connection of rate limits and login lockouts, or null without REDIS_URL. */
export const RATE_LIMIT_REDIS = Symbol('RateLimitRedis');

/** A rate-limit check never waits longer than this on Redis before counting in memory. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_WAIT_MS = 3000;

/**
 * Its own connection, unlike the shared client: no offline queue and a short command timeout,
 * so a dead or hanging Redis makes a check fall back to memory at once instead of waiting.
 */
function createRateLimitRedis(url: string): Redis {
  const logger = new Logger('RateLimitRedis');
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 1000),
  });
  let reported = false;
  client.on('error', (error: Error) => {
    if (!reported) logger.warn(`Redis error: ${error.message}`);
    reported = true;
  });
  client.on('ready', () => (reported = false));
  return client;
}

@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RATE_LIMIT_STORAGE],
      useFactory: (config: AppConfig, storage: ThrottlerStorage) => ({
        storage,
        throttlers: [
          { name: 'auth', limit: config.env.RATE_LIMIT_AUTH, ttl: RATE_LIMIT_WINDOW_MS },
          // The per-client-IP counter of the auth routes (the guard reads it with `auth`).
          {
            name: AUTH_IP_THROTTLER,
            limit: config.env.RATE_LIMIT_AUTH_IP ?? config.env.RATE_LIMIT_AUTH,
            ttl: RATE_LIMIT_WINDOW_MS,
          },
          { name: 'default', limit: config.env.RATE_LIMIT_DEFAULT, ttl: RATE_LIMIT_WINDOW_MS },
          { name: 'recovery', limit: config.env.RATE_LIMIT_RECOVERY, ttl: RATE_LIMIT_WINDOW_MS },
        ],
      }),
    }),
  ],
  providers: [
    {
      provide: RATE_LIMIT_REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Redis | null =>
        config.env.REDIS_URL ? createRateLimitRedis(config.env.REDIS_URL) : null,
    },
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [RATE_LIMIT_REDIS],
      useFactory: (redis: Redis | null): FallbackThrottlerStorage =>
        new FallbackThrottlerStorage(
          redis ? new ThrottlerStorageRedisService(redis) : null,
          new RedisFallback('RateLimits', redis),
        ),
    },
    RateLimiter,
    ResumeBudget,
  ],
  exports: [RATE_LIMIT_REDIS, RATE_LIMIT_STORAGE, RateLimiter, ResumeBudget],
})
export class ThrottlingModule implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_REDIS) private readonly redis: Redis | null) {}

  /** Counts go to Redis from the first request (without an offline queue, not before it is ready). */
  async onModuleInit(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, CONNECT_WAIT_MS);
      function done() {
        clearTimeout(timer);
        redis?.off('ready', done);
        resolve();
      }
      redis.once('ready', done);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // Passed in as a client, the throttler's Redis storage never closes it: we do.
    if (this.redis && this.redis.status !== 'end')
      await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}
