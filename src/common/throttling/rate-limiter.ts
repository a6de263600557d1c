import { Inject, Injectable, Optional } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { MetricsService } from '../../modules/metrics/metrics.service';
import { AppError } from '../errors/app-error';

export const RATE_LIMIT_STORAGE = Symbol('RateLimitStorage');

/**
 * Named budgets: `auth` (auth routes, per client IP and per account name), `default` (every
 * other route, per user or per IP when anonymous), `messages` (sending, per user, one budget
 * shared by REST sends, SSE streams and WebSocket chat_message), `recovery` (logout,
 * change-password, the session list and revoke; per session and client IP), `resumes`
 * (resuming a reply, per user, the SSE resume route and WebSocket `resume` together), and the
 * WebSocket frame budgets per user: `ws_pings` (ping frames) and `ws_frames` (every other frame).
 */
export type RateLimitGroup =
  'messages' | 'auth' | 'default' | 'recovery' | 'resumes' | 'ws_pings' | 'ws_frames';

/** API.md §8 counts per minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Where one budget stands after a hit. */
export interface RateLimitState {
  group: RateLimitGroup;
  limit: number;
  /** Hits left in this window (0 once over). */
  remaining: number;
  /** Seconds until the budget is whole again (or, once over, until the next request may pass). */
  resetSeconds: number;
  exceeded: boolean;
  /** Seconds to wait when exceeded; 0 otherwise. */
  retryAfter: number;
}

/** The contract's 429 for a budget that is used up; the HTTP filter turns its details into headers. */
export function rateLimitError(state: RateLimitState, windowMs = RATE_LIMIT_WINDOW_MS): AppError {
  return new AppError('RATE_LIMIT_EXCEEDED', 'error.rate_limit', {
    group: state.group,
    limit: state.limit,
    window_seconds: Math.round(windowMs / 1000),
    retry_after: state.retryAfter,
  });
}

/**
 * Budgets per key and window on @nestjs/throttler's storage (FallbackThrottlerStorage: Redis when
 * configured, shared by replicas; memory otherwise and when Redis fails). Once over, a key stays
 * refused for a window, as the throttler's blocking does.
 */
@Injectable()
export class RateLimiter {
  constructor(
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: ThrottlerStorage,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Counts one hit and says where the budget stands; does not throw for the limit. */
  async hit(
    group: RateLimitGroup,
    key: string,
    limit: number,
    windowMs = RATE_LIMIT_WINDOW_MS,
  ): Promise<RateLimitState> {
    const record = await this.storage.increment(
      `${group}:${key}`,
      windowMs,
      limit,
      windowMs,
      group,
    );
    const exceeded = record.isBlocked || record.totalHits > limit;
    const retryAfter = exceeded
      ? Math.max(1, Math.ceil(record.isBlocked ? record.timeToBlockExpire : record.timeToExpire))
      : 0;
    return {
      group,
      limit,
      remaining: exceeded ? 0 : Math.max(0, limit - record.totalHits),
      resetSeconds: exceeded ? retryAfter : Math.max(0, Math.ceil(record.timeToExpire)),
      exceeded,
      retryAfter,
    };
  }

  /** Counts one hit; throws RATE_LIMIT_EXCEEDED (429) with `retry_after` seconds when over `limit`. */
  async consume(group: RateLimitGroup, key: string, limit: number): Promise<RateLimitState> {
    const state = await this.hit(group, key, limit);
    if (state.exceeded) throw this.refuse(state);
    return state;
  }

  /** The 429 for a used-up budget, counted in the metrics (rate_limit_rejections_total). */
  refuse(state: RateLimitState, windowMs = RATE_LIMIT_WINDOW_MS): AppError {
    this.metrics?.rateLimitRejected(state.group);
    return rateLimitError(state, windowMs);
  }
}
