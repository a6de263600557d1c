import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { QuotaLimits, quotaLimitsFrom, Tier } from './quota-limits';
import { QuotaRepository, ReserveInput, Settlement, Usage } from './quota.repository';
import { quotaWindows, QuotaWindows } from './quota-windows';

export type QuotaUsage = Usage;

export interface QuotaSnapshot {
  limits: QuotaLimits;
  usage: QuotaUsage;
}

export type QuotaWindowName =
  'daily_requests' | 'monthly_requests' | 'daily_tokens' | 'monthly_tokens';

/** Reservation attempts when a refusal finds no window full (the room was held, then given back). */
export const RESERVE_ATTEMPTS = 3;

/** A held reservation: settle it exactly once with what was used. */
export interface Reservation {
  userId: string;
  day: string;
  month: string;
  /** Tokens held for the call: the prompt plus the reply budget below. */
  grantedTokens: number;
  /** The most completion tokens the call may produce within the quota. */
  maxCompletionTokens: number;
  /** A token-free call (see QuotaService.plan): its request counts, its tokens are not billed. */
  tokenFree?: boolean;
}

/** A reservation about to be made (see QuotaService.plan). */
export interface QuotaPlan {
  promptTokens: number;
  /** Set for a token-free call: the reply budget it may use, with no tokens held. */
  tokenFree?: { replyBudget: number };
  windows: QuotaWindows;
  input: ReserveInput;
}

interface QuotaUser {
  id: string;
  isVip: boolean;
}

/**
 * Per-user quotas: limits from the user's tier, usage per day and month in the configured
 * time zone. A reply is reserved before the provider is called and settled after.
 */
@Injectable()
export class QuotaService {
  private readonly limits: Record<Tier, QuotaLimits>;

  constructor(
    private readonly config: AppConfig,
    private readonly quota: QuotaRepository,
    private readonly metrics: MetricsService,
  ) {
    this.limits = quotaLimitsFrom(config.env);
  }

  limitsFor(user: { isVip: boolean }): QuotaLimits {
    return this.limits[user.isVip ? 'vip' : 'normal'];
  }

  async snapshot(user: QuotaUser): Promise<QuotaSnapshot> {
    const w = quotaWindows(new Date(), this.config.env.QUOTA_TIMEZONE);
    return { limits: this.limitsFor(user), usage: await this.quota.usage(user.id, w.day, w.month) };
  }

  /**
   * What reserving a reply means for this user now: one request and `promptTokens +
   * replyBudget` tokens, bounded by what is left — but never fewer than the prompt and a
   * minimum reply (QUOTA_MIN_REPLY_TOKENS, or the send's own smaller budget): a send that
   * would be granted a reply of a few tokens is refused instead of billed a request for it.
   * Run it with `reserve`, or inside a larger statement with `reserveSql` (a send does).
   *
   * `tokenFree` (a model that costs nothing, the offline development model): the request is
   * counted and limited as any other, but no tokens are held nor billed, so a user whose token
   * windows are full can still try the service.
   */
  plan(
    user: QuotaUser,
    promptTokens: number,
    replyBudget: number,
    options: { tokenFree?: boolean } = {},
  ): QuotaPlan {
    const windows = quotaWindows(new Date(), this.config.env.QUOTA_TIMEZONE);
    const budget = Math.max(1, replyBudget);
    if (options.tokenFree) {
      return {
        promptTokens,
        tokenFree: { replyBudget: budget },
        windows,
        input: {
          userId: user.id,
          day: windows.day,
          month: windows.month,
          limits: this.limitsFor(user),
          wantTokens: 0,
          minTokens: 0,
        },
      };
    }
    return {
      promptTokens,
      windows,
      input: {
        userId: user.id,
        day: windows.day,
        month: windows.month,
        limits: this.limitsFor(user),
        wantTokens: promptTokens + budget,
        minTokens: promptTokens + Math.min(budget, this.config.env.QUOTA_MIN_REPLY_TOKENS),
      },
    };
  }

  /** The reservation a plan's statement granted (`granted` tokens). */
  granted(plan: QuotaPlan, granted: number): Reservation {
    return {
      userId: plan.input.userId,
      day: plan.input.day,
      month: plan.input.month,
      grantedTokens: granted,
      ...(plan.tokenFree
        ? { maxCompletionTokens: plan.tokenFree.replyBudget, tokenFree: true }
        : { maxCompletionTokens: granted - plan.promptTokens }),
    };
  }

  /**
   * The QUOTA_EXCEEDED error of a plan whose statement granted nothing, naming the window.
   * The usage is read after the refusal: when no window is full any more, what refused it was
   * held by calls that have settled since, and the answer is null (ask again) — unless this
   * is the `last` try, which names the window with the least room left.
   */
  async refusal(plan: QuotaPlan, last = true): Promise<AppError | null> {
    const { input, windows } = plan;
    const usage = await this.quota.usage(input.userId, input.day, input.month);
    const error = this.exceeded(input.limits, usage, input.minTokens, windows, last);
    if (error) this.metrics.quotaRejected(error.details?.window as QuotaWindowName);
    return error;
  }

