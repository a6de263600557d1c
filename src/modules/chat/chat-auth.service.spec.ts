import { Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { WebSocketServer as WsServer } from 'ws';
import { AppError } from '../../common/errors/app-error';
import type { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import type { AuthUser } from '../auth/auth-user';
import type { AccessTokenVerifier, VerifiedAccess } from '../auth/access-token.verifier';
import type { ApiKeyVerifier, VerifiedApiKey } from '../api-keys/api-key.verifier';
import { ChatAuthService, credentialsOf } from './chat-auth.service';
import { ChatSocket } from './chat-socket';
import { ChatSocketSlots } from './chat-socket-slots';
import { aHandshake, aUser, FakeWs } from './testing/chat-fakes';
import { WS_CLOSE_UNAUTHORIZED } from './ws-events';
import type { WsTickets } from './ws-tickets';

const ALLOWED = 'https://chat.example.com';

function upgrade(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { url, headers } as unknown as IncomingMessage;
}

/** Good tokens and tickets, by value; anything else is refused as the real ones refuse it. */
function fakes(user: AuthUser) {
  const tokens = new Map<string, VerifiedAccess>();
  const tickets = new Map<string, { userId: string; sessionId: string }>();
  const sessions = new Map<string, AuthUser>([[user.sessionId, user]]);
  const verifier: Pick<AccessTokenVerifier, 'verify' | 'sessionUser'> = {
    verify: (token) => {
      const access = tokens.get(token);
      return access ? Promise.resolve(access) : Promise.reject(AppError.unauthenticated());
    },
    sessionUser: (userId, sessionId) => {
      const found = sessions.get(sessionId);
      return found?.id === userId
        ? Promise.resolve(found)
        : Promise.reject(AppError.unauthenticated('error.invalid_token'));
    },
  };
  const wsTickets: Pick<WsTickets, 'redeem'> = {
    redeem: (ticket) => {
      const holder = tickets.get(ticket) ?? null;
      tickets.delete(ticket);
      return Promise.resolve(holder);
    },
  };
  const keys = new Map<string, VerifiedApiKey>();
  const apiKeys: Pick<ApiKeyVerifier, 'verify' | 'keyUser'> = {
    verify: (key) => {
      const found = keys.get(key);
      return found ? Promise.resolve(found) : Promise.reject(AppError.unauthenticated());
    },
    keyUser: (keyId) => {
      const found = [...keys.values()].find((k) => k.user.apiKeyId === keyId);
      return found
        ? Promise.resolve(found.user)
        : Promise.reject(AppError.unauthenticated('error.invalid_token'));
    },
  };
  const shutdown = { draining: false };
  return {
    keys,
    apiKeys: apiKeys as ApiKeyVerifier,
    tokens,
    tickets,
    sessions,
    shutdown,
    verifier: verifier as AccessTokenVerifier,
    wsTickets: wsTickets as WsTickets,
  };
}

describe(credentialsOf.name, () => {
  it('reads ?token=, ?ticket= and the token after `bearer` in Sec-WebSocket-Protocol', () => {
    expect(credentialsOf(upgrade('/ws?token=a%20b'))).toEqual({ token: 'a b', ticket: undefined });
    expect(credentialsOf(upgrade('/ws?ticket=t'))).toEqual({ token: undefined, ticket: 't' });
    const offered = upgrade('/ws', { 'sec-websocket-protocol': 'chat, bearer , tok' });
    expect(credentialsOf(offered)).toEqual({ token: 'tok', ticket: undefined });
    const both = upgrade('/ws?token=query', { 'sec-websocket-protocol': 'bearer, header' });
    expect(credentialsOf(both).token).toBe('query');
    expect(credentialsOf(upgrade('/ws', { 'sec-websocket-protocol': 'bearer' }))).toEqual({});
  });
});

describe(ChatAuthService.name, () => {
  const config = new AppConfig(
    validateEnv({
      JWT_SECRET: 'x'.repeat(40),
      CORS_ORIGINS: ALLOWED,
      JWT_ACCESS_TTL: '600',
      WS_MAX_SOCKETS_PER_USER: '2',
    }),
  );
  let user: AuthUser;
  let f: ReturnType<typeof fakes>;
  let slots: ChatSocketSlots;
  let auth: ChatAuthService;

  beforeEach(() => {
    user = aUser();
    f = fakes(user);
    // The real slots without Redis: this process's count.
    slots = new ChatSocketSlots(config, null);
    auth = new ChatAuthService(
      config,
      f.verifier,
      f.apiKeys,
      f.wsTickets,
      f.shutdown as unknown as ShutdownService,
      slots,
    );
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  /** verifyClient's answer: [accepted, status?]. */
  const verify = (req: IncomingMessage, origin = '') =>
    new Promise<[boolean, number?]>((resolve) =>
      auth.verifyClient({ origin, secure: false, req }, (ok, status) => resolve([ok, status])),
    );

  describe('install', () => {
    it('makes the server check upgrades asynchronously and pick the bearer subprotocol', () => {
      const server = { options: {} } as WsServer;
      auth.install(server);
      // ws treats a verifyClient of two parameters as asynchronous.
      expect(server.options.verifyClient?.length).toBe(2);
      const pick = server.options.handleProtocols!;
      expect(pick(new Set(['bearer', 'tok']), upgrade('/'))).toBe('bearer');
      expect(pick(new Set(['chat']), upgrade('/'))).toBe(false);
    });
  });

  describe('verifyClient', () => {
    it("accepts a good token and keeps the handshake: the token's user and expiry, the language", async () => {
      f.tokens.set('good', { user, expiresAt: 1_900_000_000_000 });
      const req = upgrade('/ws?token=good', { 'accept-language': 'zh-CN' });
      expect(await verify(req)).toEqual([true, undefined]);
      const handshake = auth.takeHandshake(req);
      expect(handshake).toEqual({
        user,
        lang: 'zh',
        expiresAt: 1_900_000_000_000,
        socketId: expect.any(String),
      });
      // The socket's slot is held under the id it will have.
      expect(slots.countLocal(user.id)).toBe(1);
    });

    it('refuses with 429 the upgrade of a user who has WS_MAX_SOCKETS_PER_USER sockets, until one closes', async () => {
      f.tokens.set('good', { user, expiresAt: Date.now() + 60_000 });
      const first = upgrade('/ws?token=good');
      expect(await verify(first)).toEqual([true, undefined]);
      expect(await verify(upgrade('/ws?token=good'))).toEqual([true, undefined]);
      const third = upgrade('/ws?token=good');
      expect(await verify(third)).toEqual([false, 429]);
      expect(auth.takeHandshake(third)).toBeUndefined();
      // Another user is not held up by this one's sockets.
      const other = aUser();
      f.tokens.set('other', { user: other, expiresAt: Date.now() + 60_000 });
      expect(await verify(upgrade('/ws?token=other'))).toEqual([true, undefined]);
      slots.release(user.id, auth.takeHandshake(first)!.socketId!);
      expect(await verify(upgrade('/ws?token=good'))).toEqual([true, undefined]);
    });

    it('accepts an API key as the token: its user, for at most a day without an expiry of its own', async () => {
      const keyUser = { ...user, sessionId: 'key-1', apiKeyId: 'key-1' };
      const key = `sk-${'a'.repeat(43)}`;
      f.keys.set(key, { user: keyUser, expiresAt: null });
      const req = upgrade(`/ws?token=${key}`);
      expect(await verify(req)).toEqual([true, undefined]);
      const handshake = auth.takeHandshake(req)!;
      expect(handshake.user).toBe(keyUser);
      expect(handshake.expiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000);
      expect(handshake.expiresAt).toBeGreaterThan(Date.now() + 86_000_000);

      const expiring = `sk-${'b'.repeat(43)}`;
      f.keys.set(expiring, { user: keyUser, expiresAt: Date.now() + 5000 });
      const soon = upgrade('/ws', { 'sec-websocket-protocol': `bearer, ${expiring}` });
      expect(await verify(soon)).toEqual([true, undefined]);
      expect(auth.takeHandshake(soon)!.expiresAt).toBeLessThanOrEqual(Date.now() + 5000);
      // A key unknown to the key verifier is refused like a bad token (never tried as a JWT).
      f.tokens.set(`sk-${'c'.repeat(43)}`, { user, expiresAt: Date.now() + 60_000 });
      expect(await verify(upgrade(`/ws?token=sk-${'c'.repeat(43)}`))).toEqual([false, 401]);
    });

    it("accepts a ticket once, for an access token's lifetime", async () => {
      f.tickets.set('t-1', { userId: user.id, sessionId: user.sessionId });
      const req = upgrade('/ws?ticket=t-1');
      const before = Date.now();
      expect(await verify(req)).toEqual([true, undefined]);
      const handshake = auth.takeHandshake(req)!;
      expect(handshake.user).toBe(user);
      expect(handshake.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
      expect(handshake.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
      expect(await verify(upgrade('/ws?ticket=t-1'))).toEqual([false, 401]);
    });

    it.each([
      ['no credentials', '/ws'],
      ['a bad token', '/ws?token=bad'],
      ['an unknown ticket', '/ws?ticket=nope'],
      ['an empty token', '/ws?token='],
    ])('refuses %s with 401 and keeps no handshake', async (_name, url) => {
      const req = upgrade(url);
      expect(await verify(req)).toEqual([false, 401]);
      expect(auth.takeHandshake(req)).toBeUndefined();
    });

    it('refuses a foreign Origin with 403, accepts the allowed one and none', async () => {
      f.tokens.set('good', { user, expiresAt: Date.now() + 60_000 });
      expect(await verify(upgrade('/ws?token=good'), 'https://evil.example.com')).toEqual([
        false,
        403,
      ]);
      expect(await verify(upgrade('/ws?token=good'), ALLOWED)).toEqual([true, undefined]);
      expect(await verify(upgrade('/ws?token=good'))).toEqual([true, undefined]);
    });

    it('refuses everything with 503 while draining', async () => {
      f.tokens.set('good', { user, expiresAt: Date.now() + 60_000 });
      f.shutdown.draining = true;
      expect(await verify(upgrade('/ws?token=good'))).toEqual([false, 503]);
    });
  });

  describe('takeHandshake', () => {
    it('gives the handshake once', async () => {
      f.tokens.set('good', { user, expiresAt: Date.now() + 60_000 });
      const req = upgrade('/ws?token=good');
      await verify(req);
      expect(auth.takeHandshake(req)?.user).toBe(user);
      expect(auth.takeHandshake(req)).toBeUndefined();
    });
  });

  const aSocket = (expiresAt = Date.now() + 60_000) => {
    const ws = new FakeWs();
    return { ws, socket: new ChatSocket(ws.asWebSocket, aHandshake({ user, expiresAt })) };
  };

  describe('refreshUser', () => {
    it('reads the socket user as their session has them now', async () => {
      const { socket } = aSocket();
      const promoted = { ...user, isVip: true };
      f.sessions.set(user.sessionId, promoted);
      await auth.refreshUser(socket);
      expect(socket.user).toBe(promoted);
    });

    it('fails when the session has ended', async () => {
      const { socket } = aSocket();
      f.sessions.clear();
      await expect(auth.refreshUser(socket)).rejects.toMatchObject({
        code: 'AUTHENTICATION_ERROR',
      });
    });

    it("reads a key socket's user through its key, and fails once the key is gone", async () => {
      const keyUser = { ...user, sessionId: 'key-1', apiKeyId: 'key-1' };
      const socket = new ChatSocket(new FakeWs().asWebSocket, aHandshake({ user: keyUser }));
      const promoted = { ...keyUser, isVip: true };
      f.keys.set(`sk-${'a'.repeat(43)}`, { user: promoted, expiresAt: null });
      await auth.refreshUser(socket);
      expect(socket.user).toBe(promoted);
      f.keys.clear();
      await expect(auth.refreshUser(socket)).rejects.toMatchObject({
        code: 'AUTHENTICATION_ERROR',
      });
    });
  });

  describe('reauthenticate', () => {
    it("takes a fresh token of the same user: new expiry, 'authenticated' sent, closed only at the new expiry", async () => {
      jest.useFakeTimers({ now: 1_800_000_000_000 });
      const { ws, socket } = aSocket(Date.now() + 1000);
      auth.scheduleExpiry(socket);
      const expiresAt = Date.now() + 60_000;
      f.tokens.set('fresh', { user: { ...user }, expiresAt });
      await auth.reauthenticate(socket, 'fresh');
      expect(socket.expiresAt).toBe(expiresAt);
      expect(ws.frames).toEqual([
        {
          type: 'authenticated',
          expires_at: new Date(expiresAt).toISOString(),
          timestamp: expect.any(String),
        },
      ]);
      jest.advanceTimersByTime(59_999);
      expect(ws.closedWith).toBeUndefined();
      jest.advanceTimersByTime(1);
      expect(ws.closedWith?.code).toBe(WS_CLOSE_UNAUTHORIZED);
    });

    it("refuses another user's token or a bad one, changing nothing", async () => {
      const { ws, socket } = aSocket();
      f.tokens.set('theirs', { user: aUser(), expiresAt: Date.now() + 120_000 });
      const before = socket.expiresAt;
      for (const token of ['theirs', 'bad']) {
        await expect(auth.reauthenticate(socket, token)).rejects.toMatchObject({
          code: 'AUTHENTICATION_ERROR',
        });
      }
      expect(socket.user).toBe(user);
      expect(socket.expiresAt).toBe(before);
      expect(ws.sent).toEqual([]);
    });
  });

  describe('scheduleExpiry', () => {
    beforeEach(() => jest.useFakeTimers({ now: 1_800_000_000_000 }));

    it('closes the socket with 4401 at its expiry, the earlier timer replaced', () => {
      const { ws, socket } = aSocket(Date.now() + 1000);
      auth.scheduleExpiry(socket);
      socket.expiresAt = Date.now() + 3000;
      auth.scheduleExpiry(socket);
      jest.advanceTimersByTime(2999);
      expect(ws.closedWith).toBeUndefined();
      jest.advanceTimersByTime(1);
      expect(ws.closedWith).toEqual({ code: WS_CLOSE_UNAUTHORIZED, reason: 'token expired' });
    });

    it('closes at once a socket whose expiry has passed', () => {
      const { ws, socket } = aSocket(Date.now() - 1000);
      auth.scheduleExpiry(socket);
      jest.advanceTimersByTime(0);
      expect(ws.closedWith?.code).toBe(WS_CLOSE_UNAUTHORIZED);
    });
  });
});
