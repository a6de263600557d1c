import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC } from '../../common/decorators/http.decorators';
import { AppError } from '../../common/errors/app-error';
import { AccessTokenVerifier } from './access-token.verifier';
import type { AuthUser } from './auth-user';

/** `Authorization: Bearer <token>`: the scheme is case-insensitive, the token one word. */
const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

/**
 * Applied globally: every HTTP route needs a valid access token unless marked @Public().
 * The token is checked by the same verifier the WebSocket handshake uses (HS256 only,
 * signature and expiry, then one lookup that the session is live and the user active).
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) throw AppError.unauthenticated('error.authentication');
    request.user = (await this.verifier.verify(token)).user;
    return true;
  }
}
