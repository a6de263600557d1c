import type { ApiKeyEntity } from '../api-key.entity';

/** A key as its owner sees it in the list: never the key, never its hash. */
export interface ApiKeyResponse {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

/** The answer to a creation: the only time `key` is shown. */
export interface CreatedApiKeyResponse extends ApiKeyResponse {
  key: string;
}

export interface ApiKeyListResponse {
  api_keys: ApiKeyResponse[];
}

/** A key as an administrator sees it: revoked ones too. */
export interface AdminApiKeyResponse extends ApiKeyResponse {
  revoked_at: string | null;
}

export interface AdminApiKeyListResponse {
  api_keys: AdminApiKeyResponse[];
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function toApiKeyResponse(key: ApiKeyEntity): ApiKeyResponse {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    created_at: key.createdAt.toISOString(),
    expires_at: iso(key.expiresAt),
    last_used_at: iso(key.lastUsedAt),
  };
}

export function toAdminApiKeyResponse(key: ApiKeyEntity): AdminApiKeyResponse {
  return { ...toApiKeyResponse(key), revoked_at: iso(key.revokedAt) };
}
