import { Logger } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { ChatSocket, WS_HIGH_WATER_BYTES, serializeFrame } from './chat-socket';
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
