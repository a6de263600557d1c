import { IsOptional, IsString, Length, MaxLength } from 'class-validator';
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

  @IsString()
  @Match('password', { message: 'confirm_password must match password' })
  confirm_password!: string;
}

export class LoginDto {
  /** A username or an e-mail address. */
  @IsString()
  @Length(1, 254)
  username!: string;

  @IsString()
  @Length(1, PASSWORD_MAX)
  password!: string;
}

export class RefreshDto {
  @IsString()
  @Length(1, 512)
  refresh_token!: string;
}

export class LogoutDto {
  @IsOptional()
  @IsString()
  @MaxLength(512)
  refresh_token?: string;
}

export class ForgotPasswordDto {
  @IsEmailAddress()
  email!: string;
}

export class ResetPasswordDto {
  @IsString()
  @Length(1, 512)
  token!: string;

  @IsNewPassword()
  new_password!: string;

  @IsString()
  @Match('new_password', { message: 'confirm_password must match new_password' })
  confirm_password!: string;
}
