import type { QuotaSnapshot } from '../../quota/quota.service';
import type { UserEntity } from '../user.entity';

export interface UserResponse {
  id: string;
  username: string;
  email: string;
  is_active: boolean;
  is_vip: boolean;
  role: string;
  created_at: string;
}

export interface UserQuotaBlock {
  daily_requests: number;
  monthly_requests: number;
  daily_tokens: number;
  monthly_tokens: number;
  requests_used_today: number;
  tokens_used_today: number;
  storage: StorageBlock;
}

/** Files the user stores against their tier's limit (API.md §10). */
export interface StorageBlock {
  limit_bytes: number;
  used_bytes: number;
  files: number;
}

export interface ProfileResponse extends UserResponse {
  updated_at: string;
  quota: UserQuotaBlock;
}

export interface QuotaResponse {
  daily_limit: { requests: number; tokens: number };
  monthly_limit: { requests: number; tokens: number };
  usage_today: { requests: number; tokens: number };
  usage_this_month: { requests: number; tokens: number };
  remaining_today: { requests: number; tokens: number };
  storage: StorageBlock;
}

function storageOf({ limits, usage }: QuotaSnapshot): StorageBlock {
  return {
    limit_bytes: limits.storageBytes,
    used_bytes: usage.storageBytes,
    files: usage.storageFiles,
  };
}

export function toUserResponse(user: UserEntity): UserResponse {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    is_active: user.isActive,
    is_vip: user.isVip,
    role: user.role,
    created_at: user.createdAt.toISOString(),
  };
}

export function toProfileResponse(user: UserEntity, quota: QuotaSnapshot): ProfileResponse {
  return {
    ...toUserResponse(user),
    updated_at: user.updatedAt.toISOString(),
    quota: {
      daily_requests: quota.limits.dailyRequests,
      monthly_requests: quota.limits.monthlyRequests,
      daily_tokens: quota.limits.dailyTokens,
      monthly_tokens: quota.limits.monthlyTokens,
      requests_used_today: quota.usage.requestsToday,
      tokens_used_today: quota.usage.tokensToday,
      storage: storageOf(quota),
    },
  };
}

export function toQuotaResponse(quota: QuotaSnapshot): QuotaResponse {
  const { limits, usage } = quota;
  // Today's remainder is also bounded by what is left of the month.
  const remaining = (daily: number, usedToday: number, monthly: number, usedMonth: number) =>
    Math.max(0, Math.min(daily - usedToday, monthly - usedMonth));
  return {
    daily_limit: { requests: limits.dailyRequests, tokens: limits.dailyTokens },
    monthly_limit: { requests: limits.monthlyRequests, tokens: limits.monthlyTokens },
    usage_today: { requests: usage.requestsToday, tokens: usage.tokensToday },
    usage_this_month: { requests: usage.requestsThisMonth, tokens: usage.tokensThisMonth },
    remaining_today: {
      requests: remaining(
        limits.dailyRequests,
        usage.requestsToday,
        limits.monthlyRequests,
        usage.requestsThisMonth,
      ),
      tokens: remaining(
        limits.dailyTokens,
        usage.tokensToday,
        limits.monthlyTokens,
        usage.tokensThisMonth,
      ),
    },
    storage: storageOf(quota),
  };
}
