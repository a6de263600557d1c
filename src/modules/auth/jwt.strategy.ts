import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { isUUID } from 'class-validator';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppError } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app-config';
import type { AuthUser } from './auth-user';
import { SessionsRepository } from './sessions.repository';

/**
 * Bearer access tokens: HS256 only (so `none` and other algorithms fail), signature and
 * expiry checked by passport-jwt, then one lookup that the session is live and the user active.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly sessions: SessionsRepository,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(payload: Record<string, unknown>): Promise<AuthUser> {
    const { sub, sid, typ } = payload;
    if (typ !== 'access' || typeof sub !== 'string' || typeof sid !== 'string' || !isUUID(sid)) {
      throw AppError.unauthenticated('error.invalid_token');
    }
    const session = await this.sessions.findActive(sid);
    if (!session || session.userId !== sub) throw AppError.unauthenticated('error.invalid_token');
    if (!session.isActive) throw AppError.forbidden('error.account_inactive');
    return {
      id: session.userId,
      sessionId: session.sessionId,
      username: session.username,
      role: session.role,
      isVip: session.isVip,
    };
  }
}
