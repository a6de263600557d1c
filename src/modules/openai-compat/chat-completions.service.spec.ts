import { AppError } from '../../common/errors/app-error';
import { httpStatusOf } from '../../common/errors/error-codes';
import type { ShutdownService } from '../../common/lifecycle/shutdown.service';
import type { RateLimiter, RateLimitState } from '../../common/throttling/rate-limiter';
import type { AppConfig } from '../../config/app-config';
import type { AuthUser } from '../auth/auth-user';
import type { LlmEvent, LlmProvider, LlmRequest } from '../llm/llm-provider';
import { ModelsCatalog } from '../llm/models.catalog';
import { DEFAULT_MODELS } from '../llm/models.config';
import { countChatTokens } from '../llm/tokenizer';
import type { GenerationMeter, MetricsService } from '../metrics/metrics.service';
import type { GenerationLeases } from '../generation/generation-leases';
import type { GenerationLeasesRepository } from '../generation/generation-leases.repository';
import type { GenerationRunners } from '../generation/generation-runner';
import type { Settlement } from '../quota/quota.repository';
import type { QuotaPlan, QuotaService, Reservation } from '../quota/quota.service';
import { ChatCompletionsService, type CompletionSink } from './chat-completions.service';
import { parseChatCompletionRequest } from './chat-request';

const USER: AuthUser = {
  id: '00000000-0000-4000-8000-000000000001',
  sessionId: 's',
  username: 'u',
  role: 'user',
  isVip: false,
};

const STATE: RateLimitState = {
  group: 'messages',
  limit: 20,
  remaining: 19,
  resetSeconds: 60,
  exceeded: false,
  retryAfter: 0,
};

/** A provider that answers each call with the scripted events (and records the request). */
class ScriptedProvider implements Pick<LlmProvider, 'stream'> {
  readonly calls: LlmRequest[] = [];
  constructor(private readonly script: (request: LlmRequest) => AsyncGenerator<LlmEvent>) {}
  stream(request: LlmRequest): AsyncIterable<LlmEvent> {
    this.calls.push(request);
    return this.script(request);
  }
}

async function* reply(
  pieces: string[],
  usage = { promptTokens: 9, completionTokens: pieces.length },
): AsyncGenerator<LlmEvent> {
  await Promise.resolve();
  for (const text of pieces) yield { type: 'delta', text };
  yield { type: 'usage', ...usage, usageSource: 'provider', finishReason: 'stop' };
}

/**
 * Grants up to `grant` tokens per reservation (taken with the lease statement, as the service
 * does) and records what was planned and what the lease's close settled.
 */
class FakeQuota implements Pick<QuotaService, 'plan' | 'reserveWith' | 'settlement'> {
  readonly reserved: { promptTokens: number; replyBudget: number }[] = [];
  readonly settled: { requests: 0 | 1; tokens: number }[] = [];
  readonly leases: string[] = [];
  constructor(private readonly grant = Number.MAX_SAFE_INTEGER) {}
  plan(_: unknown, promptTokens: number, replyBudget: number): QuotaPlan {
    this.reserved.push({ promptTokens, replyBudget });
    return { promptTokens, input: { replyBudget } } as unknown as QuotaPlan;
  }
  async reserveWith<T extends { granted: number }>(
    plan: QuotaPlan,
    grant: () => Promise<T | null>,
  ): Promise<{ granted: T; reservation: Reservation }> {
    const granted = (await grant()) as T;
    const { replyBudget } = plan.input as unknown as { replyBudget: number };
    const tokens = Math.min(plan.promptTokens + replyBudget, this.grant);
    return {
      granted,
      reservation: {
        userId: USER.id,
        day: '2026-01-01',
        month: '2026-01-01',
        grantedTokens: tokens,
        maxCompletionTokens: tokens - plan.promptTokens,
      },
    };
  }
  settlement(reservation: Reservation, used: { requests: 0 | 1; tokens: number }): Settlement {
    return { userId: reservation.userId, day: '', month: '', granted: 0, ...used };
  }
  /** The lease statements, as GenerationLeasesRepository runs them. */
  readonly leaseRepository = {
    reserveWithLease: (_: unknown, lease: { id: string }) => {
      this.leases.push(lease.id);
      return Promise.resolve({ granted: 1 });
    },
    closeLease: (_: string, settlement: Settlement) => {
      this.settled.push({ requests: settlement.requests, tokens: settlement.tokens });
      return Promise.resolve();
    },
  };
}

