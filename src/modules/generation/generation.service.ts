import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { isDatabaseError, violatedConstraint } from '../../common/errors/database-errors';
import { toAppError } from '../../common/errors/to-app-error';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { RateLimiter, RateLimitState } from '../../common/throttling/rate-limiter';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import type { AuthUser } from '../auth/auth-user';
import { LLM_PROVIDER, LlmMessage, LlmProvider } from '../llm/llm-provider';
import { ModelsCatalog } from '../llm/models.catalog';
import { MetricsService } from '../metrics/metrics.service';
import { countTextTokens } from '../llm/tokenizer';
import type { MessageEntity } from '../messages/message.entity';
import { MessageResponse, toMessageResponse } from '../messages/dto/message.response';
import { MessagesRepository } from '../messages/messages.repository';
import { QuotaService, Reservation, RESERVE_ATTEMPTS } from '../quota/quota.service';
import { buildContext } from './context-builder';
import type { SendMessageDto } from './dto/send-message.dto';
import type { GenerationEvent, GenerationEventBody, Usage } from './generation-events';
import { IdempotencyRepository } from './idempotency.repository';
import { OpenedSend, SendRepository } from './send.repository';
import { STREAM_LOG, StreamLog } from './stream-log';

/** Reply budget when a send names no max_tokens (never above the model's own limit). */
export const DEFAULT_REPLY_TOKENS = 1024;
/** How long a stop waits for a generation running elsewhere to end. */
const STOP_WAIT_MS = 10_000;
/** Earlier messages read to build a reply's context (trimmed further to the window). */
const CONTEXT_MESSAGES = 200;
/** The abort reason of a generation still running at the shutdown deadline. */
const SHUTDOWN_CUT = Symbol('shutdown deadline');
/**
 * How long a reply's closing statement (store + settle) is retried while the database is
 * unreachable: a reply must not stay 'streaming', nor its reservation stay held, because the
 * database was away at the moment it ended.
 */
const CLOSE_RETRY_MS = 30_000;

export interface StartedGeneration {
  conversationId: string;
  userMessageId: string;
  assistantMessageId: string;
  /** True when an Idempotency-Key matched an earlier send: nothing new was started. */
  replayed: boolean;
  /** Set when this process started it: the stored user message and the reply once closed. */
  local?: { user: MessageEntity; reply: Promise<MessageEntity | null> };
  /** Where the sender's `messages` budget stands after this send (absent for a replay). */
  rateLimit?: RateLimitState;
}

export interface SendResult {
  user_message: MessageResponse;
  assistant_message: MessageResponse;
  usage: Usage;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

class IdempotencyConflict extends Error {}

/**
 * Produces assistant replies. A generation's id is its assistant message id; it writes
 * numbered events (start, content…, end | error) to the stream log, and stores the message
 * at start (streaming) and once at the end — never per chunk. REST, SSE and WebSocket are
 * subscribers of that log.
 */
@Injectable()
export class GenerationService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(GenerationService.name);
  private readonly running = new Map<string, Running>();
  /** Set at the shutdown deadline: whatever runs from then on is cut off. */
  private cutOff = false;
  private drained?: Promise<void>;

  constructor(
    private readonly tx: Transactions,
    private readonly sends: SendRepository,
    private readonly messages: MessagesRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly quota: QuotaService,
    private readonly models: ModelsCatalog,
    @Inject(LLM_PROVIDER) private readonly provider: LlmProvider,
    @Inject(STREAM_LOG) private readonly log: StreamLog,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly rateLimiter: RateLimiter,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownService,
  ) {}

  /** A stop asked on any replica reaches the one running the generation. */
  onModuleInit(): void {
    this.bus.subscribe('generation.stop', ({ messageId }) =>
      this.running.get(messageId)?.controller.abort(),
    );
  }

