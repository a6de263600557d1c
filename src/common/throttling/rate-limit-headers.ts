import type { Response } from 'express';
import type { RateLimitState } from './rate-limiter';

/** Headers a browser client may read (CORS exposedHeaders). */
export const RATE_LIMIT_HEADERS = [
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Retry-After',
] as const;

/** `RateLimit-*` of one budget (IETF draft: limit, hits left, seconds to reset). */
export function writeRateLimitHeaders(
  res: Pick<Response, 'setHeader'>,
  state: Pick<RateLimitState, 'limit' | 'remaining' | 'resetSeconds'>,
): void {
  res.setHeader('RateLimit-Limit', String(state.limit));
  res.setHeader('RateLimit-Remaining', String(state.remaining));
  res.setHeader('RateLimit-Reset', String(state.resetSeconds));
}

/**
 * The budget a client must mind among several that applied: the refusing one it must wait
 * longest for; otherwise the one with the fewest hits left (the sooner reset on a tie).
 */
export function tightest(states: RateLimitState[]): RateLimitState | undefined {
  const refused = states.filter((s) => s.exceeded);
  if (refused.length > 0) return refused.reduce((a, b) => (b.retryAfter > a.retryAfter ? b : a));
  return states.reduce<RateLimitState | undefined>((a, b) => {
    if (!a) return b;
    if (b.remaining !== a.remaining) return b.remaining < a.remaining ? b : a;
    return b.resetSeconds < a.resetSeconds ? b : a;
  }, undefined);
}
