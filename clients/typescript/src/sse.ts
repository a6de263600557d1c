/**
 * A reader of `text/event-stream` bodies, after the HTML standard's event-stream parsing:
 * lines end in CR, LF or CRLF; a blank line dispatches; `:` starts a comment (the service's
 * `: heartbeat`); `data:` lines are joined with LF; one space after the colon is dropped.
 * EventSource cannot POST or send headers, so the client reads the body of a fetch with this.
 */

/** One dispatched event. */
export interface SseMessage {
  /** The `id:` of this event's own block; undefined when the block had no `id:` line. */
  id: string | undefined;
  /** `event:`, or 'message' when the block named none. */
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  /** The previous chunk ended with CR: an LF at the start of the next one belongs to it. */
  private pendingCr = false;
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private hasData = false;
  /** Comment lines seen so far (heartbeats), for whoever watches a connection's liveness. */
  comments = 0;

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): SseMessage[] {
    let chunk = text;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk.startsWith('\n')) chunk = chunk.slice(1);
    }
    this.buffer += chunk;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (c === 13) {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      const message = this.line(line);
      if (message) out.push(message);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** The end of the body: a block not closed by a blank line is dropped, as the standard says. */
  end(): void {
    this.buffer = '';
    this.pendingCr = false;
    this.reset();
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments++;
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      default:
        // `retry:` and unknown fields: nothing this client uses.
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message = this.hasData
      ? { id: this.id, event: this.event || 'message', data: this.data.join('\n') }
      : undefined;
    this.reset();
    return message;
  }

  private reset(): void {
    this.data = [];
    this.event = '';
    this.id = undefined;
    this.hasData = false;
  }
}

/** Reads a response body as events, in order, until it ends (or the read fails). */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  onChunk?: () => void,
  parser = new SseParser(),
): AsyncGenerator<SseMessage, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk?.();
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
    parser.end();
  } finally {
    // Stops the body when the consumer leaves early (break, return, a thrown error).
    reader.cancel().catch(() => undefined);
  }
}