  /**
   * Checks and reserves everything, stores the user message and an empty streaming reply,
   * and starts generating in the background. Throws (404, 422, 429…) before anything is stored.
   */
  async start(
    actor: AuthUser,
    conversationId: string,
    dto: SendMessageDto,
    idempotencyKey?: string,
    origin?: { socketId: string; requestId?: string },
  ): Promise<StartedGeneration> {
    if (idempotencyKey !== undefined) {
      const earlier = await this.replayOf(actor, conversationId, idempotencyKey);
      if (earlier) return earlier;
    }
    // A draining replica starts nothing new (503 + Retry-After): the client retries elsewhere.
    this.shutdown.assertAccepting();
    // One budget per user for every way of sending: REST, SSE and WebSocket all come here.
    // Counted (Redis) while the conversation is read (database); a refusal still comes first.
    const [limited, read] = await Promise.allSettled([
      this.rateLimiter.consume('messages', actor.id, this.config.env.RATE_LIMIT_MESSAGES),
      this.sends.context(conversationId, actor.id, CONTEXT_MESSAGES),
    ]);
    if (limited.status === 'rejected') throw limited.reason;
    if (read.status === 'rejected') throw read.reason;
    const rateLimit = limited.value;
    const conversation = read.value;
    if (!conversation) throw AppError.notFound();
    const modelId = dto.model ?? conversation.model;
    const model = this.models.require(modelId);
    if (dto.max_tokens !== undefined && dto.max_tokens > model.max_tokens) {
      throw AppError.validation([fieldIssue('max_tokens', 'issue.max_tokens_too_large')]);
    }
    const replyBudget = dto.max_tokens ?? Math.min(model.max_tokens, DEFAULT_REPLY_TOKENS);
    const earlier = conversation.history;
    const context = buildContext({
      systemMessage: conversation.systemMessage,
      history: earlier
        .filter(isContextTurn)
        .map((m): LlmMessage => ({ role: m.role, content: m.content })),
      newMessage: dto.content,
      contextWindow: model.context_window,
      replyBudget,
    });

    // One statement reserves the quota and stores both messages (docs/PERFORMANCE.md, P4):
    // a refusal or a failure leaves nothing behind, the reservation included.
    const plan = this.quota.plan(actor, context.promptTokens, replyBudget);
    const send = {
      reserve: plan.input,
      conversationId,
      userId: actor.id,
      parentId: earlier.at(-1)?.id ?? null,
      content: dto.content,
      model: modelId,
      tokensUsed: countTextTokens(dto.content),
    };
    let stored: OpenedSend | null;
    for (let attempt = 1; ; attempt++) {
      try {
        stored =
          idempotencyKey === undefined
            ? await this.sends.open(send)
            : await this.tx.run(async (tx) => {
                const opened = await this.sends.open(send, tx);
                if (!opened) return null;
                const claimed = await this.idempotency.claim(
                  {
                    userId: actor.id,
                    key: idempotencyKey,
                    conversationId,
                    userMessageId: opened.user.id,
                    assistantMessageId: opened.assistant.id,
                  },
                  tx,
                );
                if (!claimed) throw new IdempotencyConflict();
                return opened;
              });
      } catch (error) {
        if (error instanceof IdempotencyConflict && idempotencyKey !== undefined) {
          const replay = await this.replayOf(actor, conversationId, idempotencyKey);
          if (replay) return replay;
        }
        // Deleted between the ownership check and the insert: it is gone, not a server fault.
        if (violatedConstraint(error) === 'messages_conversation_fk') throw AppError.notFound();
        throw error;
      }
      if (stored) break;
      // Refused: explained from a later read of the usage. Nothing full by then means the
      // room was held by replies that have settled since: ask again (a few times).
      const refusal = await this.quota.refusal(plan, attempt >= RESERVE_ATTEMPTS);
      if (refusal) throw refusal;
    }
    const reservation = this.quota.granted(plan, stored.granted);

    const id = stored.assistant.id;
    await this.log.append(id, {
      type: 'start',
      message_id: id,
      conversation_id: conversationId,
      user_message_id: stored.user.id,
    });
    const controller = new AbortController();
    const reply = this.generate(id, {
      messages: context.messages,
      model: modelId,
      temperature: dto.temperature,
      maxTokens: Math.max(1, Math.min(replyBudget, reservation.maxCompletionTokens)),
      signal: controller.signal,
      reservation,
    }).finally(() => this.running.delete(id));
    const done = reply.then(() => undefined);
    this.running.set(id, { controller, done });
    if (this.cutOff) controller.abort(SHUTDOWN_CUT);
    // The upstream call is under way; other replicas learn of the generation once they can read it.
    await this.log.flush(id);
    await this.bus.publish('generation.started', {
      userId: actor.id,
      messageId: id,
      conversationId,
      origin,
    });
    return {
      conversationId,
      userMessageId: stored.user.id,
      assistantMessageId: id,
      replayed: false,
      rateLimit,
      local: { user: stored.user, reply },
    };
  }

