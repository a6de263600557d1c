import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryPrepared } from '../../database/prepared';
import { SqlParams } from '../../database/sql-params';
import {
  reserveSql,
  type ReserveInput,
  type Settlement,
  settleSql,
} from '../quota/quota.repository';

/** A running reply's lease, as a sweeper finds it once its owner is gone. */
export interface OrphanLease {
  messageId: string;
  userId: string;
  day: string;
  month: string;
  granted: number;
  promptTokens: number;
  /** The reply's row content (what was checkpointed, when the log is not shared). */
  content: string;
}

/**
 * Owners and leases of running replies (see the GenerationLeases migration). Leases are
 * written by the send's own statements (SendRepository open/close); this is the rest: the
 * owner's renewal, its checkpoint, and the sweeper's search.
 */
@Injectable()
export class GenerationLeasesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Reserves `reserve` and, in the same statement, writes the lease `id` of a call that stores
   * no message (an OpenAI-compatible completion): if its process dies, a sweeper settles the
   * reservation as it does a reply's (the lease has no foreign key). The tokens granted, or
   * null when a window has no room.
   */
  async reserveWithLease(
    reserve: ReserveInput,
    lease: { id: string; owner: string; promptTokens: number },
  ): Promise<{ granted: number } | null> {
    const p = new SqlParams();
    const rows = await queryPrepared<{ last_grant: number }>(
      this.dataSource,
      `WITH q AS (${reserveSql(p, reserve)}),
       l AS (INSERT INTO generation_leases
               (message_id, owner, user_id, day, month, granted, prompt_tokens)
             SELECT ${p.add(lease.id, 'uuid')}, ${p.add(lease.owner, 'varchar')},
                    ${p.add(reserve.userId, 'uuid')}, ${p.add(reserve.day, 'date')},
                    ${p.add(reserve.month, 'date')}, q.last_grant, ${p.add(lease.promptTokens, 'int')}
               FROM q)
       SELECT last_grant FROM q`,
      p.values,
    );
    return rows[0] ? { granted: rows[0].last_grant } : null;
  }

  /**
   * Settles the reservation of lease `id` and ends the lease, once: a sweeper that closed it
   * first (its owner was taken for dead) already settled it, and nothing is settled again.
   */
  async closeLease(id: string, settlement: Settlement): Promise<void> {
    const p = new SqlParams();
    const lease = p.add(id, 'uuid');
    await queryPrepared(
      this.dataSource,
      `WITH l AS (DELETE FROM generation_leases WHERE message_id = ${lease} RETURNING 1)
       ${settleSql(p, settlement)} AND EXISTS (SELECT 1 FROM l)`,
      p.values,
    );
  }

  /** Keeps `owner` alive for `ttlMs` from now (database time). */
  async renew(owner: string, ttlMs: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO generation_owners (id, expires_at)
       VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [owner, ttlMs],
    );
  }

  /** Ends `owner`'s lease now (a graceful stop): whatever it left is swept at once. */
  async release(owner: string): Promise<void> {
    await this.dataSource.query(`UPDATE generation_owners SET expires_at = now() WHERE id = $1`, [
      owner,
    ]);
    await this.dataSource.query(
      `DELETE FROM generation_owners WHERE expires_at < now() - interval '1 day'`,
    );
  }

  /** Stores each running reply's text so far (streaming rows only). */
  async checkpoint(replies: { id: string; content: string }[]): Promise<void> {
    if (replies.length === 0) return;
    await this.dataSource.query(
      `UPDATE messages m SET content = v.content
         FROM unnest($1::uuid[], $2::text[]) AS v(id, content)
        WHERE m.id = v.id AND m.status = 'streaming' AND m.content IS DISTINCT FROM v.content`,
      [replies.map((r) => r.id), replies.map((r) => r.content)],
    );
  }

  /**
   * Leases nobody runs any more: their owner's lease expired (or, for a lease older than
   * `ttlMs`, the owner never renewed at all), or they are `self`'s and not among `running`
   * (a reply whose closing statement failed for good). `only`: that reply alone.
   */
  async orphans(
    self: string,
    running: string[],
    ttlMs: number,
    limit: number,
    only?: string,
  ): Promise<OrphanLease[]> {
    const rows = await this.dataSource.query<
      {
        message_id: string;
        user_id: string;
        day: string;
        month: string;
        granted: number;
        prompt_tokens: number;
        content: string | null;
      }[]
    >(
      `SELECT l.message_id, l.user_id, to_char(l.day, 'YYYY-MM-DD') AS day,
              to_char(l.month, 'YYYY-MM-DD') AS month, l.granted, l.prompt_tokens, m.content
         FROM generation_leases l
         LEFT JOIN generation_owners o ON o.id = l.owner
         LEFT JOIN messages m ON m.id = l.message_id
        WHERE ($5::uuid IS NULL OR l.message_id = $5)
          AND CASE WHEN l.owner = $1 THEN NOT (l.message_id = ANY($2::uuid[]))
                     AND l.created_at < now() - $3 * interval '1 millisecond'
                   WHEN o.id IS NULL THEN l.created_at < now() - $3 * interval '1 millisecond'
                   ELSE o.expires_at <= now() END
        ORDER BY l.created_at
        LIMIT $4`,
      [self, running, ttlMs, limit, only ?? null],
    );
    return rows.map((r) => ({
      messageId: r.message_id,
      userId: r.user_id,
      day: r.day,
      month: r.month,
      granted: r.granted,
      promptTokens: r.prompt_tokens,
      content: r.content ?? '',
    }));
  }
}
