import { Logger } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocketServer as WsServer } from 'ws';
import { AppError } from '../../common/errors/app-error';
import { RateLimiter } from '../../common/throttling/rate-limiter';
import { ResumeBudget } from '../../common/throttling/resume-budget';
import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import type { BusChannel, BusEvents, EventBus } from '../../redis/event-bus';
import type { GenerationService, StartedGeneration } from '../generation/generation.service';
import type { MetricsService } from '../metrics/metrics.service';
import type { ChatAuthService } from './chat-auth.service';
import { ChatConnectionRegistry } from './chat-connection.registry';
import { ChatFrameBudget } from './chat-frame-budget';
import { ChatFrameValidator } from './chat-frame.validator';
import type { ChatSocket, Handshake } from './chat-socket';
import { ChatSocketSlots } from './chat-socket-slots';
import type { ChatFollower } from './chat.follower';
import { ChatGateway } from './chat.gateway';
import { aHandshake, aUser, FakeWs } from './testing/chat-fakes';
import { WS_CLOSE_GOING_AWAY, WS_CLOSE_POLICY, WS_CLOSE_UNAUTHORIZED } from './ws-events';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** The bus in one process: publishing calls the subscribers at once. */
function fakeBus(): EventBus {
  const handlers = new Map<BusChannel, Set<(payload: never) => void>>();
  return {
    publish: <C extends BusChannel>(channel: C, payload: BusEvents[C]) => {
      for (const handler of handlers.get(channel) ?? []) handler(payload as never);
      return Promise.resolve();
    },
    subscribe: <C extends BusChannel>(channel: C, handler: (payload: BusEvents[C]) => void) => {
      const set = handlers.get(channel) ?? new Set();
      handlers.set(channel, set);
      set.add(handler);
      return () => void set.delete(handler);
    },
    close: () => Promise.resolve(),
  };
}

const storages: ThrottlerStorageService[] = [];
afterAll(() => storages.forEach((storage) => storage.onApplicationShutdown()));

/**
 * The gateway with typed fakes for what it hands work to (auth, follower, generation, bus) and
 * the real registry, frame validator and budgets (plain in-memory classes with specs of their
 * own; the budgets count on the throttler's in-memory storage, as without Redis).
 */
function setup(env: Record<string, string> = {}) {
  const handshakes = new Map<IncomingMessage, Handshake>();
  const auth = {
    install: jest.fn<void, [WsServer]>(),
    takeHandshake: jest.fn((req: IncomingMessage) => handshakes.get(req)),
    scheduleExpiry: jest.fn<void, [ChatSocket]>(),
    refreshUser: jest.fn((_socket: ChatSocket) => Promise.resolve()),
    reauthenticate: jest.fn((_socket: ChatSocket, _token: string) => Promise.resolve()),
  } satisfies Partial<Record<keyof ChatAuthService, unknown>>;
  const follower = {
    follow: jest.fn<void, Parameters<ChatFollower['follow']>>(),
    resume: jest.fn((..._args: Parameters<ChatFollower['resume']>) => Promise.resolve()),
  } satisfies Partial<Record<keyof ChatFollower, unknown>>;
  const started: StartedGeneration = {
    conversationId: randomUUID(),
    userMessageId: randomUUID(),
    assistantMessageId: randomUUID(),
    replayed: false,
  };
  const generation = {
    start: jest.fn((..._args: Parameters<GenerationService['start']>) => Promise.resolve(started)),
    stop: jest.fn((..._args: Parameters<GenerationService['stop']>) => Promise.resolve()),
    follow: jest.fn((..._args: Parameters<GenerationService['follow']>) => Promise.resolve()),
    drain: jest.fn(() => Promise.resolve()),
  } satisfies Partial<Record<keyof GenerationService, unknown>>;
  const metrics = { wsConnected: () => undefined, wsDisconnected: () => undefined };
  const bus = fakeBus();
  const config = new AppConfig(validateEnv({ JWT_SECRET: 'x'.repeat(40), ...env }));
  const connections = new ChatConnectionRegistry(
    metrics as unknown as MetricsService,
    new ChatSocketSlots(config, null),
  );
  const storage = new ThrottlerStorageService();
  storages.push(storage);
  const limiter = new RateLimiter(storage);
  const gateway = new ChatGateway(
    config,
    auth as unknown as ChatAuthService,
    connections,
    new ChatFrameValidator(),
    follower as unknown as ChatFollower,
    generation as unknown as GenerationService,
    bus,
    new ChatFrameBudget(config, limiter),
    new ResumeBudget(config, limiter),
  );
  /** A socket through the gateway's connection handler, as an accepted upgrade. */
  const open = (handshake = aHandshake()) => {
    const ws = new FakeWs();
    const req = { url: '/api/v1/ws/chat?token=x', headers: {} } as IncomingMessage;
    handshakes.set(req, handshake);
    gateway.handleConnection(ws.asWebSocket, req);
    return { ws, socket: connections.get(ws.asWebSocket)! };
  };
  return { gateway, auth, follower, generation, started, connections, bus, config, open };
}

