import type { Env } from '../../config/env';

export type Tier = 'normal' | 'vip';

export interface QuotaLimits {
  dailyRequests: number;
  monthlyRequests: number;
  dailyTokens: number;
  monthlyTokens: number;
  /** Bytes of files the user may store (API.md §10). */
  storageBytes: number;
}

/** Limits per tier from configuration (defaults: API.md §8). */
export function quotaLimitsFrom(env: Env): Record<Tier, QuotaLimits> {
  return {
    normal: {
      dailyRequests: env.QUOTA_NORMAL_DAILY_REQUESTS,
      monthlyRequests: env.QUOTA_NORMAL_MONTHLY_REQUESTS,
      dailyTokens: env.QUOTA_NORMAL_DAILY_TOKENS,
      monthlyTokens: env.QUOTA_NORMAL_MONTHLY_TOKENS,
      storageBytes: env.QUOTA_NORMAL_STORAGE_BYTES,
    },
    vip: {
      dailyRequests: env.QUOTA_VIP_DAILY_REQUESTS,
      monthlyRequests: env.QUOTA_VIP_MONTHLY_REQUESTS,
      dailyTokens: env.QUOTA_VIP_DAILY_TOKENS,
      monthlyTokens: env.QUOTA_VIP_MONTHLY_TOKENS,
      storageBytes: env.QUOTA_VIP_STORAGE_BYTES,
    },
  };
}
