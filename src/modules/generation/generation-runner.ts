import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { isDatabaseError } from '../../common/errors/database-errors';
import { toAppError } from '../../common/errors/to-app-error';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import { LLM_PROVIDER, LlmMessage, LlmProvider } from '../llm/llm-provider';
import type { MessageEntity } from '../messages/message.entity';
import { MetricsService } from '../metrics/metrics.service';
import { QuotaService, Reservation } from '../quota/quota.service';
import type { GenerationEventBody } from './generation-events';
import { SendRepository } from './send.repository';
import { STREAM_LOG, StreamLog } from './stream-log';

/** The abort reason of a generation still running at the shutdown deadline. */
const SHUTDOWN_CUT = Symbol('shutdown deadline');
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

interface Running {
  controller: AbortController;
  done: Promise<void>;
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

  /**
   * Starts generation `id` in the background (its start event first) and answers the stored
   * reply once it is closed (null when it could not be stored: gone, or the database failed).
   */
  launch(
    id: string,
    start: GenerationEventBody,
    call: GenerationCall,
  ): Promise<MessageEntity | null> {
    const controller = new AbortController();
    const reply = this.log
      .append(id, start)
      .then(() => this.generate(id, call, controller.signal))
      .finally(() => this.running.delete(id));
    this.running.set(id, { controller, done: reply.then(() => undefined) });
    if (this.cutOff) controller.abort(SHUTDOWN_CUT);
    return reply;
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
    signal: AbortSignal,
  ): Promise<MessageEntity | null> {
    let content = '';
    let terminal: GenerationEventBody;
    let stored: MessageEntity | null;
    const metered = this.metrics.generationStarted(call.model);
    try {
      let usage = { promptTokens: 0, completionTokens: 0 };
      for await (const event of this.provider.stream({ ...call, signal })) {
        if (event.type === 'delta') {
          if (!event.text) continue;
          metered.firstToken();
          content += event.text;
          await this.log.append(id, { type: 'content', content: event.text });
        } else {
          usage = event;
        }
      }
      if (signal.aborted && signal.reason === SHUTDOWN_CUT) {
        throw new AppError('SERVICE_UNAVAILABLE', 'error.shutting_down');
      }
      const stopped = signal.aborted;
      metered.finished(usage, stopped);
      const total = usage.promptTokens + usage.completionTokens;
      stored = await this.close(
        id,
        {
          content,
          status: stopped ? 'stopped' : 'completed',
          tokensUsed: usage.completionTokens,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
        },
        this.quota.settlement(call.reservation, { requests: 1, tokens: total }),
      );
      terminal = {
        type: 'end',
        usage: {
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          total_tokens: total,
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
        { content, status: 'failed', tokensUsed: 0, promptTokens: null, completionTokens: null },
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
    await this.log.append(id, terminal);
    return stored;
  }

  /** sends.close, retried with backoff while the database is unreachable (bounded; not past the shutdown deadline). */
  private async close(
    ...args: Parameters<SendRepository['close']>
  ): ReturnType<SendRepository['close']> {
    const deadline = Date.now() + CLOSE_RETRY_MS;
    for (let delay = 100; ; delay = Math.min(2 * delay, 2000)) {
      try {
        return await this.sends.close(...args);
      } catch (error) {
        if (!isDatabaseError(error) || this.cutOff || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
