import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';

/** Signals every replica must hear (all subscribers, including the publisher's own process). */
export interface BusEvents {
  /** A generation started for a user: each of the user's sockets follows it. */
  'generation.started': {
    userId: string;
    messageId: string;
    conversationId: string;
    /** The socket that asked, and its request id, so only that socket's frames echo it. */
    origin?: { socketId: string; requestId?: string };
  };
  /** Stop a generation, wherever it runs. */
  'generation.stop': { messageId: string };
  /**
   * Sessions ended: their sockets close. `sessionIds` or, with `allExcept`, every other session of
   * the user. A revoked API key is announced here too, its id standing as the session id.
   */
  'session.revoked': { userId: string; sessionIds?: string[]; allExcept?: string | null };
  /** A user's role, tier, active flag or name changed: what was cached of them is stale. */
  'user.updated': { userId: string };
  /**
   * A conversation's title or current branch changed: every socket of its user is told. Only the
   * fields that changed are present.
   */
  'conversation.updated': {
    userId: string;
    conversationId: string;
    title?: string;
    currentMessageId?: string | null;
  };
}

export type BusChannel = keyof BusEvents;

export interface PublishOptions {
  /**
   * Hands the message for other replicas to the caller, who sends it on `channel` with a write
   * of its own (the stream log's batch): no round trip of the bus's own.
   */
  remoteVia?: (channel: string, message: string) => void;
}

export interface EventBus {
  publish<C extends BusChannel>(
    channel: C,
    payload: BusEvents[C],
    options?: PublishOptions,
  ): Promise<void>;
  subscribe<C extends BusChannel>(channel: C, handler: (payload: BusEvents[C]) => void): () => void;
  close(): Promise<void>;
}

export const EVENT_BUS = Symbol('EventBus');

/** One process: an EventEmitter. */
export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish<C extends BusChannel>(channel: C, payload: BusEvents[C]): Promise<void> {
    this.emitter.emit(channel, payload);
    return Promise.resolve();
  }

  subscribe<C extends BusChannel>(
    channel: C,
    handler: (payload: BusEvents[C]) => void,
  ): () => void {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }

  close(): Promise<void> {
    this.emitter.removeAllListeners();
    return Promise.resolve();
  }
}

const PREFIX = 'bus:';

/** Names the publishing process in a message (an extra field: older replicas ignore it). */
const ORIGIN = '_origin';

/**
 * Several replicas: Redis pub/sub, with its own subscriber connection. This process's own
 * subscribers hear a publication at once, not through Redis: they never depend on it.
 */
export class RedisEventBus implements EventBus {
  private readonly logger = new Logger(RedisEventBus.name);
  private readonly local = new MemoryEventBus();
  private readonly subscriber: Redis;
  private readonly subscribed = new Set<string>();
  private readonly origin = randomUUID();
  private failing = false;

  constructor(private readonly redis: Redis) {
    // No ready check (INFO) on a subscriber: ioredis 5.8.2+ may write SUBSCRIBE during the
    // handshake, the INFO then fails in subscriber mode and the connection comes back with no
    // subscriptions, silently deaf (redis/ioredis#2037). SUBSCRIBE is valid while Redis loads.
    // Without the ready check, ioredis 5.9 declares a connection ready once its CLIENT SETINFO
    // calls settle, even if it closed meanwhile: one accepted then reset (a proxy before a Redis
    // that is down) is left "ready" on a dead socket, never reconnecting: deaf for good. With
    // no SETINFO it is ready in the tick of the connect, before a close can come in.
    // Its commands wait for the connection, never fail: ioredis resubscribes after a reconnect
    // without handling a rejection, and a SUBSCRIBE timed out or flushed after
    // maxRetriesPerRequest would be an unhandled rejection (the process exits).
    this.subscriber = redis.duplicate({
      enableReadyCheck: false,
      disableClientInfo: true,
      commandTimeout: undefined,
      maxRetriesPerRequest: null,
    });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => {
      if (!channel.startsWith(PREFIX)) return;
      try {
        const { [ORIGIN]: origin, ...payload } = JSON.parse(message) as Record<string, unknown>;
        if (origin === this.origin) return; // delivered here when published
        void this.local.publish(channel.slice(PREFIX.length) as BusChannel, payload as never);
      } catch (error) {
        this.logger.warn(`dropped a malformed bus message on ${channel}: ${String(error)}`);
      }
    });
  }

  /** Delivered here at once; to other replicas through Redis when it answers (never waits on it, never throws). */
  async publish<C extends BusChannel>(
    channel: C,
    payload: BusEvents[C],
    options: PublishOptions = {},
  ): Promise<void> {
    await this.local.publish(channel, payload);
    if (options.remoteVia) options.remoteVia(PREFIX + channel, this.encode(payload));
    else this.publishRemote(channel, payload);
  }

  private publishRemote<C extends BusChannel>(channel: C, payload: BusEvents[C]): void {
    if (this.redis.status !== 'ready') {
      this.failed(`not connected (${this.redis.status})`);
      return;
    }
    this.redis.publish(PREFIX + channel, this.encode(payload)).then(
      () => (this.failing = false),
      (error: unknown) => this.failed(error instanceof Error ? error.message : String(error)),
    );
  }

  private encode(payload: object): string {
    return JSON.stringify({ ...payload, [ORIGIN]: this.origin });
  }

  private failed(reason: string): void {
    if (!this.failing)
      this.logger.warn(`Redis unavailable, other replicas miss bus messages: ${reason}`);
    this.failing = true;
  }

  subscribe<C extends BusChannel>(
    channel: C,
    handler: (payload: BusEvents[C]) => void,
  ): () => void {
    if (!this.subscribed.has(channel)) {
      this.subscribed.add(channel);
      this.subscriber.subscribe(PREFIX + channel).catch((error: unknown) => {
        this.logger.error(`could not subscribe to ${channel}: ${String(error)}`);
      });
    }
    return this.local.subscribe(channel, handler);
  }

  /** Resolves once every channel asked for so far is subscribed (tests, startup). */
  async ready(): Promise<void> {
    if (this.subscribed.size > 0)
      await this.subscriber.subscribe(...[...this.subscribed].map((c) => PREFIX + c));
  }

  async close(): Promise<void> {
    await this.local.close();
    this.subscriber.disconnect();
  }
}
