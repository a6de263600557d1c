import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { AuthUser } from '../../auth/auth-user';
import type { Handshake } from '../chat-socket';

/**
 * Test doubles for the chat unit specs (no Jest here: this file is compiled with the app).
 * FakeWs is the part of a `ws` WebSocket the chat classes use, recording what they do to it.
 */
export class FakeWs {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  /** Text frames sent, in order. */
  readonly sent: string[] = [];
  /** Callbacks of sends not yet written (only kept while `holdWrites`). */
  readonly pendingWrites: (() => void)[] = [];
  holdWrites = false;
  closedWith?: { code: number; reason: string };
  terminated = false;
  /** Set once the socket stopped reading (`pause`). */
  paused = false;
  pings = 0;
  private readonly listeners = new Map<string, ((...args: unknown[]) => void)[]>();

  get frames(): Record<string, unknown>[] {
    return this.sent.map((text) => JSON.parse(text) as Record<string, unknown>);
  }

  send(data: string, cb?: () => void): void {
    this.sent.push(data);
    if (!cb) return;
    if (this.holdWrites) this.pendingWrites.push(cb);
    else cb();
  }

  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }

  ping(): void {
    this.pings += 1;
  }

  pause(): void {
    this.paused = true;
  }

  on(event: string, listener: (...args: never[]) => void): this {
    const added = listener as (...args: unknown[]) => void;
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), added]);
    return this;
  }

  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }

  get asWebSocket(): WebSocket {
    return this as unknown as WebSocket;
  }
}

export function aUser(fields: Partial<AuthUser> = {}): AuthUser {
  return {
    id: randomUUID(),
    sessionId: randomUUID(),
    username: 'alice',
    role: 'user',
    isVip: false,
    ...fields,
  };
}

export function aHandshake(fields: Partial<Handshake> = {}): Handshake {
  return {
    user: aUser(),
    lang: 'en',
    expiresAt: Date.now() + 60_000,
    socketId: randomUUID(),
    ...fields,
  };
}
