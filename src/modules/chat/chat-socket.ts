import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { AppError } from '../../common/errors/app-error';
import { toAppError } from '../../common/errors/to-app-error';
import { Lang, t } from '../../common/i18n/messages';
import type { AuthUser } from '../auth/auth-user';
import { WS_CLOSE_POLICY, type ServerFrame } from './ws-events';

/** Who opened a socket, as its handshake established it. */
export interface Handshake {
  user: AuthUser;
  expiresAt: number;
  lang: Lang;
  /** The socket's id, chosen at the upgrade (its slot under WS_MAX_SOCKETS_PER_USER is held under it). */
  socketId?: string;
}

/** What one socket may hold up: frames waiting, and refusals before it is closed. */
export interface SocketLimits {
  /** Frames waiting to be handled (WS_MAX_QUEUED_FRAMES); one more is refused. */
  maxQueued: number;
  /** Refusals within REFUSAL_WINDOW_MS (WS_MAX_REFUSALS); one more closes the socket with 1008. */
  maxRefusals: number;
}

/** The window in which a socket's refusals are counted towards closing it. */
export const REFUSAL_WINDOW_MS = 60_000;
/** After a close for policy, how long the close frame has to reach the client before the connection is dropped. */
export const POLICY_CLOSE_GRACE_MS = 1000;

const UNLIMITED: SocketLimits = { maxQueued: Infinity, maxRefusals: Infinity };

/** Refusals whose details tell the client when to retry, and so go on the error frame. */
const DETAILED_CODES: ReadonlySet<string> = new Set(['RATE_LIMIT_EXCEEDED', 'QUOTA_EXCEEDED']);

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
  readonly id: string;
  user: AuthUser;
  readonly lang: Lang;
  expiresAt: number;
  expiryTimer?: NodeJS.Timeout;
  /** Cleared by each heartbeat ping, set again by the pong. */
  alive = true;
  /** The replies (message ids) this socket is being sent, each with what ends that follow. */
  readonly following = new Map<string, AbortController>();
  /** Aborted when the socket closes: what it follows ends, never the generations themselves. */
  readonly closed = new AbortController();
  /** Frames of one socket are handled one after the other (Nest hands them over concurrently). */
  private queue: Promise<void> = Promise.resolve();
  /** Frames queued and not yet handled. */
  private pending = 0;
  private refusals = 0;
  private refusalWindowEnds = 0;

  constructor(
    readonly ws: WebSocket,
    handshake: Handshake,
    private readonly limits: SocketLimits = UNLIMITED,
  ) {
    this.id = handshake.socketId ?? randomUUID();
    this.user = handshake.user;
    this.lang = handshake.lang;
    this.expiresAt = handshake.expiresAt;
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Frames waiting to be handled, the one being handled included. */
  get queued(): number {
    return this.pending;
  }

  /**
   * Runs `task` after the tasks before it; what it throws is answered with an error frame.
   * False, and nothing queued, when `maxQueued` tasks are already waiting: a client that sends
   * faster than its frames are handled is refused instead of growing the queue.
   */
  enqueue(task: () => Promise<void>): boolean {
    if (this.pending >= this.limits.maxQueued) return false;
    this.pending += 1;
    this.queue = this.queue
      .then(task)
      .catch((error: unknown) => this.sendError(error))
      .finally(() => (this.pending -= 1));
    return true;
  }

  /**
   * A frame refused for a limit (rate, queue): answered with its error frame, and counted. A
   * client that goes on past `maxRefusals` refusals within a minute is closed with 1008
   * (policy violation) instead of being answered again.
   */
  refuse(error: unknown, ids: ErrorFrameIds = {}): void {
    const now = Date.now();
    if (now >= this.refusalWindowEnds) {
      this.refusals = 0;
      this.refusalWindowEnds = now + REFUSAL_WINDOW_MS;
    }
    this.refusals += 1;
    if (this.refusals > this.limits.maxRefusals) {
      if (this.isOpen) this.closeForPolicy();
      return;
    }
    this.sendError(error, ids);
  }

  /**
   * Closes with 1008 a client that would not stop, and reads nothing more from it: what it goes
   * on sending stays in the kernel's buffers (and then in its own), not parsed here. The close
   * frame still goes out; the connection is dropped once it has had time to arrive.
   */
  private closeForPolicy(): void {
    this.close(WS_CLOSE_POLICY, 'rate limit exceeded');
    this.ws.pause();
    setTimeout(() => this.ws.terminate(), POLICY_CLOSE_GRACE_MS).unref();
  }

  /**
   * Records `follow` as the socket's follow of a reply; a follow of the same reply already
   * running is ended first, so one socket never gets a reply's frames twice.
   */
  replaceFollow(messageId: string, follow: AbortController): void {
    const earlier = this.following.get(messageId);
    if (earlier !== follow) earlier?.abort();
    this.following.set(messageId, follow);
  }

  /** What a follow reads with: ended by its own controller (a replacement) or the socket's close. */
  signalOf(follow: AbortController): AbortSignal {
    return AbortSignal.any([this.closed.signal, follow.signal]);
  }

  /** A follow is over (ended, failed or replaced): forgotten unless another replaced it. */
  endFollow(messageId: string, follow: AbortController): void {
    if (this.following.get(messageId) === follow) this.following.delete(messageId);
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
    const details = DETAILED_CODES.has(e.code) && e.details ? { details: e.details } : {};
    this.send({
      type: 'error',
      error: { code: e.code, message: t(e.messageKey, this.lang), ...details },
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
