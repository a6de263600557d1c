import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { SqlParams } from '../../database/sql-params';
import type { QuotaLimits } from './quota-limits';
import { QuotaCounterEntity } from './quota-counter.entity';

export interface Usage {
  requestsToday: number;
  tokensToday: number;
  requestsThisMonth: number;
  tokensThisMonth: number;
  /** Bytes and files the user stores (API.md §10). */
  storageBytes: number;
  storageFiles: number;
}

export interface ReserveInput {
  userId: string;
  day: string;
  month: string;
  limits: QuotaLimits;
  /** Tokens wanted: prompt plus the reply budget. */
  wantTokens: number;
  /** Fewest tokens worth granting: the prompt plus the minimum reply (QuotaService.plan). */
  minTokens: number;
}

/** Current usage as the counters of a window that has passed count as zero. */
function usageSql(day: string, month: string) {
  return {
    dr: `(CASE WHEN q.day = ${day} THEN q.day_requests ELSE 0 END)`,
    dt: `(CASE WHEN q.day = ${day} THEN q.day_tokens ELSE 0 END)`,
    mr: `(CASE WHEN q.month = ${month} THEN q.month_requests ELSE 0 END)`,
    mt: `(CASE WHEN q.month = ${month} THEN q.month_tokens ELSE 0 END)`,
  };
}

export interface Settlement {
  userId: string;
  day: string;
  month: string;
  granted: number;
  requests: 0 | 1;
  tokens: number;
}

/**
 * The reservation statement: one request and up to `wantTokens` tokens (never more than any
 * window has left, never fewer than `minTokens`), returning `last_grant` — or no row when a
 * window has no room. One upsert: a first use inserts the counters row, later ones update it
 * under its row lock, and ON CONFLICT re-checks the conditions against the latest committed
 * row, so concurrent reservations never overspend a window. Other statements can take it as
 * a CTE (a send reserves and stores its messages in one statement).
 */
export function reserveSql(p: SqlParams, r: ReserveInput): string {
  const day = p.add(r.day, 'date');
  const month = p.add(r.month, 'date');
  const { dr, dt, mr, mt } = usageSql(day, month);
  const user = p.add(r.userId, 'uuid');
  const want = p.add(r.wantTokens, 'int');
  const min = p.add(r.minTokens, 'int');
  const dayReq = p.add(r.limits.dailyRequests, 'int');
  const monthReq = p.add(r.limits.monthlyRequests, 'int');
  const dayTok = p.add(r.limits.dailyTokens, 'int');
  const monthTok = p.add(r.limits.monthlyTokens, 'int');
  const grant = `LEAST(${want}, ${dayTok} - ${dt}, ${monthTok} - ${mt})`;
  const fresh = `LEAST(${want}, ${dayTok}, ${monthTok})`;
  // The first-use row passes only if an empty row would: those conditions are implied by the
  // update's, so a refused insert never hides an update that would have passed.
  return `INSERT INTO quota_counters AS q
      (user_id, day, month, day_requests, month_requests, last_grant, day_tokens, month_tokens)
    SELECT ${user}, ${day}, ${month}, 1, 1, ${fresh}, ${fresh}, ${fresh}
    WHERE 1 <= ${dayReq} AND 1 <= ${monthReq} AND ${dayTok} >= ${min} AND ${monthTok} >= ${min}
    ON CONFLICT (user_id) DO UPDATE SET
      day = ${day}, month = ${month},
      day_requests = ${dr} + 1, month_requests = ${mr} + 1,
      last_grant = ${grant},
      day_tokens = ${dt} + ${grant}, month_tokens = ${mt} + ${grant},
      updated_at = now()
    WHERE ${dr} + 1 <= ${dayReq} AND ${mr} + 1 <= ${monthReq}
      AND ${dayTok} - ${dt} >= ${min} AND ${monthTok} - ${mt} >= ${min}
    RETURNING q.last_grant`;
}

/**
 * The settlement statement: bills what was used (`requests` 0 when the call failed) and gives
 * back the rest of the grant. A window that has rolled over since is left alone.
 */
export function settleSql(p: SqlParams, s: Settlement): string {
  const day = p.add(s.day, 'date');
  const month = p.add(s.month, 'date');
  const granted = p.add(s.granted, 'int');
  const requests = p.add(s.requests, 'int');
  const tokens = p.add(s.tokens, 'int');
  return `UPDATE quota_counters SET
      day_requests = CASE WHEN day = ${day} THEN GREATEST(0, day_requests - 1 + ${requests}) ELSE day_requests END,
      day_tokens = CASE WHEN day = ${day} THEN GREATEST(0, day_tokens - ${granted} + ${tokens}) ELSE day_tokens END,
      month_requests = CASE WHEN month = ${month} THEN GREATEST(0, month_requests - 1 + ${requests}) ELSE month_requests END,
      month_tokens = CASE WHEN month = ${month} THEN GREATEST(0, month_tokens - ${granted} + ${tokens}) ELSE month_tokens END,
      updated_at = now()
    WHERE user_id = ${p.add(s.userId, 'uuid')}`;
}

@Injectable()
export class QuotaRepository {
  constructor(
    @InjectRepository(QuotaCounterEntity) private readonly counters: Repository<QuotaCounterEntity>,
  ) {}

  /** Reserves (see reserveSql); the tokens granted, or null when a window has no room. */
  async reserve(r: ReserveInput): Promise<number | null> {
    const p = new SqlParams();
    const rows = await this.counters.query<{ last_grant: number }[]>(reserveSql(p, r), p.values);
    return rows[0]?.last_grant ?? null;
  }

  /** Settles a reservation to what was used (see settleSql). */
  async settle(s: Settlement): Promise<void> {
    const p = new SqlParams();
    await this.counters.query(settleSql(p, s), p.values);
  }

  async usage(userId: string, day: string, month: string): Promise<Usage> {
    const { dr, dt, mr, mt } = usageSql('$2::date', '$3::date');
    const rows = await this.counters.query<
      { dr: number; dt: number; mr: number; mt: number; sb: string | number; sf: number }[]
    >(
      `SELECT ${dr} AS dr, ${dt} AS dt, ${mr} AS mr, ${mt} AS mt,
              coalesce(s.bytes, 0) AS sb, coalesce(s.files, 0) AS sf
         FROM (SELECT $1::uuid AS user_id) u
         LEFT JOIN quota_counters q ON q.user_id = u.user_id
         LEFT JOIN storage_usage s ON s.user_id = u.user_id`,
      [userId, day, month],
    );
    const row = rows[0];
    return {
      requestsToday: row.dr,
      tokensToday: row.dt,
      requestsThisMonth: row.mr,
      tokensThisMonth: row.mt,
      storageBytes: Number(row.sb),
      storageFiles: row.sf,
    };
  }
}
