import { applyDecorators, SetMetadata } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';

export const AUTH_RATE_LIMIT = 'app:auth-rate-limit';

/**
 * An auth route (register, login, refresh, forgot/reset password): limited by the `auth` budget
 * per client IP and per account name tried, instead of `default`.
 */
export const AuthRateLimit = () =>
  applyDecorators(SetMetadata(AUTH_RATE_LIMIT, true), SkipThrottle({ default: true }));

/**
 * A message-sending route: limited by the `messages` budget (GenerationService counts it, for
 * REST, SSE and WebSocket alike), not by `default`.
 */
export const MessageRateLimit = () => SkipThrottle({ default: true });

/**
 * Resuming a reply's stream: limited by the `resumes` budget (ResumeBudget, shared with the
 * WebSocket `resume` frame), not by `default`.
 */
export const ResumeRateLimit = () => SkipThrottle({ default: true });
