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

/**
 * Longest branch walked (levels of parent_id): a bound on the recursive reads, far above any
 * conversation a person has (the send's context reads at most its own cap of messages).
 */
export const MAX_BRANCH_DEPTH = 100_000;

/**
 * `sibling_index` and `sibling_count` of message row `m` (API.md §11): its place by creation
 * among the messages of the same parent, and their number; roots are the conversation's
 * messages without a parent. Each count reads one index (messages_parent_seq_idx or
 * messages_root_idx).
 */
export function siblingColumnsSql(m: string): string {
  const among = (extra: string) =>
    `CASE WHEN ${m}.parent_id IS NULL
       THEN (SELECT count(*) FROM messages s
              WHERE s.conversation_id = ${m}.conversation_id AND s.parent_id IS NULL${extra})
       ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = ${m}.parent_id${extra}) END::int`;
  return `${among(` AND s.seq <= ${m}.seq`)} AS sibling_index, ${among('')} AS sibling_count`;
}

/**
 * CTEs `descent` and `leaf`: from the message of CTE `start` (one row `id`, or none) on down
 * the newest child at each level; `leaf` is the last one (no row when `start` has none).
 * Children whose ids are in CTE `gone` (when given) are passed over.
 */
export function newestDescentSql(start: string, gone?: string): string {
  return `descent AS (
      SELECT id, 1 AS depth FROM ${start} WHERE id IS NOT NULL
      UNION ALL
      SELECT ch.id, d.depth + 1 FROM descent d
        CROSS JOIN LATERAL (SELECT k.id FROM messages k WHERE k.parent_id = d.id${
          gone ? ` AND k.id NOT IN (SELECT id FROM ${gone})` : ''
        } ORDER BY k.seq DESC LIMIT 1) ch
       WHERE d.depth < ${MAX_BRANCH_DEPTH}),
    leaf AS (SELECT id FROM descent ORDER BY depth DESC LIMIT 1)`;
}

export interface DeletedSubtree {
  conversationId: string;
  /** Nothing was deleted: a reply in the subtree is being generated. */
  streaming: boolean;
  deleted: number;
  /** The current branch ran through the subtree and moved (to `currentMessageId`). */
  moved: boolean;
  currentMessageId: string | null;
}

type PagedRow = Partial<MessageRow> & { total: number };

@Injectable()
export class MessagesRepository {
  constructor(
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
  ) {}

  private repo(tx?: Tx): Repository<MessageEntity> {
    return tx ? tx.getRepository(MessageEntity) : this.messages;
  }

  /**
   * A page of one conversation's messages with their sibling numbers (the caller has checked
   * ownership): its current branch (root → current_message_id), or with `all` every message
   * of the tree. One statement: the branch is walked up from the current message through the
   * primary key (a recursive CTE), never a query per level.
   */
  async listByConversation(
    conversationId: string,
    page: MessagePage & { all?: boolean },
  ): Promise<{ items: MessageEntity[]; total: number }> {
    const asc = page.order === 'asc';
    const params = [conversationId, page.size, (page.page - 1) * page.size];
    const rows: PagedRow[] = await this.messages.query(
      page.all
        ? `WITH t AS (SELECT count(*)::int AS total FROM messages WHERE conversation_id = $1),
                pg AS (SELECT id, seq AS o FROM messages WHERE conversation_id = $1
                        ORDER BY seq ${asc ? 'ASC' : 'DESC'} LIMIT $2 OFFSET $3)
           ${pageSelect(asc)}`
        : `WITH RECURSIVE b AS (
             SELECT m.id, m.parent_id, 1 AS depth
               FROM conversations c
              CROSS JOIN LATERAL (SELECT id, parent_id, conversation_id FROM messages
                                   WHERE id = c.current_message_id LIMIT 1) m
              WHERE c.id = $1 AND m.conversation_id = $1
             UNION ALL
             -- LATERAL with LIMIT: one primary-key lookup per level, never a hash join of
             -- the whole table (see SendRepository.context).
             SELECT p.id, p.parent_id, b.depth + 1
               FROM b CROSS JOIN LATERAL (SELECT id, parent_id FROM messages
                                           WHERE id = b.parent_id LIMIT 1) p
              WHERE b.depth < ${MAX_BRANCH_DEPTH}),
           t AS (SELECT count(*)::int AS total FROM b),
           pg AS (SELECT id, -depth AS o FROM b ORDER BY depth ${asc ? 'DESC' : 'ASC'}
                   LIMIT $2 OFFSET $3)
           ${pageSelect(asc)}`,
      params,
    );
    const total = rows[0]?.total ?? 0;
    const items = rows
      .filter((r): r is PagedRow & MessageRow => typeof r.id === 'string')
      .map(messageFromRow);
    return { items, total };
  }

  /** The current branch of a conversation, root first, with sibling numbers. */
  async branchOf(conversationId: string): Promise<MessageEntity[]> {
    const { items } = await this.listByConversation(conversationId, {
      page: 1,
      size: MAX_BRANCH_DEPTH,
      order: 'asc',
    });
    return items;
  }

