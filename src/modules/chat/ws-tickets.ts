import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { RedisFallback } from '../../common/throttling/redis-fallback';
import { REDIS } from '../../redis/redis.module';

/** Seconds a WebSocket ticket stays usable. */
export const WS_TICKET_TTL_SECONDS = 30;

interface TicketHolder {
  userId: string;
  sessionId: string;
}

/**
 * One-time tickets for the WebSocket handshake, so long-lived JWTs need not appear in URLs
 * and logs: 30 s, single use; in Redis when configured (any replica can take them). While
 * Redis fails they are kept in this process's memory: only this replica takes those.
 */
@Injectable()
export class WsTickets {
  private readonly memory = new Map<string, TicketHolder & { expiresAt: number }>();
  private readonly fallback: RedisFallback;

  constructor(@Inject(REDIS) private readonly redis: Redis | null) {
    this.fallback = new RedisFallback('WsTickets', redis);
  }

  private key(ticket: string): string {
    return `ws-ticket:${createHash('sha256').update(ticket).digest('hex')}`;
  }

  async issue(holder: TicketHolder): Promise<string> {
    const ticket = randomBytes(32).toString('base64url');
    const key = this.key(ticket);
    await this.fallback.run(
      async () => {
        await this.redis?.set(key, JSON.stringify(holder), 'EX', WS_TICKET_TTL_SECONDS);
      },
      () => {
        this.sweep();
        this.memory.set(key, { ...holder, expiresAt: Date.now() + WS_TICKET_TTL_SECONDS * 1000 });
      },
    );
    return ticket;
  }

  /** The ticket's holder, once: a second use, or a late one, finds nothing. */
  async redeem(ticket: string): Promise<TicketHolder | null> {
    const key = this.key(ticket);
    const redis = this.redis;
    if (redis && !this.memory.has(key)) {
      const value = await this.fallback.run(
        () => redis.getdel(key),
        () => null,
      );
      return value ? (JSON.parse(value) as TicketHolder) : null;
    }
    const held = this.memory.get(key);
    this.memory.delete(key);
    return held && held.expiresAt > Date.now()
      ? { userId: held.userId, sessionId: held.sessionId }
      : null;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, held] of this.memory) if (held.expiresAt <= now) this.memory.delete(key);
  }
}
