import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { isUUID } from 'class-validator';
import { AppError } from '../../common/errors/app-error';
import type { AuthUser } from './auth-user';
import { SessionActivity } from './session-activity';
import { SessionCache } from './session-cache';
import { SessionsRepository } from './sessions.repository';

export interface VerifiedAccess {
  user: AuthUser;
  /** When the access token expires (ms since epoch). */
  expiresAt: number;
}

/**
 * What makes an access token good, in one place for HTTP (JwtAuthGuard) and WebSocket:
 * an access-typed payload with a session id whose session is live and whose user is active.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly jwt: JwtService,
    private readonly sessions: SessionsRepository,
    private readonly cache: SessionCache,
    private readonly activity: SessionActivity,
  ) {}

  /**
   * Checks claims already verified for signature and expiry (HS256 only). A token without a
   * numeric `exp` is refused: the verifier checks an expiry only when one is there, and a token
   * that never expires would outlive every rotation.
   */
  async resolve(payload: Record<string, unknown>): Promise<AuthUser> {
    const { sub, sid, typ, exp } = payload;
    if (
      typ !== 'access' ||
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      !isUUID(sid) ||
      typeof exp !== 'number' ||
      !Number.isFinite(exp)
    ) {
      throw AppError.unauthenticated('error.invalid_token');
    }
    return this.sessionUser(sub, sid);
  }

  /**
   * The user of a live session (WebSocket tickets name a session, not a token); served from
   * SessionCache for AUTH_SESSION_CACHE_MS unless the bus says the session or user changed.
   */
  async sessionUser(userId: string, sessionId: string): Promise<AuthUser> {
    const session = await this.cache.get(userId, sessionId, () =>
      this.sessions.findActive(sessionId),
    );
    if (!session || session.userId !== userId)
      throw AppError.unauthenticated('error.invalid_token');
    if (!session.isActive) throw AppError.forbidden('error.account_inactive');
    this.activity.used(session.sessionId);
    return {
      id: session.userId,
      sessionId: session.sessionId,
      username: session.username,
      role: session.role,
      isVip: session.isVip,
    };
  }

  /** Verifies a raw token: signature, algorithm, expiry, then the claims and the session. */
  async verify(token: string): Promise<VerifiedAccess> {
    let payload: Record<string, unknown>;
    try {
      payload = await this.jwt.verifyAsync<Record<string, unknown>>(token, {
        algorithms: ['HS256'],
      });
    } catch {
      throw AppError.unauthenticated('error.invalid_token');
    }
    const user = await this.resolve(payload);
    return { user, expiresAt: (payload.exp as number) * 1000 };
  }
}
