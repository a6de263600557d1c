import { Injectable, Optional } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { RateLimiter, RateLimitGroup, RateLimitState } from '../../common/throttling/rate-limiter';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../metrics/metrics.service';

/** Which budget a frame is counted in: `ping` frames have their own, more generous one. */
export type FrameKind = 'ping' | 'other';

/** Past this many remembered refusals, expired ones are dropped (the map never outgrows its users). */
const PRUNE_AT = 10_000;

interface Spent {
  until: number;
  state: RateLimitState;
}

/**
 * The per-user WebSocket frame budgets (WS_RATE_LIMIT_PINGS for `ping`, WS_RATE_LIMIT_FRAMES for
 * every other frame, malformed ones included), per minute over all of a user's sockets: counted
 * on the project's RateLimiter, so in Redis when it is configured (one budget across replicas)
 * and in memory otherwise.
 *
 * Once a budget is used up the store keeps refusing it for a window; this replica remembers until
 * when, and refuses the user's further frames itself, without a round trip per frame: a flood
 * costs a comparison per frame, not a Redis command.
 */
@Injectable()
export class ChatFrameBudget {
  private readonly spent = new Map<string, Spent>();

  constructor(
    private readonly config: AppConfig,
    private readonly limiter: RateLimiter,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * The refusal of a frame that found WS_MAX_QUEUED_FRAMES waiting on its socket (counted in
   * rate_limit_rejections_total as `ws_queue`): the client should wait for its answers.
   */
  queueFull(): AppError {
    this.metrics?.rateLimitRejected('ws_queue');
    return new AppError('RATE_LIMIT_EXCEEDED', 'error.ws_queue_full', {
      group: 'ws_queue',
      limit: this.config.env.WS_MAX_QUEUED_FRAMES,
      retry_after: 1,
    });
  }

  /** Counts one frame of `userId`; throws RATE_LIMIT_EXCEEDED (with `retry_after`) when over. */
  async meter(userId: string, kind: FrameKind): Promise<void> {
    const group: RateLimitGroup = kind === 'ping' ? 'ws_pings' : 'ws_frames';
    const key = `user:${userId}`;
    const memo = `${group}:${key}`;
    const now = Date.now();
    const known = this.spent.get(memo);
    if (known) {
      if (known.until > now) {
        const retryAfter = Math.max(1, Math.ceil((known.until - now) / 1000));
        throw this.limiter.refuse({ ...known.state, retryAfter, resetSeconds: retryAfter });
      }
      this.spent.delete(memo);
    }
    const limit =
      kind === 'ping' ? this.config.env.WS_RATE_LIMIT_PINGS : this.config.env.WS_RATE_LIMIT_FRAMES;
    const state = await this.limiter.hit(group, key, limit);
    if (!state.exceeded) return;
    this.remember(memo, { until: Date.now() + state.retryAfter * 1000, state });
    throw this.limiter.refuse(state);
  }

  private remember(memo: string, spent: Spent): void {
    if (this.spent.size >= PRUNE_AT) {
      const now = Date.now();
      for (const [k, v] of this.spent) if (v.until <= now) this.spent.delete(k);
    }
    this.spent.set(memo, spent);
  }
}
