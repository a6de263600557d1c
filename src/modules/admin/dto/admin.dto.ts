import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  ValidateIf,
} from 'class-validator';
import { QueryBoolean, QueryInt } from '../../../common/validation/query';
import { MaxCodePoints, NoNulCharacter } from '../../../common/validation/text';
import { IsEmailAddress, IsNewPassword, IsUsername } from '../../../common/validation/user-fields';
import { USER_ROLES, type UserRole } from '../../users/user.entity';

/** GET /admin/users: a page of users, newest first, optionally searched and filtered. */
export class ListUsersQueryDto {
  @ApiPropertyOptional({ default: 1 })
  @QueryInt(1, 1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ default: 20 })
  @QueryInt(1, 100)
  size: number = 20;

  /** Part of the username or e-mail, case-insensitive. */
  @ApiPropertyOptional({
    type: String,
    maxLength: 254,
    description: 'Part of the username or e-mail, case-insensitive.',
  })
  @IsOptional()
  @IsString()
  @MaxCodePoints(254)
  @NoNulCharacter()
  search?: string;

  @ApiPropertyOptional({ type: String, enum: [...USER_ROLES] })
  @IsOptional()
  @IsIn(USER_ROLES)
  role?: UserRole;

  @QueryBoolean()
  is_active?: boolean;

  @QueryBoolean()
  is_vip?: boolean;
}

/** Absent fields are left alone; `null` is validated (and refused), never written to a NOT NULL column. */
const IfPresent = () => ValidateIf((_: object, value: unknown) => value !== undefined);

/** PATCH /admin/users/{id}: only these three; any other field is refused (422) by the global pipe. */
export class UpdateUserAdminDto {
  @ApiPropertyOptional({ type: Boolean })
  @IfPresent()
  @IsBoolean()
  is_vip?: boolean;

  @ApiPropertyOptional({ type: Boolean })
  @IfPresent()
  @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ type: String, enum: [...USER_ROLES] })
  @IfPresent()
  @IsIn(USER_ROLES)
  role?: UserRole;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date (YYYY-MM-DD) that exists (no 2025-02-30). */
const IsCalendarDate = () =>
  applyDecorators(
    IsOptional(),
    IsString(),
    Matches(DATE_ONLY, { message: '$property must be a date (YYYY-MM-DD)' }),
    IsISO8601({ strict: true }, { message: '$property must be an existing date' }),
  );

/** GET /admin/usage, /admin/users/{id}/usage: an inclusive range of days in QUOTA_TIMEZONE. */
export class UsageQueryDto {
  @ApiPropertyOptional({
    type: String,
    format: 'date',
    description: 'First day (YYYY-MM-DD); default: 30 days before `to`.',
  })
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date',
    description: 'Last day, included; default: today (or 30 days after `from`). At most 366 days.',
  })
  @IsCalendarDate()
  to?: string;
}

/** The CLI's create-admin: the same rules as registration. */
export class CreateAdminDto {
  @IsUsername()
  username!: string;

  @IsEmailAddress()
  email!: string;

  @IsNewPassword()
  password!: string;
}
