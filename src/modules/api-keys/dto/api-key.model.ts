import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type {
  AdminApiKeyListResponse,
  AdminApiKeyResponse,
  ApiKeyListResponse,
  ApiKeyResponse,
  CreatedApiKeyResponse,
} from './api-key.response';

@ApiSchema({
  name: 'ApiKey',
  description: 'An API key of the caller (the key itself is never shown again).',
})
export class ApiKeyModel implements ApiKeyResponse {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, example: 'nightly-report script' })
  name!: string;

  @ApiProperty({
    type: String,
    description: "The key's first characters, to tell keys apart.",
    example: 'sk-Xy3kQ9aB',
  })
  prefix!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the key stops working; null: never.',
  })
  expires_at!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'Last accepted use, to the minute (written at most once a minute); null: never used.',
  })
  last_used_at!: string | null;
}

@ApiSchema({
  name: 'CreatedApiKey',
  description: 'A new API key, with the key itself: shown only here.',
})
export class CreatedApiKeyModel extends ApiKeyModel implements CreatedApiKeyResponse {
  @ApiProperty({
    type: String,
    description:
      'The key (`sk-` and 43 base64url characters: 32 random bytes). Send it as `Authorization: Bearer <key>`. ' +
      'Only its hash is stored: it cannot be shown again.',
    example: 'sk-Xy3kQ9aB…',
  })
  key!: string;
}

@ApiSchema({ name: 'ApiKeyList' })
export class ApiKeyListModel implements ApiKeyListResponse {
  @ApiProperty({
    type: () => [ApiKeyModel],
    description: 'Keys not revoked (expired ones included), newest first.',
  })
  api_keys!: ApiKeyModel[];
}

@ApiSchema({ name: 'AdminApiKey', description: "A user's API key as an administrator sees it." })
export class AdminApiKeyModel extends ApiKeyModel implements AdminApiKeyResponse {
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revoked_at!: string | null;
}

@ApiSchema({ name: 'AdminApiKeyList' })
export class AdminApiKeyListModel implements AdminApiKeyListResponse {
  @ApiProperty({
    type: () => [AdminApiKeyModel],
    description: 'Every key of the user, revoked ones included, newest first.',
  })
  api_keys!: AdminApiKeyModel[];
}
