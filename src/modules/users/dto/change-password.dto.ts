import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { CodePointLength } from '../../../common/validation/text';
import { Match } from '../../../common/validation/match.decorator';
import { IsNewPassword, PASSWORD_MAX } from '../../../common/validation/user-fields';

export class ChangePasswordDto {
  @ApiProperty({ type: String, format: 'password', minLength: 1, maxLength: PASSWORD_MAX })
  @IsString()
  @CodePointLength(1, PASSWORD_MAX)
  current_password!: string;

  @IsNewPassword()
  new_password!: string;

  @ApiProperty({ type: String, format: 'password', description: 'Must equal `new_password`.' })
  @IsString()
  @Match('new_password', { message: 'confirm_password must match new_password' })
  confirm_password!: string;
}