function setup(provider: ScriptedProvider, quota = new FakeQuota()) {
  const meters: string[] = [];
  const meter: GenerationMeter = {
    firstToken: () => meters.push('first'),
    finished: (_, stopped) => meters.push(stopped ? 'stopped' : 'ok'),
    failed: () => meters.push('failed'),
    served: (model) => meters.push(`served:${model}`),
  };
  const metrics = {
    generationStarted: (model: string, purpose: string) => {
      meters.push(`${purpose}:${model}`);
      return meter;
    },
    generationOverran: () => meters.push('overran'),
  } as unknown as MetricsService;
  const limiter = { consume: () => Promise.resolve(STATE) } as unknown as RateLimiter;
  const config = { env: { RATE_LIMIT_MESSAGES: 20 } } as unknown as AppConfig;
  const shutdown = { assertAccepting: () => undefined, graceMs: 0 } as unknown as ShutdownService;
  const service = new ChatCompletionsService(
    new ModelsCatalog(DEFAULT_MODELS, 'gpt-3.5-turbo'),
    quota as unknown as QuotaService,
    limiter,
    config,
    metrics,
    shutdown,
    provider as unknown as LlmProvider,
    { hold: () => () => undefined } as unknown as GenerationRunners,
    { owner: 'this-process' } as unknown as GenerationLeases,
    quota.leaseRepository as unknown as GenerationLeasesRepository,
  );
  return { service, quota, meters };
}

function collector(): CompletionSink & {
  text: (p: string) => void;
  pieces: string[];
  admittedWith?: RateLimitState;
} {
  const sink = {
    pieces: [] as string[],
    admittedWith: undefined as RateLimitState | undefined,
    admitted: (state: RateLimitState) => (sink.admittedWith = state),
    text: (piece: string) => void sink.pieces.push(piece),
  };
  return sink;
}

const live = () => new AbortController().signal;

