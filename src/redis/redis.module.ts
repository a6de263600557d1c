import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { EVENT_BUS, EventBus, MemoryEventBus, RedisEventBus } from './event-bus';

/** The shared Redis client, or null when REDIS_URL is unset (single-process defaults apply). */
export const REDIS = Symbol('Redis');

export function createRedis(url: string, logger = new Logger('Redis')): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: 2,
    connectTimeout: 3000,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let reported = false;
  client.on('error', (error: Error) => {
    // Reported once per outage; ioredis reconnects by itself.
    if (!reported) logger.warn(`Redis error: ${error.message}`);
    reported = true;
  });
  client.on('ready', () => {
    reported = false;
  });
  return client;
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Redis | null => {
        const url = config.env.REDIS_URL;
        if (!url) return null;
        new Logger('Redis').log(`using Redis at ${new URL(url).host}`);
        return createRedis(url);
      },
    },
    {
      provide: EVENT_BUS,
      inject: [REDIS],
      useFactory: (redis: Redis | null): EventBus =>
        redis ? new RedisEventBus(redis) : new MemoryEventBus(),
    },
  ],
  exports: [REDIS, EVENT_BUS],
})
export class RedisModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  /** Subscriptions made in onModuleInit hooks are live before the server starts listening. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.bus instanceof RedisEventBus) await this.bus.ready();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    if (this.redis && this.redis.status !== 'end')
      await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}
