import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { CodePointLength, MaxCodePoints } from '../../../common/validation/text';
import { Match } from '../../../common/validation/match.decorator';
import {
  IsEmailAddress,
  IsNewPassword,
  IsUsername,
  PASSWORD_MAX,
} from '../../../common/validation/user-fields';

export class RegisterDto {
  @IsUsername()
  username!: string;

  @IsEmailAddress()
  email!: string;

  @IsNewPassword()
  password!: string;

  @ApiProperty({ type: String, format: 'password', description: 'Must equal `password`.' })
  @IsString()
  @Match('password', { message: 'confirm_password must match password' })
  confirm_password!: string;
}

export class LoginDto {
  /** A username or an e-mail address. */
  @ApiProperty({
    type: String,
    minLength: 1,
    maxLength: 254,
    description: 'The username or the e-mail address.',
    example: 'alice',
  })
  @IsString()
  @CodePointLength(1, 254)
  username!: string;

  @ApiProperty({ type: String, format: 'password', minLength: 1, maxLength: PASSWORD_MAX })
  @IsString()
  @CodePointLength(1, PASSWORD_MAX)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ type: String, minLength: 1, maxLength: 512 })
  @IsString()
  @CodePointLength(1, 512)
  refresh_token!: string;
}

export class LogoutDto {
  @ApiPropertyOptional({
    type: String,
    maxLength: 512,
    description: "Also ends this refresh token's session (the access token's session ends anyway).",
  })
  @IsOptional()
  @IsString()
  @MaxCodePoints(512)
  refresh_token?: string;
}

export class ForgotPasswordDto {
  @IsEmailAddress()
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty({ type: String, minLength: 1, maxLength: 512, description: 'From the e-mail.' })
  @IsString()
  @CodePointLength(1, 512)
  token!: string;

  @IsNewPassword()
  new_password!: string;

  @ApiProperty({ type: String, format: 'password', description: 'Must equal `new_password`.' })
  @IsString()
  @Match('new_password', { message: 'confirm_password must match new_password' })
  confirm_password!: string;
}
