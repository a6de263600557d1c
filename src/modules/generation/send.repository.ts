import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SqlParams } from '../../database/sql-params';
import type { Tx } from '../../database/transactions';
import type { TitleSource } from '../conversations/conversation.entity';
import type { MessageEntity, MessageRole, MessageStatus } from '../messages/message.entity';
import {
  MESSAGE_COLUMNS,
  messageColumnsOf,
  messageFromRow,
  MessageRow,
} from '../messages/messages.repository';
import { queryPrepared } from '../../database/prepared';
import { reserveSql, ReserveInput, Settlement, settleSql } from '../quota/quota.repository';

/**
 * Where a reply's branch starts: a send's parent in a conversation (undefined: its current
 * message; null: none, a new root), or the user message of the assistant message regenerated.
 */
export type ContextStart =
  { conversationId: string; parentId: string | null | undefined } | { regenerate: string };

/** What a reply is built from: the conversation's settings and the branch it follows. */
export interface SendContext {
  conversationId: string;
  /** The message the branch ends with (the new message's parent); null: none. */
  parentId: string | null;
  /** False when that message is not one of this conversation's. */
  parentFound: boolean;
  /** A regeneration's message's role (only an assistant's can be). */
  regeneratedRole: MessageRole | null;
  model: string;
  systemMessage: string | null;
  /** `default`: the conversation waits for an automatic title (AutoTitles). */
  titleSource: TitleSource;
  /** The branch, root first; `tokens`: the content's token count as stored with the message. */
  history: {
    id: string;
    role: MessageRole;
    content: string;
    status: MessageStatus;
    tokens: number;
    /** Ids of the files a user message carries, in order; null when none. */
    files: string[] | null;
  }[];
}

/** A file attached to the user message, with the fields the message keeps showing. */
export interface OpenAttachment {
  file_id: string;
  position: number;
  filename: string;
  content_type: string;
  size: number;
  kind: string;
}

export interface OpenSend {
  reserve: ReserveInput;
  conversationId: string;
  userId: string;
  /** The new user message's parent (null: a new root). */
  parentId: string | null;
  /** A regeneration: the user message the new reply answers (no user message is stored). */
  replyTo: string | null;
  content: string;
  model: string;
  tokensUsed: number;
  /** The process that will run the reply (its lease names it; see GenerationLeases). */
  owner: string;
  /** The prompt's tokens, kept with the lease to settle the reply if its owner dies. */
  promptTokens: number;
  /** Files attached to the user message (stored in the same statement). */
  attachments: OpenAttachment[];
}

export interface OpenedSend {
  granted: number;
  /** Null for a regeneration. */
  user: MessageEntity | null;
  assistant: MessageEntity;
}

export interface ClosedReply {
  message: MessageEntity;
  /** False when the reply had been closed before (by its owner, or by a sweeper). */
  closed: boolean;
}

export interface ReplyOutcome {
  content: string;
  status: MessageStatus;
  tokensUsed: number;
  promptTokens: number | null;
  completionTokens: number | null;
  /** The catalog model that served the reply (a fallback's after a failover); unset: unchanged. */
  model?: string;
}

const COLUMNS = MESSAGE_COLUMNS.join(', ');
const columnsOf = messageColumnsOf;

/**
 * One message by id, as a LATERAL subquery of a recursive walk: its LIMIT keeps the planner
 * from folding it into a join, so each step is one primary-key lookup whatever the statistics
 * say. Folded, a plan made while `messages` was small (a new database; a named statement is
 * planned once per connection) joins the whole table by hash at every level of the walk —
 * seen in bench P4 as sends slowing down as the table grew.
 */
const BY_ID = (id: string) =>
  `SELECT id, parent_id, conversation_id, role, content, status, tokens_used
     FROM messages WHERE id = ${id} LIMIT 1`;

/**
 * The statements of a send, each one atomic round trip (docs/PERFORMANCE.md, P4): read the
 * context, open (reserve quota + store the user message and the empty reply + count them on
 * the conversation), close (store the reply + touch the conversation + settle the quota).
 */
