import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppError } from '../errors/app-error';
import type { AuthUser } from '../../modules/auth/auth-user';
import type { UserRole } from '../../modules/users/user.entity';

/** Metadata key of @Roles(). */
export const ROLES = 'app:roles';

/**
 * Runs after the global JWT guard (route guards always do), so `req.user` is the caller as
 * its session resolved it on this request: a role change applies to the very next request.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<readonly UserRole[] | undefined>(ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<Request & { user?: AuthUser }>().user;
    if (!user) throw AppError.unauthenticated();
    if (!roles.includes(user.role)) throw AppError.forbidden('error.role_required');
    return true;
  }
}
