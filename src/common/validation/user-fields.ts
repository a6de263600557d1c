import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Matches } from 'class-validator';
import { CodePointLength, MaxCodePoints } from './text';

/** Letters (any script), digits, `_`, `.`, `-`; no `@`, so a username never looks like an e-mail. */
export const USERNAME_PATTERN = /^[\p{L}\p{N}_.-]+$/u;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

const trimmed = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value,
);

export const IsUsername = () =>
  applyDecorators(
    IsString(),
    CodePointLength(3, 50),
    Matches(USERNAME_PATTERN, { message: 'username may contain only letters, digits, _ . and -' }),
    ApiProperty({
      type: String,
      minLength: 3,
      maxLength: 50,
      description: 'Letters (any script), digits, `_`, `.` and `-`; no `@`.',
      example: 'alice',
    }),
  );

export const IsEmailAddress = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim().toLowerCase() : value,
    ),
    IsString(),
    MaxCodePoints(254),
    IsEmail(),
    ApiProperty({
      type: String,
      format: 'email',
      maxLength: 254,
      description: 'Trimmed and lower-cased.',
      example: 'alice@example.com',
    }),
  );

export const IsNewPassword = () =>
  applyDecorators(
    IsString(),
    CodePointLength(PASSWORD_MIN, PASSWORD_MAX),
    ApiProperty({
      type: String,
      format: 'password',
      minLength: PASSWORD_MIN,
      maxLength: PASSWORD_MAX,
    }),
  );

export const Trimmed = () => trimmed;
