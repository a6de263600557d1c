import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC } from '../decorators/http.decorators';
import { AppError } from '../errors/app-error';

/** Applied globally: every route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    return super.canActivate(context);
  }

  override handleRequest<T>(error: unknown, user: T | false, info: unknown): T {
    // Errors from validate() (a database failure, an inactive account) pass through as they
    // are; they may come from another realm, so no `instanceof Error` test here.
    if (error !== null && error !== undefined) throw error as Error;
    if (!user) {
      const missing = info instanceof Error && info.message === 'No auth token';
      throw AppError.unauthenticated(missing ? 'error.authentication' : 'error.invalid_token');
    }
    return user;
  }
}
