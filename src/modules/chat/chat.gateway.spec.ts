import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocketServer as WsServer } from 'ws';
import { AppError } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import type { BusChannel, BusEvents, EventBus } from '../../redis/event-bus';
import type { GenerationService, StartedGeneration } from '../generation/generation.service';
import type { MetricsService } from '../metrics/metrics.service';
import type { ChatAuthService } from './chat-auth.service';
import { ChatConnectionRegistry } from './chat-connection.registry';
import { ChatFrameValidator } from './chat-frame.validator';
import type { ChatSocket, Handshake } from './chat-socket';
import type { ChatFollower } from './chat.follower';
import { ChatGateway } from './chat.gateway';
import { aHandshake, aUser, FakeWs } from './testing/chat-fakes';
import { WS_CLOSE_GOING_AWAY, WS_CLOSE_UNAUTHORIZED } from './ws-events';

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

/**
 * The gateway with typed fakes for what it hands work to (auth, follower, generation, bus) and
 * the real registry and frame validator (plain in-memory classes with specs of their own).
 */
function setup() {
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
  const connections = new ChatConnectionRegistry(metrics as unknown as MetricsService);
  const bus = fakeBus();
  const config = new AppConfig(validateEnv({ JWT_SECRET: 'x'.repeat(40) }));
  const gateway = new ChatGateway(
    config,
    auth as unknown as ChatAuthService,
    connections,
    new ChatFrameValidator(),
    follower as unknown as ChatFollower,
    generation as unknown as GenerationService,
    bus,
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
      socket.following.add('m-1');
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

    it('resumes after an ownership check, from `after` (0 when absent), replaying even if followed', async () => {
      const { ws, socket } = t.open();
      const messageId = randomUUID();
      send(ws, { type: 'resume', message_id: messageId, after: 4, request_id: 'again' });
      send(ws, { type: 'resume', message_id: messageId.toUpperCase() });
      await tick();
      expect(t.generation.follow.mock.calls).toEqual([
        [socket.user, messageId, 0],
        [socket.user, messageId, 0],
      ]);
      expect(t.follower.follow.mock.calls).toEqual([
        [socket, messageId, 4, 'again', true],
        [socket, messageId, 0, undefined, true],
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
});
