import { applyDecorators, SetMetadata } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';

export const AUTH_RATE_LIMIT = 'app:auth-rate-limit';
export const RECOVERY_RATE_LIMIT = 'app:recovery-rate-limit';

/** How an @AuthRateLimit() route is counted. */
export type AuthRateLimitKeys = 'ip-and-name' | 'ip';

/**
 * An auth route (register, login, refresh, forgot/reset password): limited by the `auth` budget
 * per client IP and per account name tried, instead of `default`. `{ byName: false }` counts the
 * IP only, for a route whose per-name limit anyone could spend in the owner's place
 * (forgot-password: its per-address limit is a mail cooldown that answers as usual).
 */
export const AuthRateLimit = (options: { byName?: boolean } = {}) =>
  applyDecorators(
    SetMetadata<string, AuthRateLimitKeys>(
      AUTH_RATE_LIMIT,
      options.byName === false ? 'ip' : 'ip-and-name',
    ),
    SkipThrottle({ default: true }),
  );

/**
 * A message-sending route: limited by the `messages` budget (GenerationService counts it, for
 * REST, SSE and WebSocket alike), not by `default`.
 */
export const MessageRateLimit = () => SkipThrottle({ default: true });

/**
 * A route the owner needs to take an account back (logout, change-password, the session list and
 * revoke): limited by its own `recovery` budget per session and client IP, never by `default`,
 * so a stolen session that spends the user's `default` budget cannot keep the owner out.
 */
export const RecoveryRateLimit = () =>
  applyDecorators(SetMetadata(RECOVERY_RATE_LIMIT, true), SkipThrottle({ default: true }));

/**
 * Resuming a reply's stream: limited by the `resumes` budget (ResumeBudget, shared with the
 * WebSocket `resume` frame), not by `default`.
 */
export const ResumeRateLimit = () => SkipThrottle({ default: true });
