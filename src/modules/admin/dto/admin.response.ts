import type { Pagination } from '../../../common/http/pagination';
import type { ModelInfo } from '../../llm/models.catalog';
import type { UserEntity } from '../../users/user.entity';
import type { QuotaResponse } from '../../users/dto/user.response';
import type { StorageReportRows, UsageRow } from '../admin.repository';

export interface AdminUserResponse {
  id: string;
  username: string;
  email: string;
  role: string;
  is_active: boolean;
  is_vip: boolean;
  created_at: string;
  updated_at: string;
}

export interface AdminUserListResponse {
  users: AdminUserResponse[];
  pagination: Pagination;
}

export interface UsageFigures {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** USD from the catalog's per-1k prices; null when the model is not in the catalog. */
  cost: number | null;
}

export interface UsageDayRow extends UsageFigures {
  date: string;
  model: string | null;
}

export interface UsageModelRow extends UsageFigures {
  model: string | null;
}

export interface UsageResponse {
  range: { from: string; to: string; time_zone: string };
  currency: 'USD';
  /** One row per day and model that had billed replies, oldest day first. */
  days: UsageDayRow[];
  /** The range's totals per model. */
  models: UsageModelRow[];
  /** The range's totals; `cost` leaves out the models listed in `unpriced_models`. */
  totals: UsageFigures & { cost: number };
  /** Models used in the range that the catalog has no price for (their cost is null). */
  unpriced_models: (string | null)[];
}

/** Files stored per user (API.md §10): the largest holders, and the totals of everyone. */
export interface StorageReport {
  total_bytes: number;
  total_files: number;
  /** Users that store at least one file. */
  user_count: number;
  /** The largest holders first (at most 100). */
  users: { user_id: string; username: string; bytes: number; files: number }[];
}

/** GET /admin/usage: the usage report and what is stored now. */
export interface AdminUsageResponse extends UsageResponse {
  storage: StorageReport;
}

export function toStorageReport(rows: StorageReportRows): StorageReport {
  return {
    total_bytes: rows.bytes,
    total_files: rows.files,
    user_count: rows.userCount,
    users: rows.users.map((u) => ({
      user_id: u.userId,
      username: u.username,
      bytes: u.bytes,
      files: u.files,
    })),
  };
}

export interface UserUsageResponse extends UsageResponse {
  user: AdminUserResponse;
  /** The user's quota now, as GET /users/me/quota shows it to them. */
  quota: QuotaResponse;
}

export function toAdminUserResponse(user: UserEntity): AdminUserResponse {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role,
    is_active: user.isActive,
    is_vip: user.isVip,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

/** Cost in USD rounded to a millionth of a dollar (prices are per 1,000 tokens). */
function costOf(price: ModelInfo['cost_per_1k_tokens'], prompt: number, completion: number) {
  return Math.round(((prompt * price.input + completion * price.output) / 1000) * 1e6) / 1e6;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/** Days, per-model totals and overall totals from the aggregated rows, priced by the catalog. */
export function toUsageResponse(
  rows: UsageRow[],
  range: { from: string; to: string; timeZone: string },
  priceOf: (model: string) => ModelInfo['cost_per_1k_tokens'] | undefined,
): UsageResponse {
  const figures = (r: Pick<UsageRow, 'requests' | 'promptTokens' | 'completionTokens'>) => ({
    requests: r.requests,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.promptTokens + r.completionTokens,
  });
  const priced = (model: string | null, prompt: number, completion: number) => {
    const price = model === null ? undefined : priceOf(model);
    return price ? costOf(price, prompt, completion) : null;
  };

  const days: UsageDayRow[] = rows.map((r) => ({
    date: r.day,
    model: r.model,
    ...figures(r),
    cost: priced(r.model, r.promptTokens, r.completionTokens),
  }));

  const perModel = new Map<
    string | null,
    Pick<UsageRow, 'requests' | 'promptTokens' | 'completionTokens'>
  >();
  for (const r of rows) {
    const sum = perModel.get(r.model) ?? { requests: 0, promptTokens: 0, completionTokens: 0 };
    sum.requests += r.requests;
    sum.promptTokens += r.promptTokens;
    sum.completionTokens += r.completionTokens;
    perModel.set(r.model, sum);
  }
  const models: UsageModelRow[] = [...perModel.entries()].map(([model, sum]) => ({
    model,
    ...figures(sum),
    cost: priced(model, sum.promptTokens, sum.completionTokens),
  }));

  const totals = { requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost: 0 };
  for (const m of models) {
    totals.requests += m.requests;
    totals.prompt_tokens += m.prompt_tokens;
    totals.completion_tokens += m.completion_tokens;
    totals.total_tokens += m.total_tokens;
    totals.cost += m.cost ?? 0;
  }
  totals.cost = round6(totals.cost);

  return {
    range: { from: range.from, to: range.to, time_zone: range.timeZone },
    currency: 'USD',
    days,
    models,
    totals,
    unpriced_models: models.filter((m) => m.cost === null).map((m) => m.model),
  };
}
