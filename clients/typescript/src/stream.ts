import { ApiError } from './errors.ts';
import type { RawRequest, Transport } from './http.ts';
import { readSse } from './sse.ts';
import type { Message, StreamEvent } from './types.ts';

export interface StreamOptions {
  /** Aborts the stream: the iteration throws the signal's reason. The reply goes on. */
  signal?: AbortSignal;
  /**
   * The send's `Idempotency-Key`. One is made when absent, so that a send whose connection
   * drops before its first event can be sent again without starting a second reply.
   */
  idempotencyKey?: string;
  /** Reconnections in a row that may fail before the stream gives up (default 5). */
  maxRetries?: number;
  /** First wait before reconnecting, doubled each time, with jitter (default 250 ms). */
  retryDelayMs?: number;
  /**
   * A connection that carries nothing (not even a heartbeat) for this long is taken as lost
   * and reopened (default 45 s: the service sends a heartbeat every 15 s).
   */
  idleTimeoutMs?: number;
}

/** Where a stream is opened the first time; once the reply has started, it is resumed. */
export type StreamOrigin =
  | { kind: 'send'; conversationId: string; body: unknown }
  | { kind: 'regenerate'; messageId: string; body: unknown }
  | { kind: 'resume'; conversationId: string; messageId: string; after: number };

const MAX_RETRY_DELAY_MS = 5_000;

/** A wait of `ms` that an abort cuts short (with the abort's reason). */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // The abort's own reason (an AbortError unless the caller gave another).
    const reason = () => signal.reason as Error;
    if (signal.aborted) {
      reject(reason());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(reason());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with jitter: between half and all of base·2^(n−1), capped. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

const EVENT_TYPES = new Set(['start', 'content', 'title', 'end', 'error']);

function parseEvent(data: string, id: string | undefined): StreamEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) return undefined;
  const seq = id === undefined || id === '' ? undefined : Number(id);
  return {
    ...(value as StreamEvent),
    ...(seq !== undefined && Number.isFinite(seq) ? { id: seq } : {}),
  };
}

/**
 * One reply's event stream: iterate it (`for await`) for its typed events, each once and in
 * order, however often the connection drops on the way (it is reopened on the resume route
 * with `Last-Event-ID`). It ends after `end` or `error`. A stream can be iterated once.
 */
export class ReplyStream implements AsyncIterable<StreamEvent> {
  /** The assistant message of the reply, once its `start` event has arrived. */
  messageId: string | undefined;
  conversationId: string | undefined;
  /** The last event number received (the next reconnection's `Last-Event-ID`). */
  lastEventId = 0;
  /** Connections opened for this stream so far (1 when nothing dropped). */
  connections = 0;
  readonly idempotencyKey: string | undefined;

  private readonly controller = new AbortController();
  private iterated = false;
  private readonly started: Promise<string>;
  private onStarted!: (messageId: string) => void;
  private onNoStart!: (error: unknown) => void;

  constructor(
    private readonly transport: Transport,
    private readonly origin: StreamOrigin,
    private readonly stopReply: (messageId: string) => Promise<Message>,
    private readonly options: StreamOptions = {},
  ) {
    this.idempotencyKey =
      origin.kind === 'resume' ? undefined : (options.idempotencyKey ?? randomId());
    if (origin.kind === 'resume') {
      this.messageId = origin.messageId;
      this.conversationId = origin.conversationId;
      this.lastEventId = origin.after;
    }
    if (origin.kind === 'send') this.conversationId = origin.conversationId;
    this.started = new Promise<string>((resolve, reject) => {
      this.onStarted = resolve;
      this.onNoStart = reject;
    });
    this.started.catch(() => undefined);
    if (this.messageId) this.onStarted(this.messageId);
    const signal = options.signal;
    if (signal?.aborted) this.controller.abort(signal.reason);
    signal?.addEventListener('abort', () => this.controller.abort(signal.reason), { once: true });
  }

