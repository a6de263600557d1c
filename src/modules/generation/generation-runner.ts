import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { retryWhileDatabaseDown } from '../../common/errors/database-errors';
import { toAppError } from '../../common/errors/to-app-error';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import { LLM_PROVIDER, LlmEvent, LlmMessage, LlmProvider } from '../llm/llm-provider';
import type { MessageEntity } from '../messages/message.entity';
import { MetricsService } from '../metrics/metrics.service';
import { QuotaService, Reservation } from '../quota/quota.service';
import { countTextTokens } from '../llm/tokenizer';
import type { GenerationEventBody } from './generation-events';
import { SendRepository } from './send.repository';
import { STREAM_LOG, StreamLog } from './stream-log';

/** The abort reason of a generation still running at the shutdown deadline. */
const SHUTDOWN_CUT = Symbol('shutdown deadline');
/** The abort reason of a reply cut because the provider streamed past its max_tokens. */
const OVERRUN = Symbol('past max_tokens');
/**
 * How long a reply's closing statement (store + settle) is retried while the database is
 * unreachable: a reply must not stay 'streaming', nor its reservation stay held, because the
 * database was away at the moment it ended.
 */
const CLOSE_RETRY_MS = 30_000;

/** What one generation calls the model with, and the quota it holds. */
export interface GenerationCall {
  messages: LlmMessage[];
  model: string;
  temperature?: number;
  maxTokens: number;
  reservation: Reservation;
}

/**
 * A provider request built ahead of the send's database work and held until it is done:
 * `launch` sends it (when the reservation allows the reply budget it was built with),
 * `cancel` drops it unsent.
 */
export interface PreparedCall {
  readonly maxTokens: number;
  readonly controller: AbortController;
  /** The provider's events; the first `next()` already running (held at the send). */
  readonly events: AsyncIterator<LlmEvent>;
  readonly first: Promise<IteratorResult<LlmEvent>>;
  release(go: boolean): void;
  cancel(): void;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
  /** The reply's text so far (checkpointed by GenerationLeases when the log is not shared). */
  progress: { content: string };
  /** Set as its terminal event is appended: nothing may follow it in the log. */
  ending?: boolean;
}

/**
 * Tokens a reply may stream past its reserved max_tokens before it is cut: room for the
 * difference between a model's own tokenizer and the one counting here (cl100k_base; models
 * with larger vocabularies count up to a fifth fewer tokens for the same text), so that a
 * compliant provider is never cut; a provider that ignores max_tokens is cut at most a quarter
 * past it. Billing never passes the reservation either way.
 */
export function overrunAllowance(maxTokens: number): number {
  return Math.max(16, Math.ceil(maxTokens / 4));
}

/**
 * Counts a reply's completion tokens as it streams, cheaply: a token is at least one UTF-8
 * byte, so nothing is tokenized until the bytes alone pass the limit; from then on each chunk
 * is counted, and the whole text again before a cut is decided (chunk edges split tokens).
 */
export class CompletionMeter {
  private bytes = 0;
  private estimate = 0;
  private counting = false;
  /** The exact count, once one was made. */
  counted?: number;

  constructor(private readonly limit: number) {}

  /** Adds a chunk (`content`: the whole text so far); true once the reply is past the limit. */
  add(text: string, content: string): boolean {
    if (!this.counting) {
      this.bytes += Buffer.byteLength(text);
      if (this.bytes <= this.limit) return false;
      this.counting = true;
      this.estimate = countTextTokens(content);
    } else {
      this.estimate += countTextTokens(text);
    }
    if (this.estimate <= this.limit) return false;
    this.counted = countTextTokens(content);
    this.estimate = this.counted;
    return this.counted > this.limit;
  }
}

/**
 * The generations this process runs. Each one's life — the provider's stream appended to the
 * log as numbered events, the reply stored and the quota settled in one closing statement,
 * the terminal event — belongs to `launch`; stops (from any replica, over the bus) and the
 * shutdown drain reach it through here.
 */