  /** Sets each message's sibling numbers as they stand now (one query for all of them). */
  async withSiblings<T extends MessageEntity>(messages: T[]): Promise<T[]> {
    if (messages.length === 0) return messages;
    const rows = await this.messages.query<
      { id: string; sibling_index: number; sibling_count: number }[]
    >(`SELECT m.id, ${siblingColumnsSql('m')} FROM messages m WHERE m.id = ANY($1::uuid[])`, [
      messages.map((m) => m.id),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const m of messages) {
      const row = byId.get(m.id);
      if (row)
        Object.assign(m, { siblingIndex: row.sibling_index, siblingCount: row.sibling_count });
    }
    return messages;
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

  /**
   * Deletes an owned message and its subtree (API.md §11), unless a message of the subtree is
   * streaming; counts them off the conversation and, when its current branch ran through the
   * subtree, moves it to the deleted message's parent (a root's: the newest other root) and on
   * down the newest children — one statement. Null when the message is not the user's.
   */
  async deleteSubtree(id: string, userId: string): Promise<DeletedSubtree | null> {
    const rows = await this.messages.query<
      {
        conversation_id: string;
        streaming: boolean;
        deleted: number;
        moved: boolean;
        current_message_id: string | null;
      }[]
    >(
      `WITH RECURSIVE t AS (SELECT id, parent_id, conversation_id FROM messages
                             WHERE id = $1 AND user_id = $2),
       gone AS (SELECT m.id, m.status, 1 AS depth FROM messages m JOIN t ON m.id = t.id
                UNION ALL
                -- OFFSET 0 keeps the children's lookup a parameterized index scan per level.
                SELECT k.id, k.status, g.depth + 1
                  FROM gone g CROSS JOIN LATERAL (SELECT id, status FROM messages
                                                   WHERE parent_id = g.id OFFSET 0) k
                 WHERE g.depth < ${MAX_BRANCH_DEPTH}),
       streaming AS (SELECT EXISTS (SELECT 1 FROM gone WHERE status = 'streaming') AS yes),
       d AS (DELETE FROM messages m USING t, streaming
              WHERE m.id = t.id AND NOT streaming.yes RETURNING m.id),
       moved AS (SELECT EXISTS (SELECT 1 FROM conversations c JOIN t ON c.id = t.conversation_id
                                  JOIN gone ON gone.id = c.current_message_id) AS yes),
       start AS (SELECT coalesce(t.parent_id,
                   (SELECT r.id FROM messages r
                     WHERE r.conversation_id = t.conversation_id AND r.parent_id IS NULL
                       AND r.id NOT IN (SELECT id FROM gone)
                     ORDER BY r.seq DESC LIMIT 1)) AS id FROM t),
       ${newestDescentSql('start', 'gone')},
       u AS (UPDATE conversations c
                SET message_count = c.message_count - (SELECT count(*) FROM gone),
                    current_message_id = CASE WHEN moved.yes THEN (SELECT id FROM leaf)
                                              ELSE c.current_message_id END,
                    updated_at = now()
               FROM t, moved
              WHERE c.id = t.conversation_id AND EXISTS (SELECT 1 FROM d)
             RETURNING c.current_message_id)
       SELECT t.conversation_id, streaming.yes AS streaming,
              CASE WHEN EXISTS (SELECT 1 FROM d) THEN (SELECT count(*) FROM gone) ELSE 0 END::int
                AS deleted, moved.yes AS moved,
              (SELECT current_message_id FROM u) AS current_message_id
         FROM t, streaming, moved`,
      [id, userId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      conversationId: row.conversation_id,
      streaming: row.streaming,
      deleted: row.streaming ? 0 : row.deleted,
      currentMessageId: row.current_message_id,
      moved: !row.streaming && row.moved,
    };
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

/** The columns of a message row of table or CTE `t`, qualified. */
export const messageColumnsOf = (t: string) => MESSAGE_COLUMNS.map((c) => `${t}.${c}`).join(', ');

/**
 * The page `pg` (ids, and `o` ascending from the oldest) of count `t`, as message rows with
 * sibling numbers; one row with the count alone when the page is empty.
 */
const pageSelect = (asc: boolean) =>
  `SELECT t.total, ${messageColumnsOf('m')}, ${siblingColumnsSql('m')}
     FROM t LEFT JOIN (pg CROSS JOIN LATERAL (SELECT ${MESSAGE_COLUMNS.join(', ')} FROM messages
                                               WHERE id = pg.id LIMIT 1) m) ON true
    ORDER BY pg.o ${asc ? 'ASC' : 'DESC'}`;

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
  /** When the query computed them (siblingColumnsSql). */
  sibling_index?: number;
  sibling_count?: number;
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
    ...(row.sibling_index === undefined
      ? {}
      : { siblingIndex: Number(row.sibling_index), siblingCount: Number(row.sibling_count) }),
  });
}