  /** Stops the reply (POST /messages/{id}/stop): its stream ends with `end`, `stopped: true`. */
  async stop(): Promise<Message> {
    return this.stopReply(await this.started);
  }

  /** Stops reading (the reply goes on, and can be resumed later from `lastEventId`). */
  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  /** Reads the whole stream: the reply's text, its events, and how it ended. */
  async collect(): Promise<{ text: string; events: StreamEvent[]; last: StreamEvent | undefined }> {
    const events: StreamEvent[] = [];
    for await (const event of this) events.push(event);
    const text = events.map((e) => (e.type === 'content' ? e.content : '')).join('');
    return { text, events, last: events.at(-1) };
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    if (this.iterated) throw new Error('A reply stream can be read once');
    this.iterated = true;
    return this.run();
  }

  private request(): RawRequest {
    const signal = this.controller.signal;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.messageId && this.conversationId) {
      if (this.lastEventId > 0) headers['last-event-id'] = String(this.lastEventId);
      return {
        method: 'GET',
        path: '/api/v1/conversations/{id}/messages/{messageId}/stream',
        pathParams: { id: this.conversationId, messageId: this.messageId },
        headers,
        signal,
      };
    }
    if (this.idempotencyKey) headers['idempotency-key'] = this.idempotencyKey;
    const origin = this.origin;
    if (origin.kind === 'regenerate') {
      return {
        method: 'POST',
        path: '/api/v1/messages/{id}/regenerate/stream',
        pathParams: { id: origin.messageId },
        body: origin.body ?? {},
        headers,
        signal,
      };
    }
    if (origin.kind === 'send') {
      return {
        method: 'POST',
        path: '/api/v1/conversations/{id}/messages/stream',
        pathParams: { id: origin.conversationId },
        body: origin.body,
        headers,
        signal,
      };
    }
    throw new Error('unreachable: a resumed stream knows its reply');
  }

  private async *run(): AsyncGenerator<StreamEvent, void, undefined> {
    const signal = this.controller.signal;
    const maxRetries = this.options.maxRetries ?? 5;
    const baseDelay = this.options.retryDelayMs ?? 250;
    const idleTimeout = this.options.idleTimeoutMs ?? 45_000;
    let failures = 0;
    let lastError: unknown;
    try {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        // One connection: aborted by the stream's own abort, or when it goes quiet too long.
        const connection = new AbortController();
        const onAbort = () => connection.abort(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        let idle: ReturnType<typeof setTimeout> | undefined;
        const touch = () => {
          clearTimeout(idle);
          idle = setTimeout(() => connection.abort(new Error('stream idle')), idleTimeout);
        };
        try {
          touch();
          this.connections++;
          const response = await this.transport.send({
            ...this.request(),
            signal: connection.signal,
          });
          if (!response.body) throw new Error('The event stream has no body');
          for await (const message of readSse(response.body, touch)) {
            const event = parseEvent(message.data, message.id);
            if (!event) continue;
            if (event.id !== undefined) {
              if (event.id <= this.lastEventId) continue;
              this.lastEventId = event.id;
            }
            failures = 0;
            if (event.type === 'start') {
              this.messageId = event.message_id;
              this.conversationId = event.conversation_id;
              this.onStarted(event.message_id);
            }
            yield event;
            if (event.type === 'end' || event.type === 'error') return;
            // Events already read are not handed out after an abort.
            if (signal.aborted) throw signal.reason;
          }
          lastError = new Error('The event stream ended before the reply did');
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          // A refusal (404, 422, 429…) is the answer: sending it again would change nothing.
          if (error instanceof ApiError) throw error;
          lastError = error;
        } finally {
          clearTimeout(idle);
          signal.removeEventListener('abort', onAbort);
          connection.abort();
        }
        failures++;
        if (failures > maxRetries) throw lastError;
        await delay(backoff(failures, baseDelay, MAX_RETRY_DELAY_MS), signal);
      }
    } finally {
      this.onNoStart(lastError ?? new Error('The stream ended before the reply started'));
    }
  }
}
