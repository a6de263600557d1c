import type Redis from 'ioredis';
import { isTerminal, type GenerationEvent } from './generation-events';

/** How long the shared read blocks before it checks that the streams followed still exist. */
export const BLOCK_MS = 5000;
/** Entries read per stream per round trip. */
const COUNT = 500;
/** Tries to interrupt a read that has not reached Redis yet (2 ms apart). */
const UNBLOCK_TRIES = 50;

interface Reader {
  key: string;
  /** The last entry id handed to this reader ('0-0': none yet). */
  cursor: string;
  /** The last event number handed on (an event written twice passes once). */
  passed: number;
  queue: GenerationEvent[];
  /** Set when the reader must end: its stream is gone (null) or the read failed. */
  ended?: { error: unknown } | null;
  wake?: () => void;
}

/** Compares two stream entry ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

/**
 * One blocking Redis connection for every reader of generation streams in this process: a
 * single `XREAD BLOCK` over all the streams being followed, each from the earliest position
 * any of its readers needs, handing each entry to the readers that have not seen it. A new
 * reader interrupts the read under way (CLIENT UNBLOCK) so that it joins at once. Redis
 * connections stay constant in the number of readers (they grew by one per reader before).
 */
export class SharedStreamReader {
  private readonly readers = new Map<string, Set<Reader>>();
  private conn?: Redis;
  private connId?: number;
  private loop?: Promise<void>;
  /** Counts reads; a read is interrupted only while it is the one under way. */
  private round = 0;
  private blocked = false;
  /** Set while the connection is closed on purpose (nobody follows any more). */
  private dropping = false;

  constructor(
    private readonly redis: Redis,
    private readonly blockMs = BLOCK_MS,
  ) {}

  /** Readers following now (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const set of this.readers.values()) n += set.size;
    return n;
  }

  /** The events of stream `key` after event `after`, live until its terminal event or `signal`. */
  follow(key: string, after: number, signal?: AbortSignal): AsyncIterable<GenerationEvent> {
    const reader: Reader = { key, cursor: '0-0', passed: after, queue: [] };
    const remove = () => {
      const set = this.readers.get(key);
      set?.delete(reader);
      if (set?.size === 0) this.readers.delete(key);
      reader.ended ??= null;
      reader.wake?.();
      if (this.readers.size === 0) this.drop();
    };
    const add = () => {
      let set = this.readers.get(key);
      if (!set) this.readers.set(key, (set = new Set()));
      set.add(reader);
      this.start();
    };
    return {
      [Symbol.asyncIterator]: () => {
        if (signal?.aborted) return (async function* () {})();
        add();
        signal?.addEventListener('abort', remove, { once: true });
        return (async function* () {
          try {
            for (;;) {
              const event = reader.queue.shift();
              if (event) {
                yield event;
                if (isTerminal(event)) return;
                continue;
              }
              if (reader.ended) throw reader.ended.error;
              if (reader.ended === null) return;
              await new Promise<void>((resolve) => (reader.wake = resolve));
              reader.wake = undefined;
            }
          } finally {
            signal?.removeEventListener('abort', remove);
            remove();
          }
        })();
      },
    };
  }

  /** Nobody follows: the blocking connection is closed rather than left blocked for nothing. */
  private drop(): void {
    if (!this.blocked || !this.conn) return;
    this.dropping = true;
    this.conn.disconnect();
  }

  /** Ends every reader and closes the connection (shutdown). */
  close(): void {
    for (const set of this.readers.values()) {
      for (const reader of set) {
        reader.ended ??= null;
        reader.wake?.();
      }
    }
    this.readers.clear();
    this.dropping = true;
    this.conn?.disconnect();
    this.conn = undefined;
  }

  /** Starts the read loop, or interrupts the read under way so that it takes the new reader. */
  private start(): void {
    if (!this.loop) {
      this.loop = this.run().finally(() => (this.loop = undefined));
      return;
    }
    if (this.blocked) void this.interrupt(this.round);
  }