describe(ChatCompletionsService.name, () => {
  describe('complete', () => {
    it('reserves the counted prompt and the capped budget, calls the provider with the mapped request and bills the real usage', async () => {
      const provider = new ScriptedProvider(() =>
        reply(['Hel', 'lo'], { promptTokens: 30, completionTokens: 2 }),
      );
      const { service, quota, meters } = setup(provider);
      const request = parseChatCompletionRequest({
        model: 'gpt-4-turbo',
        messages: [{ role: 'user', content: 'hello' }],
        temperature: 0.5,
        top_p: 0.8,
        stop: ['x'],
        max_tokens: 99_999,
      });
      const sink = collector();
      const outcome = await service.complete(USER, request, sink, live());

      expect(sink.admittedWith).toBe(STATE);
      expect(sink.pieces).toEqual(['Hel', 'lo']);
      expect(outcome).toEqual({
        content: 'Hello',
        finishReason: 'stop',
        usage: { prompt_tokens: 30, completion_tokens: 2, total_tokens: 32 },
      });
      const prompt = countChatTokens(request.messages);
      expect(quota.reserved).toEqual([{ promptTokens: prompt, replyBudget: 4096 }]);
      expect(provider.calls[0]).toMatchObject({
        model: 'gpt-4-turbo',
        messages: [{ role: 'user', content: 'hello' }],
        temperature: 0.5,
        topP: 0.8,
        stop: ['x'],
        maxTokens: 4096,
      });
      expect(quota.settled).toEqual([{ requests: 1, tokens: 32 }]);
      expect([meters[0], meters.includes('first'), meters.at(-1)]).toEqual([
        'compat:gpt-4-turbo',
        true,
        'ok',
      ]);
    });

    it('asks for no more than the quota granted, and never bills past the reservation', async () => {
      const provider = new ScriptedProvider(() =>
        reply(['a'], { promptTokens: 500, completionTokens: 500 }),
      );
      const quota = new FakeQuota(100);
      const { service } = setup(provider, quota);
      const request = parseChatCompletionRequest({
        model: 'gpt-4',
        messages: [{ role: 'user', content: 'hi' }],
      });
      await service.complete(USER, request, collector(), live());
      const prompt = countChatTokens(request.messages);
      expect(provider.calls[0].maxTokens).toBe(100 - prompt);
      expect(quota.settled[0].tokens).toBeLessThanOrEqual(100);
    });

    it('refuses an unknown model (404 model_not_found) and images for a model without vision (400), before any reservation', async () => {
      const provider = new ScriptedProvider(() => reply(['x']));
      const { service, quota } = setup(provider);
      const unknown = service.complete(
        USER,
        parseChatCompletionRequest({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
        collector(),
        live(),
      );
      await expect(unknown).rejects.toMatchObject({
        code: 'RESOURCE_NOT_FOUND',
        details: { field: 'model', openai_code: 'model_not_found' },
      });
      const image = parseChatCompletionRequest({
        model: 'gpt-4',
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:x' } }] },
        ],
      });
      const refused = await service
        .complete(USER, image, collector(), live())
        .catch((e: AppError) => e);
      expect(refused).toBeInstanceOf(AppError);
      expect(httpStatusOf((refused as AppError).code, (refused as AppError).variant)).toBe(400);
      expect(quota.reserved).toEqual([]);
      expect(provider.calls).toEqual([]);
    });

    it('refuses a prompt past the context window with 400 context_length_exceeded', async () => {
      const { service, quota } = setup(new ScriptedProvider(() => reply(['x'])));
      const long = parseChatCompletionRequest({
        model: 'gpt-3.5-turbo',
        messages: [{ role: 'user', content: 'word '.repeat(5000) }],
      });
      await expect(service.complete(USER, long, collector(), live())).rejects.toMatchObject({
        details: { openai_code: 'context_length_exceeded' },
      });
      expect(quota.reserved).toEqual([]);
    });

    it('releases the reservation unbilled and throws when the provider fails mid-reply', async () => {
      const provider = new ScriptedProvider(async function* () {
        await Promise.resolve();
        yield { type: 'delta', text: 'partial' };
        throw new AppError('OPENAI_API_ERROR', 'error.openai', { reason: 'connection_error' });
      });
      const { service, quota, meters } = setup(provider);
      const request = parseChatCompletionRequest({
        model: 'gpt-4',
        messages: [{ role: 'user', content: 'hi' }],
      });
      await expect(service.complete(USER, request, collector(), live())).rejects.toMatchObject({
        code: 'OPENAI_API_ERROR',
      });
      expect(quota.settled).toEqual([{ requests: 0, tokens: 0 }]);
      expect(meters.at(-1)).toBe('failed');
    });

    it('cuts a provider that streams past max_tokens: finish_reason length, billed at most max_tokens', async () => {
      const provider = new ScriptedProvider(async function* (request) {
        await Promise.resolve();
        for (let i = 0; i < 400 && !request.signal?.aborted; i++)
          yield { type: 'delta', text: ' word' };
        yield {
          type: 'usage',
          promptTokens: 5,
          completionTokens: 1,
          usageSource: 'provider',
          finishReason: 'aborted',
        };
      });
      const { service, quota, meters } = setup(provider);
      const request = parseChatCompletionRequest({
        model: 'gpt-4',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 20,
      });
      const outcome = await service.complete(USER, request, collector(), live());
      expect(outcome.finishReason).toBe('length');
      expect(outcome.usage.completion_tokens).toBeLessThanOrEqual(20);
      expect(quota.settled[0].tokens).toBeLessThanOrEqual(5 + 20);
      expect(meters).toContain('overran');
    });

    it('stops the provider when the caller aborts and bills what was produced', async () => {
      const caller = new AbortController();
      const provider = new ScriptedProvider(async function* (request) {
        await Promise.resolve();
        let n = 0;
        while (!request.signal?.aborted) {
          yield { type: 'delta', text: 'tick ' };
          if (++n === 3) caller.abort();
        }
        yield {
          type: 'usage',
          promptTokens: 4,
          completionTokens: n,
          usageSource: 'tokenizer',
          finishReason: 'aborted',
        };
      });
      const { service, quota, meters } = setup(provider);
      const request = parseChatCompletionRequest({
        model: 'gpt-4',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const outcome = await service.complete(USER, request, collector(), caller.signal);
      expect(outcome.content).toBe('tick tick tick ');
      expect(quota.settled).toEqual([{ requests: 1, tokens: 7 }]);
      expect(meters.at(-1)).toBe('stopped');
    });
  });

  describe('beforeApplicationShutdown', () => {
    it('cuts off a completion still running at the deadline: SERVICE_UNAVAILABLE, not billed, upstream stopped', async () => {
      let upstreamStopped = false;
      const provider = new ScriptedProvider(async function* (request) {
        await Promise.resolve();
        while (!request.signal?.aborted) {
          yield { type: 'delta', text: 'on ' };
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        upstreamStopped = true;
        yield {
          type: 'usage',
          promptTokens: 4,
          completionTokens: 2,
          usageSource: 'tokenizer',
          finishReason: 'aborted',
        };
      });
      const { service, quota } = setup(provider);
      const request = parseChatCompletionRequest({
        model: 'gpt-4',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const sink = collector();
      const running = service.complete(USER, request, sink, live());
      await new Promise((resolve) => setTimeout(resolve, 20));
      await service.beforeApplicationShutdown();
      await expect(running).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(upstreamStopped).toBe(true);
      expect(sink.pieces.length).toBeGreaterThan(0);
      expect(quota.settled).toEqual([{ requests: 0, tokens: 0 }]);
    });
  });
});
