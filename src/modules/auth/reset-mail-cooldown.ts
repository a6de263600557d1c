import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { RedisFallback } from '../../common/throttling/redis-fallback';
import { RATE_LIMIT_REDIS } from '../../common/throttling/throttling.module';
import { AppConfig } from '../../config/app-config';

/** The memory store prunes expired addresses when it grows past this. */
const MEMORY_PRUNE_SIZE = 10_000;

/**
 * The per-address limit of forgot-password: one reset mail per address per
 * PASSWORD_RESET_MAIL_COOLDOWN_SECONDS. A request within the cooldown is answered like any other
 * and sends nothing, so whoever asks (the owner or anyone who knows the address) can never use up
 * the owner's resets: at most one mail per window goes out, and each one works. Known and unknown
 * addresses are counted alike. In Redis when configured (shared by replicas), in memory otherwise
 * and while Redis fails; addresses are hashed.
 */
@Injectable()
export class ResetMailCooldown implements OnApplicationShutdown {
  private readonly memory = new Map<string, number>();
  private readonly fallback: RedisFallback;
  private readonly cooldownMs: number;

  constructor(
    config: AppConfig,
    @Inject(RATE_LIMIT_REDIS) private readonly redis: Redis | null,
  ) {
    this.fallback = new RedisFallback('ResetMailCooldown', redis);
    this.cooldownMs = config.env.PASSWORD_RESET_MAIL_COOLDOWN_SECONDS * 1000;
  }

  /** True when a mail may go to this address now (and starts its cooldown); false within one. */
  async take(email: string): Promise<boolean> {
    if (this.cooldownMs === 0) return true;
    const key = this.keyOf(email);
    return this.fallback.run(
      async () => (await this.client().set(key, 1, 'PX', this.cooldownMs, 'NX')) === 'OK',
      () => {
        const now = Date.now();
        const until = this.memory.get(key);
        if (until !== undefined && until > now) return false;
        this.memory.set(key, now + this.cooldownMs);
        if (this.memory.size > MEMORY_PRUNE_SIZE) this.prune(now);
        return true;
      },
    );
  }

  onApplicationShutdown(): void {
    this.memory.clear();
  }

  private client(): Redis {
    return this.redis as Redis;
  }

  private keyOf(email: string): string {
    const id = createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);
    return `reset-mail:{${id}}`;
  }

  private prune(now: number): void {
    for (const [key, until] of this.memory) if (until <= now) this.memory.delete(key);
  }
}
