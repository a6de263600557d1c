import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import {
  AUTH_RATE_LIMIT,
  type AuthRateLimitKeys,
  RECOVERY_RATE_LIMIT,
} from './throttle.decorators';
import { writeRateLimitHeaders, tightest } from './rate-limit-headers';
import { RateLimiter, RateLimitGroup, RateLimitState } from './rate-limiter';

const THROTTLER_SKIP = 'THROTTLER:SKIP';
/**
 * The throttler that carries the limit of the auth routes' per-client-IP counter
 * (RATE_LIMIT_AUTH_IP); it counts nothing itself: `auth` uses its limit for the IP key.
 */
export const AUTH_IP_THROTTLER = 'auth_ip';
/** Longest account name counted as given (longer ones are cut: they cannot exist anyway). */
const MAX_NAME_LENGTH = 320;

type GuardRequest = Request & { user?: { id?: string; sessionId?: string } };

/** The client address as the rate limits count it (`req.ip`: X-Forwarded-For only from TRUST_PROXY). */
export function clientIpOf(req: Request): string {
  return normalizeIp(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/** The `default` budget's key of a request: its user, or its client address when anonymous. */
export function defaultKeyOf(req: GuardRequest): string {
  return req.user?.id ? `user:${req.user.id}` : `ip:${clientIpOf(req)}`;
}

/** The account names an auth request tries (username and/or e-mail), lower-cased. */
export function accountNamesOf(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const names = new Set<string>();
  for (const field of ['username', 'email'] as const) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value !== 'string') continue;
    const name = value.trim().toLowerCase().slice(0, MAX_NAME_LENGTH);
    if (name !== '') names.add(name);
  }
  return [...names];
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/**
 * The HTTP rate limits (API.md §8), registered as a global guard AFTER the JWT guard so that
 * `default` is keyed by the authenticated user (by client IP when anonymous; a request whose
 * token fails is counted there by the JWT guard). `auth` applies only to routes marked
 * @AuthRateLimit(), with two counters: the client IP (limit of the `auth_ip` throttler,
 * RATE_LIMIT_AUTH_IP) and each account name tried (RATE_LIMIT_AUTH); either one over refuses. `recovery` applies only to @RecoveryRateLimit() routes, per session and client
 * IP. Routes with @SkipThrottle() (probes, message sending, auth and recovery) skip `default`.
 * WebSocket contexts pass: a chat_message is counted by the `messages` budget in GenerationService.
 * The client IP is `req.ip`, which honours X-Forwarded-For only from TRUST_PROXY.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly limiter: RateLimiter,
  ) {
    super(options, storage, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const req = http.getRequest<GuardRequest>();
    const res = http.getResponse<Response>();
    const targets = [context.getHandler(), context.getClass()];
    const states: RateLimitState[] = [];

    for (const throttler of this.throttlers) {
      const name = throttler.name ?? 'default';
      // Counts nothing itself: `auth` reads its limit for the IP key.
      if (name === AUTH_IP_THROTTLER) continue;
      if (this.reflector.getAllAndOverride<boolean>(THROTTLER_SKIP + name, targets)) continue;
      const limit = await this.numberOf(throttler.limit, context);
      const windowMs = await this.numberOf(throttler.ttl, context);
      if (name === 'auth') {
        const keys = this.reflector.getAllAndOverride<AuthRateLimitKeys | undefined>(
          AUTH_RATE_LIMIT,
          targets,
        );
        if (!keys) continue;
        const route = `${context.getClass().name}.${context.getHandler().name}`;
        const ipThrottler = this.throttlers.find((t) => t.name === AUTH_IP_THROTTLER);
        const ipLimit = ipThrottler ? await this.numberOf(ipThrottler.limit, context) : limit;
        states.push(await this.hit('auth', `${route}:ip:${clientIpOf(req)}`, ipLimit, windowMs));
        if (keys === 'ip') continue;
        for (const account of accountNamesOf(req.body)) {
          states.push(await this.hit('auth', `${route}:name:${digest(account)}`, limit, windowMs));
        }
      } else if (name === 'recovery') {
        if (!this.reflector.getAllAndOverride<boolean>(RECOVERY_RATE_LIMIT, targets)) continue;
        // Per session AND address: a thief holding a copy of the same session elsewhere spends
        // a budget of its own, not the owner's.
        const session = req.user?.sessionId ?? 'none';
        const key = `session:${session}:ip:${clientIpOf(req)}`;
        states.push(await this.hit('recovery', key, limit, windowMs));
      } else if (name === 'default') {
        states.push(await this.hit('default', defaultKeyOf(req), limit, windowMs));
      }
    }

    const chosen = tightest(states);
    if (!chosen) return true;
    if (chosen.exceeded) throw this.limiter.refuse(chosen, this.windowOf(chosen.group));
    writeRateLimitHeaders(res, chosen);
    return true;
  }

  private hit(group: RateLimitGroup, key: string, limit: number, windowMs: number) {
    return this.limiter.hit(group, key, limit, windowMs);
  }

  private windowOf(group: RateLimitGroup): number | undefined {
    const throttler = this.throttlers.find((t) => t.name === group);
    return typeof throttler?.ttl === 'number' ? throttler.ttl : undefined;
  }

  private async numberOf(
    value: ThrottlerOptions['limit'],
    context: ExecutionContext,
  ): Promise<number> {
    return Number(typeof value === 'function' ? await value(context) : value);
  }
}
