import { request as httpRequest, IncomingHttpHeaders } from 'node:http';

/** One Server-Sent Events frame: its `id:` and its `data:` (parsed as JSON when it is JSON). */
export interface SseFrame {
  id: string | undefined;
  event: string | undefined;
  /** The `data:` lines joined, parsed as JSON (the raw string when it is not JSON). */
  data: any;
  /** The frame's text as received, without the blank line that ends it. */
  raw: string;
}

export interface SseRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

/**
 * A response read as Server-Sent Events while it arrives. `frames` grows as frames come in;
 * comment blocks (`: heartbeat`) go to `comments`. A response that is not an event stream
 * (an error envelope) is kept whole in `text`, parsed in `json`.
 */
export class SseStream {
  readonly frames: SseFrame[] = [];
  readonly comments: string[] = [];
  /** Everything the body held, as received. */
  text = '';
  /** True once the server ended the response (or the connection went away). */
  ended = false;
  /** True once `disconnect()` was called. */
  disconnected = false;
  /** Resolves when the response is over: ended by the server, cut, or disconnected by us. */
  readonly finished: Promise<void>;

  private buffer = '';
  private readonly listeners = new Set<() => void>();
  private finish!: () => void;

  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly destroy: () => void,
  ) {
    this.finished = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
  }

  /** The body as JSON (error envelopes); undefined when it is not JSON. */
  get json(): any {
    try {
      return JSON.parse(this.text) as unknown;
    } catch {
      return undefined;
    }
  }

  /** The parsed `data` of every frame so far. */
  get events(): any[] {
    return this.frames.map((f): unknown => f.data);
  }

  /** Closes the connection from the client side, as a browser tab going away. */
  disconnect(): void {
    this.disconnected = true;
    this.destroy();
  }

  /** Resolves with the first frame that matches (already received or still to come). */
  waitFor(predicate: (frame: SseFrame) => boolean, timeoutMs = 5000): Promise<SseFrame> {
    return new Promise<SseFrame>((resolve, reject) => {
      const check = (): boolean => {
        const found = this.frames.find(predicate);
        if (found) {
          done();
          resolve(found);
          return true;
        }
        if (this.ended) {
          done();
          reject(new Error(`stream ended without the awaited frame; got ${this.describe()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no awaited frame within ${timeoutMs} ms; got ${this.describe()}`));
      }, timeoutMs);
      const listener = () => {
        check();
      };
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      if (!check()) this.listeners.add(listener);
    });
  }

  /** Resolves once at least `count` frames have arrived. */
  async waitForFrames(count: number, timeoutMs = 5000): Promise<SseFrame[]> {
    await this.waitFor(() => this.frames.length >= count, timeoutMs);
    return this.frames.slice(0, count);
  }

  /** Resolves when the response is over; rejects after `timeoutMs`. */
  async untilEnd(timeoutMs = 10_000): Promise<this> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.finished,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`stream still open after ${timeoutMs} ms; got ${this.describe()}`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return this;
  }

  /** @internal */
  push(chunk: string): void {
    this.text += chunk;
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.parseBlock(block);
    }
    this.notify();
  }

  /** @internal */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.notify();
    this.finish();
  }

  private parseBlock(block: string): void {
    const lines = block.split('\n');
    if (lines.every((line) => line.startsWith(':'))) {
      this.comments.push(block);
      return;
    }
    let id: string | undefined;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon === 0) continue;
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    const text = data.join('\n');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: kept as the string.
    }
    this.frames.push({ id, event, data: parsed, raw: block });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private describe(): string {
    return JSON.stringify(this.frames.map((f) => ({ id: f.id, data: f.data as unknown }))).slice(
      0,
      2000,
    );
  }
}

/**
 * Opens `url` (absolute) over node:http and resolves as soon as the response headers are in;
 * the body is then read as it arrives. Nothing is buffered or retried; one connection each.
 */
export function openSse(url: string, options: SseRequest = {}): Promise<SseStream> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise<SseStream>((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      agent: false,
      headers: {
        accept: 'text/event-stream',
        ...(body !== undefined
          ? {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(body)),
            }
          : {}),
        ...options.headers,
      },
    });
    req.on('response', (res) => {
      const stream = new SseStream(res.statusCode ?? 0, res.headers, () => {
        res.destroy();
        req.destroy();
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => stream.push(chunk));
      res.on('end', () => stream.close());
      res.on('close', () => stream.close());
      res.on('error', () => stream.close());
      resolve(stream);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a stream and reads it to its end. */
export async function readSse(
  url: string,
  options: SseRequest = {},
  timeoutMs = 10_000,
): Promise<SseStream> {
  return (await openSse(url, options)).untilEnd(timeoutMs);
}
