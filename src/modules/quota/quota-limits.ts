export type Tier = 'normal' | 'vip';

export interface QuotaLimits {
  dailyRequests: number;
  monthlyRequests: number;
  dailyTokens: number;
  monthlyTokens: number;
}

/** API.md §8. */
export const DEFAULT_QUOTA_LIMITS: Record<Tier, QuotaLimits> = {
  normal: { dailyRequests: 50, monthlyRequests: 1000, dailyTokens: 10_000, monthlyTokens: 100_000 },
  vip: { dailyRequests: 200, monthlyRequests: 5000, dailyTokens: 50_000, monthlyTokens: 500_000 },
};
