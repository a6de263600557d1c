import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config';
import type { AuthUser } from './auth-user';
import { AccessTokenVerifier } from './access-token.verifier';

/**
 * Bearer access tokens: HS256 only (so `none` and other algorithms fail), signature and
 * expiry checked by passport-jwt, then one lookup that the session is live and the user active.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly verifier: AccessTokenVerifier,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  validate(payload: Record<string, unknown>): Promise<AuthUser> {
    return this.verifier.resolve(payload);
  }
}
