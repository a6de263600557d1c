import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import type { MetricsService } from '../metrics/metrics.service';
import { ChatConnectionRegistry } from './chat-connection.registry';
import { ChatSocketSlots } from './chat-socket-slots';
import { aHandshake, aUser, FakeWs } from './testing/chat-fakes';
import { WS_CLOSE_UNAUTHORIZED } from './ws-events';

/** The registry's one collaborator: the open-sockets gauge. */
function fakeMetrics() {
  const gauge = { open: 0 };
  const metrics: Pick<MetricsService, 'wsConnected' | 'wsDisconnected'> = {
    wsConnected: () => void (gauge.open += 1),
    wsDisconnected: () => void (gauge.open -= 1),
  };
  return { gauge, metrics: metrics as MetricsService };
}

describe(ChatConnectionRegistry.name, () => {
  let registry: ChatConnectionRegistry;
  let gauge: { open: number };
  let slots: ChatSocketSlots;

  beforeEach(() => {
    const fake = fakeMetrics();
    gauge = fake.gauge;
    // The real slots without Redis (this process's count), as the upgrade takes them.
    slots = new ChatSocketSlots(new AppConfig(validateEnv({ JWT_SECRET: 'x'.repeat(40) })), null);
    registry = new ChatConnectionRegistry(fake.metrics, slots);
  });
  afterEach(() => registry.onModuleDestroy());

  const connect = (handshake = aHandshake()) => {
    const ws = new FakeWs();
    void slots.acquire(handshake.user.id, handshake.socketId!);
    return { ws, socket: registry.add(ws.asWebSocket, handshake) };
  };

  describe('add', () => {
    it('files the socket under its user, counts it, and takes a pong as a sign of life', () => {
      const user = aUser();
      const { ws, socket } = connect(aHandshake({ user }));
      expect(registry.get(ws.asWebSocket)).toBe(socket);
      expect([...registry.ofUser(user.id)]).toEqual([socket]);
      expect(gauge.open).toBe(1);
      socket.alive = false;
      ws.emit('pong');
      expect(socket.alive).toBe(true);
    });
  });

  describe('remove', () => {
    it('forgets the socket, uncounts it and aborts what it follows; a second remove finds nothing', () => {
      const user = aUser();
      const first = connect(aHandshake({ user }));
      const second = connect(aHandshake({ user }));
      expect(registry.remove(first.ws.asWebSocket)).toBe(first.socket);
      expect(first.socket.closed.signal.aborted).toBe(true);
      expect([...registry.ofUser(user.id)]).toEqual([second.socket]);
      expect(registry.remove(first.ws.asWebSocket)).toBeUndefined();
      expect(registry.get(first.ws.asWebSocket)).toBeUndefined();
      expect(slots.countLocal(user.id)).toBe(1);
      registry.remove(second.ws.asWebSocket);
      expect([...registry.ofUser(user.id)]).toEqual([]);
      expect([...registry.all()]).toEqual([]);
      expect(gauge.open).toBe(0);
      expect(slots.countLocal(user.id)).toBe(0);
    });

    it('ignores a socket never added (refused at its connection)', () => {
      expect(registry.remove(new FakeWs().asWebSocket)).toBeUndefined();
      expect(gauge.open).toBe(0);
    });
  });

  describe('ofUser', () => {
    it("gives each user's sockets only", () => {
      const alice = connect();
      const bob = connect();
      expect([...registry.ofUser(alice.socket.user.id)]).toEqual([alice.socket]);
      expect([...registry.ofUser(bob.socket.user.id)]).toEqual([bob.socket]);
      expect([...registry.ofUser(aUser().id)]).toEqual([]);
    });
  });

  describe('all', () => {
    it('gives every socket of every user', () => {
      const sockets = [connect().socket, connect().socket, connect().socket];
      expect(new Set(registry.all())).toEqual(new Set(sockets));
    });
  });

  describe('anyFollowing', () => {
    it('is true while some socket is being sent a reply', () => {
      const { socket } = connect();
      connect();
      expect(registry.anyFollowing()).toBe(false);
      socket.following.set('m-1', new AbortController());
      expect(registry.anyFollowing()).toBe(true);
    });
  });

  describe('checkAlive', () => {
    it('pings the sockets that answered, terminates one that did not answer the last ping', () => {
      const answering = connect();
      const silent = connect();
      registry.checkAlive();
      expect([answering.ws.pings, silent.ws.pings]).toEqual([1, 1]);
      answering.ws.emit('pong');
      registry.checkAlive();
      expect(answering.ws.pings).toBe(2);
      expect(answering.ws.terminated).toBe(false);
      expect(silent.ws.terminated).toBe(true);
    });

    it('keeps the slots of the sockets that answered past their expiry; a dropped one lapses', () => {
      jest.useFakeTimers();
      const answering = connect();
      const silent = connect();
      registry.checkAlive();
      answering.ws.emit('pong');
      jest.advanceTimersByTime(slots.ttlMs - 1000);
      registry.checkAlive(); // silent is terminated: it closes later; its slot is not renewed
      jest.advanceTimersByTime(2000);
      expect(slots.countLocal(answering.socket.user.id)).toBe(1);
      expect(slots.countLocal(silent.socket.user.id)).toBe(0);
      jest.useRealTimers();
    });
  });

  describe('startHeartbeat', () => {
    it('checks every socket each interval', () => {
      jest.useFakeTimers();
      const { ws } = connect();
      registry.startHeartbeat(1000);
      jest.advanceTimersByTime(999);
      expect(ws.pings).toBe(0);
      jest.advanceTimersByTime(1);
      expect(ws.pings).toBe(1);
      jest.advanceTimersByTime(1000);
      expect(ws.terminated).toBe(true);
      registry.onModuleDestroy();
      jest.useRealTimers();
    });
  });

  describe('closeAll', () => {
    it('closes every socket with the code and reason given', () => {
      const a = connect();
      const b = connect();
      registry.closeAll(1001, 'server shutting down');
      for (const { ws } of [a, b])
        expect(ws.closedWith).toEqual({ code: 1001, reason: 'server shutting down' });
    });
  });

  describe('closeRevoked', () => {
    const user = aUser();
    const sessions = ['s-1', 's-2', 's-3'];
    let open: FakeWs[];
    let stranger: FakeWs;

    beforeEach(() => {
      open = sessions.map((sessionId) => connect(aHandshake({ user: { ...user, sessionId } })).ws);
      stranger = connect(aHandshake({ user: { ...aUser(), sessionId: 's-1' } })).ws;
    });
    const closedCodes = () => open.map((ws) => ws.closedWith?.code);

    it('closes with 4401 the sockets of the sessions named, and no other', () => {
      registry.closeRevoked({ userId: user.id, sessionIds: ['s-1', 's-3'] });
      expect(closedCodes()).toEqual([WS_CLOSE_UNAUTHORIZED, undefined, WS_CLOSE_UNAUTHORIZED]);
      expect(open[0].closedWith?.reason).toBe('session ended');
      expect(stranger.closedWith).toBeUndefined();
    });

    it('with allExcept, closes every other session of the user', () => {
      registry.closeRevoked({ userId: user.id, allExcept: 's-2' });
      expect(closedCodes()).toEqual([WS_CLOSE_UNAUTHORIZED, undefined, WS_CLOSE_UNAUTHORIZED]);
    });

    it('with allExcept null, closes every session of the user', () => {
      registry.closeRevoked({ userId: user.id, allExcept: null });
      expect(closedCodes()).toEqual(sessions.map(() => WS_CLOSE_UNAUTHORIZED));
      expect(stranger.closedWith).toBeUndefined();
    });
  });
});
