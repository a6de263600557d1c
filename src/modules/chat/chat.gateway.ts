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
  WebSocketGateway,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket, WebSocketServer as WsServer } from 'ws';
import { toAppError } from '../../common/errors/to-app-error';
import { sanitizeUrl } from '../../common/logging/redact';
import { ResumeBudget } from '../../common/throttling/resume-budget';
import { AppConfig } from '../../config/app-config';
import { type BusEvents, EVENT_BUS, type EventBus } from '../../redis/event-bus';
import { GenerationService } from '../generation/generation.service';
import { ChatAuthService } from './chat-auth.service';
import { ChatConnectionRegistry } from './chat-connection.registry';
import { ChatFrameBudget } from './chat-frame-budget';
import { ChatFrameValidator, requestIdOf } from './chat-frame.validator';
import { serializeFrame, type ChatSocket, type SocketLimits } from './chat-socket';
import { ChatFollower } from './chat.follower';
import type {
  ChatMessageFrameDto,
  ClientFrame,
  RegenerateFrameDto,
  ResumeFrameDto,
} from './dto/chat-frame.dto';
import { WS_CLOSE_GOING_AWAY, WS_CLOSE_UNAUTHORIZED, WS_MAX_FRAME_BYTES } from './ws-events';

export const WS_PATH = '/api/v1/ws/chat';
/** Longest wait, at shutdown, for followers to send the frames already in the log. */
const SHUTDOWN_FLUSH_MS = 2000;

