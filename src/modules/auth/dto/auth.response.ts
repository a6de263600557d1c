import type { UserResponse } from '../../users/dto/user.response';

export interface TokenPairResponse {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export interface AuthResponse extends TokenPairResponse {
  user: UserResponse;
}

export function toTokenPair(
  accessToken: string,
  refreshToken: string,
  expiresIn: number,
): TokenPairResponse {
  return {
    access_token: accessToken,
    refresh_token: refreshToken,
    token_type: 'bearer',
    expires_in: expiresIn,
  };
}
