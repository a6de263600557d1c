import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { likeContains } from '../../common/sql';
import type { Tx } from '../../database/transactions';
import type { MessageRole } from '../messages/message.entity';
import { releaseStorageSql, RemovedFile } from '../files/files.repository';
import { newestDescentSql } from '../messages/messages.repository';
import { ConversationEntity, type TitleSource } from './conversation.entity';

export interface LastMessage {
  content: string;
  role: MessageRole;
  createdAt: Date;
}

export interface ConversationListItem {
  conversation: ConversationEntity;
  lastMessage: LastMessage | null;
}

export interface ConversationFilter {
  page: number;
  size: number;
  includeArchived: boolean;
  search?: string;
}

interface ConversationRow {
  id: string;
  user_id: string;
  title: string;
  title_source: TitleSource;
  model: string;
  system_message: string | null;
  is_archived: boolean;
  current_message_id: string | null;
  message_count: number;
  created_at: Date;
  updated_at: Date;
}

interface ListRow extends ConversationRow {
  lm_content: string | null;
  lm_role: MessageRole | null;
  lm_created_at: Date | null;
}

@Injectable()
export class ConversationsRepository {
  constructor(
    @InjectRepository(ConversationEntity)
    private readonly conversations: Repository<ConversationEntity>,
  ) {}

