import { Injectable } from '@nestjs/common';
import { DEFAULT_QUOTA_LIMITS, QuotaLimits, Tier } from './quota-limits';

export interface QuotaUsage {
  requestsToday: number;
  tokensToday: number;
  requestsThisMonth: number;
  tokensThisMonth: number;
}

export interface QuotaSnapshot {
  limits: QuotaLimits;
  usage: QuotaUsage;
}

/**
 * Per-user quota. Limits come from the user's tier; usage is counted once replies are
 * generated (the generation pipeline), so until then it is zero.
 */
@Injectable()
export class QuotaService {
  limitsFor(user: { isVip: boolean }): QuotaLimits {
    const tier: Tier = user.isVip ? 'vip' : 'normal';
    return DEFAULT_QUOTA_LIMITS[tier];
  }

  snapshot(user: { id: string; isVip: boolean }): Promise<QuotaSnapshot> {
    return Promise.resolve({
      limits: this.limitsFor(user),
      usage: { requestsToday: 0, tokensToday: 0, requestsThisMonth: 0, tokensThisMonth: 0 },
    });
  }
}
