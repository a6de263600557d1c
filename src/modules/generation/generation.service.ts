import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import type { RateLimitState } from '../../common/throttling/rate-limiter';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import type { AuthUser } from '../auth/auth-user';
import type { MessageEntity } from '../messages/message.entity';
import { MessageResponse, toMessageResponse } from '../messages/dto/message.response';
import { MessagesRepository } from '../messages/messages.repository';
import { ConversationUpdates } from '../conversations/conversation-updates';
import { AdmissionGate } from './admission-gate';
import { AutoTitles } from './auto-titles';
import type { RegenerateMessageDto, SendMessageDto } from './dto/send-message.dto';
import {
  isTerminal,
  type GenerationEvent,
  type GenerationEventBody,
  type Usage,
} from './generation-events';
import { GenerationLeases } from './generation-leases';
import { GenerationRunners } from './generation-runner';
import { EarlierSend, isOpened, SendOpener, SendRequest } from './send-opener';
import { STREAM_LOG, StreamLog } from './stream-log';

export { DEFAULT_REPLY_TOKENS } from './send-opener';

/** How long a stop waits for a generation running elsewhere to end. */
const STOP_WAIT_MS = 10_000;
/**
 * How long a follower of another process's generation waits without an event before it
 * checks the stored reply: one that is no longer `streaming` ends the follow with its stored
 * outcome (its writer died and the log never got an end).
 */
export const FOLLOW_CHECK_MS = 15_000;
/** How long a reply stored as streaming is waited for to appear in the log (liveOrStored). */
const START_WAIT_MS = 2_000;

export interface StartedGeneration {
  conversationId: string;
  userMessageId: string;
  assistantMessageId: string;
  /** True when an Idempotency-Key matched an earlier send: nothing new was started. */
  replayed: boolean;
  /**
   * Set when this process started it: the stored user message (none for a regeneration), the
   * reply as opened (its sibling numbers) and the reply once closed.
   */
  local?: {
    user: MessageEntity | null;
    assistant: MessageEntity;
    reply: Promise<MessageEntity | null>;
  };
  /** Where the sender's `messages` budget stands after this send (absent for a replay). */
  rateLimit?: RateLimitState;
}

export interface SendResult {
  user_message: MessageResponse;
  assistant_message: MessageResponse;
  usage: Usage;
}

/** A regeneration's whole answer (API.md §11): no user message is stored. */
export type RegenerateResult = Omit<SendResult, 'user_message'>;

/** Where a WebSocket start came from (its socket is told the request id). */
export interface GenerationOrigin {
  socketId: string;
  requestId?: string;
}

/**
 * Produces assistant replies: a façade over the send's opening (SendOpener, behind the
 * admission queue) and the generations' lives (GenerationRunners). A generation's id is its
 * assistant message id; it writes numbered events (start, content…, end | error) to the stream
 * log, and stores the message at start (streaming) and once at the end — never per chunk. REST,
 * SSE and WebSocket are subscribers of that log.
 */
@Injectable()
export class GenerationService implements BeforeApplicationShutdown {
  private drained?: Promise<void>;

  constructor(
    private readonly opener: SendOpener,
    private readonly runners: GenerationRunners,
    private readonly admission: AdmissionGate,
    private readonly messages: MessagesRepository,
    @Inject(STREAM_LOG) private readonly log: StreamLog,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly shutdown: ShutdownService,
    private readonly leases: GenerationLeases,
    private readonly titles: AutoTitles,
    private readonly updates: ConversationUpdates,
  ) {}

  /** See FOLLOW_CHECK_MS (tests shorten it). */
  followCheckMs = FOLLOW_CHECK_MS;

  /**
   * Checks and reserves everything, stores the user message and an empty streaming reply,
   * and starts generating in the background. Throws (404, 422, 429, 503…) before anything is
   * stored. A burst waits in the admission queue; past its bounds it is refused with 503.
   */
  start(
    actor: AuthUser,
    conversationId: string,
    dto: SendMessageDto,
    idempotencyKey?: string,
    origin?: GenerationOrigin,
  ): Promise<StartedGeneration> {
    return this.begin(actor, { kind: 'send', conversationId, dto }, idempotencyKey, origin);
  }

  /**
   * Regenerates an assistant message (API.md §11): a new reply, its sibling, answering the
   * same user message with the branch up to it, started exactly as a send's (the same
   * checks, quota, idempotency, admission and delivery to every tab).
   */
  regenerate(
    actor: AuthUser,
    messageId: string,
    dto: RegenerateMessageDto,
    idempotencyKey?: string,
    origin?: GenerationOrigin,
  ): Promise<StartedGeneration> {
    return this.begin(actor, { kind: 'regenerate', messageId, dto }, idempotencyKey, origin);
  }

