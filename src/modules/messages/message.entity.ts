import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { ConversationEntity } from '../conversations/conversation.entity';
import { UserEntity } from '../users/user.entity';
import type { MessageAttachment } from './message-attachment';

export const MESSAGE_ROLES = ['system', 'user', 'assistant'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];
export const MESSAGE_STATUSES = ['streaming', 'completed', 'stopped', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export const MAX_USER_MESSAGE_CHARS = 10_000;

@Entity({ name: 'messages' })
// Trigram GIN index for ILIKE search; defined in the migration (an operator class TypeORM cannot express).
@Index('messages_content_trgm_idx', { synchronize: false })
@Index('messages_conversation_seq_idx', ['conversationId', 'seq'])
// A message's children in creation order; a conversation's roots (API.md §11's tree).
@Index('messages_parent_seq_idx', ['parentId', 'seq'])
@Index('messages_root_idx', ['conversationId', 'seq'], { where: `"parent_id" IS NULL` })
// Usage reports (GET /admin/usage) sum replies over a range of days.
@Index('messages_assistant_created_idx', ['createdAt'], { where: `"role" = 'assistant'` })
@Check('messages_role_ck', `"role" IN ('system', 'user', 'assistant')`)
@Check('messages_status_ck', `"status" IN ('streaming', 'completed', 'stopped', 'failed')`)
@Check('messages_user_content_length_ck', `"role" <> 'user' OR char_length("content") <= 10000`)
@Check('messages_tokens_ck', `"tokens_used" >= 0`)
export class MessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Stable order within a conversation (rows of one transaction share created_at). */
  @Index('messages_seq_uq', { unique: true })
  @Column({
    type: 'bigint',
    generated: 'identity',
    generatedIdentity: 'ALWAYS',
    insert: false,
    update: false,
  })
  seq!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => ConversationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id', foreignKeyConstraintName: 'messages_conversation_fk' })
  conversation?: ConversationEntity;

  @Index('messages_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'messages_user_fk' })
  user?: UserEntity;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  /** Deleting a message deletes its subtree. */
  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'messages_parent_fk' })
  parent?: MessageEntity | null;

  @Column({ type: 'varchar', length: 16 })
  role!: MessageRole;

  @Column({ type: 'text', default: '' })
  content!: string;

  @Column({ type: 'varchar', length: 16, default: 'completed' })
  status!: MessageStatus;

  @Column({ type: 'varchar', length: 100, nullable: true })
  model!: string | null;

  @Column({ name: 'tokens_used', type: 'integer', default: 0 })
  tokensUsed!: number;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens!: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  /** Its files (API.md §10), when the reader loaded them; not a column. */
  attachments?: MessageAttachment[];

  /** 1-based place among the messages of the same parent, by creation; not a column. */
  siblingIndex?: number;

  /** How many messages share its parent (itself included); not a column. */
  siblingCount?: number;
}
