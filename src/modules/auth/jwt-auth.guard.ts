import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, AuthModuleOptions } from '@nestjs/passport';
import type { Request } from 'express';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { IS_PUBLIC } from '../../common/decorators/http.decorators';
import { AppError } from '../../common/errors/app-error';
import { clientIpOf } from '../../common/throttling/app-throttler.guard';
import { RateLimiter } from '../../common/throttling/rate-limiter';
import { AppConfig } from '../../config/app-config';
import { isApiKeyToken } from '../api-keys/api-key-secret';
import { ApiKeyVerifier } from '../api-keys/api-key.verifier';
import { ACCEPTS_API_KEYS } from './accepts-api-keys.decorator';
import { AccessTokenVerifier } from './access-token.verifier';
import type { AuthUser } from './auth-user';

/** `Authorization: Bearer <token>`: the scheme is case-insensitive, the token one word. */
const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

/** passport-jwt's note when the request carries no token. */
const NO_TOKEN = 'No auth token';

/**
 * The HTTP access-token strategy: passport-jwt checks the signature (HS256 only, against the
 * secret as a KeyObject, so jsonwebtoken never tries to parse it as a PEM key) and the expiry;
 * the claims and the session (live, user active; SessionCache) are checked by the same
 * AccessTokenVerifier the WebSocket handshake uses. One instance per application, never
 * registered on passport's process-wide registry: two applications in one process (replica
 * tests) keep their own.
 */
export function accessTokenStrategy(config: AppConfig, verifier: AccessTokenVerifier): JwtStrategy {
  return new JwtStrategy(
    {
      jwtFromRequest: ExtractJwt.fromExtractors([(req: Request) => bearerOf(req) ?? null]),
      secretOrKey: config.jwtKey as unknown as string,
      algorithms: ['HS256'],
    },
    (payload: Record<string, unknown>, done: (error: unknown, user?: AuthUser) => void) => {
      verifier.resolve(payload).then(
        (user) => done(null, user),
        (error: unknown) => done(error),
      );
    },
  );
}

/**
 * The guard's passport options: this application's strategy, no sessions. Passport augments a
 * strategy *instance* in place with the request's callbacks (success, fail, error), so a
 * shared instance would let concurrent requests overwrite each other's — one request hanging
 * and another answered with the wrong user. Each read of `defaultStrategy` (one per request)
 * therefore answers a fresh object whose prototype is the strategy, as passport does itself
 * for strategies registered by name.
 */
export function accessTokenAuthOptions(
  config: AppConfig,
  verifier: AccessTokenVerifier,
): AuthModuleOptions {
  const strategy = accessTokenStrategy(config, verifier);
  return {
    get defaultStrategy() {
      return Object.create(strategy) as unknown as string;
    },
    session: false,
    property: 'user',
  };
}

/** The bearer credential of a request, if any. */
export function bearerOf(req: Request): string | undefined {
  return BEARER.exec(req.headers.authorization ?? '')?.[1];
}

/**
 * Applied globally: every HTTP route needs a valid access token unless marked @Public().
 * An API key (`Bearer sk-…`) is taken instead only where @AcceptsApiKeys() allows it, and
 * refused with 403 AUTHORIZATION_ERROR elsewhere, before it is even looked up.
 * A missing token is AUTHENTICATION_ERROR 'error.authentication'; a bad, expired or revoked
 * one 'error.invalid_token'; an inactive user AUTHORIZATION_ERROR (from the verifier). Each
 * AUTHENTICATION_ERROR is counted in the client address's `default` budget (429 once spent).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard() {
  constructor(
    private readonly reflector: Reflector,
    options: AuthModuleOptions,
    private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
    private readonly apiKeys: ApiKeyVerifier,
  ) {
    super(options);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const token = bearerOf(req);
    try {
      if (token !== undefined && isApiKeyToken(token)) {
        const accepts = this.reflector.getAllAndOverride<boolean>(ACCEPTS_API_KEYS, [
          context.getHandler(),
          context.getClass(),
        ]);
        if (!accepts) throw AppError.forbidden('error.api_key_not_allowed');
        req.user = (await this.apiKeys.verify(token)).user;
        return true;
      }
      return (await super.canActivate(context)) as boolean;
    } catch (error) {
      if (error instanceof AppError && error.code === 'AUTHENTICATION_ERROR') {
        await this.countRefusal(context.switchToHttp().getRequest<Request>());
      }
      throw error;
    }
  }

  /**
   * A request refused for its token (missing, forged, expired, revoked) is anonymous traffic:
   * it spends its address's `default` budget (the rate-limit guard, which runs after this one,
   * never sees it), and once that is spent the answer is 429 instead of 401, so a flood of bad
   * tokens from one address is held like any other anonymous flood.
   */
  private async countRefusal(req: Request): Promise<void> {
    const state = await this.limiter.hit(
      'default',
      `ip:${clientIpOf(req)}`,
      this.config.env.RATE_LIMIT_DEFAULT,
    );
    if (state.exceeded) throw this.limiter.refuse(state);
  }

  /**
   * `error` comes from the verifier: an AppError, or a database failure, which the filter maps
   * (503) — passed on as it is, whatever realm made it (a socket error of Node's own is not
   * `instanceof Error` under Jest's vm).
   */
  override handleRequest<TUser = AuthUser>(
    error: unknown,
    user: TUser | false,
    info: unknown,
  ): TUser {
    if (error) throw error as Error;
    if (user) return user;
    const noToken = info instanceof Error && info.message === NO_TOKEN;
    throw AppError.unauthenticated(noToken ? 'error.authentication' : 'error.invalid_token');
  }
}
