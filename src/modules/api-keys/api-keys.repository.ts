import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import type { Tx } from '../../database/transactions';
import type { UserRole } from '../users/user.entity';
import { ApiKeyEntity } from './api-key.entity';

/** What a presented key resolves to: the key's state and its user's, read in one statement. */
export interface ResolvedApiKey {
  keyId: string;
  userId: string;
  username: string;
  role: UserRole;
  isVip: boolean;
  userActive: boolean;
  expiresAt: Date | null;
}

interface ResolvedRow {
  key_id: string;
  user_id: string;
  username: string;
  role: UserRole;
  is_vip: boolean;
  is_active: boolean;
  expires_at: Date | string | null;
}

const toResolved = (row: ResolvedRow): ResolvedApiKey => ({
  keyId: row.key_id,
  userId: row.user_id,
  username: row.username,
  role: row.role,
  isVip: row.is_vip,
  userActive: row.is_active,
  expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
});

const RESOLVE = `SELECT k.id AS key_id, u.id AS user_id, u.username, u.role, u.is_vip, u.is_active,
                        k.expires_at
                   FROM api_keys k JOIN users u ON u.id = k.user_id`;

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Locks the user's row for the count-then-insert of a creation, so two concurrent creations
   * cannot both see 19 live keys. False when the user is gone.
   */
  async lockUser(userId: string, tx: Tx): Promise<boolean> {
    const rows: unknown[] = await tx.query(`SELECT id FROM users WHERE id = $1 FOR UPDATE`, [
      userId,
    ]);
    return rows.length > 0;
  }

  /** Keys of the user not revoked and not expired. */
  async countLive(userId: string, tx: Tx): Promise<number> {
    const rows: { n: number | string }[] = await tx.query(
      `SELECT count(*)::int AS n FROM api_keys
        WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [userId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async insert(
    input: { userId: string; name: string; prefix: string; hash: string; expiresInDays?: number },
    tx: Tx,
  ): Promise<ApiKeyEntity> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO api_keys (user_id, name, prefix, hash, expires_at)
       VALUES ($1, $2, $3, $4,
               CASE WHEN $5::int IS NULL THEN NULL ELSE now() + make_interval(days => $5::int) END)
       RETURNING id`,
      [input.userId, input.name, input.prefix, input.hash, input.expiresInDays ?? null],
    );
    return tx.getRepository(ApiKeyEntity).findOneByOrFail({ id: rows[0].id });
  }

  /** The user's keys, newest first; revoked ones only with `includeRevoked` (expired ones always). */
  listByUser(userId: string, options: { includeRevoked: boolean }): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({
      where: options.includeRevoked ? { userId } : { userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  /** Revokes one unrevoked key of the user; false when there is none such. */
  async revokeOwned(keyId: string, userId: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(ApiKeyEntity)
      .update({ id: keyId, userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }

  /** One indexed lookup per request that presents a key (cache miss): the key if unrevoked. */
  async findByHash(hash: string): Promise<ResolvedApiKey | null> {
    const rows: ResolvedRow[] = await this.dataSource.query(
      `${RESOLVE} WHERE k.hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    return rows[0] ? toResolved(rows[0]) : null;
  }

  /** The same by id (a WebSocket opened with a key re-reads its user per frame). */
  async findById(keyId: string): Promise<ResolvedApiKey | null> {
    const rows: ResolvedRow[] = await this.dataSource.query(
      `${RESOLVE} WHERE k.id = $1 AND k.revoked_at IS NULL`,
      [keyId],
    );
    return rows[0] ? toResolved(rows[0]) : null;
  }

  /** Marks the key used now, unless it was within the last `minAgeSeconds` (another replica). */
  async touch(keyId: string, minAgeSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE api_keys SET last_used_at = now()
        WHERE id = $1 AND revoked_at IS NULL
          AND (last_used_at IS NULL OR last_used_at <= now() - make_interval(secs => $2))`,
      [keyId, minAgeSeconds],
    );
  }
}
