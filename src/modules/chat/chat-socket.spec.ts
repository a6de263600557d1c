import { Logger } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import {
  ChatSocket,
  POLICY_CLOSE_GRACE_MS,
  REFUSAL_WINDOW_MS,
  WS_HIGH_WATER_BYTES,
  serializeFrame,
} from './chat-socket';
import { WS_CLOSE_POLICY } from './ws-events';
import { aHandshake, FakeWs } from './testing/chat-fakes';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe(serializeFrame.name, () => {
  it('adds the timestamp after the frame fields', () => {
    const text = serializeFrame({ type: 'pong' });
    expect(Object.keys(JSON.parse(text))).toEqual(['type', 'timestamp']);
    expect(JSON.parse(text).timestamp).toMatch(ISO_UTC);
  });
});

describe(ChatSocket.name, () => {
  let ws: FakeWs;
  let socket: ChatSocket;

  beforeEach(() => {
    ws = new FakeWs();
    socket = new ChatSocket(ws.asWebSocket, aHandshake({ lang: 'zh' }));
  });

  describe('send', () => {
    it('writes the frame with a timestamp while open, nothing once closing', () => {
      socket.send({ type: 'pong' });
      ws.readyState = 2;
      socket.send({ type: 'pong' });
      expect(ws.frames).toEqual([{ type: 'pong', timestamp: expect.stringMatching(ISO_UTC) }]);
    });
  });

  describe('sendPaced', () => {
    it('resolves at once below the high-water mark', async () => {
      ws.holdWrites = true;
      await socket.sendPaced('{"type":"pong"}');
      expect(ws.sent).toEqual(['{"type":"pong"}']);
    });

    it('past the high-water mark, resolves only once the frame is written', async () => {
      ws.holdWrites = true;
      ws.bufferedAmount = WS_HIGH_WATER_BYTES;
      let resolved = false;
      const paced = socket.sendPaced('x').then(() => (resolved = true));
      await Promise.resolve();
      expect(resolved).toBe(false);
      ws.pendingWrites.shift()!();
      await paced;
      expect(resolved).toBe(true);
    });

    it('writes nothing to a closed socket', async () => {
      ws.readyState = 3;
      await socket.sendPaced('x');
      expect(ws.sent).toEqual([]);
    });
  });

  describe('sendError', () => {
    it("answers a domain error with its code, the message in the socket's language and the ids given", () => {
      socket.sendError(AppError.notFound(), { request_id: 'r-1', message_id: undefined });
      expect(ws.frames).toEqual([
        {
          type: 'error',
          error: { code: 'RESOURCE_NOT_FOUND', message: expect.stringMatching(/[\u4e00-\u9fff]/) },
          request_id: 'r-1',
          timestamp: expect.stringMatching(ISO_UTC),
        },
      ]);
    });

    it('carries the details of a refusal that says when to retry, and no others', () => {
      const limited = new AppError('RATE_LIMIT_EXCEEDED', 'error.rate_limit', {
        group: 'ws_frames',
        retry_after: 12,
      });
      const quota = new AppError('QUOTA_EXCEEDED', 'error.quota', { window: 'daily_tokens' });
      socket.sendError(limited);
      socket.sendError(quota);
      socket.sendError(AppError.badRequest('nope', 'content'));
      expect(ws.frames.map((f) => f.error)).toEqual([
        {
          code: 'RATE_LIMIT_EXCEEDED',
          message: expect.any(String),
          details: { group: 'ws_frames', retry_after: 12 },
        },
        {
          code: 'QUOTA_EXCEEDED',
          message: expect.any(String),
          details: { window: 'daily_tokens' },
        },
        { code: 'VALIDATION_ERROR', message: expect.any(String) },
      ]);
    });

    it('answers an unknown error as INTERNAL_SERVER_ERROR without its text, and logs it', () => {
      const log = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      socket.sendError(new Error('SELECT secret FROM internals'));
      expect(ws.frames[0]).toMatchObject({ error: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(ws.sent[0]).not.toContain('secret');
      expect(log).toHaveBeenCalledWith(expect.stringContaining('SELECT secret'));
      log.mockRestore();
    });
  });

  describe('enqueue', () => {
    it('runs tasks one after the other, and answers a failed one with an error frame', async () => {
      const order: string[] = [];
      let release = () => undefined as void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      socket.enqueue(async () => {
        await gate;
        order.push('first');
      });
      socket.enqueue(() => Promise.reject(AppError.badRequest('nope')));
      socket.enqueue(() => {
        order.push('third');
        return Promise.resolve();
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual([]);
      release();
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual(['first', 'third']);
      expect(ws.frames.map((f) => f.error)).toEqual([
        { code: 'VALIDATION_ERROR', message: expect.any(String) },
      ]);
    });
  });

  describe('enqueue with a bound', () => {
    it('queues at most maxQueued tasks; the one over is not queued; room comes back as they finish', async () => {
      const bounded = new ChatSocket(ws.asWebSocket, aHandshake(), {
        maxQueued: 2,
        maxRefusals: 10,
      });
      let release = () => undefined as void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const ran: number[] = [];
      const task = (n: number) => async () => {
        await gate;
        ran.push(n);
      };
      expect([
        bounded.enqueue(task(1)),
        bounded.enqueue(task(2)),
        bounded.enqueue(task(3)),
      ]).toEqual([true, true, false]);
      expect(bounded.queued).toBe(2);
      release();
      await new Promise((resolve) => setImmediate(resolve));
      expect(ran).toEqual([1, 2]);
      expect(bounded.queued).toBe(0);
      expect(bounded.enqueue(task(4))).toBe(true);
    });
  });

  describe('refuse', () => {
    const limited = () =>
      new AppError('RATE_LIMIT_EXCEEDED', 'error.rate_limit', { retry_after: 3 });

    it('answers maxRefusals refusals in a window, then closes with 1008 without answering', () => {
      const strict = new ChatSocket(ws.asWebSocket, aHandshake(), {
        maxQueued: 10,
        maxRefusals: 2,
      });
      strict.refuse(limited(), { request_id: 'a' });
      strict.refuse(limited());
      expect(ws.closedWith).toBeUndefined();
      strict.refuse(limited());
      expect(ws.frames).toHaveLength(2);
      expect(ws.frames[0]).toMatchObject({
        request_id: 'a',
        error: { code: 'RATE_LIMIT_EXCEEDED' },
      });
      expect(ws.closedWith).toEqual({ code: WS_CLOSE_POLICY, reason: 'rate limit exceeded' });
      // It reads nothing more, and the connection is dropped once the close frame had its time.
      expect(ws.paused).toBe(true);
      expect(ws.terminated).toBe(false);
    });

    it('drops the connection POLICY_CLOSE_GRACE_MS after a close for policy', () => {
      jest.useFakeTimers();
      const strict = new ChatSocket(ws.asWebSocket, aHandshake(), {
        maxQueued: 10,
        maxRefusals: 0,
      });
      strict.refuse(limited());
      jest.advanceTimersByTime(POLICY_CLOSE_GRACE_MS - 1);
      expect(ws.terminated).toBe(false);
      jest.advanceTimersByTime(1);
      expect(ws.terminated).toBe(true);
      jest.useRealTimers();
    });

    it('counts refusals per window: a client that backs off is not closed', () => {
      jest.useFakeTimers();
      const strict = new ChatSocket(ws.asWebSocket, aHandshake(), {
        maxQueued: 10,
        maxRefusals: 2,
      });
      for (let i = 0; i < 3; i++) {
        strict.refuse(limited());
        strict.refuse(limited());
        jest.advanceTimersByTime(REFUSAL_WINDOW_MS);
      }
      expect(ws.closedWith).toBeUndefined();
      expect(ws.frames).toHaveLength(6);
      jest.useRealTimers();
    });
  });

  describe('replaceFollow', () => {
    it('ends the follow of the same reply it replaces, not those of other replies', () => {
      const first = new AbortController();
      const other = new AbortController();
      socket.replaceFollow('m-1', first);
      socket.replaceFollow('m-2', other);
      const second = new AbortController();
      socket.replaceFollow('m-1', second);
      expect([first.signal.aborted, other.signal.aborted, second.signal.aborted]).toEqual([
        true,
        false,
        false,
      ]);
      // The replaced follow ending later does not forget its replacement.
      socket.endFollow('m-1', first);
      expect(socket.following.get('m-1')).toBe(second);
      socket.endFollow('m-1', second);
      expect(socket.following.has('m-1')).toBe(false);
    });

    it('gives a follow a signal that also ends with the socket', () => {
      const follow = new AbortController();
      const signal = socket.signalOf(follow);
      expect(signal.aborted).toBe(false);
      socket.dispose();
      expect(signal.aborted).toBe(true);
      expect(follow.signal.aborted).toBe(false);
    });
  });

  describe('dispose', () => {
    it('aborts what the socket follows and cancels its expiry timer', () => {
      const fired = jest.fn();
      socket.expiryTimer = setTimeout(fired, 0);
      socket.dispose();
      expect(socket.closed.signal.aborted).toBe(true);
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          expect(fired).not.toHaveBeenCalled();
          resolve();
        }, 5),
      );
    });
  });
});
