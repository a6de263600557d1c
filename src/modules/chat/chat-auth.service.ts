import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { VerifyClientCallbackAsync, WebSocketServer as WsServer } from 'ws';
import { AppError } from '../../common/errors/app-error';
import { pickLang } from '../../common/i18n/messages';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { sanitizeUrl } from '../../common/logging/redact';
import { AppConfig } from '../../config/app-config';
import { isApiKeyToken } from '../api-keys/api-key-secret';
import { ApiKeyVerifier } from '../api-keys/api-key.verifier';
import { AccessTokenVerifier } from '../auth/access-token.verifier';
import type { AuthUser } from '../auth/auth-user';
import type { ChatSocket, Handshake } from './chat-socket';
import { ChatSocketSlots } from './chat-socket-slots';
import { WS_CLOSE_UNAUTHORIZED } from './ws-events';
import { WsTickets } from './ws-tickets';

const BEARER_PROTOCOL = 'bearer';
/** Longest a socket opened with an API key stays open without renewal (a day). */
const KEY_SOCKET_MS = 86_400_000;

type VerifyInfo = Parameters<VerifyClientCallbackAsync>[0];
type VerifyDone = Parameters<VerifyClientCallbackAsync>[1];

/** Credentials offered at the handshake: ?token=, ?ticket=, or `Sec-WebSocket-Protocol: bearer, <token>`. */
export function credentialsOf(req: IncomingMessage): { token?: string; ticket?: string } {
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
 * Who may hold a chat socket, and until when: credentials checked at the upgrade (before any
 * frame), the `auth` frame that renews them, and the timer that closes a socket with 4401
 * when its access token expires.
 */
@Injectable()
export class ChatAuthService {
  private readonly logger = new Logger(ChatAuthService.name);
  /** Each accepted upgrade's handshake, from verifyClient until its connection takes it. */
  private readonly handshakes = new WeakMap<IncomingMessage, Handshake>();

  constructor(
    private readonly config: AppConfig,
    private readonly verifier: AccessTokenVerifier,
    private readonly apiKeys: ApiKeyVerifier,
    private readonly tickets: WsTickets,
    private readonly shutdown: ShutdownService,
    private readonly slots: ChatSocketSlots,
  ) {}

  /** Makes the server check every upgrade (verifyClient) and accept the `bearer` subprotocol. */
  install(server: WsServer): void {
    // Two declared parameters: that is how ws knows the check is asynchronous.
    server.options.verifyClient = (info: VerifyInfo, done: VerifyDone) =>
      this.verifyClient(info, done);
    server.options.handleProtocols = (protocols) =>
      protocols.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false;
  }

  /**
   * Authenticates an upgrade: a draining replica answers 503, a foreign Origin 403, bad
   * credentials 401, and a user who already has WS_MAX_SOCKETS_PER_USER sockets open 429.
   */
  verifyClient(info: VerifyInfo, done: VerifyDone): void {
    // A draining replica takes no new sockets: they would be closed with 1001 shortly.
    if (this.shutdown.draining) return done(false, 503, 'Service Unavailable');
    const origins = this.config.corsOrigins;
    if (origins.length > 0 && info.origin && !origins.includes(info.origin))
      return done(false, 403, 'Forbidden');
    this.authenticate(info.req).then(
      (handshake) => this.admit(info.req, handshake, done),
      () => {
        // The URL may carry the (bad) credentials: only its redacted form is logged.
        this.logger.log({ url: sanitizeUrl(info.req.url) }, 'websocket refused: unauthorized');
        done(false, 401, 'Unauthorized');
      },
    );
  }

  /** An authenticated upgrade takes one of its user's socket slots, or is refused with 429. */
  private admit(req: IncomingMessage, handshake: Handshake, done: VerifyDone): Promise<void> {
    const { user, socketId } = handshake;
    return this.slots.acquire(user.id, socketId!).then((held) => {
      if (!held) {
        const max = this.config.env.WS_MAX_SOCKETS_PER_USER;
        // Debug: a client retrying in a loop would otherwise write a line per attempt.
        this.logger.debug({ user_id: user.id, max }, 'websocket refused: too many sockets');
        return done(false, 429, 'Too Many Requests');
      }
      this.handshakes.set(req, handshake);
      done(true);
    });
  }

  /** The handshake verifyClient accepted for this upgrade, once; undefined when none was. */
  takeHandshake(req: IncomingMessage): Handshake | undefined {
    const handshake = this.handshakes.get(req);
    this.handshakes.delete(req);
    return handshake;
  }

  /**
   * Reads the socket's user as they are now (tier, role, active), as REST does per request:
   * an admin's change of is_vip must not wait for the socket to reconnect.
   */
  async refreshUser(socket: ChatSocket): Promise<void> {
    const { apiKeyId } = socket.user;
    socket.user = apiKeyId
      ? await this.apiKeys.keyUser(apiKeyId)
      : await this.verifier.sessionUser(socket.user.id, socket.user.sessionId);
  }

  /**
   * An `auth` frame: a fresh access token (or an API key) of the same user keeps the socket open
   * until its own expiry.
   */
  async reauthenticate(socket: ChatSocket, token: string): Promise<void> {
    const { user, expiresAt } = await this.verifyToken(token);
    if (user.id !== socket.user.id) throw AppError.unauthenticated('error.invalid_token');
    socket.user = user;
    socket.expiresAt = expiresAt;
    this.scheduleExpiry(socket);
    socket.send({ type: 'authenticated', expires_at: new Date(expiresAt).toISOString() });
  }

  /** Closes the socket with 4401 when its credentials expire (replacing an earlier timer). */
  scheduleExpiry(socket: ChatSocket): void {
    clearTimeout(socket.expiryTimer);
    const ms = Math.max(0, Math.min(socket.expiresAt - Date.now(), 2 ** 31 - 1));
    socket.expiryTimer = setTimeout(() => socket.close(WS_CLOSE_UNAUTHORIZED, 'token expired'), ms);
    socket.expiryTimer.unref();
  }

  private async authenticate(req: IncomingMessage): Promise<Handshake> {
    const { token, ticket } = credentialsOf(req);
    const lang = pickLang(req.headers['accept-language']);
    if (ticket) {
      const holder = await this.tickets.redeem(ticket);
      if (!holder) throw AppError.unauthenticated('error.invalid_token');
      const user = await this.verifier.sessionUser(holder.userId, holder.sessionId);
      // A ticket stands for a session, not a token: the socket gets an access token's lifetime.
      const expiresAt = Date.now() + this.config.accessTtlSeconds * 1000;
      return { user, lang, expiresAt, socketId: randomUUID() };
    }
    if (!token) throw AppError.unauthenticated();
    const { user, expiresAt } = await this.verifyToken(token);
    return { user, lang, expiresAt, socketId: randomUUID() };
  }

  /**
   * An access token, or an API key (`sk-…`: the chat socket is one of the routes keys may use,
   * API.md §12). A key without an expiry holds the socket for KEY_SOCKET_MS (the client
   * reconnects, or renews with an `auth` frame); revoking the key closes it at once.
   */
  private async verifyToken(token: string): Promise<{ user: AuthUser; expiresAt: number }> {
    if (!isApiKeyToken(token)) return this.verifier.verify(token);
    const { user, expiresAt } = await this.apiKeys.verify(token);
    return { user, expiresAt: Math.min(expiresAt ?? Infinity, Date.now() + KEY_SOCKET_MS) };
  }
}
