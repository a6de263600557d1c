import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { QuotaLimits } from './quota-limits';
import { QuotaCounterEntity } from './quota-counter.entity';

export interface Usage {
  requestsToday: number;
  tokensToday: number;
  requestsThisMonth: number;
  tokensThisMonth: number;
}

export interface ReserveInput {
  userId: string;
  day: string;
  month: string;
  limits: QuotaLimits;
  /** Tokens wanted: prompt plus the reply budget. */
  wantTokens: number;
  /** Fewest tokens worth granting: the prompt plus one reply token. */
  minTokens: number;
}

const ZERO: Usage = { requestsToday: 0, tokensToday: 0, requestsThisMonth: 0, tokensThisMonth: 0 };

/** Current usage as the counters of a window that has passed count as zero. */
const USAGE_SQL = {
  dr: `(CASE WHEN q.day = $2::date THEN q.day_requests ELSE 0 END)`,
  dt: `(CASE WHEN q.day = $2::date THEN q.day_tokens ELSE 0 END)`,
  mr: `(CASE WHEN q.month = $3::date THEN q.month_requests ELSE 0 END)`,
  mt: `(CASE WHEN q.month = $3::date THEN q.month_tokens ELSE 0 END)`,
};

@Injectable()
export class QuotaRepository {
  constructor(
    @InjectRepository(QuotaCounterEntity) private readonly counters: Repository<QuotaCounterEntity>,
  ) {}

  /**
   * Reserves one request and up to `wantTokens` tokens (never more than any window has
   * left, never fewer than `minTokens`) in ONE conditional statement: under concurrency the
   * row lock makes each reservation see the previous one, so no window can be overspent.
   * Returns the tokens granted, or null when a window has no room.
   */
  async reserve(r: ReserveInput): Promise<number | null> {
    const { dr, dt, mr, mt } = USAGE_SQL;
    const grant = `LEAST($4::int, $8::int - ${dt}, $9::int - ${mt})`;
    const params = [
      r.userId,
      r.day,
      r.month,
      r.wantTokens,
      r.minTokens,
      r.limits.dailyRequests,
      r.limits.monthlyRequests,
      r.limits.dailyTokens,
      r.limits.monthlyTokens,
    ];
    const attempt = () =>
      this.counters.query<[{ last_grant: number }[], number]>(
        `UPDATE quota_counters q SET
            day = $2::date, month = $3::date,
            day_requests = ${dr} + 1, month_requests = ${mr} + 1,
            last_grant = ${grant},
            day_tokens = ${dt} + ${grant}, month_tokens = ${mt} + ${grant},
            updated_at = now()
          WHERE q.user_id = $1
            AND ${dr} + 1 <= $6::int AND ${mr} + 1 <= $7::int
            AND $8::int - ${dt} >= $5::int AND $9::int - ${mt} >= $5::int
          RETURNING q.last_grant`,
        params,
      );
    let [rows] = await attempt();
    if (rows.length === 0) {
      // No room, or no counters yet (first use). Make sure the row exists, then ask once more:
      // that answer is the real one. (Checking existence instead would race: a concurrent first
      // send may create the row between our UPDATE and the check, and this one would be refused
      // with nothing used.)
      await this.counters.query(
        `INSERT INTO quota_counters (user_id, day, month) VALUES ($1, $2::date, $3::date) ON CONFLICT (user_id) DO NOTHING`,
        [r.userId, r.day, r.month],
      );
      [rows] = await attempt();
    }
    return rows[0]?.last_grant ?? null;
  }

  /**
   * Settles a reservation to what was used: `requests` (0 when the call failed, 1 otherwise)
   * and `tokens`, giving back the rest. A window that has rolled over since is left alone.
   */
  async settle(s: {
    userId: string;
    day: string;
    month: string;
    granted: number;
    requests: 0 | 1;
    tokens: number;
  }): Promise<void> {
    await this.counters.query(
      `UPDATE quota_counters SET
          day_requests = CASE WHEN day = $2::date THEN GREATEST(0, day_requests - 1 + $5::int) ELSE day_requests END,
          day_tokens = CASE WHEN day = $2::date THEN GREATEST(0, day_tokens - $4::int + $6::int) ELSE day_tokens END,
          month_requests = CASE WHEN month = $3::date THEN GREATEST(0, month_requests - 1 + $5::int) ELSE month_requests END,
          month_tokens = CASE WHEN month = $3::date THEN GREATEST(0, month_tokens - $4::int + $6::int) ELSE month_tokens END,
          updated_at = now()
        WHERE user_id = $1`,
      [s.userId, s.day, s.month, s.granted, s.requests, s.tokens],
    );
  }

  async usage(userId: string, day: string, month: string): Promise<Usage> {
    const { dr, dt, mr, mt } = USAGE_SQL;
    const rows = await this.counters.query<{ dr: number; dt: number; mr: number; mt: number }[]>(
      `SELECT ${dr} AS dr, ${dt} AS dt, ${mr} AS mr, ${mt} AS mt FROM quota_counters q WHERE q.user_id = $1`,
      [userId, day, month],
    );
    const row = rows[0];
    if (!row) return ZERO;
    return {
      requestsToday: row.dr,
      tokensToday: row.dt,
      requestsThisMonth: row.mr,
      tokensThisMonth: row.mt,
    };
  }
}
