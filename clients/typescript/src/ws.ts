import { isApiError } from './errors.ts';
import type { Transport } from './http.ts';
import { backoff, randomId } from './stream.ts';
import type {
  ChatMessageFrame,
  ClientFrame,
  ErrorFrame,
  MessageContentFrame,
  MessageEndFrame,
  MessageStartFrame,
  RegenerateFrame,
  ServerFrame,
} from './types.ts';

/**
 * The part of the WebSocket API the client uses: the browser's `WebSocket`, Node 22+'s global
 * one, or the `ws` package's class in Node 20.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { code: number; reason: string }) => void,
  ): void;
  addEventListener(type: 'error', listener: () => void): void;
}

export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

const OPEN = 1;

export interface ChatSocketOptions {
  /**
   * How the socket signs in at the upgrade: `ticket` (POST /auth/ws-ticket, then `?ticket=`;
   * the default with tokens), `subprotocol` (`Sec-WebSocket-Protocol: bearer, <token>`; the
   * default with an API key), or `query` (`?token=`).
   */
  auth?: 'ticket' | 'subprotocol' | 'query';
  /** A `ping` frame this often while open (default 25 s). */
  heartbeatMs?: number;
  /** A connection whose `ping` got no answer for this long is dropped and reopened (default 10 s). */
  heartbeatTimeoutMs?: number;
  /** Reconnect when the connection is lost (default true). */
  reconnect?: boolean;
  /** First reconnection delay, doubled each time, with jitter (default 500 ms). */
  reconnectDelayMs?: number;
  /** Longest reconnection delay (default 30 s). */
  maxReconnectDelayMs?: number;
  /** Frames kept while not connected, sent once connected (default 100; more are refused). */
  maxQueuedFrames?: number;
}

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  state: SocketState;
  /** The close code of the connection that ended, when one did. */
  code?: number;
  /** Why a closed socket will not reconnect (`unauthenticated`: the session cannot be renewed). */
  reason?: string;
  error?: unknown;
}

/** The frames of one reply. */
export type ReplyFrame = MessageStartFrame | MessageContentFrame | MessageEndFrame | ErrorFrame;

type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

interface ReplyState {
  lastSeq: number;
  done: boolean;
}

/** How many finished replies are remembered, so late duplicates of their frames are dropped. */
const FINISHED_KEPT = 200;

/**
 * One reply followed over the socket, as an async iterable of its frames (start, content…,
 * end or error), each once, across reconnections. It ends after `message_end` or `error`.
 */
export class ReplyFollow implements AsyncIterable<ReplyFrame> {
  messageId: string | undefined;
  private readonly queue: ReplyFrame[] = [];
  private wake: (() => void) | undefined;
  private finished = false;
  private failure: Error | undefined;

  constructor(
    readonly requestId: string,
    private readonly socket: ChatSocket,
  ) {}

  /** Stops the reply (a `stop` frame, once its id is known). */
  async stop(): Promise<void> {
    const id = this.messageId ?? (await this.waitForStart());
    this.socket.send({ type: 'stop', message_id: id });
  }

  /** Reads every frame: the reply's text, its frames, and the last one. */
  async collect(): Promise<{ text: string; frames: ReplyFrame[]; last: ReplyFrame | undefined }> {
    const frames: ReplyFrame[] = [];
    for await (const frame of this) frames.push(frame);
    const text = frames.map((f) => (f.type === 'message_content' ? f.content : '')).join('');
    return { text, frames, last: frames.at(-1) };
  }

  /** @internal */
  push(frame: ReplyFrame): void {
    if (this.finished) return;
    if (frame.type === 'message_start') {
      this.messageId = frame.message_id;
      for (const resolve of this.startWaiters.splice(0)) resolve(frame.message_id);
    }
    this.queue.push(frame);
    if (frame.type === 'message_end' || frame.type === 'error') this.finished = true;
    this.wake?.();
  }

  /** @internal */
  fail(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = error;
    this.wake?.();
  }

