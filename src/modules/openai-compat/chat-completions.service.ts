import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { retryWhileDatabaseDown } from '../../common/errors/database-errors';
import { toAppError } from '../../common/errors/to-app-error';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { RateLimiter, type RateLimitState } from '../../common/throttling/rate-limiter';
import { AppConfig } from '../../config/app-config';
import type { AuthUser } from '../auth/auth-user';
import { GenerationLeases } from '../generation/generation-leases';
import { GenerationLeasesRepository } from '../generation/generation-leases.repository';
import {
  billable,
  CompletionMeter,
  GenerationRunners,
  overrunAllowance,
} from '../generation/generation-runner';
import { DEFAULT_REPLY_TOKENS } from '../generation/send-opener';
import { LLM_PROVIDER, type LlmFinishReason, type LlmProvider } from '../llm/llm-provider';
import { ModelsCatalog, type ModelInfo } from '../llm/models.catalog';
import { countChatTokens } from '../llm/tokenizer';
import { MetricsService } from '../metrics/metrics.service';
import { QuotaService, type Reservation } from '../quota/quota.service';
import type { ChatCompletionRequest } from './chat-request';
import { modelList, openAiFinishReason, type CompletionOutcome } from './chat-response';

/** The abort reason of a reply cut because the provider streamed past its max_tokens. */
const OVERRUN = Symbol('past max_tokens');
/** The abort reason of a completion still running at the shutdown deadline. */
const SHUTDOWN_CUT = Symbol('shutdown deadline');
/** Settling is retried this long while the database is unreachable (a held reservation overbills). */
const SETTLE_RETRY_MS = 10_000;

/** Where a completion's text goes as it arrives (a JSON answer collects it; a stream writes it). */
export interface CompletionSink {
  /** The call passed the `messages` rate limit: where that budget stands. */
  admitted(rateLimit: RateLimitState): void;
  /** A piece of text; a promise when the client must read before more is written. */
  text(piece: string): void | Promise<void>;
}

/**
 * Runs chat completions of the OpenAI-compatible endpoint (API.md §12) under the service's own
 * rules, exactly as a chat send: the `messages` rate limit, the quota reserved before the
 * provider is called (the prompt counted plus the reply budget) and settled on what was really
 * used (never past the reservation), the provider's failover, metrics (purpose `compat`), and
 * the upstream request closed when the caller's signal aborts. Nothing is stored: no
 * conversation, no message — only the quota counters move.
 */
/** A call's reservation and the lease that lets another replica settle it. */
interface Held {
  reservation: Reservation;
  lease: string;
}

