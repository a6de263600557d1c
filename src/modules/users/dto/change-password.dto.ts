import { IsString, Length } from 'class-validator';
import { Match } from '../../../common/validation/match.decorator';
import { IsNewPassword, PASSWORD_MAX } from '../../../common/validation/user-fields';

export class ChangePasswordDto {
  @IsString()
  @Length(1, PASSWORD_MAX)
  current_password!: string;

  @IsNewPassword()
  new_password!: string;

  @IsString()
  @Match('new_password', { message: 'confirm_password must match new_password' })
  confirm_password!: string;
}
