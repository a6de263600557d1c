import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import type { AuthUser } from '../auth/auth-user';
import { ApiKeyActivity } from './api-key-activity';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeySecret } from './api-key-secret';
import { ApiKeysRepository, type ResolvedApiKey } from './api-keys.repository';

export interface VerifiedApiKey {
  user: AuthUser;
  /** When the key expires (ms since epoch), or null when it does not. */
  expiresAt: number | null;
}

/**
 * What makes an API key good, for HTTP (JwtAuthGuard) and the WebSocket handshake: a key of
 * our shape whose HMAC names an unrevoked, unexpired key of an active user. Every failure is
 * the same 401 (an unknown, revoked or expired key, or a deactivated user): a key holder
 * learns nothing about which.
 */
@Injectable()
export class ApiKeyVerifier {
  constructor(
    private readonly secret: ApiKeySecret,
    private readonly keys: ApiKeysRepository,
    private readonly cache: ApiKeyCache,
    private readonly activity: ApiKeyActivity,
  ) {}

  async verify(token: string): Promise<VerifiedApiKey> {
    const hash = this.secret.hashOf(token);
    if (hash === null) throw AppError.unauthenticated('error.invalid_token');
    const key = await this.cache.byHashOr(hash, () => this.keys.findByHash(hash));
    return this.accept(key);
  }

  /** The user of a key already accepted (a socket opened with it re-reads its user per frame). */
  async keyUser(keyId: string): Promise<AuthUser> {
    const key = await this.cache.byIdOr(keyId, () => this.keys.findById(keyId));
    return this.accept(key).user;
  }

  private accept(key: ResolvedApiKey | null): VerifiedApiKey {
    if (!key || !key.userActive || (key.expiresAt && key.expiresAt.getTime() <= Date.now()))
      throw AppError.unauthenticated('error.invalid_token');
    this.activity.used(key.keyId);
    return {
      user: {
        id: key.userId,
        sessionId: key.keyId,
        apiKeyId: key.keyId,
        username: key.username,
        role: key.role,
        isVip: key.isVip,
      },
      expiresAt: key.expiresAt?.getTime() ?? null,
    };
  }
}