@Injectable()
export class ChatCompletionsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ChatCompletionsService.name);
  /** `created` of every listed model: when this process loaded the catalog. */
  private readonly catalogLoaded = Math.floor(Date.now() / 1000);
  /** Completions calling the provider in this process (the shutdown drain waits for them). */
  private readonly running = new Map<AbortController, Promise<unknown>>();

  constructor(
    private readonly catalog: ModelsCatalog,
    private readonly quota: QuotaService,
    private readonly rateLimiter: RateLimiter,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownService,
    @Inject(LLM_PROVIDER) private readonly provider: LlmProvider,
    private readonly runners: GenerationRunners,
    private readonly owners: GenerationLeases,
    private readonly leases: GenerationLeasesRepository,
  ) {}

  /**
   * Lets running completions finish within SHUTDOWN_GRACE_MS (new ones are refused with 503
   * meanwhile), then cuts off the rest: each ends with SERVICE_UNAVAILABLE, unbilled, and its
   * reservation is released before the database closes.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + this.shutdown.graceMs;
    while (this.running.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(this.running.values()),
        new Promise((resolve) => (timer = setTimeout(resolve, deadline - Date.now()))),
      ]);
      clearTimeout(timer);
    }
    for (const controller of this.running.keys()) controller.abort(SHUTDOWN_CUT);
    await Promise.allSettled(this.running.values());
  }

  models() {
    return modelList(this.catalog.list(), this.catalogLoaded);
  }

  /**
   * Checks, counts and reserves (throwing 404, 400, 429 or 503 before the provider is called),
   * then streams the reply into `sink` and answers how it ended once the quota is settled. A
   * provider failure is thrown (not billed); `signal` aborting stops the upstream request and
   * the reply so far is billed like a stopped chat reply.
   */
  async complete(
    actor: AuthUser,
    request: ChatCompletionRequest,
    sink: CompletionSink,
    signal: AbortSignal,
  ): Promise<CompletionOutcome> {
    const model = this.modelOf(request);
    this.shutdown.assertAccepting();
    sink.admitted(
      await this.rateLimiter.consume('messages', actor.id, this.config.env.RATE_LIMIT_MESSAGES),
    );
    const promptTokens = countChatTokens(request.messages);
    const budget = this.replyBudget(model, request, promptTokens);
    const plan = this.quota.plan(actor, promptTokens, budget, {
      tokenFree: this.catalog.isTokenFree(model.id),
    });
    // The reservation carries a lease of this process, as a reply's does: if the process dies
    // mid-call, another replica's sweep settles it (GenerationLeases); while it lives, the
    // lease is held here so that no sweep takes it for an orphan.
    const lease = randomUUID();
    const unhold = this.runners.hold(lease);
    let reservation: Reservation;
    try {
      ({ reservation } = await this.quota.reserveWith(plan, () =>
        this.leases.reserveWithLease(plan.input, {
          id: lease,
          owner: this.owners.owner,
          promptTokens,
        }),
      ));
    } catch (error) {
      unhold();
      throw error;
    }
    const controller = new AbortController();
    const running = this.run(
      controller,
      request,
      model,
      { reservation, lease },
      Math.min(budget, reservation.maxCompletionTokens),
      sink,
      signal,
    );
    this.running.set(controller, running);
    return running.finally(() => {
      this.running.delete(controller);
      unhold();
    });
  }

  private modelOf(request: ChatCompletionRequest): ModelInfo {
    const model = this.catalog.get(request.model);
    if (!model) {
      throw new AppError('RESOURCE_NOT_FOUND', 'error.not_found', {
        field: 'model',
        issue: `The model '${request.model}' does not exist (GET /models lists them)`,
        openai_code: 'model_not_found',
      });
    }
    if (request.hasImages && !model.capabilities.includes('vision')) {
      throw new AppError(
        'VALIDATION_ERROR',
        'error.unsupported_request',
        {
          field: 'messages',
          issue: `the model '${model.id}' cannot read images; choose a model with the vision capability`,
          openai_code: 'model_not_vision_capable',
        },
        'malformed',
      );
    }
    return model;
  }

  /**
   * The reply budget: the request's own capped by the catalog, or the chat default; and never
   * past the model's context window with this prompt.
   */
  private replyBudget(
    model: ModelInfo,
    request: ChatCompletionRequest,
    promptTokens: number,
  ): number {
    const room = model.context_window - promptTokens;
    if (room < 1) {
      throw new AppError(
        'VALIDATION_ERROR',
        'error.bad_request',
        {
          field: 'messages',
          issue: `the prompt is ${promptTokens} tokens; the model's context window is ${model.context_window}`,
          openai_code: 'context_length_exceeded',
        },
        'malformed',
      );
    }
    const asked =
      request.maxTokens !== undefined
        ? this.catalog.capMaxTokens(model.id, request.maxTokens)
        : Math.min(model.max_tokens, DEFAULT_REPLY_TOKENS);
    return Math.max(1, Math.min(asked, room));
  }

  /** Calls the provider with the reservation held, and settles it whatever happens. */
  private async run(
    controller: AbortController,
    request: ChatCompletionRequest,
    model: ModelInfo,
    held: Held,
    maxTokens: number,
    sink: CompletionSink,
    caller: AbortSignal,
  ): Promise<CompletionOutcome> {
    const metered = this.metrics.generationStarted(model.id, 'compat');
    const onCallerAbort = () => controller.abort();
    if (caller.aborted) controller.abort();
    else caller.addEventListener('abort', onCallerAbort, { once: true });
    const { signal } = controller;
    let content = '';
    let served = model.id;
    try {
      let usage = { promptTokens: 0, completionTokens: 0 };
      let finish: LlmFinishReason = 'stop';
      const meter = new CompletionMeter(maxTokens + overrunAllowance(maxTokens));
      const events = this.provider.stream({
        messages: request.messages,
        model: model.id,
        temperature: request.temperature,
        topP: request.topP,
        stop: request.stop,
        maxTokens,
        signal,
      });
      for await (const event of events) {
        // The model that answers, when a fallback took over before the first token.
        if (event.model !== undefined && event.model !== served) {
          served = event.model;
          metered.served(served);
        }
        if (event.type === 'delta') {
          if (!event.text || signal.reason === OVERRUN) continue;
          metered.firstToken();
          content += event.text;
          const wait = sink.text(event.text);
          if (wait) await wait;
          if (meter.add(event.text, content)) {
            this.logger.warn(
              `${model.id}: the provider streamed past max_tokens ${maxTokens}; cut`,
            );
            this.metrics.generationOverran(model.id);
            controller.abort(OVERRUN);
          }
        } else {
          usage = event;
          finish = event.finishReason;
        }
      }
      if (signal.reason === SHUTDOWN_CUT) {
        throw new AppError('SERVICE_UNAVAILABLE', 'error.shutting_down');
      }
      const overran = signal.reason === OVERRUN;
      usage = billable(usage, content, maxTokens, meter.counted);
      metered.finished(usage, signal.aborted && !overran);
      // Never past what was reserved: the window cannot be overspent whatever the usage says.
      // A token-free model (the offline one) counts the request only.
      const billed = held.reservation.tokenFree
        ? 0
        : Math.min(usage.promptTokens + usage.completionTokens, held.reservation.grantedTokens);
      await this.settle(held, { requests: 1, tokens: billed });
      return {
        content,
        finishReason: overran ? 'length' : openAiFinishReason(finish),
        usage: {
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          total_tokens: usage.promptTokens + usage.completionTokens,
        },
      };
    } catch (error) {
      metered.failed(error);
      // A failed call is not billed, as a failed chat reply is not (the reservation is released).
      await this.settle(held, { requests: 0, tokens: 0 });
      const appError = toAppError(error);
      if (!appError || appError.code === 'INTERNAL_SERVER_ERROR') {
        this.logger.error(
          `completion failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
      throw appError ?? new AppError('INTERNAL_SERVER_ERROR', 'error.internal');
    } finally {
      caller.removeEventListener('abort', onCallerAbort);
    }
  }

  /**
   * Settles, retried with backoff while the database is unreachable; once that fails for good
   * the reservation stays held (the user is billed the budget, never more) and it is logged.
   */
  private async settle(held: Held, used: { requests: 0 | 1; tokens: number }): Promise<void> {
    const settlement = this.quota.settlement(held.reservation, used);
    try {
      await retryWhileDatabaseDown(
        () => this.leases.closeLease(held.lease, settlement),
        SETTLE_RETRY_MS,
      );
    } catch (error) {
      this.logger.error(`could not settle a completion's quota: ${String(error)}`);
    }
  }
}
