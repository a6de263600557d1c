import fc from 'fast-check';
import { readSse, SseParser, type SseMessage } from '../../clients/typescript/src/index.ts';

// The client's reader of event streams (clients/typescript/src/sse.ts), on the cases a network
// and the service produce: any split of the bytes, every line ending, comments, multi-line data.

const parse = (...chunks: string[]): SseMessage[] => {
  const parser = new SseParser();
  const out = chunks.flatMap((chunk) => parser.push(chunk));
  parser.end();
  return out;
};

function bodyOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

describe('SseParser (clients/typescript)', () => {
  it('reads the service framing: id, data JSON, blank line; heartbeats are comments', () => {
    const parser = new SseParser();
    const out = parser.push(
      'id: 1\ndata: {"type":"start"}\n\n: heartbeat\n\nid: 2\ndata: {"type":"content","content":"a"}\n\n',
    );
    expect(out).toEqual([
      { id: '1', event: 'message', data: '{"type":"start"}' },
      { id: '2', event: 'message', data: '{"type":"content","content":"a"}' },
    ]);
    expect(parser.comments).toBe(1);
  });

  it('joins multi-line data with LF, takes event names, and drops one space after the colon only', () => {
    expect(parse('event: note\ndata:  two spaces\ndata:second\ndata\n\n')).toEqual([
      { id: undefined, event: 'note', data: ' two spaces\nsecond\n' },
    ]);
  });

  it('takes CRLF and CR line endings, a CRLF split between chunks included', () => {
    expect(parse('id: 7\r\ndata: x\r', '\n\r\n')).toEqual([
      { id: '7', event: 'message', data: 'x' },
    ]);
    expect(parse('data: a\r\rdata: b\r\r')).toEqual([
      { id: undefined, event: 'message', data: 'a' },
      { id: undefined, event: 'message', data: 'b' },
    ]);
  });

  it('dispatches nothing for a block without data, and drops a block the body ends inside', () => {
    expect(parse('id: 3\n\nevent: x\n\ndata: kept\n\ndata: cut')).toEqual([
      { id: undefined, event: 'message', data: 'kept' },
    ]);
  });

  it('an error event without id: has no id (the session-ended event of API.md §5)', () => {
    expect(parse('id: 4\ndata: {}\n\ndata: {"type":"error"}\n\n').map((m) => m.id)).toEqual([
      '4',
      undefined,
    ]);
  });

  it('gives the same events however the bytes are split (multi-byte characters included)', async () => {
    const text =
      'id: 1\ndata: {"type":"start"}\n\n: heartbeat\n\nid: 2\r\ndata: {"content":"春天 – ünïcode 🌸"}\r\n\r\n' +
      'id: 3\ndata: line one\ndata: line two\n\n';
    const bytes = new TextEncoder().encode(text);
    const whole = parse(text);
    expect(whole).toHaveLength(3);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
          const chunks = points.slice(1).map((end, i) => bytes.slice(points[i], end));
          const out: SseMessage[] = [];
          for await (const message of readSse(bodyOf(chunks))) out.push(message);
          expect(out).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });
});
