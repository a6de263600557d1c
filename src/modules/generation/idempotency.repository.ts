import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import type { Tx } from '../../database/transactions';
import { IdempotencyKeyEntity } from './idempotency-key.entity';

const KEEP_MS = 24 * 60 * 60 * 1000;

@Injectable()
export class IdempotencyRepository {
  constructor(
    @InjectRepository(IdempotencyKeyEntity) private readonly keys: Repository<IdempotencyKeyEntity>,
  ) {}

  /** The live (< 24 h) record of a user's key, if any. */
  findLive(userId: string, key: string): Promise<IdempotencyKeyEntity | null> {
    return this.keys.findOneBy({
      userId,
      key,
      createdAt: MoreThan(new Date(Date.now() - KEEP_MS)),
    });
  }

  /**
   * Claims the key for this send inside its transaction; false when a live record already
   * holds it (a concurrent retry won). An expired record is taken over.
   */
  async claim(record: Omit<IdempotencyKeyEntity, 'createdAt'>, tx: Tx): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO idempotency_keys AS k (user_id, key, conversation_id, user_message_id, assistant_message_id, request_hash)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id, key) DO UPDATE SET
         conversation_id = EXCLUDED.conversation_id, user_message_id = EXCLUDED.user_message_id,
         assistant_message_id = EXCLUDED.assistant_message_id, request_hash = EXCLUDED.request_hash,
         created_at = now()
       WHERE k.created_at < now() - interval '24 hours'
       RETURNING k.key`,
      [
        record.userId,
        record.key,
        record.conversationId,
        record.userMessageId,
        record.assistantMessageId,
        record.requestHash,
      ],
    );
    return rows.length > 0;
  }
}
