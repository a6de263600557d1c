import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { MessageEntity } from '../messages/message.entity';
import { UserEntity } from '../users/user.entity';

@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'idempotency_keys_pk' })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 200, primaryKeyConstraintName: 'idempotency_keys_pk' })
  key!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'idempotency_keys_user_fk' })
  user?: UserEntity;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @Column({ name: 'user_message_id', type: 'uuid' })
  userMessageId!: string;

  @Column({ name: 'assistant_message_id', type: 'uuid' })
  assistantMessageId!: string;

  /** SHA-256 (hex) of the send's canonical body (sendRequestHash); null for keys stored before it was kept. */
  @Column({ name: 'request_hash', type: 'char', length: 64, nullable: true })
  requestHash!: string | null;

  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'assistant_message_id',
    foreignKeyConstraintName: 'idempotency_keys_assistant_fk',
  })
  assistantMessage?: MessageEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