  async create(
    values: Pick<
      ConversationEntity,
      'userId' | 'title' | 'titleSource' | 'model' | 'systemMessage'
    >,
  ): Promise<ConversationEntity> {
    // One statement: the row as stored comes back with it (no re-read that could fail after
    // the commit and make the client retry a create that happened).
    const rows = await this.conversations.query<ListRow[]>(
      `INSERT INTO conversations (user_id, title, title_source, model, system_message)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [values.userId, values.title, values.titleSource, values.model, values.systemMessage],
    );
    return this.fromRow(rows[0]);
  }

  /** The conversation if it belongs to the user; another user's is as good as missing. */
  findOwned(id: string, userId: string, tx?: Tx): Promise<ConversationEntity | null> {
    const repo = tx ? tx.getRepository(ConversationEntity) : this.conversations;
    return repo.findOneBy({ id, userId });
  }

  /** One page, newest activity first, with each conversation's last message (one query, plus the count). */
  async listOwned(
    userId: string,
    filter: ConversationFilter,
  ): Promise<{ items: ConversationListItem[]; total: number }> {
    const where = ['c.user_id = $1'];
    const params: unknown[] = [userId];
    if (!filter.includeArchived) where.push('c.is_archived = false');
    if (filter.search) {
      params.push(likeContains(filter.search));
      const p = `$${params.length}`;
      where.push(
        `(c.title ILIKE ${p} ESCAPE '\\' OR c.id IN (SELECT m.conversation_id FROM messages m WHERE m.user_id = $1 AND m.content ILIKE ${p} ESCAPE '\\'))`,
      );
    }
    const whereSql = where.join(' AND ');
    const [{ total }] = await this.conversations.query<{ total: number }[]>(
      `SELECT count(*)::int AS total FROM conversations c WHERE ${whereSql}`,
      params,
    );
    if (total === 0) return { items: [], total };
    const rows = await this.conversations.query<ListRow[]>(
      `SELECT c.*, lm.content AS lm_content, lm.role AS lm_role, lm.created_at AS lm_created_at
         FROM conversations c
         LEFT JOIN LATERAL (
           SELECT m.content, m.role, m.created_at FROM messages m
            WHERE m.id = c.current_message_id AND m.conversation_id = c.id
         ) lm ON true
        WHERE ${whereSql}
        ORDER BY c.updated_at DESC, c.id DESC
        LIMIT ${filter.size} OFFSET ${(filter.page - 1) * filter.size}`,
      params,
    );
    return {
      total,
      items: rows.map((r) => ({
        conversation: this.fromRow(r),
        lastMessage:
          r.lm_role === null
            ? null
            : {
                content: r.lm_content ?? '',
                role: r.lm_role,
                createdAt: new Date(r.lm_created_at as Date),
              },
      })),
    };
  }

  /** Applies changes to an owned conversation and marks it active; null when not owned. */
  async updateOwned(
    id: string,
    userId: string,
    changes: Partial<Pick<ConversationEntity, 'title' | 'titleSource' | 'isArchived' | 'model'>>,
  ): Promise<ConversationEntity | null> {
    const result = await this.conversations.update(
      { id, userId },
      { ...changes, updatedAt: () => 'now()' },
    );
    if (!result.affected) return null;
    return this.conversations.findOneBy({ id, userId });
  }

  /**
   * Makes the branch through `messageId` current (API.md §11): from that message on down the
   * newest child at each level to a leaf, which becomes `current_message_id` — one statement.
   * Null when the conversation is not the user's; `moved: false` when the message is not one
   * of its messages.
   */
  async switchBranch(
    id: string,
    userId: string,
    messageId: string,
  ): Promise<{ conversation: ConversationEntity | null; found: boolean } | null> {
    const rows = await this.conversations.query<(ListRow & { found: boolean; owned: boolean })[]>(
      `WITH RECURSIVE own AS (SELECT id FROM conversations WHERE id = $1 AND user_id = $2),
       start AS (SELECT m.id FROM messages m JOIN own ON m.conversation_id = own.id WHERE m.id = $3),
       ${newestDescentSql('start')},
       u AS (UPDATE conversations c SET current_message_id = (SELECT id FROM leaf),
                    updated_at = now()
              WHERE c.id IN (SELECT id FROM own) AND EXISTS (SELECT 1 FROM start)
             RETURNING c.*)
       SELECT EXISTS (SELECT 1 FROM own) AS owned, EXISTS (SELECT 1 FROM start) AS found, u.*
         FROM (SELECT 1) x LEFT JOIN u ON true`,
      [id, userId, messageId],
    );
    const row = rows[0];
    if (!row?.owned) return null;
    return { found: row.found, conversation: row.found ? this.fromRow(row) : null };
  }

  /**
   * Deletes an owned conversation (its messages go with it) and the files attached in it that
   * no message of another conversation carries (with their storage), in one statement; null
   * when it is not the user's, else the replies that were streaming in it (their generations
   * must be stopped) and the files whose bytes are to be removed.
   */
  async deleteOwned(
    id: string,
    userId: string,
  ): Promise<{ streaming: string[]; files: RemovedFile[] } | null> {
    const rows = await this.conversations.query<
      { streaming: string[] | null; files: string[] | null }[]
    >(
      `WITH d AS (DELETE FROM conversations WHERE id = $1 AND user_id = $2 RETURNING id),
       used AS (SELECT DISTINCT ma.file_id FROM message_attachments ma
                  JOIN messages m ON m.id = ma.message_id
                 WHERE m.conversation_id IN (SELECT id FROM d)),
       fd AS (DELETE FROM files f
               WHERE f.user_id = $2 AND f.id IN (SELECT file_id FROM used)
                 AND NOT EXISTS (SELECT 1 FROM message_attachments ma
                                   JOIN messages m ON m.id = ma.message_id
                                  WHERE ma.file_id = f.id AND m.conversation_id <> $1)
              RETURNING f.id, f.user_id, f.size),
       su AS (${releaseStorageSql('fd')})
       SELECT array(SELECT m.id FROM messages m
                     WHERE m.conversation_id = d.id AND m.status = 'streaming') AS streaming,
              array(SELECT fd.id FROM fd) AS files
         FROM d`,
      [id, userId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      streaming: row.streaming ?? [],
      files: (row.files ?? []).map((fileId) => ({ id: fileId, userId })),
    };
  }

  async touch(id: string, tx: Tx): Promise<void> {
    await tx.query(`UPDATE conversations SET updated_at = now() WHERE id = $1`, [id]);
  }

  /**
   * Sets an automatic title, only while the conversation still has its default one: a rename
   * (or another automatic title) made meanwhile wins. One statement, no read before it; false
   * when nothing was changed. Not activity: updated_at stays.
   */
  async setAutoTitle(id: string, title: string): Promise<boolean> {
    // As a SELECT: TypeORM answers a bare UPDATE with [rows, count], not the rows.
    const rows = await this.conversations.query<{ id: string }[]>(
      `WITH u AS (UPDATE conversations SET title = $2, title_source = 'auto'
                   WHERE id = $1 AND title_source = 'default' RETURNING id)
       SELECT id FROM u`,
      [id, title],
    );
    return rows.length > 0;
  }

  private fromRow(r: ConversationRow): ConversationEntity {
    return this.conversations.create({
      id: r.id,
      userId: r.user_id,
      title: r.title,
      titleSource: r.title_source,
      model: r.model,
      systemMessage: r.system_message,
      isArchived: r.is_archived,
      currentMessageId: r.current_message_id,
      messageCount: r.message_count,
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    });
  }
}
