import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { randomUUID } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { RateLimiter } from '../../common/throttling/rate-limiter';
import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import type { MetricsService } from '../metrics/metrics.service';
import { ChatFrameBudget } from './chat-frame-budget';

/** The throttler's in-memory storage (as without Redis), counting the calls that reach it. */
function countingStorage() {
  const memory = new ThrottlerStorageService();
  const counter = { calls: 0 };
  const storage: ThrottlerStorage = {
    increment: (...args) => {
      counter.calls += 1;
      return memory.increment(...args);
    },
  };
  return { storage, counter, memory };
}

describe(ChatFrameBudget.name, () => {
  const config = new AppConfig(
    validateEnv({
      JWT_SECRET: 'x'.repeat(40),
      WS_RATE_LIMIT_FRAMES: '3',
      WS_RATE_LIMIT_PINGS: '5',
    }),
  );
  let store: ReturnType<typeof countingStorage>;
  let budget: ChatFrameBudget;

  beforeEach(() => {
    store = countingStorage();
    budget = new ChatFrameBudget(config, new RateLimiter(store.storage));
  });
  afterEach(() => store.memory.onApplicationShutdown());

  const refusal = (p: Promise<void>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as AppError,
    );

  describe('meter', () => {
    it('lets WS_RATE_LIMIT_FRAMES frames of a user through per window, then refuses with retry_after', async () => {
      const user = randomUUID();
      for (let i = 0; i < 3; i++) await budget.meter(user, 'other');
      const error = await refusal(budget.meter(user, 'other'));
      expect(error).toMatchObject({
        code: 'RATE_LIMIT_EXCEEDED',
        details: { group: 'ws_frames', limit: 3, window_seconds: 60 },
      });
      expect(error?.details?.retry_after).toBeGreaterThanOrEqual(59);
      // Another user has a budget of their own.
      await expect(budget.meter(randomUUID(), 'other')).resolves.toBeUndefined();
    });

    it('counts pings apart, in WS_RATE_LIMIT_PINGS', async () => {
      const user = randomUUID();
      for (let i = 0; i < 3; i++) await budget.meter(user, 'other');
      for (let i = 0; i < 5; i++) await budget.meter(user, 'ping');
      await expect(refusal(budget.meter(user, 'ping'))).resolves.toMatchObject({
        details: { group: 'ws_pings', limit: 5 },
      });
    });

    it('once a budget is spent, refuses without asking the store until the refusal expires', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
      try {
        const user = randomUUID();
        for (let i = 0; i < 4; i++) await refusal(budget.meter(user, 'other'));
        expect(store.counter.calls).toBe(4);
        for (let i = 0; i < 1000; i++) await refusal(budget.meter(user, 'other'));
        expect(store.counter.calls).toBe(4);
        jest.advanceTimersByTime(30_000);
        const later = await refusal(budget.meter(user, 'other'));
        expect(later?.details?.retry_after).toBeLessThanOrEqual(31);
        expect(store.counter.calls).toBe(4);
        // Pings are another budget: still counted by the store.
        await budget.meter(user, 'ping');
        expect(store.counter.calls).toBe(5);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('queueFull', () => {
    it('counts a refusal of the queue as ws_queue, with the bound and a retry after 1 s', () => {
      const counted: string[] = [];
      const metrics = { rateLimitRejected: (group: string) => void counted.push(group) };
      const withMetrics = new ChatFrameBudget(
        config,
        new RateLimiter(store.storage),
        metrics as unknown as MetricsService,
      );
      expect(withMetrics.queueFull()).toMatchObject({
        code: 'RATE_LIMIT_EXCEEDED',
        details: { group: 'ws_queue', limit: 32, retry_after: 1 },
      });
      expect(counted).toEqual(['ws_queue']);
    });
  });
});
