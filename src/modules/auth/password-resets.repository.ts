import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import type { Tx } from '../../database/transactions';
import { PasswordResetEntity } from './password-reset.entity';

@Injectable()
export class PasswordResetsRepository {
  constructor(
    @InjectRepository(PasswordResetEntity) private readonly resets: Repository<PasswordResetEntity>,
  ) {}

  async create(userId: string, tokenHash: string, expiresAt: Date): Promise<void> {
    await this.resets.insert({ userId, tokenHash, expiresAt });
  }

  /** Uses a valid token exactly once; returns its user, or null if unknown, used or expired. */
  async consume(tokenHash: string, tx: Tx): Promise<string | null> {
    // TypeORM answers an UPDATE … RETURNING with [rows, affectedCount].
    const [rows]: [{ user_id: string }[], number] = await tx.query(
      `UPDATE password_resets SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id`,
      [tokenHash],
    );
    return rows[0]?.user_id ?? null;
  }

  /** After a reset, the user's other outstanding tokens stop working too. */
  async invalidateAllOfUser(userId: string, tx: Tx): Promise<void> {
    await tx
      .getRepository(PasswordResetEntity)
      .update({ userId, usedAt: IsNull() }, { usedAt: () => 'now()' });
  }
}
