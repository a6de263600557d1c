import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisFallback } from '../../common/throttling/redis-fallback';
import { RATE_LIMIT_REDIS } from '../../common/throttling/throttling.module';
import { AppConfig } from '../../config/app-config';

/** A socket that holds a slot: its user and its id. */
export interface SlotHolder {
  userId: string;
  socketId: string;
}

// Redis's own clock decides expiry, so replicas whose clocks differ agree on it.
const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] the user's set; ARGV: max, ttl ms, socket id. 1 when the slot is held, 0 when all are taken. */
const ACQUIRE = `${NOW_MS}
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`;

/** KEYS[1] the user's set; ARGV: ttl ms, then the socket ids still open here. */
const REFRESH = `${NOW_MS}
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`;

/**
 * The cap on open chat sockets per user (WS_MAX_SOCKETS_PER_USER). With Redis, one count across
 * replicas: a sorted set per user of the sockets open anywhere, each with an expiry that its
 * replica pushes back at every heartbeat, so the sockets of a replica that died stop counting
 * within two heartbeats. Without Redis, or while it fails, each replica counts its own sockets.
 *
 * The cap refuses the newest: a socket over it is refused at the upgrade (429), and the open ones
 * keep working. Closing the oldest instead would let a client that reconnects on close (every tab
 * of a chat UI does) push another tab out, which reconnects in turn, forever.
 */
@Injectable()
export class ChatSocketSlots {
  /** This replica's slots: user → socket id → when it expires unless refreshed. */
  private readonly local = new Map<string, Map<string, number>>();
  private readonly fallback: RedisFallback;

  constructor(
    private readonly config: AppConfig,
    @Inject(RATE_LIMIT_REDIS) private readonly redis: Redis | null,
  ) {
    this.fallback = new RedisFallback('WsSocketSlots', redis);
  }

  /** How long a slot is held without a refresh: two heartbeats and a second. */
  get ttlMs(): number {
    return 2 * this.config.env.WS_HEARTBEAT_MS + 1000;
  }

  /** Takes a slot for one more socket of the user; false when the user has WS_MAX_SOCKETS_PER_USER. */
  acquire(userId: string, socketId: string): Promise<boolean> {
    const max = this.config.env.WS_MAX_SOCKETS_PER_USER;
    return this.fallback.run(
      async () => {
        const held = await this.redis!.eval(
          ACQUIRE,
          1,
          this.key(userId),
          max,
          this.ttlMs,
          socketId,
        );
        if (held === 1) this.hold(userId, socketId);
        return held === 1;
      },
      () => {
        if (this.countLocal(userId) >= max) return false;
        this.hold(userId, socketId);
        return true;
      },
    );
  }

  /** Gives a closed socket's slot back. */
  release(userId: string, socketId: string): void {
    const mine = this.local.get(userId);
    mine?.delete(socketId);
    if (mine?.size === 0) this.local.delete(userId);
    if (!this.redis) return;
    void this.fallback.run(
      () => this.redis!.zrem(this.key(userId), socketId),
      () => 0,
    );
  }

  /** Keeps the slots of the sockets still open here (every heartbeat); others expire. */
  async refresh(open: Iterable<SlotHolder>): Promise<void> {
    const expiresAt = Date.now() + this.ttlMs;
    const byUser = new Map<string, string[]>();
    for (const { userId, socketId } of open) {
      byUser.set(userId, [...(byUser.get(userId) ?? []), socketId]);
      this.hold(userId, socketId, expiresAt);
    }
    if (!this.redis || byUser.size === 0) return;
    const redis = this.redis;
    await this.fallback.run(
      async () => {
        const batch = redis.pipeline();
        for (const [userId, ids] of byUser)
          batch.eval(REFRESH, 1, this.key(userId), this.ttlMs, ...ids);
        await batch.exec();
      },
      () => undefined,
    );
  }

  /** Slots this replica holds for the user (expired ones dropped). */
  countLocal(userId: string): number {
    const mine = this.local.get(userId);
    if (!mine) return 0;
    const now = Date.now();
    for (const [id, expiresAt] of mine) if (expiresAt <= now) mine.delete(id);
    if (mine.size === 0) this.local.delete(userId);
    return mine.size;
  }

  private hold(userId: string, socketId: string, expiresAt = Date.now() + this.ttlMs): void {
    let mine = this.local.get(userId);
    if (!mine) this.local.set(userId, (mine = new Map<string, number>()));
    mine.set(socketId, expiresAt);
  }

  private key(userId: string): string {
    return `ws-sockets:${userId}`;
  }
}
