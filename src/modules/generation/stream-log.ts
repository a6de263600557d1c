import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { RedisFallback } from '../../common/throttling/redis-fallback';
import { isTerminal, type GenerationEvent, type GenerationEventBody } from './generation-events';
import { SharedStreamReader } from './shared-stream-reader';

/**
 * The numbered events of generations. The one writer of a generation appends; readers
 * replay from any point and follow live until the terminal event. In memory for one
 * process; in Redis (Streams) shared by replicas.
 */
export interface StreamLog {
  /** Whether other processes read this log (Redis): what a lost process streamed survives it. */
  readonly shared: boolean;
  append(generationId: string, event: GenerationEventBody): Promise<GenerationEvent>;
  /** Events after `after`, then live ones, ending after the terminal event or on `signal`; null when unknown. */
  follow(
    generationId: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null>;
  /** Resolves once the events appended so far are where other replicas read them (shutdown). */
  flush(): Promise<void>;
  /**
   * Where the log is shared (Redis): sends `message` on the pub/sub `channel` in the same
   * write as the events appended so far, after them — one round trip for both, and other
   * replicas hear of a generation only once they can read it.
   */
  announce?(channel: string, message: string): void;
  /** Whether following the generation reads another process's writes (its writer may die). */
  remote?(generationId: string): boolean;
  /** Where shared: what the log holds of a generation whose writer is gone (null: nothing). */
  orphan?(generationId: string): Promise<OrphanTail | null>;
  /** Where shared: appends the terminal `event` (numbered by the caller) for a lost writer. */
  endOrphan?(generationId: string, event: GenerationEvent): Promise<void>;
}

/** The shared log's copy of a generation whose writer is gone. */
export interface OrphanTail {
  /** The text of its content events, in order. */
  content: string;
  lastSeq: number;
  /** Whether a terminal event is already there. */
  ended: boolean;
}

export const STREAM_LOG = Symbol('StreamLog');

interface Stream {
  events: GenerationEvent[];
  ended: boolean;
  waiters: Set<() => void>;
}

/** Keeps each generation's events in memory until `ttlMs` after its end. */
export class MemoryStreamLog implements StreamLog {
  readonly shared = false;
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly ttlMs: number) {}

  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Whether this log holds the generation (running here, or ended less than `ttlMs` ago). */
  has(generationId: string): boolean {
    return this.streams.has(generationId);
  }

  /** The generation's events so far (none when it is not held). */
  events(generationId: string): GenerationEvent[] {
    return [...(this.streams.get(generationId)?.events ?? [])];
  }

  append(generationId: string, body: GenerationEventBody): Promise<GenerationEvent> {
    let stream = this.streams.get(generationId);
    if (!stream) {
      stream = { events: [], ended: false, waiters: new Set() };
      this.streams.set(generationId, stream);
    }
    if (stream.ended)
      return Promise.reject(new Error(`generation ${generationId} has already ended`));
    const event: GenerationEvent = { ...body, seq: stream.events.length + 1 };
    stream.events.push(event);
    if (isTerminal(body)) {
      stream.ended = true;
      setTimeout(() => this.streams.delete(generationId), this.ttlMs).unref();
    }
    for (const wake of stream.waiters) wake();
    stream.waiters.clear();
    return Promise.resolve(event);
  }

  follow(
    generationId: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null> {
    const stream = this.streams.get(generationId);
    if (!stream) return Promise.resolve(null);
    return Promise.resolve(
      (async function* () {
        let next = Math.max(0, after);
        while (!signal?.aborted) {
          while (next < stream.events.length) {
            const event = stream.events[next++];
            yield event;
            if (isTerminal(event)) return;
          }
          if (stream.ended) return;
          await new Promise<void>((resolve) => {
            const wake = () => {
              signal?.removeEventListener('abort', wake);
              resolve();
            };
            stream.waiters.add(wake);
            signal?.addEventListener('abort', wake, { once: true });
          });
        }
      })(),
    );
  }
}

/** Events of one generation for one Redis write; `replace`: the stream is written anew. */
export interface StreamWrite {
  generationId: string;
  events: GenerationEvent[];
  replace: boolean;
}

/** A pub/sub message sent in a batch, after its events. */
export interface Announcement {
  channel: string;
  message: string;
}

/**
 * The log in Redis Streams (`gen:<id>`), so a generation running on one replica streams to
 * readers on any replica. Each entry holds one event as JSON; event numbers are given by the
 * one writer. Streams expire `ttlSeconds` after their end (and after `orphanTtlSeconds` if a
 * writer dies without ending one).
 */
export class RedisStreamLog implements StreamLog {
  readonly shared = true;
  private readonly written = new Map<string, number>();
  /** Every reader of this process shares one blocking connection. */
  private readonly reader: SharedStreamReader;

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly orphanTtlSeconds = 24 * 3600,
    blockMs?: number,
  ) {
    this.reader = new SharedStreamReader(redis, blockMs);
  }