  /**
   * Holds one request and `promptTokens + replyBudget` tokens (bounded by what is left).
   * Throws QUOTA_EXCEEDED naming the window, when it resets and the tokens needed when there
   * is no room for the prompt and the minimum reply (see `plan`).
   */
  async reserve(
    user: QuotaUser,
    promptTokens: number,
    replyBudget: number,
    options: { tokenFree?: boolean } = {},
  ): Promise<Reservation> {
    const plan = this.plan(user, promptTokens, replyBudget, options);
    const { reservation } = await this.reserveWith(plan, async () => {
      const granted = await this.quota.reserve(plan.input);
      return granted === null ? null : { granted };
    });
    return reservation;
  }

  /**
   * The one reservation loop: runs `grant` — a statement that reserves `plan` (reserveSql) and
   * may do more in the same statement, a send stores its messages — until it grants, and
   * answers what it returned with the reservation. Each refusal is explained from a later read
   * of the usage; when no window is full by then, the room was held by calls that have settled
   * since, and it asks again (RESERVE_ATTEMPTS in all) before naming the tightest window.
   */
  async reserveWith<T extends { granted: number }>(
    plan: QuotaPlan,
    grant: () => Promise<T | null>,
  ): Promise<{ granted: T; reservation: Reservation }> {
    for (let attempt = 1; ; attempt++) {
      const granted = await grant();
      if (granted) return { granted, reservation: this.granted(plan, granted.granted) };
      const refusal = await this.refusal(plan, attempt >= RESERVE_ATTEMPTS);
      if (refusal) throw refusal;
    }
  }

  /** What settling a reservation writes: `requests` 0 when the call failed; the rest given back. */
  settlement(reservation: Reservation, used: { requests: 0 | 1; tokens: number }): Settlement {
    return {
      userId: reservation.userId,
      day: reservation.day,
      month: reservation.month,
      granted: reservation.grantedTokens,
      requests: used.requests,
      tokens: Math.max(0, Math.round(used.tokens)),
    };
  }

  /** Bills what a call used (`requests` 0 when it failed) and gives back the rest. */
  async settle(reservation: Reservation, used: { requests: 0 | 1; tokens: number }): Promise<void> {
    await this.quota.settle(this.settlement(reservation, used));
  }

  private exceeded(
    limits: QuotaLimits,
    usage: Usage,
    minTokens: number,
    w: { dayResetsAt: Date; monthResetsAt: Date },
    last: boolean,
  ): AppError | null {
    const windows: {
      name: QuotaWindowName;
      limit: number;
      used: number;
      full: boolean;
      /** What is left beyond this call's need (negative: short by that much). */
      room: number;
      resetsAt: Date;
    }[] = [
      {
        name: 'daily_requests',
        limit: limits.dailyRequests,
        used: usage.requestsToday,
        full: usage.requestsToday + 1 > limits.dailyRequests,
        room: limits.dailyRequests - usage.requestsToday - 1,
        resetsAt: w.dayResetsAt,
      },
      {
        name: 'monthly_requests',
        limit: limits.monthlyRequests,
        used: usage.requestsThisMonth,
        full: usage.requestsThisMonth + 1 > limits.monthlyRequests,
        room: limits.monthlyRequests - usage.requestsThisMonth - 1,
        resetsAt: w.monthResetsAt,
      },
      {
        name: 'daily_tokens',
        limit: limits.dailyTokens,
        used: usage.tokensToday,
        full: limits.dailyTokens - usage.tokensToday < minTokens,
        room: limits.dailyTokens - usage.tokensToday - minTokens,
        resetsAt: w.dayResetsAt,
      },
      {
        name: 'monthly_tokens',
        limit: limits.monthlyTokens,
        used: usage.tokensThisMonth,
        full: limits.monthlyTokens - usage.tokensThisMonth < minTokens,
        room: limits.monthlyTokens - usage.tokensThisMonth - minTokens,
        resetsAt: w.monthResetsAt,
      },
    ];
    // The window that keeps the user waiting longest is the one to name.
    const full = windows
      .filter((x) => x.full)
      .sort((a, b) => b.resetsAt.getTime() - a.resetsAt.getTime());
    if (full.length === 0 && !last) return null;
    // Nothing full at the read (room held by calls in flight then): the tightest window.
    const named = full[0] ?? [...windows].sort((a, b) => a.room - b.room)[0];
    return new AppError('QUOTA_EXCEEDED', 'error.quota', {
      window: named.name,
      limit: named.limit,
      used: named.used,
      resets_at: named.resetsAt.toISOString(),
      ...(named.name.endsWith('tokens') ? { tokens_needed: minTokens } : {}),
    });
  }
}
