import { AppError } from '../../src/common/errors/app-error';
import { QuotaService } from '../../src/modules/quota/quota.service';
import { quotaWindows } from '../../src/modules/quota/quota-windows';
import { registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { httpStatusOf } from '../../src/common/errors/error-codes';

/** Real service, repository and database (PostgreSQL when DATABASE_URL is set, else PGlite). */
describe(QuotaService.name, () => {
  let t: TestApp;
  let quota: QuotaService;

  beforeAll(async () => {
    t = await bootApp();
    quota = t.app.get(QuotaService);
  });
  afterAll(async () => {
    await t.close();
  });

  const today = () => quotaWindows(new Date(), 'UTC');
  const normal = (u: RegisteredUser) => ({ id: u.id, isVip: false });

  async function setCounters(
    userId: string,
    c: { dr?: number; dt?: number; mr?: number; mt?: number; day?: string; month?: string },
  ) {
    const w = today();
    await t.sql(
      `INSERT INTO quota_counters (user_id, day, day_requests, day_tokens, month, month_requests, month_tokens)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (user_id) DO UPDATE SET day = $2, day_requests = $3, day_tokens = $4, month = $5, month_requests = $6, month_tokens = $7`,
      [userId, c.day ?? w.day, c.dr ?? 0, c.dt ?? 0, c.month ?? w.month, c.mr ?? 0, c.mt ?? 0],
    );
  }

  async function settleAll<T>(
    promises: Promise<T>[],
  ): Promise<{ ok: Awaited<T>[]; errors: AppError[] }> {
    const ok: Awaited<T>[] = [];
    const errors: AppError[] = [];
    for (const r of await Promise.allSettled(promises)) {
      if (r.status === 'fulfilled') ok.push(r.value);
      else errors.push(r.reason as AppError);
    }
    return { ok, errors };
  }

  describe('reserve', () => {
    it('with 1 request left, 50 concurrent reservations give exactly 1 and 49 QUOTA_EXCEEDED naming the window', async () => {
      const user = await registerUser(t);
      await setCounters(user.id, { dr: 49, mr: 49 });
      const { ok, errors } = await settleAll(
        Array.from({ length: 50 }, () => quota.reserve(normal(user), 10, 100)),
      );
      expect(ok).toHaveLength(1);
      expect(errors).toHaveLength(49);
      for (const e of errors) {
        expect(e).toBeInstanceOf(AppError);
        expect(e.code).toBe('QUOTA_EXCEEDED');
        expect(httpStatusOf(e.code, e.variant)).toBe(429);
        expect(e.details).toMatchObject({
          window: 'daily_requests',
          limit: 50,
          used: 50,
          resets_at: today().dayResetsAt.toISOString(),
        });
      }
      const [row] = await t.sql(
        'SELECT day_requests, month_requests FROM quota_counters WHERE user_id = $1',
        [user.id],
      );
      expect(row).toEqual({ day_requests: 50, month_requests: 50 });
    });

    it('never grants more tokens than a window has left, under concurrency', async () => {
      const user = await registerUser(t);
      await setCounters(user.id, { dt: 9000, mt: 9000 });
      const { ok, errors } = await settleAll(
        Array.from({ length: 50 }, () => quota.reserve(normal(user), 10, 100)),
      );
      const granted = ok.reduce((sum, r) => sum + r.grantedTokens, 0);
      const [row] = await t.sql<{ day_tokens: number }>(
        'SELECT day_tokens FROM quota_counters WHERE user_id = $1',
        [user.id],
      );
      console.log(
        `token window: ${ok.length} granted (${granted} tokens), ${errors.length} refused, day_tokens ${row.day_tokens}/10000`,
      );
      expect(row.day_tokens).toBe(9000 + granted);
      expect(row.day_tokens).toBeLessThanOrEqual(10_000);
      // 1000 left: nine full grants of 110 and one of the last 10 would leave 0 reply tokens, so 9.
      expect(ok).toHaveLength(9);
      expect(
        errors.every(
          (e) =>
            e.code === 'QUOTA_EXCEEDED' &&
            (e.details as { window: string }).window === 'daily_tokens',
        ),
      ).toBe(true);
    });

    it('bounds the grant by what is left and says how many completion tokens fit', async () => {
      const user = await registerUser(t);
      await setCounters(user.id, { dt: 9600, mt: 9600 });
      const r = await quota.reserve(normal(user), 10, 1000);
      expect(r.grantedTokens).toBe(400);
      expect(r.maxCompletionTokens).toBe(390);
    });

    it('grants down to the prompt plus QUOTA_MIN_REPLY_TOKENS (256), not one token less', async () => {
      const user = await registerUser(t);
      await setCounters(user.id, { dt: 10_000 - 266, mt: 10_000 - 266 });
      const r = await quota.reserve(normal(user), 10, 1000);
      expect([r.grantedTokens, r.maxCompletionTokens]).toEqual([266, 256]);

      const short = await registerUser(t);
      await setCounters(short.id, { dt: 10_000 - 265, mt: 10_000 - 265 });
      await expect(quota.reserve(normal(short), 10, 1000)).rejects.toMatchObject({
        code: 'QUOTA_EXCEEDED',
        details: { window: 'daily_tokens', tokens_needed: 266 },
      });
      const [row] = await t.sql(
        'SELECT day_requests, day_tokens FROM quota_counters WHERE user_id = $1',
        [short.id],
      );
      expect(row).toEqual({ day_requests: 0, day_tokens: 10_000 - 265 });
    });

    it('refuses when the prompt and the reply budget (below the minimum) do not fit, naming the token window', async () => {
      const user = await registerUser(t);
      await setCounters(user.id, { dt: 9950, mt: 9950 });
      // 50 left: the prompt (10) and this send's own 100-token budget need 110.
      await expect(quota.reserve(normal(user), 10, 100)).rejects.toMatchObject({
        code: 'QUOTA_EXCEEDED',
        details: { window: 'daily_tokens', tokens_needed: 110 },
      });
    });

    it('names the monthly window, resetting on the first of next month, when the month is used up', async () => {
      const user = await registerUser(t);
      await setCounters(user.id, { mr: 1000 });
      await expect(quota.reserve(normal(user), 10, 100)).rejects.toMatchObject({
        code: 'QUOTA_EXCEEDED',
        details: { window: 'monthly_requests', resets_at: today().monthResetsAt.toISOString() },
      });
    });

    it('starts a new day at zero while the month keeps counting', async () => {
      const user = await registerUser(t);
      await setCounters(user.id, { day: '2000-01-01', dr: 50, dt: 10_000, mr: 7, mt: 700 });
      expect((await quota.snapshot(normal(user))).usage).toEqual({
        requestsToday: 0,
        tokensToday: 0,
        requestsThisMonth: 7,
        tokensThisMonth: 700,
        storageBytes: 0,
        storageFiles: 0,
      });
      await quota.reserve(normal(user), 10, 100);
      const [row] = await t.sql(
        'SELECT day_requests, day_tokens, month_requests, month_tokens FROM quota_counters WHERE user_id = $1',
        [user.id],
      );
      expect(row).toEqual({
        day_requests: 1,
        day_tokens: 110,
        month_requests: 8,
        month_tokens: 810,
      });
    });

    it('uses the VIP limits for VIP users', async () => {
      const user = await registerUser(t);
      await setCounters(user.id, { dr: 50, mr: 50 });
      await expect(quota.reserve(normal(user), 10, 100)).rejects.toMatchObject({
        code: 'QUOTA_EXCEEDED',
      });
      await expect(quota.reserve({ id: user.id, isVip: true }, 10, 100)).resolves.toMatchObject({
        grantedTokens: 110,
      });
    });

    it('creates the counters of a user on first use', async () => {
      const user = await registerUser(t);
      expect(
        await t.sql('SELECT 1 FROM quota_counters WHERE user_id = $1', [user.id]),
      ).toHaveLength(0);
      await quota.reserve(normal(user), 5, 20);
      expect((await quota.snapshot(normal(user))).usage).toEqual({
        requestsToday: 1,
        tokensToday: 25,
        requestsThisMonth: 1,
        tokensThisMonth: 25,
        storageBytes: 0,
        storageFiles: 0,
      });
    });
    it("grants every one of a new user's first concurrent reservations (no counters yet)", async () => {
      // Staggered starts, so some reservations find no row while another one is creating it.
      for (let round = 0; round < 5; round++) {
        const user = await registerUser(t);
        const { ok, errors } = await settleAll(
          Array.from({ length: 20 }, async (_, i) => {
            await new Promise((resolve) => setTimeout(resolve, i % 7));
            return quota.reserve(normal(user), 5, 20);
          }),
        );
        expect(errors.map((e) => e.details)).toEqual([]);
        expect(ok).toHaveLength(20);
        expect((await quota.snapshot(normal(user))).usage).toMatchObject({
          requestsToday: 20,
          tokensToday: 500,
        });
      }
    });
  });

  describe('settle', () => {
    it('bills what was used and gives back the rest of the reservation', async () => {
      const user = await registerUser(t);
      const r = await quota.reserve(normal(user), 10, 100);
      await quota.settle(r, { requests: 1, tokens: 42 });
      expect((await quota.snapshot(normal(user))).usage).toEqual({
        requestsToday: 1,
        tokensToday: 42,
        requestsThisMonth: 1,
        tokensThisMonth: 42,
        storageBytes: 0,
        storageFiles: 0,
      });
    });

    it('releases the request and the tokens of a failed call', async () => {
      const user = await registerUser(t);
      await setCounters(user.id, { dr: 3, dt: 300, mr: 3, mt: 300 });
      const r = await quota.reserve(normal(user), 10, 100);
      await quota.settle(r, { requests: 0, tokens: 0 });
      expect((await quota.snapshot(normal(user))).usage).toEqual({
        requestsToday: 3,
        tokensToday: 300,
        requestsThisMonth: 3,
        tokensThisMonth: 300,
        storageBytes: 0,
        storageFiles: 0,
      });
    });

    it('leaves a window that rolled over since the reservation alone', async () => {
      const user = await registerUser(t);
      const r = await quota.reserve(normal(user), 10, 100);
      // The day changed between reserve and settle: today's counters belong to the new day.
      await t.sql(
        `UPDATE quota_counters SET day = '2099-01-01', day_requests = 2, day_tokens = 20 WHERE user_id = $1`,
        [user.id],
      );
      await quota.settle(r, { requests: 1, tokens: 50 });
      const [row] = await t.sql(
        'SELECT day_requests, day_tokens, month_tokens FROM quota_counters WHERE user_id = $1',
        [user.id],
      );
      expect(row).toEqual({ day_requests: 2, day_tokens: 20, month_tokens: 50 });
    });
  });

  it('shows usage in GET /users/me and /users/me/quota', async () => {
    const user = await registerUser(t);
    const r = await quota.reserve(normal(user), 10, 100);
    await quota.settle(r, { requests: 1, tokens: 150 });
    const auth = { Authorization: `Bearer ${user.accessToken}` };
    const me = await t.api().get('/api/v1/users/me').set(auth);
    expect(me.body.data.quota).toMatchObject({ requests_used_today: 1, tokens_used_today: 150 });
    const q = await t.api().get('/api/v1/users/me/quota').set(auth);
    expect(q.body.data).toEqual({
      daily_limit: { requests: 50, tokens: 10_000 },
      monthly_limit: { requests: 1000, tokens: 100_000 },
      usage_today: { requests: 1, tokens: 150 },
      usage_this_month: { requests: 1, tokens: 150 },
      remaining_today: { requests: 49, tokens: 9850 },
      storage: { limit_bytes: 100 * 1024 * 1024, used_bytes: 0, files: 0 },
    });
  });
});
