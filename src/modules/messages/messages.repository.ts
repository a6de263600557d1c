import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Tx } from '../../database/transactions';
import { attachmentsFromJson, MessageAttachment } from './message-attachment';
import { MessageEntity } from './message.entity';

export interface MessagePage {
  page: number;
  size: number;
  order: 'asc' | 'desc';
}

@Injectable()
export class MessagesRepository {
  constructor(
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
  ) {}

  private repo(tx?: Tx): Repository<MessageEntity> {
    return tx ? tx.getRepository(MessageEntity) : this.messages;
  }

  /** A page of one conversation's messages (the caller has checked ownership). */
  async listByConversation(
    conversationId: string,
    page: MessagePage,
  ): Promise<{ items: MessageEntity[]; total: number }> {
    const [items, total] = await this.messages.findAndCount({
      where: { conversationId },
      order: { seq: page.order === 'asc' ? 'ASC' : 'DESC' },
      skip: (page.page - 1) * page.size,
      take: page.size,
    });
    return { items, total };
  }

  /** Every message of a conversation, oldest first. */
  allOfConversation(conversationId: string): Promise<MessageEntity[]> {
    return this.messages.find({ where: { conversationId }, order: { seq: 'ASC' } });
  }

  findById(id: string): Promise<MessageEntity | null> {
    return this.messages.findOneBy({ id });
  }

  /** The message if it belongs to the user; another user's is as good as missing. */
  findOwned(id: string, userId: string, tx?: Tx): Promise<MessageEntity | null> {
    return this.repo(tx).findOneBy({ id, userId });
  }

  /**
   * Sets each message's `attachments` (one query for all of them; none when only replies are
   * given: only user messages carry files).
   */
  async withAttachments<T extends MessageEntity>(messages: T[]): Promise<T[]> {
    const ids = messages.filter((m) => m.role === 'user').map((m) => m.id);
    const byMessage = new Map<string, MessageAttachment[]>();
    if (ids.length > 0) {
      const rows = await this.messages.query<{ message_id: string; attachments: unknown }[]>(
        `SELECT ma.message_id,
                json_agg(json_build_object('id', ma.file_id, 'filename', ma.filename,
                  'content_type', ma.content_type, 'size', ma.size, 'kind', ma.kind,
                  'deleted', f.id IS NULL) ORDER BY ma.position) AS attachments
           FROM message_attachments ma LEFT JOIN files f ON f.id = ma.file_id
          WHERE ma.message_id = ANY($1::uuid[])
          GROUP BY ma.message_id`,
        [ids],
      );
      for (const row of rows) byMessage.set(row.message_id, attachmentsFromJson(row.attachments));
    }
    for (const m of messages) m.attachments = byMessage.get(m.id) ?? [];
    return messages;
  }

  /** Null when the row is gone (a concurrent delete won since it was read). */
  async updateContent(id: string, content: string, tx: Tx): Promise<MessageEntity | null> {
    const result = await this.repo(tx).update({ id }, { content, updatedAt: () => 'now()' });
    if (!result.affected) return null;
    return this.repo(tx).findOneBy({ id });
  }

  /** False when the row was already gone (a concurrent delete won), so it is not counted twice. */
  async delete(id: string, tx: Tx): Promise<boolean> {
    const result = await this.repo(tx).delete({ id });
    return (result.affected ?? 0) > 0;
  }
}

/** The columns of a `messages` row, listed (prepared statements must not select `*`). */
export const MESSAGE_COLUMNS = [
  'id',
  'seq',
  'conversation_id',
  'user_id',
  'parent_id',
  'role',
  'content',
  'status',
  'model',
  'tokens_used',
  'prompt_tokens',
  'completion_tokens',
  'created_at',
  'updated_at',
] as const;

/** A `messages` row as a raw query returns it, as the entity. */
export interface MessageRow {
  id: string;
  seq: string | number;
  conversation_id: string;
  user_id: string;
  parent_id: string | null;
  role: MessageEntity['role'];
  content: string;
  status: MessageEntity['status'];
  model: string | null;
  tokens_used: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: Date | string;
  updated_at: Date | string;
}

export function messageFromRow(row: MessageRow): MessageEntity {
  return Object.assign(new MessageEntity(), {
    id: row.id,
    seq: String(row.seq),
    conversationId: row.conversation_id,
    userId: row.user_id,
    parentId: row.parent_id,
    role: row.role,
    content: row.content,
    status: row.status,
    model: row.model,
    tokensUsed: row.tokens_used,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });
}