@Injectable()
export class GenerationRunners implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('GenerationService');
  private readonly running = new Map<string, Running>();
  /** Leases of other calls this process runs (hold). */
  private readonly held = new Set<string>();
  private unsubscribe?: () => void;
  /** Set at the shutdown deadline: whatever runs from then on is cut off. */
  private cutOff = false;

  constructor(
    private readonly sends: SendRepository,
    private readonly quota: QuotaService,
    @Inject(LLM_PROVIDER) private readonly provider: LlmProvider,
    @Inject(STREAM_LOG) private readonly log: StreamLog,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly metrics: MetricsService,
  ) {}

  /** A stop asked on any replica reaches the one running the generation. */
  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe('generation.stop', ({ messageId }) =>
      this.running.get(messageId)?.controller.abort(),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  get size(): number {
    return this.running.size;
  }

  /** The replies running here. */
  ids(): string[] {
    return [...this.running.keys(), ...this.held];
  }

  /**
   * Counts lease `id` as running here until the returned function is called: the lease of a
   * call that is not a reply of this runner (an OpenAI-compatible completion), which the
   * sweeper must not take for an orphan while this process lives.
   */
  hold(id: string): () => void {
    this.held.add(id);
    return () => this.held.delete(id);
  }

  /** Each running reply's text so far. */
  progress(): { id: string; content: string }[] {
    return [...this.running].map(([id, r]) => ({ id, content: r.progress.content }));
  }

  /**
   * Builds the provider request of a send whose reservation is still being made (the SDK's
   * body and headers), so that it can leave as soon as the reservation is granted. Nothing
   * is sent before `launch` releases it; `cancel` drops it.
   */
  prepare(call: Omit<GenerationCall, 'reservation'>): PreparedCall {
    const controller = new AbortController();
    let release!: (go: boolean) => void;
    const sendAfter = new Promise<boolean>((resolve) => (release = resolve));
    const stream = this.provider.stream({ ...call, signal: controller.signal, sendAfter });
    const events = stream[Symbol.asyncIterator]();
    const first = events.next();
    // Read by generate once released; a dropped request's end is nobody's concern.
    first.catch(() => undefined);
    return {
      maxTokens: call.maxTokens,
      controller,
      events,
      first,
      release,
      cancel: () => {
        controller.abort();
        release(false);
      },
    };
  }

  /**
   * Starts generation `id` in the background (its start event first) and answers the stored
   * reply once it is closed (null when it could not be stored: gone, or the database failed).
   * A prepared request is sent when it asks for the budget the reservation allows; otherwise
   * it is dropped and the call built again.
   */
  launch(
    id: string,
    start: GenerationEventBody,
    call: GenerationCall,
    prepared?: PreparedCall,
  ): Promise<MessageEntity | null> {
    const usable = prepared?.maxTokens === call.maxTokens ? prepared : undefined;
    if (prepared && !usable) prepared.cancel();
    usable?.release(true);
    const controller = usable?.controller ?? new AbortController();
    const progress = { content: '' };
    const events = usable ? primed(usable) : undefined;
    const reply = this.log
      .append(id, start)
      .then(() => this.generate(id, call, controller, progress, events))
      .finally(() => this.running.delete(id));
    this.running.set(id, { controller, done: reply.then(() => undefined), progress });
    if (this.cutOff) controller.abort(SHUTDOWN_CUT);
    return reply;
  }

  /**
   * Appends an event of another task (an automatic title) to generation `id` if it runs here
   * and has not reached its terminal event: readers of the log get it before the end, never
   * after. False when it was not appended.
   */
  async aside(id: string, body: GenerationEventBody): Promise<boolean> {
    const running = this.running.get(id);
    if (!running || running.ending) return false;
    return this.log.append(id, body).then(
      () => true,
      () => false,
    );
  }

  /** Stops a generation running here and waits for its end; false when it does not run here. */
  async stop(id: string): Promise<boolean> {
    const running = this.running.get(id);
    if (!running) return false;
    running.controller.abort();
    await running.done;
    return true;
  }

  /**
   * Lets running generations finish within `graceMs`, then cuts off the rest: each stores its
   * partial reply (status `failed`, not billed) and ends its stream with an `error` event,
   * SERVICE_UNAVAILABLE. Resolves once every one has ended and the log is flushed.
   */
  async drain(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    if (this.running.size > 0 && graceMs > 0) {
      this.logger.log(
        `shutdown: waiting up to ${graceMs} ms for ${this.running.size} generation(s)`,
      );
    }
    while (this.running.size > 0 && Date.now() < deadline) {
      const current = Promise.allSettled([...this.running.values()].map((r) => r.done));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        current,
        new Promise((resolve) => (timer = setTimeout(resolve, deadline - Date.now()))),
      ]);
      clearTimeout(timer);
    }
    this.cutOff = true;
    const left = [...this.running.values()];
    if (left.length > 0) {
      this.logger.warn(`shutdown: cutting off ${left.length} generation(s) at the deadline`);
    }
    for (const r of left) r.controller.abort(SHUTDOWN_CUT);
    await Promise.allSettled(left.map((r) => r.done));
    // Every end is where other replicas read it before Redis closes.
    await this.log.flush();
  }

  /** Calls the provider, appends its text to the log, and closes the reply (see launch). */
  private async generate(
    id: string,
    call: GenerationCall,
    controller: AbortController,
    progress: { content: string },
    prepared?: AsyncIterable<LlmEvent>,
  ): Promise<MessageEntity | null> {
    let content = '';
    let terminal: GenerationEventBody;
    let stored: MessageEntity | null;
    const metered = this.metrics.generationStarted(call.model);
    // The catalog model that serves the reply: the router names it (a fallback's after a failover).
    let served = call.model;
    const serving = (model: string | undefined) => {
      if (model === undefined || model === served) return;
      served = model;
      metered.served(model);
    };
    try {
      let usage = { promptTokens: 0, completionTokens: 0 };
      // A provider that ignores max_tokens is cut (and billed no more than was reserved).
      const limit = Math.min(call.maxTokens, call.reservation.maxCompletionTokens);
      const meter = new CompletionMeter(limit + overrunAllowance(limit));
      const { signal } = controller;
      const events = prepared ?? this.provider.stream({ ...call, signal });
      for await (const event of events) {
        serving(event.model);
        if (event.type === 'delta') {
          if (!event.text || signal.reason === OVERRUN) continue;
          metered.firstToken();
          content += event.text;
          progress.content = content;
          await this.log.append(id, { type: 'content', content: event.text });
          if (meter.add(event.text, content)) {
            this.logger.warn(
              `generation ${id}: the provider streamed past max_tokens ${limit}; cut`,
            );
            this.metrics.generationOverran(served);
            controller.abort(OVERRUN);
          }
        } else {
          usage = event;
        }
      }
      usage = billable(usage, content, limit, meter.counted);
      if (signal.aborted && signal.reason === SHUTDOWN_CUT) {
        throw new AppError('SERVICE_UNAVAILABLE', 'error.shutting_down');
      }
      // A reply cut for running past its budget ended as the model would have, at its length.
      const stopped = signal.aborted && signal.reason !== OVERRUN;
      metered.finished(usage, stopped);
      // Never past what was reserved: the window cannot be overspent whatever the usage says.
      const total = Math.min(
        usage.promptTokens + usage.completionTokens,
        call.reservation.grantedTokens,
      );
      // A token-free reservation (the offline model) counts the request, bills no tokens.
      const billed = call.reservation.tokenFree ? 0 : total;
      stored = await this.close(
        id,
        {
          content,
          status: stopped ? 'stopped' : 'completed',
          tokensUsed: usage.completionTokens,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
          model: served,
        },
        this.quota.settlement(call.reservation, { requests: 1, tokens: billed }),
      );
      terminal = {
        type: 'end',
        usage: {
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          total_tokens: call.reservation.tokenFree
            ? usage.promptTokens + usage.completionTokens
            : total,
        },
        stopped,
      };
    } catch (error) {
      metered.failed(error);
      const appError = toAppError(error) ?? new AppError('INTERNAL_SERVER_ERROR', 'error.internal');
      if (appError.code === 'INTERNAL_SERVER_ERROR' || appError.code === 'DATABASE_ERROR') {
        this.logger.error(
          `generation ${id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
      // The partial reply is kept as failed; a failed call is not billed (quota released).
      stored = await this.close(
        id,
        {
          content,
          status: 'failed',
          tokensUsed: 0,
          promptTokens: null,
          completionTokens: null,
          model: served,
        },
        this.quota.settlement(call.reservation, { requests: 0, tokens: 0 }),
      ).catch((e: unknown) => {
        this.logger.error(`could not store failed generation ${id}: ${String(e)}`);
        return null;
      });
      terminal = {
        type: 'error',
        error: {
          code: appError.code,
          messageKey: appError.messageKey,
          variant: appError.variant,
          details: appError.details,
        },
      };
    }
    const running = this.running.get(id);
    if (running) running.ending = true;
    await this.log.append(id, terminal);
    return stored;
  }

  /** sends.close, retried with backoff while the database is unreachable (bounded; not past the shutdown deadline). */
  private async close(...args: Parameters<SendRepository['close']>): Promise<MessageEntity | null> {
    const closed = await retryWhileDatabaseDown(
      () => this.sends.close(...args),
      CLOSE_RETRY_MS,
      () => this.cutOff,
    );
    return closed?.message ?? null;
  }
}

/**
 * The usage to store and bill: the provider's, but completion tokens at most `limit` (a cut
 * reply, or a provider that ignores max_tokens), and never fewer than this process counts
 * when the reported figure is implausibly low for the text (a wrong `usage`).
 */
export function billable(
  usage: { promptTokens: number; completionTokens: number },
  content: string,
  limit: number,
  counted?: number,
): { promptTokens: number; completionTokens: number } {
  let completion = usage.completionTokens;
  // Text runs about four characters a token; far more per reported token is not believable.
  if (counted !== undefined || content.length > 8 * (completion + 16)) {
    completion = Math.max(completion, counted ?? countTextTokens(content));
  }
  return { promptTokens: usage.promptTokens, completionTokens: Math.min(completion, limit) };
}

/** The prepared call's events, its first (already asked for) first. */
function primed(prepared: PreparedCall): AsyncIterable<LlmEvent> {
  let first: Promise<IteratorResult<LlmEvent>> | undefined = prepared.first;
  const { events } = prepared;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        const next = first ?? events.next();
        first = undefined;
        return next;
      },
      return: async () => {
        first = undefined;
        return (await events.return?.()) ?? { done: true, value: undefined };
      },
    }),
  };
}
