import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SqlParams } from '../../database/sql-params';
import type { Tx } from '../../database/transactions';
import type { TitleSource } from '../conversations/conversation.entity';
import type { MessageEntity, MessageRole, MessageStatus } from '../messages/message.entity';
import { MESSAGE_COLUMNS, messageFromRow, MessageRow } from '../messages/messages.repository';
import { queryPrepared } from '../../database/prepared';
import { reserveSql, ReserveInput, Settlement, settleSql } from '../quota/quota.repository';

/** What a reply is built from: the conversation's settings and its latest messages. */
export interface SendContext {
  model: string;
  systemMessage: string | null;
  /** `default`: the conversation waits for an automatic title (AutoTitles). */
  titleSource: TitleSource;
  /** Oldest first; `tokens`: the content's token count as stored with the message. */
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
  parentId: string | null;
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
  user: MessageEntity;
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
}

const COLUMNS = MESSAGE_COLUMNS.join(', ');
/** The columns of a message row of CTE `t`. */
const columnsOf = (t: string) => MESSAGE_COLUMNS.map((c) => `${t}.${c}`).join(', ');

/**
 * The statements of a send, each one atomic round trip (docs/PERFORMANCE.md, P4): read the
 * context, open (reserve quota + store the user message and the empty reply + count them on
 * the conversation), close (store the reply + touch the conversation + settle the quota).
 */
@Injectable()
export class SendRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The owned conversation and its latest `limit` messages; null when not the user's. Their
   * files' ids only in a conversation where a file was ever attached (a flag the send sets).
   */
  async context(
    conversationId: string,
    userId: string,
    limit: number,
  ): Promise<SendContext | null> {
    const rows = await queryPrepared<{
      model: string;
      system_message: string | null;
      title_source: TitleSource;
      history: unknown;
    }>(
      this.dataSource,
      `SELECT c.model, c.system_message, c.title_source,
          (SELECT coalesce(json_agg(json_build_object('id', h.id, 'role', h.role,
                    'content', h.content, 'status', h.status, 'tokens', h.tokens_used,
                    'files', CASE WHEN c.has_attachments THEN
                               (SELECT json_agg(ma.file_id ORDER BY ma.position)
                                  FROM message_attachments ma WHERE ma.message_id = h.id) END)
                    ORDER BY h.seq), '[]'::json)
             FROM (SELECT id, role, content, status, tokens_used, seq FROM messages
                    WHERE conversation_id = c.id ORDER BY seq DESC LIMIT $3) h) AS history
        FROM conversations c WHERE c.id = $1 AND c.user_id = $2`,
      [conversationId, userId, limit],
    );
    const row = rows[0];
    if (!row) return null;
    const history = (
      typeof row.history === 'string' ? JSON.parse(row.history) : row.history
    ) as SendContext['history'];
    return {
      model: row.model,
      systemMessage: row.system_message,
      titleSource: row.title_source,
      history,
    };
  }

  /**
   * Reserves the quota and, only if granted, stores the user message and the empty streaming
   * reply, counts them on the conversation and takes the reply's lease — one statement, so a refusal or a failure
   * (the conversation deleted meanwhile: a foreign-key error) leaves nothing behind, not even
   * the reservation. Null when the quota refused.
   */
  async open(send: OpenSend, tx?: Tx): Promise<OpenedSend | null> {
    const p = new SqlParams();
    const reserve = reserveSql(p, send.reserve);
    const conversation = p.add(send.conversationId, 'uuid');
    const rows = await queryPrepared<MessageRow & { k: number; granted: number }>(
      tx ?? this.dataSource,
      `WITH q AS (${reserve}),
       u AS (INSERT INTO messages
               (conversation_id, user_id, parent_id, role, content, status, model, tokens_used)
             SELECT ${conversation}, ${p.add(send.userId, 'uuid')}, ${p.add(send.parentId, 'uuid')},
                    'user', ${p.add(send.content, 'text')}, 'completed', ${p.add(send.model, 'varchar')},
                    ${p.add(send.tokensUsed, 'int')}
               FROM q
             RETURNING ${COLUMNS}),
       a AS (INSERT INTO messages (conversation_id, user_id, parent_id, role, content, status, model)
             SELECT u.conversation_id, u.user_id, u.id, 'assistant', '', 'streaming', u.model FROM u
             RETURNING ${COLUMNS}),
       c AS (UPDATE conversations SET message_count = message_count + 2, updated_at = now()${
         send.attachments.length === 0 ? '' : ', has_attachments = true'
       }
              WHERE id = ${conversation} AND EXISTS (SELECT 1 FROM a)),
       l AS (INSERT INTO generation_leases
               (message_id, owner, user_id, day, month, granted, prompt_tokens)
             SELECT a.id, ${p.add(send.owner, 'varchar')}, a.user_id, ${p.add(send.reserve.day, 'date')},
                    ${p.add(send.reserve.month, 'date')}, q.last_grant, ${p.add(send.promptTokens, 'int')}
               FROM a, q)${
                 send.attachments.length === 0
                   ? ''
                   : `,
       ma AS (INSERT INTO message_attachments
                (message_id, position, file_id, filename, content_type, size, kind)
              SELECT u.id, x.position, x.file_id, x.filename, x.content_type, x.size, x.kind
                FROM u, jsonb_to_recordset(${p.add(JSON.stringify(send.attachments), 'jsonb')})
                     AS x(position int, file_id uuid, filename text, content_type text,
                          size bigint, kind text))`
               }
       SELECT 1 AS k, q.last_grant AS granted, ${columnsOf('u')} FROM q, u
       UNION ALL
       SELECT 2 AS k, q.last_grant AS granted, ${columnsOf('a')} FROM q, a`,
      p.values,
    );
    const user = rows.find((r) => r.k === 1);
    const assistant = rows.find((r) => r.k === 2);
    if (!user || !assistant) return null;
    return {
      granted: user.granted,
      user: messageFromRow(user),
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