@Injectable()
export class SendRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The owned conversation and the branch a new message is sent after, up to the root, at
   * most `limit` messages, root first — one statement, walking parent_id up through the
   * primary key (a recursive CTE), never a query per level. The branch starts at the send's
   * `parentId` (a message of the conversation; undefined: its current message; null: none, a
   * new root), or for a regeneration at the parent (the user message) of the
   * user's assistant message `regenerate`. Null when the conversation (or the regenerated
   * message) is not the user's. Their files' ids only in a conversation where a file was
   * ever attached (a flag the send sets).
   */
  async context(start: ContextStart, userId: string, limit: number): Promise<SendContext | null> {
    const regenerate = 'regenerate' in start;
    const conversation = regenerate
      ? `SELECT v.id, v.model, v.system_message, v.title_source, v.has_attachments,
                t.parent_id AS start,
                t.role AS target_role
           FROM messages t JOIN conversations v ON v.id = t.conversation_id
          WHERE t.id = $1 AND t.user_id = $2 AND v.user_id = $2`
      : `SELECT id, model, system_message, title_source, has_attachments,
                NULL::varchar AS target_role,
                CASE WHEN $4::boolean THEN current_message_id ELSE $5::uuid END AS start
           FROM conversations WHERE id = $1 AND user_id = $2`;
    const rows = await queryPrepared<{
      id: string;
      model: string;
      system_message: string | null;
      title_source: TitleSource;
      start: string | null;
      target_role: MessageRole | null;
      history: unknown;
    }>(
      this.dataSource,
      `WITH RECURSIVE c AS (${conversation}),
       h AS (SELECT m.id, m.parent_id, m.role, m.content, m.status, m.tokens_used, 1 AS depth
               FROM c CROSS JOIN LATERAL (${BY_ID('c.start')}) m
              WHERE m.conversation_id = c.id
             UNION ALL
             SELECT p.id, p.parent_id, p.role, p.content, p.status, p.tokens_used, h.depth + 1
               FROM h CROSS JOIN LATERAL (${BY_ID('h.parent_id')}) p WHERE h.depth < $3)
       SELECT c.id, c.model, c.system_message, c.title_source, c.start, c.target_role,
          (SELECT coalesce(json_agg(json_build_object('id', h.id, 'role', h.role,
                    'content', h.content, 'status', h.status, 'tokens', h.tokens_used,
                    'files', CASE WHEN c.has_attachments THEN
                               (SELECT json_agg(ma.file_id ORDER BY ma.position)
                                  FROM message_attachments ma WHERE ma.message_id = h.id) END)
                    ORDER BY h.depth DESC), '[]'::json) FROM h) AS history
        FROM c`,
      regenerate
        ? [start.regenerate, userId, limit]
        : [
            start.conversationId,
            userId,
            limit,
            start.parentId === undefined,
            start.parentId ?? null,
          ],
    );
    const row = rows[0];
    if (!row) return null;
    const history = (
      typeof row.history === 'string' ? JSON.parse(row.history) : row.history
    ) as SendContext['history'];
    return {
      conversationId: row.id,
      model: row.model,
      systemMessage: row.system_message,
      titleSource: row.title_source,
      history,
      // A start that is not a message of this conversation finds no branch.
      parentId: row.start,
      parentFound: row.start === null || history.at(-1)?.id === row.start,
      regeneratedRole: row.target_role,
    };
  }

  /**
   * Reserves the quota and, only if granted, stores the user message and the empty streaming
   * reply (a regeneration: the reply alone, answering `replyTo`), counts them on the
   * conversation, makes the reply its current message and takes the reply's lease — one
   * statement, so a refusal or a failure (the conversation or the parent deleted meanwhile: a
   * foreign-key error) leaves nothing behind, not even the reservation. The new rows come back
   * with their sibling numbers (each is the newest of its parent's). Null when the quota
   * refused.
   */
  async open(send: OpenSend, tx?: Tx): Promise<OpenedSend | null> {
    const p = new SqlParams();
    const reserve = reserveSql(p, send.reserve);
    const conversation = p.add(send.conversationId, 'uuid');
    const user = p.add(send.userId, 'uuid');
    const model = p.add(send.model, 'varchar');
    const parent = p.add(send.replyTo ?? send.parentId, 'uuid');
    // The rows already there with the new row's parent (a root's: the conversation's roots).
    const siblings = (parentId: string | null) =>
      `(SELECT count(*) FROM messages s WHERE ${
        parentId === null
          ? `s.conversation_id = ${conversation} AND s.parent_id IS NULL`
          : `s.parent_id = ${parent}`
      })::int + 1`;
    const regenerate = send.replyTo !== null;
    const rows = await queryPrepared<MessageRow & { k: number; granted: number }>(
      tx ?? this.dataSource,
      `WITH q AS (${reserve}),${
        regenerate
          ? `
       a AS (INSERT INTO messages (conversation_id, user_id, parent_id, role, content, status, model)
             SELECT ${conversation}, ${user}, ${parent}, 'assistant', '', 'streaming', ${model} FROM q
             RETURNING ${COLUMNS}, ${siblings(send.replyTo)} AS sibling_index),`
          : `
       u AS (INSERT INTO messages
               (conversation_id, user_id, parent_id, role, content, status, model, tokens_used)
             SELECT ${conversation}, ${user}, ${parent}, 'user', ${p.add(send.content, 'text')},
                    'completed', ${model}, ${p.add(send.tokensUsed, 'int')}
               FROM q
             RETURNING ${COLUMNS}, ${siblings(send.parentId)} AS sibling_index),
       a AS (INSERT INTO messages (conversation_id, user_id, parent_id, role, content, status, model)
             SELECT u.conversation_id, u.user_id, u.id, 'assistant', '', 'streaming', u.model FROM u
             RETURNING ${COLUMNS}, 1 AS sibling_index),`
      }
       c AS (UPDATE conversations SET message_count = message_count + ${regenerate ? 1 : 2},
                    current_message_id = (SELECT id FROM a), updated_at = now()${
                      send.attachments.length === 0 ? '' : ', has_attachments = true'
                    }
              WHERE id = ${conversation} AND EXISTS (SELECT 1 FROM a)),
       l AS (INSERT INTO generation_leases
               (message_id, owner, user_id, day, month, granted, prompt_tokens)
             SELECT a.id, ${p.add(send.owner, 'varchar')}, a.user_id, ${p.add(send.reserve.day, 'date')},
                    ${p.add(send.reserve.month, 'date')}, q.last_grant, ${p.add(send.promptTokens, 'int')}
               FROM a, q)${
                 send.attachments.length === 0 || regenerate
                   ? ''
                   : `,
       ma AS (INSERT INTO message_attachments
                (message_id, position, file_id, filename, content_type, size, kind)
              SELECT u.id, x.position, x.file_id, x.filename, x.content_type, x.size, x.kind
                FROM u, jsonb_to_recordset(${p.add(JSON.stringify(send.attachments), 'jsonb')})
                     AS x(position int, file_id uuid, filename text, content_type text,
                          size bigint, kind text))`
               }
       ${
         regenerate
           ? ''
           : `SELECT 1 AS k, q.last_grant AS granted, ${columnsOf('u')}, u.sibling_index,
                     u.sibling_index AS sibling_count FROM q, u
       UNION ALL
       `
       }SELECT 2 AS k, q.last_grant AS granted, ${columnsOf('a')}, a.sibling_index,
              a.sibling_index AS sibling_count FROM q, a`,
      p.values,
    );
    const opened = rows.find((r) => r.k === 1);
    const assistant = rows.find((r) => r.k === 2);
    if (!assistant || (!regenerate && !opened)) return null;
    return {
      granted: assistant.granted,
      user: opened ? messageFromRow(opened) : null,
      assistant: messageFromRow(assistant),
    };
  }

  /**
   * Stores a reply's outcome, touches its conversation and settles its quota, in one
   * statement. The stored reply (`closed`: by this call), or null when it is gone (its
   * conversation was deleted; the quota is settled all the same).
   */
  async close(
    messageId: string,
    outcome: ReplyOutcome,
    settlement: Settlement,
  ): Promise<ClosedReply | null> {
    const p = new SqlParams();
    const id = p.add(messageId, 'uuid');
    // Closes once: the reply's lease is taken by the one statement that settles it, so a retry
    // after a lost answer (the first try committed), or a sweeper racing its owner, changes
    // nothing and settles nothing again. A reply that is gone (conversation deleted) is still
    // settled: the lease has no foreign key.
    const settle = `${settleSql(p, settlement)} AND EXISTS (SELECT 1 FROM l)`;
    const rows = await queryPrepared<MessageRow & { closed: boolean }>(
      this.dataSource,
      `WITH m AS (UPDATE messages SET content = ${p.add(outcome.content, 'text')},
                    status = ${p.add(outcome.status, 'varchar')},
                    tokens_used = ${p.add(outcome.tokensUsed, 'int')},
                    prompt_tokens = ${p.add(outcome.promptTokens, 'int')},
                    completion_tokens = ${p.add(outcome.completionTokens, 'int')},
                    model = COALESCE(${p.add(outcome.model ?? null, 'varchar')}, model),
                    updated_at = now()
                  WHERE id = ${id} AND status = 'streaming'
                  RETURNING ${COLUMNS}),
       l AS (DELETE FROM generation_leases WHERE message_id = ${id} RETURNING 1),
       c AS (UPDATE conversations SET updated_at = now()
              WHERE id IN (SELECT conversation_id FROM m)),
       s AS (${settle})
       SELECT true AS closed, ${COLUMNS} FROM m
       UNION ALL
       SELECT false AS closed, ${COLUMNS} FROM messages
        WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM m)`,
      p.values,
    );
    const row = rows[0];
    return row ? { message: messageFromRow(row), closed: row.closed } : null;
  }
}
