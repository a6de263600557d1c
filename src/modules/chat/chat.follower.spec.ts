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

/** One reply's log as the in-memory stream log holds it: the same event objects for every reader. */
function aReply(texts: string[], last: 'end' | 'error' = 'end'): GenerationEvent[] {
  const bodies = [
    {
      type: 'start' as const,
      message_id: MESSAGE,
      conversation_id: CONVERSATION,
      user_message_id: USER_MESSAGE,
    },
    ...texts.map((content) => ({ type: 'content' as const, content })),
    last === 'end'
      ? {
          type: 'end' as const,
          usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
          stopped: false,
        }
      : {
          type: 'error' as const,
          error: {
            code: 'OPENAI_API_ERROR' as const,
            messageKey: 'error.internal' as const,
          },
        },
  ];
  return bodies.map((body, i) => ({ ...body, seq: i + 1 }));
}

/** GenerationService as the follower uses it: the log of each known reply, read from the start. */
function fakeGeneration(logs: Map<string, GenerationEvent[]>): GenerationService {
  const generation: Pick<GenerationService, 'followStarted'> = {
    followStarted: (messageId: string, after: number) => {
      const events = logs.get(messageId);
      if (!events) return Promise.reject(AppError.notFound());
      return Promise.resolve(
        (async function* () {
          for (const event of events) if (event.seq > after) yield await Promise.resolve(event);
        })(),
      );
    },
  };
  return generation as GenerationService;
}

/** Resolves once the socket follows nothing any more. */
async function settled(socket: ChatSocket): Promise<void> {
  for (let i = 0; i < 1000 && socket.following.size > 0; i++)
    await new Promise((resolve) => setImmediate(resolve));
  expect(socket.following.size).toBe(0);
}

describe(ChatFollower.name, () => {
  let logs: Map<string, GenerationEvent[]>;
  let follower: ChatFollower;
  let serializations: number;

  beforeEach(() => {
    logs = new Map([[MESSAGE, aReply(['Hel', 'lo', '!'])]]);
    follower = new ChatFollower(fakeGeneration(logs));
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
      follower.follow(late.socket, MESSAGE, 2, 'again');
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

    it('follows a reply once per socket, unless asked again (a resume replays it)', async () => {
      const { ws, socket } = aSocket();
      follower.follow(socket, MESSAGE, 0);
      follower.follow(socket, MESSAGE, 0);
      await settled(socket);
      expect(ws.frames.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
      follower.follow(socket, MESSAGE, 0);
      follower.follow(socket, MESSAGE, 3, undefined, true);
      await settled(socket);
      // Two followers of the same reply now: their frames interleave, each in order.
      const again = ws.frames.slice(5).map((f) => f.seq);
      expect(again.sort()).toEqual([1, 2, 3, 4, 4, 5, 5]);
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
});