  remote(): boolean {
    return true;
  }

  /** Readers following through Redis now. */
  get readers(): number {
    return this.reader.size;
  }

  /** Ends the readers and closes their connection (after the shutdown drain). */
  onApplicationShutdown(): void {
    this.reader.close();
  }

  private key(generationId: string): string {
    return `gen:${generationId}`;
  }

  async append(generationId: string, body: GenerationEventBody): Promise<GenerationEvent> {
    const event: GenerationEvent = { ...body, seq: (this.written.get(generationId) ?? 0) + 1 };
    await this.write(generationId, event);
    return event;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  async orphan(generationId: string): Promise<OrphanTail | null> {
    const entries = await this.redis.xrange(this.key(generationId), '-', '+');
    if (entries.length === 0) return null;
    const tail: OrphanTail = { content: '', lastSeq: 0, ended: false };
    for (const [, fields] of entries) {
      const event = JSON.parse(fields[1]) as GenerationEvent;
      // A stream written anew repeats events: each number counts once.
      if (event.seq <= tail.lastSeq) continue;
      tail.lastSeq = event.seq;
      if (event.type === 'content') tail.content += event.content;
      if (isTerminal(event)) tail.ended = true;
    }
    return tail;
  }

  endOrphan(generationId: string, event: GenerationEvent): Promise<void> {
    return this.write(generationId, event);
  }

  /** Writes an event numbered by the caller (the tiered log numbers them in memory). */
  write(generationId: string, event: GenerationEvent): Promise<void> {
    return this.writeBatch([{ generationId, events: [event], replace: false }]);
  }

  /**
   * Writes a generation's stream anew, all its events so far, in one transaction: after a
   * write was lost. Readers pass on each event number once, so they take up where they were.
   */
  rewrite(generationId: string, events: GenerationEvent[]): Promise<void> {
    return this.writeBatch([{ generationId, events, replace: true }]);
  }

  /**
   * Writes the events of several generations in one transaction, then the announcements: one
   * round trip for all.
   */
  async writeBatch(writes: StreamWrite[], announcements: Announcement[] = []): Promise<void> {
    const batch = this.redis.multi();
    let commands = 0;
    for (const { generationId, events, replace } of writes) {
      const last = events.at(-1);
      if (!last) continue;
      const key = this.key(generationId);
      if (replace) batch.del(key);
      for (const event of events) batch.xadd(key, '*', 'e', JSON.stringify(event));
      if (isTerminal(last)) batch.expire(key, this.ttlSeconds);
      else if (replace || events[0].seq === 1) batch.expire(key, this.orphanTtlSeconds);
      commands++;
    }
    for (const { channel, message } of announcements) batch.publish(channel, message);
    commands += announcements.length;
    if (commands === 0) return;
    const results = await batch.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction was discarded');
    for (const { generationId, events } of writes) {
      const last = events.at(-1);
      if (!last) continue;
      if (isTerminal(last)) this.written.delete(generationId);
      else this.written.set(generationId, last.seq);
    }
  }

  async follow(
    generationId: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null> {
    const key = this.key(generationId);
    if ((await this.redis.exists(key)) === 0) return null;
    return this.reader.follow(key, after, signal);
  }
}

/**
 * Least time between the starts of two writes of the Redis copy: events of every generation
 * appended meanwhile go out together, in one transaction (one round trip), instead of one
 * command per chunk. The first event after a quiet moment is written at once.
 */
export const BATCH_INTERVAL_MS = 5;

/** One batched write: the events of each generation it carries, and its settling. */
interface Batch {
  events: Map<string, GenerationEvent[]>;
  announcements: Announcement[];
  written: Promise<void>;
  settle: () => void;
}

/**
 * Replicas with Redis: every event goes to a memory log of this process, which readers here
 * follow, and then to Redis (readers on other replicas, resumes after the end), in order, in
 * the background, batched: one write at a time, at most one every BATCH_INTERVAL_MS, carrying
 * every event appended since the last one, of every generation. The writer never waits on
 * Redis and the writer's own clients (the sender's SSE or WebSocket, the REST answer) never
 * read from it or hold a Redis connection. If Redis fails, the generation goes on: its readers
 * here get every event; its Redis copy, which then misses events, is written anew once Redis
 * answers again (with the next batch, or after the end, retried while this process keeps the
 * events), and readers elsewhere take up from there.
 */
export class TieredStreamLog implements StreamLog {
  readonly shared = true;
  private readonly logger = new Logger('StreamLog');
  /** Events waiting for the next write. */
  private next: Batch | null = null;
  /** The write under way. */
  private writing: Batch | null = null;
  private lastWriteAt = 0;
  private timer?: NodeJS.Timeout;
  /** Generations whose Redis copy misses events (a write failed or was skipped). */
  private readonly degraded = new Set<string>();

  constructor(
    private readonly local: MemoryStreamLog,
    private readonly sharedLog: RedisStreamLog,
    /** Skips Redis at once while it is down (and for a moment after a failure). */
    private readonly redis: RedisFallback,
    private readonly retryMs = 1000,
    private readonly intervalMs = BATCH_INTERVAL_MS,
  ) {}

  async append(generationId: string, body: GenerationEventBody): Promise<GenerationEvent> {
    const event = await this.local.append(generationId, body);
    const next = this.nextBatch();
    const events = next.events.get(generationId);
    if (events) events.push(event);
    else next.events.set(generationId, [event]);
    this.schedule();
    return event;
  }

  announce(channel: string, message: string): void {
    // Every event appended so far is in the next batch or in one before it: after them.
    this.nextBatch().announcements.push({ channel, message });
    this.schedule();
  }

  private nextBatch(): Batch {
    if (!this.next) {
      let settle = () => undefined as void;
      const written = new Promise<void>((resolve) => (settle = resolve));
      this.next = { events: new Map(), announcements: [], written, settle };
    }
    return this.next;
  }

  follow(
    generationId: string,
    after: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null> {
    if (this.local.has(generationId)) return this.local.follow(generationId, after, signal);
    // Another replica's (or an older) generation; with Redis away, the caller replays the store.
    return this.redis.run(
      () => this.sharedLog.follow(generationId, after, signal),
      () => null,
    );
  }

  async flush(): Promise<void> {
    await Promise.all([this.writing?.written, this.next?.written]);
  }

  orphan(generationId: string): Promise<OrphanTail | null> {
    return this.sharedLog.orphan(generationId);
  }

  remote(generationId: string): boolean {
    return !this.local.has(generationId);
  }

  onApplicationShutdown(): void {
    this.sharedLog.onApplicationShutdown();
  }

  endOrphan(generationId: string, event: GenerationEvent): Promise<void> {
    return this.sharedLog.endOrphan(generationId, event);
  }

  /** Starts the next write now, or once the one under way is done and the interval has passed. */
  private schedule(): void {
    if (this.writing || this.timer || !this.next) return;
    const wait = this.lastWriteAt + this.intervalMs - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
      return;
    }
    const batch = this.next;
    this.next = null;
    this.writing = batch;
    this.lastWriteAt = performance.now();
    void this.copy(batch.events, batch.announcements).finally(() => {
      this.writing = null;
      batch.settle();
      this.schedule();
    });
  }

  /**
   * One attempt for a batch; never rejects. A generation whose copy missed events is written
   * anew whole. After a failure, the end of a generation is retried every `retryMs` while this
   * process keeps its events (readers elsewhere wait for the end); other events ride with the
   * generation's next batch.
   */
  private async copy(
    batch: Map<string, GenerationEvent[]>,
    announcements: Announcement[],
  ): Promise<void> {
    const writes: StreamWrite[] = [...batch].map(([generationId, events]) =>
      this.degraded.has(generationId)
        ? { generationId, events: this.local.events(generationId), replace: true }
        : { generationId, events, replace: false },
    );
    const copied = await this.redis.run(
      async () => {
        await this.sharedLog.writeBatch(writes, announcements);
        return true;
      },
      () => false,
    );
    for (const [generationId, events] of batch) {
      const end = events.at(-1);
      const ended = end !== undefined && isTerminal(end);
      if (copied || (ended && !this.local.has(generationId))) {
        this.degraded.delete(generationId);
        continue;
      }
      if (!this.degraded.has(generationId)) {
        this.logger.warn(
          `generation ${generationId}: Redis did not take events ${events[0].seq}–${end?.seq}; readers on this replica are not affected`,
        );
      }
      this.degraded.add(generationId);
      // Not awaited: a flush (shutdown) does not wait for Redis to come back.
      if (ended) void this.retryEnd(generationId);
    }
  }

  private async retryEnd(generationId: string): Promise<void> {
    while (this.local.has(generationId)) {
      await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref());
      const copied = await this.redis.run(
        async () => {
          await this.sharedLog.rewrite(generationId, this.local.events(generationId));
          return true;
        },
        () => false,
      );
      if (copied) {
        this.degraded.delete(generationId);
        return;
      }
    }
    this.degraded.delete(generationId);
  }
}
