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
import { UserEntity } from '../users/user.entity';

/** Where a title comes from: the default (awaiting an automatic one), the first reply, or the user. */
export const TITLE_SOURCES = ['default', 'auto', 'user'] as const;
export type TitleSource = (typeof TITLE_SOURCES)[number];

/** A system message's limit in characters (code points, as char_length counts; API.md §8's message limit). */
export const MAX_SYSTEM_MESSAGE_CHARS = 10_000;

@Entity({ name: 'conversations' })
// Trigram GIN index for ILIKE search; defined in the migration (an operator class TypeORM cannot express).
@Index('conversations_title_trgm_idx', { synchronize: false })
@Index('conversations_user_activity_idx', ['userId', 'updatedAt', 'id'])
@Check('conversations_message_count_ck', `"message_count" >= 0`)
@Check(
  'conversations_system_message_length_ck',
  `"system_message" IS NULL OR char_length("system_message") <= ${MAX_SYSTEM_MESSAGE_CHARS}`,
)
@Check('conversations_title_source_ck', `"title_source" IN ('default', 'auto', 'user')`)
export class ConversationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'conversations_user_fk' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  /** Set with the title: `default` until an automatic title (or a rename) replaces it. */
  @Column({ name: 'title_source', type: 'varchar', length: 8, default: 'user' })
  titleSource!: TitleSource;

  @Column({ type: 'varchar', length: 100 })
  model!: string;

  @Column({ name: 'system_message', type: 'text', nullable: true })
  systemMessage!: string | null;

  @Column({ name: 'is_archived', type: 'boolean', default: false })
  isArchived!: boolean;

  /** A file was attached in it once: sends then read its messages' files (SendRepository.context). */
  @Column({ name: 'has_attachments', type: 'boolean', default: false })
  hasAttachments!: boolean;

  /**
   * The last message of the current branch (API.md §11); null when it has none. No foreign
   * key: the statements that delete messages move it (migrations/1796800000000-ConversationTrees.ts).
   */
  @Column({ name: 'current_message_id', type: 'uuid', nullable: true })
  currentMessageId!: string | null;

  @Column({ name: 'message_count', type: 'integer', default: 0 })
  messageCount!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Last activity: set explicitly on every change (messages included). */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
