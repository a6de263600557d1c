import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { USER_ROLES, type UserRole } from '../user.entity';
import type {
  ProfileResponse,
  QuotaResponse,
  StorageBlock,
  UserQuotaBlock,
  UserResponse,
} from './user.response';

/** OpenAPI descriptions of the user answers; the mappers in user.response.ts produce them. */

@ApiSchema({ name: 'User' })
export class UserModel implements UserResponse {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, example: 'alice' })
  username!: string;

  @ApiProperty({ type: String, format: 'email', example: 'alice@example.com' })
  email!: string;

  @ApiProperty({ type: Boolean })
  is_active!: boolean;

  @ApiProperty({ type: Boolean })
  is_vip!: boolean;

  @ApiProperty({ type: String, enum: [...USER_ROLES] })
  role!: UserRole;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;
}

@ApiSchema({ name: 'Storage', description: 'Files stored against the tier limit (API.md §10).' })
export class StorageModel implements StorageBlock {
  @ApiProperty({ type: 'integer', minimum: 0 })
  limit_bytes!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  used_bytes!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  files!: number;
}

@ApiSchema({ name: 'UserQuota', description: "The user's limits and today's usage." })
export class UserQuotaModel implements UserQuotaBlock {
  @ApiProperty({ type: 'integer', minimum: 0 })
  daily_requests!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  monthly_requests!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  daily_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  monthly_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  requests_used_today!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  tokens_used_today!: number;

  @ApiProperty({ type: () => StorageModel })
  storage!: StorageModel;
}

@ApiSchema({ name: 'Profile' })
export class ProfileModel extends UserModel implements ProfileResponse {
  @ApiProperty({ type: String, format: 'date-time' })
  updated_at!: string;

  @ApiProperty({ type: () => UserQuotaModel })
  quota!: UserQuotaModel;
}

@ApiSchema({ name: 'RequestsAndTokens' })
export class RequestsAndTokensModel {
  @ApiProperty({ type: 'integer', minimum: 0 })
  requests!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  tokens!: number;
}

@ApiSchema({ name: 'Quota', description: 'API.md §3: limits, usage and what is left today.' })
export class QuotaModel implements QuotaResponse {
  @ApiProperty({ type: () => RequestsAndTokensModel })
  daily_limit!: RequestsAndTokensModel;

  @ApiProperty({ type: () => RequestsAndTokensModel })
  monthly_limit!: RequestsAndTokensModel;

  @ApiProperty({ type: () => RequestsAndTokensModel })
  usage_today!: RequestsAndTokensModel;

  @ApiProperty({ type: () => RequestsAndTokensModel })
  usage_this_month!: RequestsAndTokensModel;

  @ApiProperty({
    type: () => RequestsAndTokensModel,
    description: "Today's remainder, also bounded by what is left of the month.",
  })
  remaining_today!: RequestsAndTokensModel;

  @ApiProperty({ type: () => StorageModel })
  storage!: StorageModel;
}