  /** The events of a generation after `after`, live until its end; `conversationId`, when given, must be its conversation. */
  async follow(
    actor: AuthUser,
    messageId: string,
    after: number,
    signal?: AbortSignal,
    conversationId?: string,
  ): Promise<AsyncIterable<GenerationEvent>> {
    const message = await this.messages.findOwned(messageId, actor.id);
    if (!message || message.role !== 'assistant') throw AppError.notFound();
    if (conversationId !== undefined && message.conversationId !== conversationId)
      throw AppError.notFound();
    return (await this.log.follow(messageId, after, signal)) ?? replayFromStore(message, after);
  }

  /**
   * The events of a generation the caller has just started (or was told about by the bus for
   * its own user): its ownership is known, so nothing is read to check it.
   */
  async followStarted(
    messageId: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent>> {
    const live = await this.log.follow(messageId, after, signal);
    if (live) return live;
    const message = await this.messages.findById(messageId);
    if (!message) throw AppError.notFound();
    return replayFromStore(message, after);
  }

  /** Waits for a generation to end and answers like POST …/messages (or throws its error). */
  async result(actor: AuthUser, started: StartedGeneration): Promise<SendResult> {
    const events = started.local
      ? await this.followStarted(started.assistantMessageId, 0)
      : await this.follow(actor, started.assistantMessageId, 0);
    for await (const event of events) {
      if (event.type === 'error') {
        throw new AppError(
          event.error.code,
          event.error.messageKey,
          event.error.details,
          event.error.status,
        );
      }
    }
    // Started here: both rows are in memory (the reply as its closing statement returned it).
    const [user, assistant] = started.local
      ? [started.local.user, await started.local.reply]
      : await Promise.all([
          this.messages.findById(started.userMessageId),
          this.messages.findById(started.assistantMessageId),
        ]);
    if (!user || !assistant) throw AppError.notFound();
    const prompt = assistant.promptTokens ?? 0;
    const completion = assistant.completionTokens ?? 0;
    return {
      user_message: toMessageResponse(user),
      assistant_message: toMessageResponse(assistant),
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      },
    };
  }

  /** Stops a running generation (its partial reply is kept and billed) and returns the message. */
  async stop(actor: AuthUser, messageId: string): Promise<MessageResponse> {
    const message = await this.messages.findOwned(messageId, actor.id);
    if (!message || message.role !== 'assistant') throw AppError.notFound();
    const running = this.running.get(messageId);
    if (running) {
      running.controller.abort();
      await running.done;
    } else if (message.status === 'streaming') {
      // Running on another replica: ask it to stop, and wait for the end in the shared log.
      await this.bus.publish('generation.stop', { messageId });
      const events = await this.log.follow(messageId, 0, AbortSignal.timeout(STOP_WAIT_MS));
      if (events) for await (const event of events) void event;
    }
    return toMessageResponse((await this.messages.findById(messageId)) ?? message);
  }

  /** Drains before the DB and Redis close (they close in onApplicationShutdown). */
  beforeApplicationShutdown(): Promise<void> {
    return this.drain();
  }

  /**
   * Lets running generations finish within SHUTDOWN_GRACE_MS, then cuts off the rest: each
   * stores its partial reply (status `failed`, not billed) and ends its stream with an `error`
   * event, SERVICE_UNAVAILABLE. Resolves once every one has ended. Runs once; later calls
   * (the gateway's) share it. New starts are refused meanwhile (ShutdownService).
   */
  drain(): Promise<void> {
    this.drained ??= this.drainRunning(this.shutdown.graceMs);
    return this.drained;
  }

