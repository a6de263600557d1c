import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { BusEvents } from '../../redis/event-bus';
import { MetricsService } from '../metrics/metrics.service';
import { ChatSocket, Handshake, SocketLimits } from './chat-socket';
import { ChatSocketSlots } from './chat-socket-slots';
import { WS_CLOSE_UNAUTHORIZED } from './ws-events';

const NONE: ReadonlySet<ChatSocket> = new Set();

/**
 * This process's open chat sockets, by user: a socket is added once its handshake is
 * authenticated (and has its slot under WS_MAX_SOCKETS_PER_USER) and removed when it closes,
 * giving its slot back. It keeps them alive (heartbeat, which also keeps their slots) and
 * closes them for the gateway (revoked sessions, shutdown).
 */
@Injectable()
export class ChatConnectionRegistry implements OnModuleDestroy {
  private readonly byUser = new Map<string, Set<ChatSocket>>();
  private readonly bySocket = new WeakMap<WebSocket, ChatSocket>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly metrics: MetricsService,
    private readonly slots: ChatSocketSlots,
  ) {}

  onModuleDestroy(): void {
    clearInterval(this.heartbeat);
  }

  add(ws: WebSocket, handshake: Handshake, limits?: SocketLimits): ChatSocket {
    const socket = new ChatSocket(ws, handshake, limits);
    this.bySocket.set(ws, socket);
    let sockets = this.byUser.get(socket.user.id);
    if (!sockets) this.byUser.set(socket.user.id, (sockets = new Set()));
    sockets.add(socket);
    this.metrics.wsConnected();
    ws.on('pong', () => (socket.alive = true));
    return socket;
  }

  /** Forgets a closed socket and ends what it follows; undefined for one never added. */
  remove(ws: WebSocket): ChatSocket | undefined {
    const socket = this.bySocket.get(ws);
    if (!socket) return undefined;
    this.bySocket.delete(ws);
    this.metrics.wsDisconnected();
    this.slots.release(socket.user.id, socket.id);
    socket.dispose();
    const sockets = this.byUser.get(socket.user.id);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.byUser.delete(socket.user.id);
    return socket;
  }

  /** The socket added for `ws`; undefined for one refused at its connection. */
  get(ws: WebSocket): ChatSocket | undefined {
    return this.bySocket.get(ws);
  }

  ofUser(userId: string): ReadonlySet<ChatSocket> {
    return this.byUser.get(userId) ?? NONE;
  }

  *all(): IterableIterator<ChatSocket> {
    for (const sockets of this.byUser.values()) yield* sockets;
  }

  /** Whether a socket is still being sent a reply (shutdown lets them finish, for a while). */
  anyFollowing(): boolean {
    for (const socket of this.all()) if (socket.following.size > 0) return true;
    return false;
  }

  /** Pings every socket each `intervalMs`, dropping those that did not answer the previous ping. */
  startHeartbeat(intervalMs: number): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.checkAlive(), intervalMs);
    this.heartbeat.unref();
  }

  /** Pings every socket; one that did not answer the previous ping is dropped. The others keep their slots. */
  checkAlive(): void {
    const kept: { userId: string; socketId: string }[] = [];
    for (const socket of this.all()) {
      if (!socket.alive) {
        socket.ws.terminate();
        continue;
      }
      socket.alive = false;
      socket.ws.ping();
      kept.push({ userId: socket.user.id, socketId: socket.id });
    }
    void this.slots.refresh(kept);
  }

  closeAll(code: number, reason: string): void {
    for (const socket of this.all()) socket.close(code, reason);
  }

  /** Closes with 4401 the sockets of the sessions that ended (logout, password change…). */
  closeRevoked(revoked: BusEvents['session.revoked']): void {
    for (const socket of this.ofUser(revoked.userId)) {
      const { sessionId } = socket.user;
      const ended =
        revoked.sessionIds?.includes(sessionId) ||
        (revoked.allExcept !== undefined && sessionId !== revoked.allExcept);
      if (ended) socket.close(WS_CLOSE_UNAUTHORIZED, 'session ended');
    }
  }
}
