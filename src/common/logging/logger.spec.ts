import type { DestinationStream } from 'pino';
import { createRootLogger, logOutputOf } from './logger';

function capture(): { stream: DestinationStream; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  return {
    stream: { write: (line: string) => void written.push(line) },
    lines: () => written.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const env = { LOG_LEVEL: 'debug', LOG_FORMAT: 'json', NODE_ENV: 'test' } as const;

describe(createRootLogger.name, () => {
  it('writes JSON lines with the level label, time and message', () => {
    const out = capture();
    createRootLogger(env, out.stream).info({ user_id: 'u1' }, 'hello');
    expect(out.lines()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'hello',
        user_id: 'u1',
        time: expect.any(String),
      }),
    ]);
  });

  it('redacts messages, merged objects at any depth, child bindings and errors', () => {
    const out = capture();
    const logger = createRootLogger(env, out.stream);
    logger.info(
      {
        body: { a: { b: { password: 'pw-secret-1' } } },
        headers: { authorization: 'Bearer tok-2' },
      },
      'upgrade /api/v1/ws/chat?token=tok-3&ticket=tic-4',
    );
    logger.child({ session: { refresh_token: 'rt-5' } }).warn('child line');
    logger.error({ err: new Error('failed GET /x?access_token=at-6') }, 'with error');
    const text = JSON.stringify(out.lines());
    for (const secret of ['pw-secret-1', 'tok-2', 'tok-3', 'tic-4', 'rt-5', 'at-6']) {
      expect(text).not.toContain(secret);
    }
    expect(out.lines()[0].msg).toBe('upgrade /api/v1/ws/chat?token=[REDACTED]&ticket=[REDACTED]');
    expect(out.lines()[2]).toMatchObject({ err: { type: 'Error', stack: expect.any(String) } });
  });

  it('honours LOG_LEVEL', () => {
    const out = capture();
    const logger = createRootLogger({ ...env, LOG_LEVEL: 'warn' }, out.stream);
    logger.info('dropped');
    logger.warn('kept');
    expect(out.lines().map((l) => l.msg)).toEqual(['kept']);
  });
});

describe(logOutputOf.name, () => {
  it('is pretty for development at a terminal, JSON otherwise, and LOG_FORMAT wins', () => {
    expect(logOutputOf({ NODE_ENV: 'development' }, true)).toBe('pretty');
    expect(logOutputOf({ NODE_ENV: 'development' }, false)).toBe('json');
    expect(logOutputOf({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(logOutputOf({ NODE_ENV: 'test', LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(logOutputOf({ NODE_ENV: 'development', LOG_FORMAT: 'json' }, true)).toBe('json');
  });
});
