import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import type { UserRole } from '../../modules/users/user.entity';
import { ROLES, RolesGuard } from '../guards/roles.guard';

/**
 * Only callers with one of these roles may use the route (or every route of the controller):
 * 403 AUTHORIZATION_ERROR for the others, 401 as usual without a valid token.
 */
export const Roles = (...roles: UserRole[]) =>
  applyDecorators(SetMetadata(ROLES, roles), UseGuards(RolesGuard));
