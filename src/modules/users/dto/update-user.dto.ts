import { ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateIf } from 'class-validator';
import { IsEmailAddress, IsUsername } from '../../../common/validation/user-fields';

/** Absent fields are left alone; `null` is validated (and refused), never written to a NOT NULL column. */
const IfPresent = () => ValidateIf((_: object, value: unknown) => value !== undefined);

/** PUT /users/me: username and/or e-mail; any other field is rejected by the global pipe. */
export class UpdateUserDto {
  @ApiPropertyOptional()
  @IfPresent()
  @IsUsername()
  username?: string;

  @ApiPropertyOptional()
  @IfPresent()
  @IsEmailAddress()
  email?: string;
}
