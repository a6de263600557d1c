import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { RateLimiter, RateLimitState } from './rate-limiter';

/**
 * The `resumes` budget: how often one user may resume a reply, counted once for both ways of
 * doing it (GET …/messages/{id}/stream and the WebSocket `resume` frame), so a client cannot
 * double its allowance by switching transport. Each resume costs database reads and a reader of
 * the stream log; per user, in Redis when configured (shared by replicas).
 */
@Injectable()
export class ResumeBudget {
  constructor(
    private readonly config: AppConfig,
    private readonly limiter: RateLimiter,
  ) {}

  /** Counts one resume of `userId`; throws RATE_LIMIT_EXCEEDED (group `resumes`) when over. */
  consume(userId: string): Promise<RateLimitState> {
    return this.limiter.consume('resumes', `user:${userId}`, this.config.env.RATE_LIMIT_RESUMES);
  }
}
