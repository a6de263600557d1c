import { randomUUID } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import type { GenerationEvent } from '../generation/generation-events';
import type { GenerationService } from '../generation/generation.service';
import { ChatFollower } from './chat.follower';
import { ChatSocket, WS_HIGH_WATER_BYTES } from './chat-socket';
import { aHandshake, FakeWs } from './testing/chat-fakes';

const MESSAGE = randomUUID();
const CONVERSATION = randomUUID();
const USER_MESSAGE = randomUUID();

type EventBody = GenerationEvent extends infer E
  ? E extends unknown
    ? Omit<E, 'seq'>
    : never
  : never;

/**
 * One reply's log as the in-memory stream log holds it: the same event objects for every
 * reader, read live until the terminal event or the reader's signal (like the real one, it
 * hands over the events it has without looking at the signal between them).
 */
class ReplyLog {
  readonly events: GenerationEvent[] = [];
  private readonly waiters = new Set<() => void>();

  append(...bodies: EventBody[]): void {
    for (const body of bodies) this.events.push({ ...body, seq: this.events.length + 1 });
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  async *read(after: number, signal?: AbortSignal): AsyncGenerator<GenerationEvent> {
    let next = after;
    while (!signal?.aborted) {
      while (next < this.events.length) {
        const event = this.events[next++];
        yield await Promise.resolve(event);
        if (event.type === 'end' || event.type === 'error') return;
      }
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }
}

const START: EventBody = {
  type: 'start',
  message_id: MESSAGE,
  conversation_id: CONVERSATION,
  user_message_id: USER_MESSAGE,
};
const END: EventBody = {
  type: 'end',
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  stopped: false,
};

function aReply(texts: string[], last: 'end' | 'error' = 'end'): ReplyLog {
  const log = new ReplyLog();
  log.append(
    START,
    ...texts.map((content): EventBody => ({ type: 'content', content })),
    last === 'end'
      ? END
      : { type: 'error', error: { code: 'OPENAI_API_ERROR', messageKey: 'error.internal' } },
  );
  return log;
}

/**
 * GenerationService as the follower uses it: the log of each known reply. `follow` checks
 * ownership first (a reply in `foreign` is another user's: 404), as the real one does.
 */
function fakeGeneration(logs: Map<string, ReplyLog>, foreign: Set<string>) {
  const calls = { follow: 0, followStarted: 0 };
  const read = (messageId: string, after: number, signal?: AbortSignal) => {
    const log = logs.get(messageId);
    if (!log) return Promise.reject(AppError.notFound());
    return Promise.resolve(log.read(after, signal));
  };
  const generation: Pick<GenerationService, 'follow' | 'followStarted'> = {
    followStarted: (messageId, after, signal) => {
      calls.followStarted += 1;
      return read(messageId, after, signal);
    },
    follow: (_actor, messageId, after, signal) => {
      calls.follow += 1;
      if (foreign.has(messageId)) return Promise.reject(AppError.notFound());
      return read(messageId, after, signal);
    },
  };
  return { generation: generation as GenerationService, calls };
}

/** Resolves once the socket follows nothing any more. */
async function settled(socket: ChatSocket): Promise<void> {
  for (let i = 0; i < 1000 && socket.following.size > 0; i++)
    await new Promise((resolve) => setImmediate(resolve));
  expect(socket.following.size).toBe(0);
}

describe(ChatFollower.name, () => {
  let logs: Map<string, ReplyLog>;
  let foreign: Set<string>;
  let follower: ChatFollower;
  let calls: { follow: number; followStarted: number };
  let serializations: number;

  beforeEach(() => {
    logs = new Map([[MESSAGE, aReply(['Hel', 'lo', '!'])]]);
    foreign = new Set();
    const fake = fakeGeneration(logs, foreign);
    calls = fake.calls;
    follower = new ChatFollower(fake.generation);
    // Every frame serialized stamps one timestamp: counting them counts serializations.
    serializations = 0;
    jest
      .spyOn(Date.prototype, 'toISOString')
      .mockImplementation(
        () => `2026-11-25T00:00:00.${String(++serializations).padStart(3, '0')}Z`,
      );
  });
  afterEach(() => jest.restoreAllMocks());

  const aSocket = (lang: 'en' | 'zh' = 'en') => {
    const ws = new FakeWs();
    return { ws, socket: new ChatSocket(ws.asWebSocket, aHandshake({ lang })) };
  };

  describe('follow', () => {
    it('sends message_start, message_content…, message_end with both ids, seq and the request id', async () => {
      const { ws, socket } = aSocket();
      follower.follow(socket, MESSAGE, 0, 'req-1');
      expect(socket.following.has(MESSAGE)).toBe(true);
      await settled(socket);
      const ids = { conversation_id: CONVERSATION, message_id: MESSAGE };
      expect(ws.frames).toEqual([
        {
          type: 'message_start',
          ...ids,
          seq: 1,
          user_message_id: USER_MESSAGE,
          request_id: 'req-1',
          timestamp: expect.any(String),
        },
        { type: 'message_content', ...ids, seq: 2, content: 'Hel', timestamp: expect.any(String) },
        { type: 'message_content', ...ids, seq: 3, content: 'lo', timestamp: expect.any(String) },
        { type: 'message_content', ...ids, seq: 4, content: '!', timestamp: expect.any(String) },
        {
          type: 'message_end',
          ...ids,
          seq: 5,
          usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
          stopped: false,
          timestamp: expect.any(String),
        },
      ]);
    });

    it('serializes each shared frame once for every socket that follows the reply', async () => {
      const sockets = [aSocket(), aSocket(), aSocket()];
      for (const { socket } of sockets) follower.follow(socket, MESSAGE, 0);
      for (const { socket } of sockets) await settled(socket);
      // One message_start per socket; the 3 contents and the end once for all.
      expect(serializations).toBe(3 + 4);
      const [first, ...others] = sockets.map(({ ws }) => ws.sent);
      for (const sent of others) {
        expect(sent.slice(1)).toEqual(first.slice(1));
        expect(sent[0]).not.toEqual(first[0]);
      }
    });

    it('a socket joining later gets the frames already serialized, from event `after` on', async () => {
      const early = aSocket();
      follower.follow(early.socket, MESSAGE, 0);
      await settled(early.socket);
      const late = aSocket();
      follower.follow(late.socket, MESSAGE, 2);
      await settled(late.socket);
      expect(late.ws.sent).toEqual(early.ws.sent.slice(2));
      expect(serializations).toBe(1 + 4);
    });

    it('builds message_start and error for each socket: its request id and language', async () => {
      logs.set(MESSAGE, aReply(['partial'], 'error'));
      const asker = aSocket('en');
      const tab = aSocket('zh');
      follower.follow(asker.socket, MESSAGE, 0, 'mine');
      follower.follow(tab.socket, MESSAGE, 0);
      await Promise.all([settled(asker.socket), settled(tab.socket)]);
      const [askerStart, , askerError] = asker.ws.frames;
      const [tabStart, , tabError] = tab.ws.frames;
      expect(askerStart.request_id).toBe('mine');
      expect(tabStart).not.toHaveProperty('request_id');
      expect(askerError).toMatchObject({
        type: 'error',
        seq: 3,
        message_id: MESSAGE,
        conversation_id: CONVERSATION,
        request_id: 'mine',
        error: { code: 'OPENAI_API_ERROR', message: 'Internal server error' },
      });
      expect(tabError.error).toEqual({ code: 'OPENAI_API_ERROR', message: '服务器内部错误' });
      expect(tabError).not.toHaveProperty('request_id');
    });

    it('follows a reply once per socket', async () => {
      const { ws, socket } = aSocket();
      follower.follow(socket, MESSAGE, 0);
      follower.follow(socket, MESSAGE, 0);
      await settled(socket);
      expect(ws.frames.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(calls.followStarted).toBe(1);
    });

    it('answers a reply it cannot read with an error frame naming it', async () => {
      const { ws, socket } = aSocket();
      const unknown = randomUUID();
      follower.follow(socket, unknown, 0, 'req-2');
      await settled(socket);
      expect(ws.frames).toEqual([
        {
          type: 'error',
          error: { code: 'RESOURCE_NOT_FOUND', message: expect.any(String) },
          message_id: unknown,
          request_id: 'req-2',
          timestamp: expect.any(String),
        },
      ]);
    });

    it('sends nothing, not even the error, to a socket that has closed', async () => {
      const { ws, socket } = aSocket();
      socket.dispose();
      follower.follow(socket, randomUUID(), 0);
      await settled(socket);
      expect(ws.sent).toEqual([]);
    });

    it('waits for a socket past its high-water mark to write a frame before sending the next', async () => {
      const { ws, socket } = aSocket();
      ws.holdWrites = true;
      ws.bufferedAmount = WS_HIGH_WATER_BYTES;
      follower.follow(socket, MESSAGE, 0);
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(ws.sent).toHaveLength(1);
      ws.bufferedAmount = 0;
      ws.pendingWrites.shift()!();
      await settled(socket);
      expect(ws.sent).toHaveLength(5);
    });
  });
  describe('resume', () => {
    /** Lets the background follows run until nothing moves. */
    const drain = async () => {
      for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    it('checks ownership through GenerationService.follow and throws its refusal, sending nothing', async () => {
      const { ws, socket } = aSocket();
      foreign.add(MESSAGE);
      await expect(follower.resume(socket, MESSAGE, 0, 'r')).rejects.toMatchObject({
        code: 'RESOURCE_NOT_FOUND',
      });
      expect(socket.following.size).toBe(0);
      expect(ws.sent).toEqual([]);
    });

    it('sends the frames after `after`, then the live ones, with the request id on message_start', async () => {
      const live = new ReplyLog();
      live.append(START, { type: 'content', content: 'a' });
      logs.set(MESSAGE, live);
      const { ws, socket } = aSocket();
      await follower.resume(socket, MESSAGE, 0, 'again');
      await drain();
      live.append({ type: 'content', content: 'b' }, END);
      await settled(socket);
      expect(ws.frames.map((f) => f.seq)).toEqual([1, 2, 3, 4]);
      expect(ws.frames[0].request_id).toBe('again');
      expect(calls).toEqual({ follow: 1, followStarted: 0 });
    });

    it('replaces a follow of the same reply on the socket: no frame comes twice', async () => {
      const live = new ReplyLog();
      live.append(START, { type: 'content', content: 'a' });
      logs.set(MESSAGE, live);
      const { ws, socket } = aSocket();
      follower.follow(socket, MESSAGE, 0);
      await drain();
      expect(ws.frames.map((f) => f.seq)).toEqual([1, 2]);
      const first = socket.following.get(MESSAGE);
      await follower.resume(socket, MESSAGE, 1);
      await drain();
      await follower.resume(socket, MESSAGE, 1);
      expect(first?.signal.aborted).toBe(true);
      expect(socket.following.size).toBe(1);
      await drain();
      live.append({ type: 'content', content: 'b' }, END);
      await settled(socket);
      // The first follow, then one replay of seq 2 per resume (the second ends the first
      // resume's follow), then each live event once.
      expect(ws.frames.map((f) => f.seq)).toEqual([1, 2, 2, 2, 3, 4]);
    });

    it('a replaced follow sends nothing more, not even events the log had already handed over', async () => {
      const { ws, socket } = aSocket();
      // The first follow is held writing message_start; the log has the whole reply.
      ws.holdWrites = true;
      ws.bufferedAmount = WS_HIGH_WATER_BYTES;
      follower.follow(socket, MESSAGE, 0);
      await drain();
      expect(ws.sent).toHaveLength(1);
      ws.bufferedAmount = 0;
      await follower.resume(socket, MESSAGE, 5);
      ws.pendingWrites.shift()!();
      await settled(socket);
      expect(ws.frames.map((f) => f.seq)).toEqual([1]);
    });

    it("leaves the same reply's follow on another socket running", async () => {
      const live = new ReplyLog();
      live.append(START);
      logs.set(MESSAGE, live);
      const tab = aSocket();
      const other = aSocket();
      follower.follow(tab.socket, MESSAGE, 0);
      await follower.resume(other.socket, MESSAGE, 0);
      await drain();
      live.append({ type: 'content', content: 'x' }, END);
      await Promise.all([settled(tab.socket), settled(other.socket)]);
      expect(tab.ws.frames.map((f) => f.seq)).toEqual([1, 2, 3]);
      expect(other.ws.frames.map((f) => f.seq)).toEqual([1, 2, 3]);
    });

    it('ends with the socket: nothing is sent after its close', async () => {
      const live = new ReplyLog();
      live.append(START);
      logs.set(MESSAGE, live);
      const { ws, socket } = aSocket();
      await follower.resume(socket, MESSAGE, 0);
      await drain();
      socket.dispose();
      live.append({ type: 'content', content: 'late' }, END);
      await settled(socket);
      expect(ws.frames.map((f) => f.seq)).toEqual([1]);
    });
  });
});
