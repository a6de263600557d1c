import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { UserModel } from '../../users/dto/user.model';
import type { AuthResponse, TokenPairResponse } from './auth.response';

@ApiSchema({ name: 'TokenPair', description: 'A new access token and refresh token (refresh).' })
export class TokenPairModel implements TokenPairResponse {
  @ApiProperty({ type: String, description: 'JWT for `Authorization: Bearer …`.' })
  access_token!: string;

  @ApiProperty({ type: String, description: 'Works once: each refresh returns a new one.' })
  refresh_token!: string;

  @ApiProperty({ type: String, enum: ['bearer'] })
  token_type!: 'bearer';

  @ApiProperty({ type: 'integer', description: 'Access token lifetime in seconds.', example: 1800 })
  expires_in!: number;
}

@ApiSchema({ name: 'AuthResult', description: 'Tokens and the user (register, login).' })
export class AuthResultModel extends TokenPairModel implements AuthResponse {
  @ApiProperty({ type: () => UserModel })
  user!: UserModel;
}
