import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { RedisFallback } from '../../common/throttling/redis-fallback';
import { RATE_LIMIT_REDIS } from '../../common/throttling/throttling.module';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../metrics/metrics.service';

/** Failures are forgotten this long after the last one (plus the lock it caused). */
export const FAILURE_MEMORY_MS = 60 * 60 * 1000;
/** The memory store prunes expired names when it grows past this. */
const MEMORY_PRUNE_SIZE = 10_000;

/** How a login name is counted: as typed, trimmed and lower-cased (existing or not). */
export function lockoutNameOf(login: string): string {
  return login.trim().toLowerCase();
}

/**
 * What one lockout counter is kept for: the account when the name (username or e-mail) is one,
 * so both names of an account share a counter; otherwise the name as typed, so an unknown name
 * is locked exactly like an account.
 */
export function lockoutSubjectOf(accountId: string | undefined, login: string): string {
  return accountId ? `account:${accountId}` : `name:${lockoutNameOf(login)}`;
}

interface Policy {
  threshold: number;
  baseMs: number;
  maxMs: number;
}

/** n-th failure (1-based) → lock length: none below the threshold, then base doubling up to max. */
export function lockMsFor(failures: number, policy: Policy): number {
  if (failures < policy.threshold) return 0;
  const doublings = Math.min(failures - policy.threshold, 40);
  return Math.min(policy.baseMs * 2 ** doublings, policy.maxMs);
}

// KEYS: failures, lock. ARGV: threshold, base ms, max ms, memory ms. Returns the lock ms set (0: none).
const RECORD_FAILURE = `
local failures = redis.call('INCR', KEYS[1])
local threshold = tonumber(ARGV[1])
local lockMs = 0
if failures >= threshold then
  lockMs = math.floor(math.min(tonumber(ARGV[2]) * 2 ^ math.min(failures - threshold, 40), tonumber(ARGV[3])))
  redis.call('SET', KEYS[2], 1, 'PX', lockMs)
end
redis.call('PEXPIRE', KEYS[1], lockMs + tonumber(ARGV[4]))
return lockMs
`;

interface MemoryEntry {
  failures: number;
  lockedUntil: number;
  forgetAt: number;
}

/**
 * Progressive lockout after repeated failed logins (brute force), per subject (lockoutSubjectOf:
 * the account, or an unknown name as typed): from the threshold-th failure on, the subject is
 * locked for base seconds, doubling per further failure up to max. Kept in Redis when configured
 * (shared by replicas), in memory otherwise and whenever Redis fails. Subjects are hashed: the
 * store never holds what was typed.
 */
@Injectable()
export class LoginLockout implements OnApplicationShutdown {
  private readonly memory = new Map<string, MemoryEntry>();
  private readonly fallback: RedisFallback;
  private readonly policy: Policy;

  constructor(
    config: AppConfig,
    @Inject(RATE_LIMIT_REDIS) private readonly redis: Redis | null,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.fallback = new RedisFallback('LoginLockout', redis);
    this.policy = {
      threshold: config.env.LOGIN_LOCKOUT_THRESHOLD,
      baseMs: config.env.LOGIN_LOCKOUT_BASE_SECONDS * 1000,
      maxMs: config.env.LOGIN_LOCKOUT_MAX_SECONDS * 1000,
    };
  }

  /** Throws RATE_LIMIT_EXCEEDED (429, Retry-After) while the subject is locked. */
  async assertNotLocked(subject: string): Promise<void> {
    const remainingMs = await this.lockedForMs(subject);
    if (remainingMs > 0) {
      this.metrics?.rateLimitRejected('login_lockout');
      throw new AppError('RATE_LIMIT_EXCEEDED', 'error.login_locked', {
        group: 'login_lockout',
        retry_after: Math.max(1, Math.ceil(remainingMs / 1000)),
      });
    }
  }

  async lockedForMs(subject: string): Promise<number> {
    const { lock } = this.keysOf(subject);
    return this.fallback.run(
      async () => Math.max(0, await this.client().pttl(lock)),
      () => {
        const entry = this.live(lock);
        return entry ? Math.max(0, entry.lockedUntil - Date.now()) : 0;
      },
    );
  }

  /** Counts a failed login for the subject; returns the lock it now has in ms (0: none). */
  async recordFailure(subject: string): Promise<number> {
    const { failures, lock } = this.keysOf(subject);
    const { threshold, baseMs, maxMs } = this.policy;
    return this.fallback.run(
      async () =>
        Number(
          await this.client().eval(
            RECORD_FAILURE,
            2,
            failures,
            lock,
            threshold,
            baseMs,
            maxMs,
            FAILURE_MEMORY_MS,
          ),
        ),
      () => {
        const now = Date.now();
        const entry = this.live(lock) ?? { failures: 0, lockedUntil: 0, forgetAt: 0 };
        entry.failures += 1;
        const lockMs = lockMsFor(entry.failures, this.policy);
        if (lockMs > 0) entry.lockedUntil = now + lockMs;
        entry.forgetAt = now + lockMs + FAILURE_MEMORY_MS;
        this.memory.set(lock, entry);
        if (this.memory.size > MEMORY_PRUNE_SIZE) this.prune(now);
        return lockMs;
      },
    );
  }

  /** A successful login: the subject starts afresh. */
  async reset(subject: string): Promise<void> {
    const { failures, lock } = this.keysOf(subject);
    await this.fallback.run(
      async () => {
        await this.client().del(failures, lock);
      },
      () => {
        this.memory.delete(lock);
      },
    );
  }

  onApplicationShutdown(): void {
    this.memory.clear();
  }

  private client(): Redis {
    return this.redis as Redis;
  }

  private keysOf(subject: string): { failures: string; lock: string } {
    const id = createHash('sha256').update(subject).digest('hex').slice(0, 32);
    return { failures: `lockout:{${id}}:failures`, lock: `lockout:{${id}}:lock` };
  }

  private live(key: string): MemoryEntry | undefined {
    const entry = this.memory.get(key);
    if (entry && entry.forgetAt <= Date.now()) {
      this.memory.delete(key);
      return undefined;
    }
    return entry;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.memory) if (entry.forgetAt <= now) this.memory.delete(key);
  }
}