  private async begin(
    actor: AuthUser,
    request: SendRequest,
    idempotencyKey?: string,
    origin?: GenerationOrigin,
  ): Promise<StartedGeneration> {
    // A draining replica starts nothing new (503 + Retry-After): the client retries elsewhere;
    // a retry of a send it already started is still answered.
    if (idempotencyKey === undefined) this.shutdown.assertAccepting();
    const opened = await this.admission.run(async () => {
      if (idempotencyKey !== undefined) {
        const earlier = await this.opener.earlier(actor, request, idempotencyKey);
        if (earlier) return earlier;
        this.shutdown.assertAccepting();
      }
      return this.opener.open(actor, request, idempotencyKey);
    });
    if (!isOpened(opened)) return replayed(opened);

    const id = opened.assistant.id;
    const { conversationId } = opened;
    const reply = this.runners.launch(
      id,
      {
        type: 'start',
        message_id: id,
        conversation_id: conversationId,
        user_message_id: opened.userMessageId,
      },
      { ...opened.call, reservation: opened.reservation },
      opened.prepared,
    );
    // Beside the reply, not after it: a title ready before the reply's end is one of its events.
    if (opened.autoTitle && request.kind === 'send') {
      this.titles.start({
        userId: actor.id,
        conversationId,
        generationId: id,
        model: opened.autoTitle.model,
        message: request.dto.content,
      });
    }
    // Sockets here follow at once; other replicas hear of it once they can read its log: in
    // the log's own write to Redis, after its events, where the log is shared.
    await this.bus.publish(
      'generation.started',
      { userId: actor.id, messageId: id, conversationId, origin },
      { remoteVia: this.log.announce?.bind(this.log) },
    );
    // A new branch (a regeneration, a send that names its parent) is every tab's current one;
    // a send down the current branch is told by its generation's frames alone.
    if (request.kind === 'regenerate' || request.dto.parent_id !== undefined) {
      await this.updates.publish(actor.id, conversationId, { currentMessageId: id });
    }
    return {
      conversationId,
      userMessageId: opened.userMessageId,
      assistantMessageId: id,
      replayed: false,
      rateLimit: opened.rateLimit,
      local: { user: opened.user, assistant: opened.assistant, reply },
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
    return this.liveOrStored(messageId, after, signal, message);
  }

  /**
   * The log's events (live), or the stored reply's outcome when the log has none. A reply still
   * `streaming` in the store whose log has no event yet is waited for, up to START_WAIT_MS: the
   * sender's statement commits a moment before its log's first write, and a request that reads
   * in between (a racing send with the same Idempotency-Key, a follower told early) would
   * otherwise be told the reply was not completed.
   */
  private async liveOrStored(
    messageId: string,
    after: number,
    signal?: AbortSignal,
    stored?: MessageEntity,
  ): Promise<AsyncIterable<GenerationEvent>> {
    const deadline = Date.now() + START_WAIT_MS;
    for (let delay = 10; ; delay = Math.min(2 * delay, 200)) {
      const live = await this.live(messageId, after, signal);
      if (live) return live;
      const message = stored ?? (await this.messages.findById(messageId));
      stored = undefined;
      if (!message) throw AppError.notFound();
      if (message.status !== 'streaming' || signal?.aborted || Date.now() + delay > deadline) {
        return replayFromStore(message, after);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /**
   * The log's follow; where it reads another process's writes, watched: after
   * FOLLOW_CHECK_MS without an event (or when the log ends without a terminal event) the
   * stored reply is read, and one that is no longer `streaming` ends the follow with its
   * stored outcome, numbered after the last event passed on.
   */
  private async live(
    messageId: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null> {
    if (!this.log.remote?.(messageId)) return this.log.follow(messageId, after, signal);
    const inner = new AbortController();
    const forward = () => inner.abort();
    signal?.addEventListener('abort', forward, { once: true });
    const live = await this.log.follow(messageId, after, inner.signal);
    if (!live) {
      signal?.removeEventListener('abort', forward);
      return null;
    }
    const messages = this.messages;
    const checkMs = this.followCheckMs;
    return (async function* () {
      let last = after;
      let seen = 0;
      let checked = 0;
      let settled: MessageEntity | undefined;
      const settledNow = async () => {
        const message = await messages.findById(messageId).catch(() => null);
        return message && message.status !== 'streaming' ? message : undefined;
      };
      const timer = setInterval(() => {
        if (seen !== checked) {
          checked = seen;
          return;
        }
        void settledNow().then((message) => {
          if (!message) return;
          settled = message;
          inner.abort();
        });
      }, checkMs);
      timer.unref();
      try {
        for await (const event of live) {
          seen++;
          last = event.seq;
          yield event;
          if (isTerminal(event)) return;
        }
        if (signal?.aborted) return;
        settled ??= await settledNow();
        if (!settled) return;
        for await (const event of replayFromStore(settled, 0)) {
          if (isTerminal(event)) yield { ...event, seq: last + 1 };
        }
      } finally {
        clearInterval(timer);
        signal?.removeEventListener('abort', forward);
        inner.abort();
      }
    })();
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
    return this.liveOrStored(messageId, after, signal);
  }

  /**
   * The events of a send's generation from the first, live: a StartedGeneration is the
   * caller's own (started now, or named by the caller's own Idempotency-Key), so nothing is
   * read to check ownership — the sender's stream opens without a database round trip.
   */
  eventsOf(
    started: StartedGeneration,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent>> {
    return this.followStarted(started.assistantMessageId, 0, signal);
  }

  /** Waits for a generation to end and answers like POST …/messages (or throws its error). */
  async result(started: StartedGeneration): Promise<SendResult> {
    await this.ended(started);
    const [user, assistant] = await Promise.all([
      started.local?.user ?? this.readShown(started.userMessageId),
      this.replyOf(started),
    ]);
    if (!user) throw AppError.notFound();
    return { user_message: toMessageResponse(user), ...assistant };
  }

  /** Waits for a regeneration to end and answers with its reply (or throws its error). */
  async regenerateResult(started: StartedGeneration): Promise<RegenerateResult> {
    await this.ended(started);
    return this.replyOf(started);
  }

  /** Waits for the end of a generation; its error is thrown. */
  private async ended(started: StartedGeneration): Promise<void> {
    const events = await this.eventsOf(started);
    for await (const event of events) {
      if (event.type === 'error') {
        throw new AppError(
          event.error.code,
          event.error.messageKey,
          event.error.details,
          event.error.variant,
        );
      }
    }
  }

  /**
   * The ended reply and its usage. Started here, it is in memory (as its closing statement
   * returned it, with the sibling numbers it was opened with).
   */
  private async replyOf(started: StartedGeneration): Promise<RegenerateResult> {
    const local = started.local;
    const assistant = local
      ? withSiblingsOf(await local.reply, local.assistant)
      : await this.readShown(started.assistantMessageId);
    if (!assistant) throw AppError.notFound();
    const prompt = assistant.promptTokens ?? 0;
    const completion = assistant.completionTokens ?? 0;
    return {
      assistant_message: toMessageResponse(assistant),
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      },
    };
  }

  /** A stored message with its sibling numbers; null when gone. */
  private async readShown(id: string): Promise<MessageEntity | null> {
    const message = await this.messages.findById(id);
    return message && (await this.messages.withSiblings([message]))[0];
  }

  /** Stops a running generation (its partial reply is kept and billed) and returns the message. */
  async stop(actor: AuthUser, messageId: string): Promise<MessageResponse> {
    const message = await this.messages.findOwned(messageId, actor.id);
    if (!message || message.role !== 'assistant') throw AppError.notFound();
    const here = await this.runners.stop(messageId);
    if (
      !here &&
      message.status === 'streaming' &&
      !(await this.leases.closeIfOrphaned(messageId))
    ) {
      // Running on another replica: ask it to stop, and wait for the end in the shared log.
      await this.bus.publish('generation.stop', { messageId });
      const events = await this.log.follow(messageId, 0, AbortSignal.timeout(STOP_WAIT_MS));
      if (events) for await (const event of events) void event;
    }
    return toMessageResponse((await this.readShown(messageId)) ?? message);
  }

  /** Drains before the DB and Redis close (they close in onApplicationShutdown). */
  beforeApplicationShutdown(): Promise<void> {
    return this.drain();
  }

  /**
   * Lets running generations finish within SHUTDOWN_GRACE_MS, then cuts off the rest (see
   * GenerationRunners.drain), then ends this process's lease. Runs once; later calls (the gateway's) share it. New starts are
   * refused meanwhile (ShutdownService).
   */
  drain(): Promise<void> {
    this.drained ??= this.runners.drain(this.shutdown.graceMs).then(() => this.leases.stop());
    return this.drained;
  }
}

/** The closed reply with the sibling numbers it was opened with. */
function withSiblingsOf(reply: MessageEntity | null, opened: MessageEntity): MessageEntity | null {
  if (!reply) return null;
  reply.siblingIndex ??= opened.siblingIndex;
  reply.siblingCount ??= opened.siblingCount;
  return reply;
}

function replayed(earlier: EarlierSend): StartedGeneration {
  return {
    conversationId: earlier.conversationId,
    userMessageId: earlier.userMessageId,
    assistantMessageId: earlier.assistantMessageId,
    replayed: true,
  };
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
      error: { code: 'OPENAI_API_ERROR', messageKey: 'error.generation_interrupted' },
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
