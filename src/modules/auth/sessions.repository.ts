import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, Not } from 'typeorm';
import type { Tx } from '../../database/transactions';
import type { UserRole } from '../users/user.entity';
import { RefreshTokenEntity } from './refresh-token.entity';
import { RevokeReason, SessionEntity } from './session.entity';

/** What an access token resolves to on each request. */
export interface ActiveSession {
  sessionId: string;
  userId: string;
  username: string;
  role: UserRole;
  isActive: boolean;
  isVip: boolean;
}

/** A session as its owner sees it in the list. */
export interface SessionSummary {
  id: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
}

/** A refresh token row, locked for rotation, with the state of its session. */
export interface LockedRefreshToken {
  id: string;
  sessionId: string;
  userId: string;
  expiresAt: Date;
  usedAt: Date | null;
  successorId: string | null;
  successorSealed: string | null;
  sessionRevoked: boolean;
  userActive: boolean;
}

@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(userId: string, meta: { userAgent?: string; ip?: string }, tx: Tx): Promise<string> {
    const repo = tx.getRepository(SessionEntity);
    const saved = await repo.save(
      repo.create({
        userId,
        userAgent: meta.userAgent?.slice(0, 255) ?? null,
        ip: meta.ip?.slice(0, 64) ?? null,
      }),
    );
    return saved.id;
  }

  /** Marks the session used now, unless it was within the last `minAgeSeconds`. */
  async touch(sessionId: string, minAgeSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE sessions SET last_used_at = now()
        WHERE id = $1 AND revoked_at IS NULL
          AND last_used_at <= now() - make_interval(secs => $2)`,
      [sessionId, minAgeSeconds],
    );
  }

  /**
   * The user's sessions that can still be used: not revoked, with a refresh token not yet expired
   * (an access token never outlives the refresh token issued with it). Most recently used first.
   */
  async listActive(userId: string): Promise<SessionSummary[]> {
    const rows: {
      id: string;
      user_agent: string | null;
      ip: string | null;
      created_at: Date;
      last_used_at: Date;
    }[] = await this.dataSource.query(
      `SELECT s.id, s.user_agent, s.ip, s.created_at, s.last_used_at
         FROM sessions s
        WHERE s.user_id = $1 AND s.revoked_at IS NULL
          AND EXISTS (SELECT 1 FROM refresh_tokens rt
                       WHERE rt.session_id = s.id AND rt.expires_at > now())
        ORDER BY s.last_used_at DESC, s.created_at DESC`,
      [userId],
    );
    return rows.map((row) => ({
      id: row.id,
      userAgent: row.user_agent,
      ip: row.ip,
      createdAt: new Date(row.created_at),
      lastUsedAt: new Date(row.last_used_at),
    }));
  }

  /** Revokes one live session of the user; false when there is none such (unknown, another user's, ended). */
  async revokeOwned(sessionId: string, userId: string, reason: RevokeReason): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(SessionEntity)
      .update(
        { id: sessionId, userId, revokedAt: IsNull() },
        { revokedAt: () => 'now()', revokeReason: reason },
      );
    return (result.affected ?? 0) > 0;
  }

  /** One indexed lookup per authenticated request: the session, if not revoked, and its user. */
  async findActive(sessionId: string): Promise<ActiveSession | null> {
    const rows: {
      session_id: string;
      user_id: string;
      username: string;
      role: UserRole;
      is_active: boolean;
      is_vip: boolean;
    }[] = await this.dataSource.query(
      `SELECT s.id AS session_id, u.id AS user_id, u.username, u.role, u.is_active, u.is_vip
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.revoked_at IS NULL`,
      [sessionId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      sessionId: row.session_id,
      userId: row.user_id,
      username: row.username,
      role: row.role,
      isActive: row.is_active,
      isVip: row.is_vip,
    };
  }

  async revoke(sessionId: string, reason: RevokeReason, tx?: Tx): Promise<void> {
    const manager = tx ?? this.dataSource.manager;
    await manager
      .getRepository(SessionEntity)
      .update(
        { id: sessionId, revokedAt: IsNull() },
        { revokedAt: () => 'now()', revokeReason: reason },
      );
  }

  async revokeSessionOfRefreshToken(
    tokenHash: string,
    userId: string,
    reason: RevokeReason,
  ): Promise<string | null> {
    // TypeORM answers an UPDATE … RETURNING with [rows, affectedCount].
    const [rows]: [{ id: string }[], number] = await this.dataSource.query(
      `UPDATE sessions s SET revoked_at = now(), revoke_reason = $3
         FROM refresh_tokens rt
        WHERE rt.token_hash = $1 AND rt.session_id = s.id AND s.user_id = $2 AND s.revoked_at IS NULL
        RETURNING s.id`,
      [tokenHash, userId, reason],
    );
    return rows[0]?.id ?? null;
  }

  /** Ends every session of a user, except `keepSessionId` when given. */
  async revokeAllOfUser(
    userId: string,
    reason: RevokeReason,
    tx: Tx,
    keepSessionId?: string,
  ): Promise<void> {
    await tx
      .getRepository(SessionEntity)
      .update(
        keepSessionId
          ? { userId, revokedAt: IsNull(), id: Not(keepSessionId) }
          : { userId, revokedAt: IsNull() },
        { revokedAt: () => 'now()', revokeReason: reason },
      );
  }

  /** A refresh: the session was used now, from this address and client (when known). */
  async markRefreshed(
    sessionId: string,
    meta: { userAgent?: string; ip?: string },
    tx: Tx,
  ): Promise<void> {
    await tx.getRepository(SessionEntity).update(
      { id: sessionId },
      {
        lastUsedAt: () => 'now()',
        ...(meta.userAgent !== undefined ? { userAgent: meta.userAgent.slice(0, 255) } : {}),
        ...(meta.ip !== undefined ? { ip: meta.ip.slice(0, 64) } : {}),
      },
    );
  }

  async addRefreshToken(
    sessionId: string,
    tokenHash: string,
    expiresAt: Date,
    tx: Tx,
  ): Promise<string> {
    const repo = tx.getRepository(RefreshTokenEntity);
    const saved = await repo.save(repo.create({ sessionId, tokenHash, expiresAt }));
    return saved.id;
  }

  /** Locks the token's row so concurrent refreshes with it run one after the other. */
  async lockRefreshToken(tokenHash: string, tx: Tx): Promise<LockedRefreshToken | null> {
    const rows: {
      id: string;
      session_id: string;
      user_id: string;
      expires_at: Date;
      used_at: Date | null;
      successor_id: string | null;
      successor_sealed: string | null;
      revoked_at: Date | null;
      is_active: boolean;
    }[] = await tx.query(
      `SELECT rt.id, rt.session_id, s.user_id, rt.expires_at, rt.used_at, rt.successor_id,
              rt.successor_sealed, s.revoked_at, u.is_active
         FROM refresh_tokens rt
         JOIN sessions s ON s.id = rt.session_id
         JOIN users u ON u.id = s.user_id
        WHERE rt.token_hash = $1
          FOR UPDATE OF rt`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      sessionId: row.session_id,
      userId: row.user_id,
      expiresAt: new Date(row.expires_at),
      usedAt: row.used_at ? new Date(row.used_at) : null,
      successorId: row.successor_id,
      successorSealed: row.successor_sealed,
      sessionRevoked: row.revoked_at !== null,
      userActive: row.is_active,
    };
  }

  async markRefreshTokenUsed(
    id: string,
    successorId: string,
    successorSealed: string,
    tx: Tx,
  ): Promise<void> {
    await tx
      .getRepository(RefreshTokenEntity)
      .update({ id }, { usedAt: () => 'now()', successorId, successorSealed });
  }

  async isRefreshTokenUnused(id: string, tx: Tx): Promise<boolean> {
    const row = await tx
      .getRepository(RefreshTokenEntity)
      .findOne({ where: { id }, select: { id: true, usedAt: true } });
    return row !== null && row.usedAt === null;
  }
}