  private async drainRunning(graceMs: number): Promise<void> {
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

  private async replayOf(
    actor: AuthUser,
    conversationId: string,
    key: string,
  ): Promise<StartedGeneration | null> {
    const earlier = await this.idempotency.findLive(actor.id, key);
    if (!earlier) return null;
    if (earlier.conversationId !== conversationId) {
      throw AppError.validation([fieldIssue('Idempotency-Key', 'issue.idempotency_key_reused')]);
    }
    return {
      conversationId,
      userMessageId: earlier.userMessageId,
      assistantMessageId: earlier.assistantMessageId,
      replayed: true,
    };
  }

  /**
   * Calls the provider, appends its text to the log, and closes the reply: stored, conversation
   * touched and quota settled in one statement. Resolves to the stored reply (null when it
   * could not be stored: gone, or the database failed).
   */
  private async generate(
    id: string,
    call: {
      messages: LlmMessage[];
      model: string;
      temperature?: number;
      maxTokens: number;
      signal: AbortSignal;
      reservation: Reservation;
    },
  ): Promise<MessageEntity | null> {
    let content = '';
    let terminal: GenerationEventBody;
    let stored: MessageEntity | null;
    const metered = this.metrics.generationStarted(call.model);
    try {
      let usage = { promptTokens: 0, completionTokens: 0 };
      for await (const event of this.provider.stream(call)) {
        if (event.type === 'delta') {
          if (!event.text) continue;
          metered.firstToken();
          content += event.text;
          await this.log.append(id, { type: 'content', content: event.text });
        } else {
          usage = event;
        }
      }
      if (call.signal.aborted && call.signal.reason === SHUTDOWN_CUT) {
        throw new AppError('SERVICE_UNAVAILABLE', 'error.shutting_down');
      }
      const stopped = call.signal.aborted;
      metered.finished(usage, stopped);
      const total = usage.promptTokens + usage.completionTokens;
      stored = await this.closeReply(
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
      stored = await this.closeReply(
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
          status: appError.status,
          details: appError.details,
        },
      };
    }
    await this.log.append(id, terminal);
    return stored;
  }

  /** sends.close, retried with backoff while the database is unreachable (bounded; not past the shutdown deadline). */
  private async closeReply(
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

function isContextTurn<T extends Pick<MessageEntity, 'role' | 'content' | 'status'>>(
  m: T,
): m is T & { role: 'user' | 'assistant' } {
  return (
    (m.role === 'user' || m.role === 'assistant') &&
    m.content.length > 0 &&
    m.status !== 'streaming' &&
    m.status !== 'failed'
  );
}

/**
 * A generation no longer in the log (ended long ago, or on another process): its stored
 * state told as start, the whole content, and end (or error).
 */
function replayFromStore(message: MessageEntity, after: number): AsyncIterable<GenerationEvent> {
  const events: GenerationEventBody[] = [
    {
      type: 'start',
      message_id: message.id,
      conversation_id: message.conversationId,
      user_message_id: message.parentId ?? '',
    },
  ];
  if (message.content) events.push({ type: 'content', content: message.content });
  if (message.status === 'failed' || message.status === 'streaming') {
    events.push({
      type: 'error',
      error: { code: 'OPENAI_API_ERROR', messageKey: 'error.generation_interrupted', status: 502 },
    });
  } else {
    const prompt = message.promptTokens ?? 0;
    const completion = message.completionTokens ?? 0;
    events.push({
      type: 'end',
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      },
      stopped: message.status === 'stopped',
    });
  }
  const numbered: GenerationEvent[] = events.map((body, i) => ({ ...body, seq: i + 1 }));
  const remaining = numbered.filter((e) => e.seq > after);
  return {
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return {
        next: () =>
          Promise.resolve(
            i < remaining.length
              ? { value: remaining[i++], done: false }
              : { value: undefined, done: true },
          ),
      };
    },
  };
}