  private async interrupt(round: number): Promise<void> {
    for (let i = 0; i < UNBLOCK_TRIES && this.blocked && this.round === round; i++) {
      const id = this.connId;
      if (id !== undefined && (await this.redis.client('UNBLOCK', id).catch(() => 0)) === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  private async connection(): Promise<Redis> {
    if (this.conn) return this.conn;
    // Blocking reads hold their connection: not the shared client (its command timeout is
    // shorter than a block), given up a little after each block.
    const conn = this.redis.duplicate({
      commandTimeout: undefined,
      blockingTimeout: this.blockMs,
    });
    conn.on('error', () => undefined);
    // After a reconnect the connection has a new id.
    conn.on('ready', () => {
      this.connId = undefined;
      void conn.client('ID').then(
        (id) => (this.connId = Number(id)),
        () => undefined,
      );
    });
    this.conn = conn;
    this.connId = Number(await conn.client('ID'));
    return conn;
  }

  private async run(): Promise<void> {
    try {
      const conn = await this.connection();
      let checkedAt = Date.now();
      while (this.readers.size > 0) {
        const keys = [...this.readers.keys()];
        const from = keys.map((key) => this.earliest(key));
        const fromOf = new Map(keys.map((key, i) => [key, from[i]]));
        this.round++;
        this.blocked = true;
        let batch: [string, [string, string[]][]][] | null;
        try {
          batch = await conn.xread(
            'COUNT',
            COUNT,
            'BLOCK',
            this.blockMs,
            'STREAMS',
            ...keys,
            ...from,
          );
        } finally {
          this.blocked = false;
        }
        if (batch) {
          for (const [key, entries] of batch) this.deliver(key, entries, fromOf.get(key)!);
        }
        if (!batch && Date.now() - checkedAt >= this.blockMs) {
          checkedAt = Date.now();
          await this.endMissing(keys);
        }
      }
    } catch (error) {
      // The read failed (Redis away): every reader ends with the error; a later reader
      // starts a new loop on the reconnected connection. A connection closed on purpose
      // fails nobody: a reader that came meanwhile gets a new loop below.
      if (!this.dropping) {
        for (const set of this.readers.values()) {
          for (const reader of set) {
            reader.ended = { error };
            reader.wake?.();
          }
        }
        this.readers.clear();
      }
    } finally {
      if (this.dropping || this.readers.size === 0) {
        this.conn?.disconnect();
        this.conn = undefined;
        this.connId = undefined;
      }
      this.dropping = false;
    }
    // A reader that came while the loop was ending.
    if (this.readers.size > 0) setImmediate(() => this.start());
  }

  /** The earliest cursor among the stream's readers. */
  private earliest(key: string): string {
    let earliest: string | undefined;
    for (const reader of this.readers.get(key) ?? []) {
      if (earliest === undefined || compareIds(reader.cursor, earliest) < 0)
        earliest = reader.cursor;
    }
    return earliest ?? '0-0';
  }

  /**
   * Hands the entries read after `from` to the readers they continue: a reader that came
   * after the read was asked for, and needs entries from before `from`, waits for the next.
   */
  private deliver(key: string, entries: [string, string[]][], from: string): void {
    const readers = [...(this.readers.get(key) ?? [])].filter(
      (reader) => compareIds(reader.cursor, from) >= 0,
    );
    for (const [id, fields] of entries) {
      const event = JSON.parse(fields[1]) as GenerationEvent;
      for (const reader of readers) {
        if (compareIds(id, reader.cursor) <= 0) continue;
        reader.cursor = id;
        // Already seen by the reader (a stream written anew repeats events), but an end is
        // still the end.
        if (event.seq > reader.passed) {
          reader.passed = event.seq;
          reader.queue.push(event);
        } else if (isTerminal(event)) {
          reader.ended ??= null;
        } else {
          continue;
        }
        reader.wake?.();
      }
    }
  }

  /** Ends the readers of streams that no longer exist (expired or removed). */
  private async endMissing(keys: string[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.exists(key);
    const results = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const [error, exists] = results[i] ?? [null, 1];
      if (error || exists !== 0) return;
      for (const reader of this.readers.get(key) ?? []) {
        reader.ended = null;
        reader.wake?.();
      }
      this.readers.delete(key);
    });
  }
}
