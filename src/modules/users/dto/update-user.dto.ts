import { IsOptional } from 'class-validator';
import { IsEmailAddress, IsUsername } from '../../../common/validation/user-fields';

/** PUT /users/me: username and/or e-mail; any other field is rejected by the global pipe. */
export class UpdateUserDto {
  @IsOptional()
  @IsUsername()
  username?: string;

  @IsOptional()
  @IsEmailAddress()
  email?: string;
}
