import { Inject, Injectable } from '@nestjs/common';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { Transactions } from '../../database/transactions';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import type { AuthUser } from '../auth/auth-user';
import { UsersRepository } from '../users/users.repository';
import { ApiKeySecret } from './api-key-secret';
import { ApiKeysRepository } from './api-keys.repository';
import type { CreateApiKeyDto } from './dto/api-key.dto';
import {
  type AdminApiKeyListResponse,
  type ApiKeyListResponse,
  type CreatedApiKeyResponse,
  toAdminApiKeyResponse,
  toApiKeyResponse,
} from './dto/api-key.response';

/** Live (unrevoked, unexpired) keys a user may hold at once. */
export const MAX_LIVE_API_KEYS = 20;

/**
 * API keys (API.md §12): a user's own (create, list, revoke) and an administrator's view of
 * anyone's. A revocation is announced as the end of a session whose id is the key's: every
 * replica drops the key from its cache, closes its sockets and ends its streams.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly tx: Transactions,
    private readonly keys: ApiKeysRepository,
    private readonly users: UsersRepository,
    private readonly secret: ApiKeySecret,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  /** A new key; 422 past MAX_LIVE_API_KEYS live ones (counted under a lock on the user). */
  async create(actor: AuthUser, dto: CreateApiKeyDto): Promise<CreatedApiKeyResponse> {
    const { key, hash, prefix } = this.secret.generate();
    const created = await this.tx.run(async (tx) => {
      if (!(await this.keys.lockUser(actor.id, tx)))
        throw AppError.unauthenticated('error.invalid_token');
      if ((await this.keys.countLive(actor.id, tx)) >= MAX_LIVE_API_KEYS) {
        const issue = fieldIssue('api_keys', 'issue.api_key_limit');
        throw new AppError('VALIDATION_ERROR', 'error.validation', {
          ...issue,
          limit: MAX_LIVE_API_KEYS,
        });
      }
      return this.keys.insert(
        { userId: actor.id, name: dto.name, prefix, hash, expiresInDays: dto.expires_in_days },
        tx,
      );
    });
    return { ...toApiKeyResponse(created), key };
  }

  async list(actor: AuthUser): Promise<ApiKeyListResponse> {
    const keys = await this.keys.listByUser(actor.id, { includeRevoked: false });
    return { api_keys: keys.map(toApiKeyResponse) };
  }

  /** Revokes one of the caller's keys; another user's, an unknown or a revoked one: 404. */
  async revoke(actor: AuthUser, keyId: string): Promise<null> {
    await this.revokeOf(actor.id, keyId);
    return null;
  }

  /** Every key of a user, revoked ones included (never a key or a hash). */
  async listOfUser(userId: string): Promise<AdminApiKeyListResponse> {
    if (!(await this.users.findById(userId))) throw AppError.notFound('error.user_not_found');
    const keys = await this.keys.listByUser(userId, { includeRevoked: true });
    return { api_keys: keys.map(toAdminApiKeyResponse) };
  }

  /** An administrator revokes a user's key: 404 unless the key is that user's and unrevoked. */
  async revokeOfUser(userId: string, keyId: string): Promise<null> {
    await this.revokeOf(userId, keyId);
    return null;
  }

  private async revokeOf(userId: string, keyId: string): Promise<void> {
    if (!(await this.keys.revokeOwned(keyId, userId))) throw AppError.notFound();
    await this.bus.publish('session.revoked', { userId, sessionIds: [keyId] });
  }
}
