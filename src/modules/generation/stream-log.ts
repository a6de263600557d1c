import { isTerminal, type GenerationEvent, type GenerationEventBody } from './generation-events';

/**
 * The numbered events of generations. Writers append; readers replay from any point and
 * follow live until the terminal event. In memory for one process; a Redis implementation
 * shares it between replicas.
 */
export interface StreamLog {
  append(generationId: string, event: GenerationEventBody): Promise<GenerationEvent>;
  /** Events after `after`, then live ones, ending after the terminal event or on `signal`. Null when unknown. */
  follow(generationId: string, after: number, signal?: AbortSignal): AsyncIterable<GenerationEvent> | null;
  has(generationId: string): boolean;
}

export const STREAM_LOG = Symbol('StreamLog');

interface Stream {
  events: GenerationEvent[];
  ended: boolean;
  waiters: Set<() => void>;
}

/** Keeps each generation's events in memory until `ttlMs` after its end. */
export class MemoryStreamLog implements StreamLog {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly ttlMs: number) {}

  append(generationId: string, body: GenerationEventBody): Promise<GenerationEvent> {
    let stream = this.streams.get(generationId);
    if (!stream) {
      stream = { events: [], ended: false, waiters: new Set() };
      this.streams.set(generationId, stream);
    }
    if (stream.ended) throw new Error(`generation ${generationId} has already ended`);
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

  has(generationId: string): boolean {
    return this.streams.has(generationId);
  }

  follow(generationId: string, after: number, signal?: AbortSignal): AsyncIterable<GenerationEvent> | null {
    const stream = this.streams.get(generationId);
    if (!stream) return null;
    return (async function* () {
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
    })();
  }
}