describe(ChatGateway.name, () => {
  let t: ReturnType<typeof setup>;

  beforeEach(() => {
    t = setup();
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    t.gateway.onModuleDestroy();
    t.connections.onModuleDestroy();
    jest.restoreAllMocks();
  });

  describe('onModuleInit', () => {
    it("has every socket of the user follow a started generation; the request id only on the asking socket's", async () => {
      t.gateway.onModuleInit();
      const user = aUser();
      const asking = t.open(aHandshake({ user }));
      const tab = t.open(aHandshake({ user }));
      t.open();
      const messageId = randomUUID();
      await t.bus.publish('generation.started', {
        userId: user.id,
        messageId,
        conversationId: randomUUID(),
        origin: { socketId: asking.socket.id, requestId: 'req-1' },
      });
      expect(t.follower.follow.mock.calls).toEqual([
        [asking.socket, messageId, 0, 'req-1'],
        [tab.socket, messageId, 0, undefined],
      ]);
    });

    it('closes the sockets of revoked sessions with 4401', async () => {
      t.gateway.onModuleInit();
      const user = aUser();
      const ended = t.open(aHandshake({ user }));
      const kept = t.open(aHandshake({ user: { ...user, sessionId: randomUUID() } }));
      await t.bus.publish('session.revoked', { userId: user.id, sessionIds: [user.sessionId] });
      expect(ended.ws.closedWith?.code).toBe(WS_CLOSE_UNAUTHORIZED);
      expect(kept.ws.closedWith).toBeUndefined();
    });
    it('tells every socket of the user that a conversation changed, with only the changed fields', async () => {
      t.gateway.onModuleInit();
      const user = aUser();
      const one = t.open(aHandshake({ user }));
      const two = t.open(aHandshake({ user: { ...user, sessionId: randomUUID() } }));
      const other = t.open();
      const conversationId = randomUUID();
      await t.bus.publish('conversation.updated', {
        userId: user.id,
        conversationId,
        title: 'Spring in Kyoto',
      });
      await t.bus.publish('conversation.updated', {
        userId: user.id,
        conversationId,
        currentMessageId: null,
      });
      for (const { ws } of [one, two]) {
        expect(ws.frames).toEqual([
          {
            type: 'conversation_updated',
            conversation_id: conversationId,
            title: 'Spring in Kyoto',
            timestamp: expect.any(String),
          },
          {
            type: 'conversation_updated',
            conversation_id: conversationId,
            current_message_id: null,
            timestamp: expect.any(String),
          },
        ]);
      }
      expect(other.ws.frames).toEqual([]);
    });
  });

  describe('onModuleDestroy', () => {
    it('stops listening to the bus', async () => {
      t.gateway.onModuleInit();
      const { socket } = t.open();
      t.gateway.onModuleDestroy();
      await t.bus.publish('generation.started', {
        userId: socket.user.id,
        messageId: randomUUID(),
        conversationId: randomUUID(),
      });
      expect(t.follower.follow).not.toHaveBeenCalled();
    });
  });

  describe('beforeApplicationShutdown', () => {
    it('drains the generations, lets followers finish, then closes every socket with 1001', async () => {
      const steps: string[] = [];
      t.generation.drain.mockImplementation(() => {
        steps.push('drain');
        return Promise.resolve();
      });
      const { ws, socket } = t.open();
      socket.following.set('m-1', new AbortController());
      const done = t.gateway.beforeApplicationShutdown().then(() => steps.push('closed'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(steps).toEqual(['drain']);
      expect(ws.closedWith).toBeUndefined();
      socket.following.delete('m-1');
      await done;
      expect(ws.closedWith).toEqual({ code: WS_CLOSE_GOING_AWAY, reason: 'server shutting down' });
    });
  });

  describe('afterInit', () => {
    it('installs the handshake checks and starts the heartbeat', () => {
      const heartbeat = jest.spyOn(t.connections, 'startHeartbeat');
      const server = { options: {} } as WsServer;
      t.gateway.afterInit(server);
      expect(t.auth.install).toHaveBeenCalledWith(server);
      expect(heartbeat).toHaveBeenCalledWith(t.config.env.WS_HEARTBEAT_MS);
    });
  });

  describe('handleConnection', () => {
    it('registers an authenticated socket and schedules its expiry', () => {
      const handshake = aHandshake();
      const { socket } = t.open(handshake);
      expect(socket.user).toBe(handshake.user);
      expect([...t.connections.ofUser(handshake.user.id)]).toEqual([socket]);
      expect(t.auth.scheduleExpiry).toHaveBeenCalledWith(socket);
    });

    it("reads the socket's frames itself (no Nest message pipeline per frame)", async () => {
      const { ws } = t.open();
      ws.emit('message', Buffer.from('{"type":"ping"}'));
      await tick();
      expect(ws.frames.map((f) => f.type)).toEqual(['pong']);
    });

    it('closes with 4401 a socket without a handshake', () => {
      const ws = new FakeWs();
      t.gateway.handleConnection(ws.asWebSocket, { url: '/', headers: {} } as IncomingMessage);
      expect(ws.closedWith).toEqual({ code: WS_CLOSE_UNAUTHORIZED, reason: 'unauthorized' });
      expect(t.connections.get(ws.asWebSocket)).toBeUndefined();
    });
  });

  describe('handleDisconnect', () => {
    it('forgets the socket and ends what it follows', () => {
      const { ws, socket } = t.open();
      t.gateway.handleDisconnect(ws.asWebSocket);
      expect(t.connections.get(ws.asWebSocket)).toBeUndefined();
      expect(socket.closed.signal.aborted).toBe(true);
      t.gateway.handleDisconnect(new FakeWs().asWebSocket);
    });
  });

  describe('onFrame', () => {
    const send = (ws: FakeWs, frame: unknown) =>
      t.gateway.onFrame(ws.asWebSocket, typeof frame === 'string' ? frame : JSON.stringify(frame));

    it('answers ping with pong', async () => {
      const { ws } = t.open();
      send(ws, { type: 'ping', request_id: 'p' });
      await tick();
      expect(ws.frames).toEqual([{ type: 'pong', timestamp: expect.any(String) }]);
    });

    it('starts a chat_message as its user is now, with the request id as idempotency key and origin', async () => {
      const { ws, socket } = t.open();
      const conversation = randomUUID();
      send(ws, {
        type: 'chat_message',
        conversation_id: conversation.toUpperCase(),
        content: 'Hello',
        temperature: 0.5,
        request_id: 'req-1',
      });
      await tick();
      expect(t.auth.refreshUser).toHaveBeenCalledWith(socket);
      expect(t.generation.start).toHaveBeenCalledTimes(1);
      const [user, conversationId, dto, key, origin] = t.generation.start.mock.calls[0];
      expect([user, conversationId, key, origin]).toEqual([
        socket.user,
        conversation,
        'req-1',
        { socketId: socket.id, requestId: 'req-1' },
      ]);
      expect(dto).toMatchObject({ content: 'Hello', temperature: 0.5 });
      // The bus has the socket follow a new generation; the gateway does not.
      expect(t.follower.follow).not.toHaveBeenCalled();
      expect(ws.sent).toEqual([]);
    });

    it('follows the earlier generation of a replayed request id', async () => {
      const { ws, socket } = t.open();
      t.started.replayed = true;
      send(ws, {
        type: 'chat_message',
        conversation_id: randomUUID(),
        content: 'Hi',
        request_id: 'r',
      });
      await tick();
      expect(t.follower.follow).toHaveBeenCalledWith(socket, t.started.assistantMessageId, 0, 'r');
    });

    it('stops a generation for the socket user', async () => {
      const { ws, socket } = t.open();
      const messageId = randomUUID();
      send(ws, { type: 'stop', message_id: messageId.toUpperCase() });
      await tick();
      expect(t.generation.stop).toHaveBeenCalledWith(socket.user, messageId);
      expect(ws.sent).toEqual([]);
    });

    it('hands a resume to the follower, from `after` (0 when absent), with the request id', async () => {
      const { ws, socket } = t.open();
      const messageId = randomUUID();
      send(ws, { type: 'resume', message_id: messageId, after: 4, request_id: 'again' });
      send(ws, { type: 'resume', message_id: messageId.toUpperCase() });
      await tick();
      expect(t.follower.resume.mock.calls).toEqual([
        [socket, messageId, 4, 'again'],
        [socket, messageId, 0, undefined],
      ]);
    });

    it('hands an auth frame to re-authentication', async () => {
      const { ws, socket } = t.open();
      send(ws, { type: 'auth', token: 'fresh' });
      await tick();
      expect(t.auth.reauthenticate).toHaveBeenCalledWith(socket, 'fresh');
    });

    it.each<[string, unknown, string, string | undefined]>([
      ['a malformed frame, without request id', 'hello {', 'VALIDATION_ERROR', undefined],
      ['an unknown type', { type: 'shout', request_id: 'r-1' }, 'VALIDATION_ERROR', 'r-1'],
      [
        'a bad field',
        { type: 'stop', message_id: 'nope', request_id: 'r-2' },
        'VALIDATION_ERROR',
        'r-2',
      ],
      [
        'a refusal by the handler',
        { type: 'stop', message_id: randomUUID(), request_id: 'r-3' },
        'RESOURCE_NOT_FOUND',
        'r-3',
      ],
      [
        'a request id unfit to echo',
        { type: 'stop', message_id: 'nope', request_id: 7 },
        'VALIDATION_ERROR',
        undefined,
      ],
    ])('answers %s with an error frame', async (_name, frame, code, requestId) => {
      t.generation.stop.mockRejectedValue(AppError.notFound());
      const { ws } = t.open();
      send(ws, frame);
      await tick();
      expect(ws.frames).toEqual([
        {
          type: 'error',
          error: { code, message: expect.any(String) },
          ...(requestId === undefined ? {} : { request_id: requestId }),
          timestamp: expect.any(String),
        },
      ]);
    });

    it("handles a socket's frames one after the other", async () => {
      let release = () => undefined as void;
      t.generation.stop.mockReturnValue(new Promise<void>((resolve) => (release = resolve)));
      const { ws } = t.open();
      send(ws, { type: 'stop', message_id: randomUUID() });
      send(ws, { type: 'ping' });
      await tick();
      expect(ws.sent).toEqual([]);
      release();
      await tick();
      expect(ws.frames.map((f) => f.type)).toEqual(['pong']);
    });

    it('ignores frames of a socket that was never accepted', async () => {
      const ws = new FakeWs();
      send(ws, { type: 'ping' });
      await tick();
      expect(ws.sent).toEqual([]);
    });
  });
  describe('limits', () => {
    const send = (ws: FakeWs, frame: unknown) =>
      t.gateway.onFrame(ws.asWebSocket, typeof frame === 'string' ? frame : JSON.stringify(frame));
    const settle = async () => {
      for (let i = 0; i < 20; i++) await tick();
    };
    const codes = (ws: FakeWs) =>
      ws.frames.map((f) => (f.type === 'error' ? (f.error as { code: string }).code : f.type));

    it("counts every frame but ping in the user's frame budget, over all their sockets", async () => {
      t = setup({ WS_RATE_LIMIT_FRAMES: '3', WS_RATE_LIMIT_PINGS: '100' });
      const user = aUser();
      const a = t.open(aHandshake({ user }));
      const b = t.open(aHandshake({ user }));
      const stranger = t.open();
      send(a.ws, { type: 'stop', message_id: randomUUID() });
      send(b.ws, 'not json');
      send(b.ws, { type: 'ping' });
      send(a.ws, { type: 'dance' });
      await settle();
      send(b.ws, { type: 'stop', message_id: randomUUID(), request_id: 'over' });
      send(b.ws, { type: 'ping' });
      send(stranger.ws, { type: 'stop', message_id: randomUUID() });
      await settle();
      // stop, malformed, unknown type: 3 frames; the 4th (a stop on the other socket) is refused.
      expect(t.generation.stop).toHaveBeenCalledTimes(2);
      expect(codes(b.ws)).toEqual(['VALIDATION_ERROR', 'pong', 'RATE_LIMIT_EXCEEDED', 'pong']);
      const refused = b.ws.frames[2];
      expect(refused).toMatchObject({
        request_id: 'over',
        error: { details: { group: 'ws_frames', limit: 3, window_seconds: 60 } },
      });
      const { retry_after } = (refused.error as { details: { retry_after: number } }).details;
      expect(retry_after).toBeGreaterThanOrEqual(1);
      expect(retry_after).toBeLessThanOrEqual(60);
      expect(stranger.ws.frames).toEqual([]);
    });

    it('counts pings in a budget of their own', async () => {
      t = setup({ WS_RATE_LIMIT_FRAMES: '100', WS_RATE_LIMIT_PINGS: '2' });
      const { ws } = t.open();
      for (let i = 0; i < 3; i++) send(ws, { type: 'ping' });
      send(ws, { type: 'stop', message_id: randomUUID() });
      await settle();
      expect(codes(ws)).toEqual(['pong', 'pong', 'RATE_LIMIT_EXCEEDED']);
      expect(ws.frames[2]).toMatchObject({ error: { details: { group: 'ws_pings', limit: 2 } } });
      expect(t.generation.stop).toHaveBeenCalledTimes(1);
    });

    it('closes with 1008 a socket that goes on past WS_MAX_REFUSALS refusals, answering no more', async () => {
      t = setup({ WS_RATE_LIMIT_PINGS: '1', WS_MAX_REFUSALS: '3' });
      const { ws } = t.open();
      for (let i = 0; i < 6; i++) send(ws, { type: 'ping' });
      await settle();
      expect(codes(ws)).toEqual(['pong', ...Array(3).fill('RATE_LIMIT_EXCEEDED')]);
      expect(ws.closedWith).toEqual({ code: WS_CLOSE_POLICY, reason: 'rate limit exceeded' });
    });

    it('refuses, unhandled, a frame that finds WS_MAX_QUEUED_FRAMES waiting on its socket', async () => {
      t = setup({ WS_MAX_QUEUED_FRAMES: '2', WS_MAX_REFUSALS: '2' });
      let release = () => undefined as void;
      t.generation.stop.mockReturnValueOnce(new Promise<void>((resolve) => (release = resolve)));
      const { ws, socket } = t.open();
      send(ws, { type: 'stop', message_id: randomUUID() });
      send(ws, { type: 'ping' });
      send(ws, { type: 'ping' });
      expect(socket.queued).toBe(2);
      expect(codes(ws)).toEqual(['RATE_LIMIT_EXCEEDED']);
      expect(ws.frames[0]).toMatchObject({
        error: { details: { group: 'ws_queue', limit: 2, retry_after: 1 } },
      });
      release();
      await settle();
      expect(codes(ws)).toEqual(['RATE_LIMIT_EXCEEDED', 'pong']);
      expect(socket.queued).toBe(0);
      // Refusals of any limit add up towards the close.
      t.generation.stop.mockReturnValueOnce(new Promise<void>(() => undefined));
      send(ws, { type: 'stop', message_id: randomUUID() });
      for (let i = 0; i < 3; i++) send(ws, { type: 'ping' });
      expect(ws.closedWith?.code).toBe(WS_CLOSE_POLICY);
      // Frames still arriving on the closing socket are dropped.
      const sent = ws.sent.length;
      send(ws, { type: 'ping' });
      await settle();
      expect(ws.sent.length).toBe(sent);
    });

    it('spends the resumes budget (shared with the SSE resume route) on resume frames', async () => {
      t = setup({ RATE_LIMIT_RESUMES: '2' });
      const { ws } = t.open();
      for (let i = 0; i < 3; i++)
        send(ws, { type: 'resume', message_id: randomUUID(), request_id: `r-${i}` });
      await settle();
      expect(t.follower.resume).toHaveBeenCalledTimes(2);
      expect(ws.frames).toEqual([
        expect.objectContaining({
          type: 'error',
          request_id: 'r-2',
          error: expect.objectContaining({
            code: 'RATE_LIMIT_EXCEEDED',
            details: expect.objectContaining({ group: 'resumes', limit: 2 }),
          }),
        }),
      ]);
    });
  });
});
