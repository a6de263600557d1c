import { AppError } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import type { MetricsService } from '../metrics/metrics.service';
import type { QuotaRepository, ReserveInput, Settlement, Usage } from './quota.repository';
import { QuotaService } from './quota.service';

const USER = { id: '00000000-0000-4000-8000-000000000001', isVip: false };

/**
 * The counters of one user in memory, granting by the same rule as reserveSql: one request and
 * LEAST(want, what each token window has left), only when every request window has one left
 * and every token window has at least `minTokens` left.
 */
class FakeQuotaRepository implements Pick<QuotaRepository, 'reserve' | 'settle' | 'usage'> {
  counters: Usage = {
    requestsToday: 0,
    tokensToday: 0,
    requestsThisMonth: 0,
    tokensThisMonth: 0,
    storageBytes: 0,
    storageFiles: 0,
  };
  readonly reserved: ReserveInput[] = [];

  reserve(r: ReserveInput): Promise<number | null> {
    this.reserved.push(r);
    const c = this.counters;
    const l = r.limits;
    const dayLeft = l.dailyTokens - c.tokensToday;
    const monthLeft = l.monthlyTokens - c.tokensThisMonth;
    if (
      c.requestsToday + 1 > l.dailyRequests ||
      c.requestsThisMonth + 1 > l.monthlyRequests ||
      dayLeft < r.minTokens ||
      monthLeft < r.minTokens
    ) {
      return Promise.resolve(null);
    }
    const grant = Math.min(r.wantTokens, dayLeft, monthLeft);
    this.counters = {
      requestsToday: c.requestsToday + 1,
      requestsThisMonth: c.requestsThisMonth + 1,
      tokensToday: c.tokensToday + grant,
      tokensThisMonth: c.tokensThisMonth + grant,
      storageBytes: 0,
      storageFiles: 0,
    };
    return Promise.resolve(grant);
  }

  settle(s: Settlement): Promise<void> {
    const c = this.counters;
    const tokens = s.tokens - s.granted;
    this.counters = {
      requestsToday: c.requestsToday - 1 + s.requests,
      requestsThisMonth: c.requestsThisMonth - 1 + s.requests,
      tokensToday: c.tokensToday + tokens,
      tokensThisMonth: c.tokensThisMonth + tokens,
      storageBytes: 0,
      storageFiles: 0,
    };
    return Promise.resolve();
  }

  usage(): Promise<Usage> {
    return Promise.resolve({ ...this.counters });
  }
}

function serviceWith(env: Record<string, string> = {}) {
  const config = new AppConfig(validateEnv({ JWT_SECRET: 'x'.repeat(40), ...env }));
  const repository = new FakeQuotaRepository();
  const rejected: string[] = [];
  const metrics: Pick<MetricsService, 'quotaRejected'> = {
    quotaRejected: (window) => void rejected.push(window),
  };
  const service = new QuotaService(
    config,
    repository as unknown as QuotaRepository,
    metrics as MetricsService,
  );
  return { service, repository, rejected };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe(QuotaService.name, () => {
  describe('plan', () => {
    it('asks for the prompt and the whole reply budget, and accepts no less than the prompt and 256 reply tokens', () => {
      const { service } = serviceWith();
      const plan = service.plan(USER, 100, 1024);
      expect(plan.input).toMatchObject({ wantTokens: 1124, minTokens: 356 });
    });

    it("takes the send's own budget as the minimum when it is smaller than 256", () => {
      const { service } = serviceWith();
      expect(service.plan(USER, 100, 50).input).toMatchObject({ wantTokens: 150, minTokens: 150 });
    });

    it('reads the minimum from QUOTA_MIN_REPLY_TOKENS', () => {
      const { service } = serviceWith({ QUOTA_MIN_REPLY_TOKENS: '600' });
      expect(service.plan(USER, 10, 1024).input.minTokens).toBe(610);
      expect(service.plan(USER, 10, 500).input.minTokens).toBe(510);
    });

    it('never plans a reply of no tokens', () => {
      const { service } = serviceWith();
      expect(service.plan(USER, 10, 0).input).toMatchObject({ wantTokens: 11, minTokens: 11 });
    });
  });

  describe('reserve', () => {
    it('grants a smaller reply when the window holds at least the minimum', async () => {
      const { service, repository } = serviceWith();
      repository.counters.tokensToday = 10_000 - 400;
      repository.counters.tokensThisMonth = 10_000 - 400;
      const r = await service.reserve(USER, 100, 1024);
      expect(r).toMatchObject({ grantedTokens: 400, maxCompletionTokens: 300 });
    });

    it('grants exactly the prompt plus 256 when that is all that is left', async () => {
      const { service, repository } = serviceWith();
      repository.counters.tokensToday = 10_000 - 356;
      const r = await service.reserve(USER, 100, 1024);
      expect(r).toMatchObject({ grantedTokens: 356, maxCompletionTokens: 256 });
    });

    it('refuses one token short of the minimum with QUOTA_EXCEEDED naming the token window and tokens_needed', async () => {
      const { service, repository, rejected } = serviceWith();
      repository.counters.tokensToday = 10_000 - 355;
      repository.counters.requestsToday = 3;
      const error = await refusal(service.reserve(USER, 100, 1024));
      expect(error.code).toBe('QUOTA_EXCEEDED');
      expect(error.details).toMatchObject({
        window: 'daily_tokens',
        limit: 10_000,
        used: 10_000 - 355,
        tokens_needed: 356,
      });
      expect(rejected).toEqual(['daily_tokens']);
      // Nothing was held: the request count is where it was.
      expect(repository.counters).toMatchObject({ requestsToday: 3, tokensToday: 10_000 - 355 });
    });

    it('names the monthly window when it is the one short of the minimum', async () => {
      const { service, repository } = serviceWith();
      repository.counters.tokensThisMonth = 100_000 - 300;
      const error = await refusal(service.reserve(USER, 100, 1024));
      expect(error.details).toMatchObject({ window: 'monthly_tokens', tokens_needed: 356 });
    });

    it('grants a send whose own max_tokens is below the minimum when that fits', async () => {
      const { service, repository } = serviceWith();
      repository.counters.tokensToday = 10_000 - 150;
      const r = await service.reserve(USER, 100, 50);
      expect(r).toMatchObject({ grantedTokens: 150, maxCompletionTokens: 50 });
    });

    it('refuses a send whose own smaller max_tokens does not fit, needing only that', async () => {
      const { service, repository } = serviceWith();
      repository.counters.tokensToday = 10_000 - 149;
      const error = await refusal(service.reserve(USER, 100, 50));
      expect(error.details).toMatchObject({ window: 'daily_tokens', tokens_needed: 150 });
    });

    it('a request window that is full is named without tokens_needed', async () => {
      const { service, repository } = serviceWith();
      repository.counters.requestsToday = 50;
      const error = await refusal(service.reserve(USER, 100, 1024));
      expect(error.details).toMatchObject({ window: 'daily_requests', limit: 50, used: 50 });
      expect(error.details).not.toHaveProperty('tokens_needed');
    });
  });
});
