import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { AppError } from '../../common/errors/app-error';
import { toAppError } from '../../common/errors/to-app-error';
import { Lang, t } from '../../common/i18n/messages';
import type { AuthUser } from '../auth/auth-user';
import type { ServerFrame } from './ws-events';

/** Who opened a socket, as its handshake established it. */
export interface Handshake {
  user: AuthUser;
  expiresAt: number;
  lang: Lang;
}

/** Bytes queued on a socket beyond which its followers wait for it to drain. */
export const WS_HIGH_WATER_BYTES = 1024 * 1024;

/** A server frame as it goes on the wire: with its `timestamp`, as JSON text. */
export function serializeFrame(body: ServerFrame): string {
  return JSON.stringify({ ...body, timestamp: new Date().toISOString() });
}

/** Where an error frame comes from: the frame it answers, or the reply it ends. */
export interface ErrorFrameIds {
  request_id?: string;
  message_id?: string;
}

const logger = new Logger('ChatSocket');

/**
 * One open chat socket and what it is doing: whose it is (until when), the replies it
 * follows, and its frames, handled one after the other. It writes frames and nothing else:
 * who gets which frame is decided by the gateway and the follower.
 */
export class ChatSocket {
  readonly id = randomUUID();
  user: AuthUser;
  readonly lang: Lang;
  expiresAt: number;
  expiryTimer?: NodeJS.Timeout;
  /** Cleared by each heartbeat ping, set again by the pong. */
  alive = true;
  /** The replies (message ids) this socket is being sent. */
  readonly following = new Set<string>();
  /** Aborted when the socket closes: what it follows ends, never the generations themselves. */
  readonly closed = new AbortController();
  /** Frames of one socket are handled one after the other (Nest hands them over concurrently). */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    handshake: Handshake,
  ) {
    this.user = handshake.user;
    this.lang = handshake.lang;
    this.expiresAt = handshake.expiresAt;
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Runs `task` after the tasks before it; what it throws is answered with an error frame. */
  enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => this.sendError(error));
  }

  send(body: ServerFrame): void {
    if (this.isOpen) this.ws.send(serializeFrame(body));
  }

  /**
   * Writes an already serialized frame, with backpressure: past WS_HIGH_WATER_BYTES queued on
   * the socket it resolves only once the frame is written (or the socket closed), so a client
   * that does not read holds up its own follower (the log keeps the events), not the process's
   * memory.
   */
  sendPaced(text: string): Promise<void> {
    if (!this.isOpen) return Promise.resolve();
    if (this.ws.bufferedAmount < WS_HIGH_WATER_BYTES) {
      this.ws.send(text);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.ws.send(text, () => resolve()));
  }

  /** The error as the contract's `error` frame; an unknown one is logged and answered as INTERNAL_SERVER_ERROR. */
  sendError(error: unknown, ids: ErrorFrameIds = {}): void {
    const appError = toAppError(error);
    if (!appError)
      logger.error(
        `ws frame failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    const e = appError ?? new AppError('INTERNAL_SERVER_ERROR', 'error.internal');
    const defined = Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined));
    this.send({
      type: 'error',
      error: { code: e.code, message: t(e.messageKey, this.lang) },
      ...defined,
    });
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Once the socket has closed: ends what it follows and its expiry timer. */
  dispose(): void {
    this.closed.abort();
    clearTimeout(this.expiryTimer);
  }
}