  private readonly startWaiters: ((id: string) => void)[] = [];
  private waitForStart(): Promise<string> {
    return new Promise((resolve) => this.startWaiters.push(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReplyFrame> {
    for (;;) {
      const frame = this.queue.shift();
      if (frame) {
        yield frame;
        if (frame.type === 'message_end' || frame.type === 'error') return;
        continue;
      }
      if (this.finished) {
        if (this.failure !== undefined) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}

/**
 * The chat WebSocket (API.md §6): signs in with a ticket (or the token), keeps a heartbeat,
 * reconnects with exponential backoff and jitter, and after a reconnection resumes every reply
 * it was receiving from the last `seq` it has. Each reply frame reaches listeners once.
 */
export class ChatSocket {
  state: SocketState = 'connecting';
  /** Connections opened so far. */
  connections = 0;

  private ws: WebSocketLike | undefined;
  private closedByUser = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private pingSentAt: number | undefined;
  private readonly outbox: string[] = [];
  private readonly replies = new Map<string, ReplyState>();
  private readonly finished: string[] = [];
  private readonly follows = new Map<string, ReplyFollow>();
  private readonly followsByMessage = new Map<string, ReplyFollow>();
  private readonly frameListeners = new Set<(frame: ServerFrame) => void>();
  private readonly stateListeners = new Set<(change: StateChange) => void>();
  private readonly unsubscribeTokens: () => void;
  private openWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly WebSocketImpl: WebSocketConstructor,
    private readonly apiKey: string | undefined,
    private readonly options: ChatSocketOptions = {},
  ) {
    // A renewed access token keeps an open socket alive past the old one's expiry.
    this.unsubscribeTokens = transport.tokens.subscribe((tokens) => {
      if (tokens && this.ws?.readyState === OPEN && this.apiKey === undefined) {
        this.sendNow({ type: 'auth', token: tokens.accessToken });
      }
    });
    void this.connect();
  }

  /** Resolves once the socket is open (at once when it is). */
  opened(): Promise<void> {
    if (this.state === 'open') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new Error('The socket is closed'));
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  /** Every frame the server sends (reply frames once each). Returns the unsubscriber. */
  onFrame(listener: (frame: ServerFrame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** Frames of one type. */
  on<T extends ServerFrame['type']>(type: T, listener: (frame: FrameOf<T>) => void): () => void {
    return this.onFrame((frame) => {
      if (frame.type === type) listener(frame as FrameOf<T>);
    });
  }

  /** Changes of the connection's state. */
  onState(listener: (change: StateChange) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Sends a frame now, or once connected. */
  send(frame: ClientFrame): void {
    const text = JSON.stringify(frame);
    if (this.state === 'closed') throw new Error('The socket is closed');
    if (this.ws?.readyState === OPEN && this.state === 'open') {
      this.ws.send(text);
      return;
    }
    if (this.outbox.length >= (this.options.maxQueuedFrames ?? 100)) {
      throw new Error('Too many frames waiting for the connection');
    }
    this.outbox.push(text);
  }

  /** Sends a message (`chat_message`) and follows its reply. */
  chat(
    conversationId: string,
    content: string,
    extra: Omit<ChatMessageFrame, 'type' | 'conversation_id' | 'content'> = {},
  ): ReplyFollow {
    const requestId = extra.request_id ?? randomId();
    this.send({
      type: 'chat_message',
      conversation_id: conversationId,
      content,
      ...extra,
      request_id: requestId,
    });
    return this.follow(requestId);
  }

  /** Regenerates an assistant reply (`regenerate`) and follows the new one. */
  regenerate(
    messageId: string,
    extra: Omit<RegenerateFrame, 'type' | 'message_id'> = {},
  ): ReplyFollow {
    const requestId = extra.request_id ?? randomId();
    this.send({ type: 'regenerate', message_id: messageId, ...extra, request_id: requestId });
    return this.follow(requestId);
  }

  /**
   * Follows a reply that is running already (another tab's, one from before a reload), from
   * `after` on. Frames this socket has delivered already are not delivered again.
   */
  resume(messageId: string, after = 0): ReplyFollow {
    this.send({ type: 'resume', message_id: messageId, after });
    const follow = new ReplyFollow(randomId(), this);
    follow.messageId = messageId;
    this.followsByMessage.set(messageId, follow);
    // An explicit resume of a reply that ended here gets its frames again.
    const finished = this.finished.indexOf(messageId);
    if (finished !== -1) this.finished.splice(finished, 1);
    const state = this.replies.get(messageId);
    if (!state || state.lastSeq < after)
      this.replies.set(messageId, { lastSeq: after, done: false });
    return follow;
  }

  stop(messageId: string): void {
    this.send({ type: 'stop', message_id: messageId });
  }

  /** Closes the socket for good (no reconnection); followed replies go on on the server. */
  close(): void {
    if (this.state === 'closed') return;
    this.closedByUser = true;
    this.finish({ state: 'closed', reason: 'closed' });
    this.ws?.close(1000, 'client closed');
  }

  private follow(requestId: string): ReplyFollow {
    const follow = new ReplyFollow(requestId, this);
    this.follows.set(requestId, follow);
    return follow;
  }

  private setState(change: StateChange): void {
    this.state = change.state;
    for (const listener of this.stateListeners) listener(change);
    if (change.state === 'open') {
      for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
    }
  }

  private finish(change: StateChange): void {
    clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    this.unsubscribeTokens();
    const error =
      change.error instanceof Error
        ? change.error
        : new Error(`The socket is closed (${change.reason ?? 'closed'})`);
    for (const follow of [...this.follows.values(), ...this.followsByMessage.values()]) {
      follow.fail(error);
    }
    this.follows.clear();
    this.followsByMessage.clear();
    this.setState(change);
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(error);
  }

  private async url(): Promise<{ url: string; protocols?: string[] }> {
    const base = `${this.transport.baseUrl.replace(/^http/, 'ws')}/api/v1/ws/chat`;
    const mode = this.options.auth ?? (this.apiKey !== undefined ? 'subprotocol' : 'ticket');
    if (mode === 'ticket' && this.apiKey === undefined) {
      const ticket = (await this.transport.json({
        method: 'POST',
        path: '/api/v1/auth/ws-ticket',
      })) as { ticket: string };
      return { url: `${base}?ticket=${encodeURIComponent(ticket.ticket)}` };
    }
    const token = this.apiKey ?? (await this.transport.tokens.accessToken());
    if (token === undefined) throw new Error('Not signed in');
    return mode === 'query'
      ? { url: `${base}?token=${encodeURIComponent(token)}` }
      : { url: base, protocols: ['bearer', token] };
  }

  private async connect(): Promise<void> {
    let target: { url: string; protocols?: string[] };
    try {
      target = await this.url();
    } catch (error) {
      if (this.closedByUser) return;
      // A session that cannot be renewed will not come back by retrying.
      if (isApiError(error, 'AUTHENTICATION_ERROR') || isApiError(error, 'AUTHORIZATION_ERROR')) {
        this.finish({ state: 'closed', reason: 'unauthenticated', error });
        return;
      }
      this.scheduleReconnect(undefined, error);
      return;
    }
    if (this.closedByUser) return;
    const ws = target.protocols
      ? new this.WebSocketImpl(target.url, target.protocols)
      : new this.WebSocketImpl(target.url);
    this.ws = ws;
    let gotFrame = false;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.connections++;
      this.setState({ state: 'open' });
      // Replies that were running when the last connection ended go on from their last seq.
      for (const [messageId, reply] of this.replies) {
        if (!reply.done)
          this.sendNow({ type: 'resume', message_id: messageId, after: reply.lastSeq });
      }
      for (const text of this.outbox.splice(0)) ws.send(text);
      this.startHeartbeat(ws);
    });
    ws.addEventListener('message', (event) => {
      if (this.ws !== ws) return;
      if (!gotFrame) {
        gotFrame = true;
        this.attempt = 0;
      }
      this.pingSentAt = undefined;
      const frame = parseFrame(event.data);
      if (frame) this.receive(frame);
    });
    ws.addEventListener('error', () => undefined);
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.stopHeartbeat();
      if (this.closedByUser || this.state === 'closed') return;
      void this.afterClose(event.code);
    });
  }

  private async afterClose(code: number): Promise<void> {
    if (code === 4401 && this.apiKey === undefined) {
      // The access token expired or the session ended: renew once; a dead session stays closed.
      const held = await this.transport.tokens.get();
      const renewed = await this.transport.tokens.refresh(held?.accessToken).catch(() => null);
      if (!renewed) {
        this.finish({ state: 'closed', code, reason: 'unauthenticated' });
        return;
      }
    }
    if (this.options.reconnect === false) {
      this.finish({ state: 'closed', code, reason: 'connection lost' });
      return;
    }
    this.scheduleReconnect(code);
  }

  private scheduleReconnect(code?: number, error?: unknown): void {
    this.attempt++;
    const delay = backoff(
      this.attempt,
      this.options.reconnectDelayMs ?? 500,
      this.options.maxReconnectDelayMs ?? 30_000,
    );
    this.setState({ state: 'reconnecting', code, error });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private startHeartbeat(ws: WebSocketLike): void {
    this.stopHeartbeat();
    const every = this.options.heartbeatMs ?? 25_000;
    const timeout = this.options.heartbeatTimeoutMs ?? 10_000;
    let lastPing = 0;
    const beat = () => {
      if (this.ws !== ws) return;
      const now = Date.now();
      if (this.pingSentAt !== undefined) {
        if (now - this.pingSentAt < timeout) return;
        // No answer: the connection is dead even if the platform has not noticed. Leave it
        // (its close may take long to come) and open another.
        this.ws = undefined;
        this.stopHeartbeat();
        ws.close(4000, 'heartbeat timeout');
        this.scheduleReconnect(4000);
        return;
      }
      if (now - lastPing < every) return;
      lastPing = now;
      this.pingSentAt = now;
      ws.send(JSON.stringify({ type: 'ping' }));
    };
    beat();
    this.heartbeatTimer = setInterval(beat, Math.max(50, Math.min(every, timeout) / 2));
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.pingSentAt = undefined;
  }

  private sendNow(frame: ClientFrame): void {
    if (this.ws?.readyState === OPEN) this.ws.send(JSON.stringify(frame));
  }

  private receive(frame: ServerFrame): void {
    const messageId = 'message_id' in frame ? frame.message_id : undefined;
    const seq = 'seq' in frame ? frame.seq : undefined;
    if (messageId !== undefined && seq !== undefined) {
      if (this.finished.includes(messageId)) return;
      const reply = this.replies.get(messageId) ?? { lastSeq: 0, done: false };
      if (seq <= reply.lastSeq) return;
      reply.lastSeq = seq;
      this.replies.set(messageId, reply);
      if (frame.type === 'message_end' || frame.type === 'error') {
        reply.done = true;
        this.replies.delete(messageId);
        this.finished.push(messageId);
        if (this.finished.length > FINISHED_KEPT) this.finished.shift();
      }
    }
    this.route(frame, messageId);
    for (const listener of this.frameListeners) listener(frame);
  }

  /** Hands reply frames to the follow that asked for them. */
  private route(frame: ServerFrame, messageId: string | undefined): void {
    if (
      frame.type !== 'message_start' &&
      frame.type !== 'message_content' &&
      frame.type !== 'message_end' &&
      frame.type !== 'error'
    ) {
      return;
    }
    let follow = messageId ? this.followsByMessage.get(messageId) : undefined;
    const requestId = 'request_id' in frame ? frame.request_id : undefined;
    if (!follow && requestId !== undefined) {
      follow = this.follows.get(requestId);
      if (follow && messageId) this.followsByMessage.set(messageId, follow);
    }
    if (!follow) return;
    follow.push(frame);
    if (frame.type === 'message_end' || frame.type === 'error') {
      this.follows.delete(follow.requestId);
      if (follow.messageId) this.followsByMessage.delete(follow.messageId);
    }
  }
}

function parseFrame(data: unknown): ServerFrame | undefined {
  let text: string | undefined;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer || data instanceof Uint8Array) {
    text = new TextDecoder().decode(data);
  }
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' &&
      value !== null &&
      typeof (value as { type?: unknown }).type === 'string'
      ? (value as ServerFrame)
      : undefined;
  } catch {
    return undefined;
  }
}
