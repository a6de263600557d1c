import { ValidateIf } from 'class-validator';
import { IsEmailAddress, IsUsername } from '../../../common/validation/user-fields';

/** Absent fields are left alone; `null` is validated (and refused), never written to a NOT NULL column. */
const IfPresent = () => ValidateIf((_: object, value: unknown) => value !== undefined);

/** PUT /users/me: username and/or e-mail; any other field is rejected by the global pipe. */
export class UpdateUserDto {
  @IfPresent()
  @IsUsername()
  username?: string;

  @IfPresent()
  @IsEmailAddress()
  email?: string;
}