/**
 * Real-time chat (API.md §6) as a thin subscriber of the generation pipeline: the same
 * validation, ownership, quota and idempotency as REST, and every socket of a user receives
 * the events of that user's generations, whoever started them.
 *
 * The gateway routes: each frame is validated as its type's DTO and handed to what handles
 * it. Credentials are ChatAuthService's, the sockets ChatConnectionRegistry's, and sending a
 * reply's frames ChatFollower's.
 *
 * Every frame is bounded before it costs anything: it waits in its socket's queue of at most
 * WS_MAX_QUEUED_FRAMES, then is counted in its user's frame budget (ChatFrameBudget; a resume
 * also in the `resumes` budget shared with the SSE resume route). A refused frame is answered
 * with RATE_LIMIT_EXCEEDED; a socket that goes on being refused is closed with 1008.
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
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly auth: ChatAuthService,
    private readonly connections: ChatConnectionRegistry,
    private readonly frames: ChatFrameValidator,
    private readonly follower: ChatFollower,
    private readonly generation: GenerationService,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly budget: ChatFrameBudget,
    private readonly resumes: ResumeBudget,
  ) {}

  private get limits(): SocketLimits {
    const { WS_MAX_QUEUED_FRAMES, WS_MAX_REFUSALS } = this.config.env;
    return { maxQueued: WS_MAX_QUEUED_FRAMES, maxRefusals: WS_MAX_REFUSALS };
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      this.bus.subscribe('generation.started', (e) => {
        for (const socket of this.connections.ofUser(e.userId)) {
          const requestId = e.origin?.socketId === socket.id ? e.origin.requestId : undefined;
          this.follower.follow(socket, e.messageId, 0, requestId);
        }
      }),
      this.bus.subscribe('session.revoked', (e) => this.connections.closeRevoked(e)),
      this.bus.subscribe('conversation.updated', (e) => this.conversationUpdated(e)),
    );
  }

  /** One frame, serialized once, to every socket of the user on this replica. */
  private conversationUpdated(e: BusEvents['conversation.updated']): void {
    const sockets = this.connections.ofUser(e.userId);
    if (sockets.size === 0) return;
    const text = serializeFrame({
      type: 'conversation_updated',
      conversation_id: e.conversationId,
      ...(e.title !== undefined ? { title: e.title } : {}),
      ...(e.currentMessageId !== undefined ? { current_message_id: e.currentMessageId } : {}),
    });
    for (const socket of sockets) void socket.sendPaced(text);
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe) stop();
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
    do await new Promise((resolve) => setTimeout(resolve, 10));
    while (this.connections.anyFollowing() && Date.now() < flushUntil);
    this.connections.closeAll(WS_CLOSE_GOING_AWAY, 'server shutting down');
  }

  afterInit(server: WsServer): void {
    this.auth.install(server);
    this.connections.startHeartbeat(this.config.env.WS_HEARTBEAT_MS);
  }

  handleConnection(ws: WebSocket, req: IncomingMessage): void {
    const handshake = this.auth.takeHandshake(req);
    if (!handshake) {
      ws.close(WS_CLOSE_UNAUTHORIZED, 'unauthorized');
      return;
    }
    const socket = this.connections.add(ws, handshake, this.limits);
    // Read here, not through @SubscribeMessage: Nest's per-message pipeline (guards,
    // interceptors, observables) would run for every frame of a flood before any limit could.
    ws.on('message', (data: RawData) => this.onFrame(ws, data));
    const apiKeyId = socket.user.apiKeyId;
    this.logger.log(
      {
        socket_id: socket.id,
        user_id: socket.user.id,
        ...(apiKeyId ? { api_key_id: apiKeyId } : {}),
        url: sanitizeUrl(req.url),
      },
      'websocket connected',
    );
    this.auth.scheduleExpiry(socket);
  }

  handleDisconnect(ws: WebSocket): void {
    const socket = this.connections.remove(ws);
    if (socket)
      this.logger.log({ socket_id: socket.id, user_id: socket.user.id }, 'websocket closed');
  }

  /**
   * Every frame of an accepted socket; handled in order per socket. One that finds its socket's
   * queue full is refused at once, unread; frames still arriving on a socket being closed are
   * dropped.
   */
  onFrame(ws: WebSocket, raw: RawData | string): void {
    const socket = this.connections.get(ws);
    if (!socket?.isOpen) return;
    if (!socket.enqueue(() => this.handle(socket, raw))) socket.refuse(this.budget.queueFull());
  }

  private async handle(socket: ChatSocket, raw: RawData | string): Promise<void> {
    let body: Record<string, unknown> | undefined;
    let malformed: unknown;
    try {
      body = this.frames.parse(raw);
    } catch (error) {
      malformed = error;
    }
    // A malformed frame is counted like any other; it has no request id to echo.
    const requestId = body && requestIdOf(body);
    try {
      await this.budget.meter(socket.user.id, body?.type === 'ping' ? 'ping' : 'other');
      if (!body) throw malformed;
      await this.route(socket, await this.frames.validate(body), requestId);
    } catch (error) {
      if (toAppError(error)?.code === 'RATE_LIMIT_EXCEEDED')
        socket.refuse(error, { request_id: requestId });
      else socket.sendError(error, { request_id: requestId });
    }
  }

  private async route(socket: ChatSocket, frame: ClientFrame, requestId?: string): Promise<void> {
    switch (frame.type) {
      case 'ping':
        return socket.send({ type: 'pong' });
      case 'chat_message':
      case 'regenerate':
        return this.startReply(socket, frame, requestId);
      case 'stop':
        await this.generation.stop(socket.user, frame.message_id.toLowerCase());
        return;
      case 'resume':
        return this.resume(socket, frame, requestId);
      case 'auth':
        return this.auth.reauthenticate(socket, frame.token);
    }
  }

  /**
   * Starts a reply for a `chat_message` or a `regenerate` frame: the frame is the REST body
   * (its fields, validated as REST validates them) and more; its request id is the
   * idempotency key.
   */
  private async startReply(
    socket: ChatSocket,
    frame: ChatMessageFrameDto | RegenerateFrameDto,
    requestId?: string,
  ): Promise<void> {
    await this.auth.refreshUser(socket);
    const origin = { socketId: socket.id, requestId };
    const started =
      frame.type === 'chat_message'
        ? await this.generation.start(
            socket.user,
            frame.conversation_id.toLowerCase(),
            frame,
            requestId,
            origin,
          )
        : await this.generation.regenerate(
            socket.user,
            frame.message_id.toLowerCase(),
            frame,
            requestId,
            origin,
          );
    // A retried request id starts nothing new: follow the first one's generation here (once:
    // a socket already following it gets every frame already).
    if (started.replayed) this.follower.follow(socket, started.assistantMessageId, 0, requestId);
  }

  private async resume(
    socket: ChatSocket,
    frame: ResumeFrameDto,
    requestId?: string,
  ): Promise<void> {
    await this.resumes.consume(socket.user.id);
    await this.follower.resume(socket, frame.message_id.toLowerCase(), frame.after ?? 0, requestId);
  }
}
