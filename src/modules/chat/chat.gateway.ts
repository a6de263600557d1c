import {
  BeforeApplicationShutdown,
  Inject,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { isUUID } from 'class-validator';
import type { RawData, WebSocket, WebSocketServer as WsServer } from 'ws';
import { AppError } from '../../common/errors/app-error';
import { toAppError } from '../../common/errors/to-app-error';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { sanitizeUrl } from '../../common/logging/redact';
import { Lang, pickLang, t } from '../../common/i18n/messages';
import { AppValidationPipe } from '../../common/pipes/validation';
import { AppConfig } from '../../config/app-config';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import { AccessTokenVerifier } from '../auth/access-token.verifier';
import type { AuthUser } from '../auth/auth-user';
import { SendMessageDto } from '../generation/dto/send-message.dto';
import type { GenerationEvent } from '../generation/generation-events';
import { GenerationService } from '../generation/generation.service';
import { MetricsService } from '../metrics/metrics.service';
import {
  ServerFrame,
  WS_CLOSE_GOING_AWAY,
  WS_CLOSE_UNAUTHORIZED,
  WS_MAX_FRAME_BYTES,
} from './ws-events';
import { WsTickets } from './ws-tickets';

export const WS_PATH = '/api/v1/ws/chat';
const BEARER_PROTOCOL = 'bearer';
/** Longest wait, at shutdown, for followers to send the frames already in the log. */
const SHUTDOWN_FLUSH_MS = 2000;

interface Handshake {
  user: AuthUser;
  expiresAt: number;
  lang: Lang;
}

type UpgradeRequest = IncomingMessage & { chatHandshake?: Handshake };

/** One open socket and what it is doing. */
interface ChatSocket {
  id: string;
  ws: WebSocket;
  user: AuthUser;
  lang: Lang;
  expiresAt: number;
  expiryTimer?: NodeJS.Timeout;
  /** Frames of one socket are handled one after the other. */
  queue: Promise<void>;
  following: Set<string>;
  closed: AbortController;
  alive: boolean;
}

/** Bytes queued on a socket beyond which its followers wait for it to drain. */
const WS_HIGH_WATER_BYTES = 1024 * 1024;

function frame(body: ServerFrame): string {
  return JSON.stringify({ ...body, timestamp: new Date().toISOString() });
}

/** Credentials offered at the handshake: ?token=, ?ticket=, or `Sec-WebSocket-Protocol: bearer, <token>`. */
function credentialsOf(req: IncomingMessage): { token?: string; ticket?: string } {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const token = url.searchParams.get('token') ?? undefined;
  const ticket = url.searchParams.get('ticket') ?? undefined;
  const offered = (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const i = offered.indexOf(BEARER_PROTOCOL);
  const fromProtocol = i >= 0 ? offered[i + 1] : undefined;
  return { token: token ?? fromProtocol, ticket };
}

/**
 * Real-time chat (API.md §6) as a thin subscriber of the generation pipeline: the same
 * validation, ownership, quota and idempotency as REST, and every socket of a user receives
 * the events of that user's generations, whoever started them.
 */
@WebSocketGateway({ path: WS_PATH, maxPayload: WS_MAX_FRAME_BYTES })
export class ChatGateway
  implements
    OnGatewayInit<WsServer>,
    OnGatewayConnection<WebSocket>,
    OnGatewayDisconnect<WebSocket>,
    OnModuleInit,
    OnModuleDestroy,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger(ChatGateway.name);
  private readonly byUser = new Map<string, Set<ChatSocket>>();
  private readonly bySocket = new WeakMap<WebSocket, ChatSocket>();
  private readonly validation = new AppValidationPipe();
  private readonly unsubscribe: (() => void)[] = [];
  private heartbeat?: NodeJS.Timeout;

  @WebSocketServer()
  server!: WsServer;

  constructor(
    private readonly config: AppConfig,
    private readonly verifier: AccessTokenVerifier,
    private readonly tickets: WsTickets,
    private readonly generation: GenerationService,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.bus.subscribe('generation.started', (e) => {
        for (const socket of this.byUser.get(e.userId) ?? []) {
          const requestId = e.origin?.socketId === socket.id ? e.origin.requestId : undefined;
          this.follow(socket, e.messageId, 0, requestId);
        }
      }),
      this.bus.subscribe('session.revoked', (e) => {
        for (const socket of this.byUser.get(e.userId) ?? []) {
          const ended =
            e.sessionIds?.includes(socket.user.sessionId) ||
            (e.allExcept !== undefined && socket.user.sessionId !== e.allExcept);
          if (ended) socket.ws.close(WS_CLOSE_UNAUTHORIZED, 'session ended');
        }
      }),
    );
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe) stop();
    clearInterval(this.heartbeat);
  }

  /**
   * On shutdown, first the running generations finish, or are cut off at the grace deadline
   * with their partial replies stored; their last frames (end, or error SERVICE_UNAVAILABLE)
   * reach the sockets; then sockets close with 1001, "going away", so clients know to
   * reconnect elsewhere. (Nest terminates sockets before onApplicationShutdown.)
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.generation.drain();
    // Followers read the log asynchronously (over the network with Redis): let them send
    // the frames already written, for a bounded time (one may follow another replica's reply).
    const flushUntil = Date.now() + SHUTDOWN_FLUSH_MS;
    const busy = () =>
      [...this.byUser.values()].some((set) => [...set].some((s) => s.following.size > 0));
    do await new Promise((resolve) => setTimeout(resolve, 10));
    while (busy() && Date.now() < flushUntil);
    for (const sockets of this.byUser.values()) {
      for (const socket of sockets) socket.ws.close(WS_CLOSE_GOING_AWAY, 'server shutting down');
    }
  }

  /** Authenticates at the upgrade (async, before any frame): bad credentials get 401, a foreign origin 403. */
  afterInit(server: WsServer): void {
    server.options.verifyClient = (info, done) => {
      // A draining replica takes no new sockets: they would be closed with 1001 shortly.
      if (this.shutdown.draining) return done(false, 503, 'Service Unavailable');
      const origins = this.config.corsOrigins;
      if (origins.length > 0 && info.origin && !origins.includes(info.origin))
        return done(false, 403, 'Forbidden');
      this.authenticate(info.req as UpgradeRequest).then(
        () => done(true),
        () => {
          // The URL may carry the (bad) credentials: only its redacted form is logged.
          this.logger.log({ url: sanitizeUrl(info.req.url) }, 'websocket refused: unauthorized');
          done(false, 401, 'Unauthorized');
        },
      );
    };
    server.options.handleProtocols = (protocols) =>
      protocols.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false;
    this.heartbeat = setInterval(() => this.checkAlive(), this.config.env.WS_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  handleConnection(ws: WebSocket, req: UpgradeRequest): void {
    const handshake = req.chatHandshake;
    if (!handshake) {
      ws.close(WS_CLOSE_UNAUTHORIZED, 'unauthorized');
      return;
    }
    const socket: ChatSocket = {
      id: randomUUID(),
      ws,
      user: handshake.user,
      lang: handshake.lang,
      expiresAt: handshake.expiresAt,
      queue: Promise.resolve(),
      following: new Set(),
      closed: new AbortController(),
      alive: true,
    };
    this.bySocket.set(ws, socket);
    let sockets = this.byUser.get(socket.user.id);
    if (!sockets) this.byUser.set(socket.user.id, (sockets = new Set()));
    sockets.add(socket);
    this.metrics.wsConnected();
    this.logger.log(
      { socket_id: socket.id, user_id: socket.user.id, url: sanitizeUrl(req.url) },
      'websocket connected',
    );
    ws.on('pong', () => (socket.alive = true));
    this.scheduleExpiry(socket);
  }

  handleDisconnect(ws: WebSocket): void {
    const socket = this.bySocket.get(ws);
    if (!socket) return;
    this.metrics.wsDisconnected();
    this.logger.log({ socket_id: socket.id, user_id: socket.user.id }, 'websocket closed');
    // Closing a socket ends what it follows, never the generations themselves.
    socket.closed.abort();
    clearTimeout(socket.expiryTimer);
    const sockets = this.byUser.get(socket.user.id);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.byUser.delete(socket.user.id);
  }

  /** Every frame (the adapter's parser routes them all here); handled in order per socket. */
  @SubscribeMessage('frame')
  onFrame(ws: WebSocket, raw: RawData | string): void {
    const socket = this.bySocket.get(ws);
    if (!socket) return;
    socket.queue = socket.queue
      .then(() => this.handle(socket, raw))
      .catch((error: unknown) => this.sendError(socket, error));
  }

  private async handle(socket: ChatSocket, raw: RawData | string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(
        typeof raw === 'string' ? raw : Buffer.from(raw as Buffer).toString('utf8'),
      );
    } catch {
      throw new AppError('VALIDATION_ERROR', 'error.ws_malformed_frame', undefined, 400);
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new AppError('VALIDATION_ERROR', 'error.ws_malformed_frame', undefined, 400);
    }
    const { type, request_id: requestId, ...rest } = message as Record<string, unknown>;
    // Echoed back and, for chat_message, kept as the idempotency key: text PostgreSQL can store.
    const echo =
      typeof requestId === 'string' &&
      requestId.length > 0 &&
      requestId.length <= 200 &&
      !requestId.includes('\u0000')
        ? requestId
        : undefined;
    try {
      switch (type) {
        case 'ping':
          this.send(socket, { type: 'pong' });
          return;
        case 'chat_message':
          if (requestId !== undefined && echo === undefined) {
            throw AppError.validation([
              {
                field: 'request_id',
                issue: 'request_id must be a string of 1 to 200 characters without U+0000',
              },
            ]);
          }
          return await this.chat(socket, rest, echo);
        case 'stop':
          await this.generation.stop(socket.user, this.messageIdOf(rest));
          return;
        case 'resume': {
          const after = rest.after === undefined ? 0 : rest.after;
          if (typeof after !== 'number' || !Number.isInteger(after) || after < 0) {
            throw AppError.validation([
              { field: 'after', issue: 'after must be a non-negative integer' },
            ]);
          }
          const messageId = this.messageIdOf(rest);
          await this.generation.follow(socket.user, messageId, 0); // ownership check
          this.follow(socket, messageId, after, echo, true);
          return;
        }
        case 'auth':
          return await this.reauthenticate(socket, rest);
        default:
          throw new AppError('VALIDATION_ERROR', 'error.ws_unknown_type', { field: 'type' }, 400);
      }
    } catch (error) {
      this.sendError(socket, error, { request_id: echo });
    }
  }

  private async chat(
    socket: ChatSocket,
    body: Record<string, unknown>,
    requestId?: string,
  ): Promise<void> {
    const { conversation_id: conversationId, ...fields } = body;
    if (typeof conversationId !== 'string' || !isUUID(conversationId)) {
      throw AppError.validation([
        { field: 'conversation_id', issue: 'conversation_id must be a UUID' },
      ]);
    }
    const dto = (await this.validation.transform(fields, {
      type: 'body',
      metatype: SendMessageDto,
    })) as SendMessageDto;
    // The user as they are now (tier, role, active), as REST reads them per request: an admin's
    // change of is_vip must not wait for the socket to reconnect.
    socket.user = await this.verifier.sessionUser(socket.user.id, socket.user.sessionId);
    const started = await this.generation.start(
      socket.user,
      conversationId.toLowerCase(),
      dto,
      requestId,
      {
        socketId: socket.id,
        requestId,
      },
    );
    // A retried request id starts nothing new: follow the first one's generation here (once:
    // a socket already following it gets every frame already).
    if (started.replayed) this.follow(socket, started.assistantMessageId, 0, requestId);
  }

  private messageIdOf(body: Record<string, unknown>): string {
    const id = body.message_id;
    if (typeof id !== 'string' || !isUUID(id)) {
      throw AppError.validation([{ field: 'message_id', issue: 'message_id must be a UUID' }]);
    }
    return id.toLowerCase();
  }

  /** Streams one generation's events to one socket, from event `after` on. */
  private follow(
    socket: ChatSocket,
    messageId: string,
    after: number,
    requestId?: string,
    again = false,
  ): void {
    if (socket.following.has(messageId) && !again) return;
    socket.following.add(messageId);
    void (async () => {
      let conversationId = '';
      try {
        // From the start event on, so frames after `after` still carry the conversation id.
        // Ownership is known on every path here (the bus names the user; a resume checked it).
        const events = await this.generation.followStarted(messageId, 0, socket.closed.signal);
        for await (const event of events) {
          if (event.type === 'start') conversationId = event.conversation_id;
          if (event.seq <= after) continue;
          await this.sendPaced(
            socket,
            this.toFrame(event, messageId, conversationId, socket.lang, requestId),
          );
        }
      } catch (error) {
        if (!socket.closed.signal.aborted)
          this.sendError(socket, error, { message_id: messageId, request_id: requestId });
      } finally {
        socket.following.delete(messageId);
      }
    })();
  }

  private toFrame(
    event: GenerationEvent,
    messageId: string,
    conversationId: string,
    lang: Lang,
    requestId?: string,
  ): ServerFrame {
    const base = { conversation_id: conversationId, message_id: messageId, seq: event.seq };
    switch (event.type) {
      case 'start':
        return {
          type: 'message_start',
          ...base,
          user_message_id: event.user_message_id,
          ...(requestId ? { request_id: requestId } : {}),
        };
      case 'content':
        return { type: 'message_content', ...base, content: event.content };
      case 'end':
        return { type: 'message_end', ...base, usage: event.usage, stopped: event.stopped };
      case 'error':
        return {
          type: 'error',
          ...base,
          error: { code: event.error.code, message: t(event.error.messageKey, lang) },
          ...(requestId ? { request_id: requestId } : {}),
        };
    }
  }

  private async authenticate(req: UpgradeRequest): Promise<void> {
    const { token, ticket } = credentialsOf(req);
    const lang = pickLang(req.headers['accept-language']);
    if (ticket) {
      const holder = await this.tickets.redeem(ticket);
      if (!holder) throw AppError.unauthenticated('error.invalid_token');
      const user = await this.verifier.sessionUser(holder.userId, holder.sessionId);
      req.chatHandshake = {
        user,
        lang,
        expiresAt: Date.now() + this.config.accessTtlSeconds * 1000,
      };
      return;
    }
    if (!token) throw AppError.unauthenticated();
    const { user, expiresAt } = await this.verifier.verify(token);
    req.chatHandshake = { user, lang, expiresAt };
  }

  /** An `auth` frame with a fresh access token of the same user keeps the socket open past the old token's expiry. */
  private async reauthenticate(socket: ChatSocket, body: Record<string, unknown>): Promise<void> {
    if (typeof body.token !== 'string')
      throw AppError.validation([{ field: 'token', issue: 'token must be a string' }]);
    const { user, expiresAt } = await this.verifier.verify(body.token);
    if (user.id !== socket.user.id) throw AppError.unauthenticated('error.invalid_token');
    socket.user = user;
    socket.expiresAt = expiresAt;
    this.scheduleExpiry(socket);
    this.send(socket, { type: 'authenticated', expires_at: new Date(expiresAt).toISOString() });
  }

  private scheduleExpiry(socket: ChatSocket): void {
    clearTimeout(socket.expiryTimer);
    const ms = Math.max(0, Math.min(socket.expiresAt - Date.now(), 2 ** 31 - 1));
    socket.expiryTimer = setTimeout(
      () => socket.ws.close(WS_CLOSE_UNAUTHORIZED, 'token expired'),
      ms,
    );
    socket.expiryTimer.unref();
  }

  /** Pings every socket; one that did not answer the previous ping is dropped. */
  private checkAlive(): void {
    for (const sockets of this.byUser.values()) {
      for (const socket of sockets) {
        if (!socket.alive) {
          socket.ws.terminate();
          continue;
        }
        socket.alive = false;
        socket.ws.ping();
      }
    }
  }

  private send(socket: ChatSocket, body: ServerFrame): void {
    if (socket.ws.readyState === socket.ws.OPEN) socket.ws.send(frame(body));
  }

  /**
   * Like `send`, with backpressure: past WS_HIGH_WATER_BYTES queued on the socket it resolves
   * only once the frame is written (or the socket closed), so a client that does not read
   * holds up its own follower (the log keeps the events), not the process's memory.
   */
  private sendPaced(socket: ChatSocket, body: ServerFrame): Promise<void> {
    if (socket.ws.readyState !== socket.ws.OPEN) return Promise.resolve();
    if (socket.ws.bufferedAmount < WS_HIGH_WATER_BYTES) {
      socket.ws.send(frame(body));
      return Promise.resolve();
    }
    return new Promise((resolve) => socket.ws.send(frame(body), () => resolve()));
  }

  private sendError(
    socket: ChatSocket,
    error: unknown,
    extra: { request_id?: string; message_id?: string } = {},
  ): void {
    const appError = toAppError(error);
    if (!appError)
      this.logger.error(
        `ws frame failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    const e = appError ?? new AppError('INTERNAL_SERVER_ERROR', 'error.internal');
    const defined = Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined));
    this.send(socket, {
      type: 'error',
      error: { code: e.code, message: t(e.messageKey, socket.lang) },
      ...defined,
    });
  }
}
