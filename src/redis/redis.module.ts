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

/**
 * No command waits longer on the shared client: a hanging Redis then fails like a cut one, and
 * what uses it (stream copies, bus, tickets) goes on without it. Blocking reads and the bus
 * subscriber have clients of their own without it.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;
/** Longest wait at startup for the event bus's subscriptions. */
const BUS_READY_WAIT_MS = 3000;

export function createRedis(url: string, logger = new Logger('Redis')): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: 2,
    connectTimeout: 3000,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
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

  /**
   * Subscriptions made in onModuleInit hooks are live before the server starts listening, or,
   * when Redis does not answer within BUS_READY_WAIT_MS, as soon as it does: a replica starts
   * while Redis is down (it serves on its own meanwhile) rather than waiting for it.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!(this.bus instanceof RedisEventBus)) return;
    let timer: NodeJS.Timeout | undefined;
    const subscribed = await Promise.race([
      this.bus.ready().then(() => true),
      new Promise<false>(
        (resolve) => (timer = setTimeout(() => resolve(false), BUS_READY_WAIT_MS)),
      ),
    ]).finally(() => clearTimeout(timer));
    if (!subscribed)
      new Logger('Redis').warn(
        `Redis did not answer within ${BUS_READY_WAIT_MS} ms: starting without the event bus, which joins when Redis does`,
      );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    if (this.redis && this.redis.status !== 'end')
      await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}
