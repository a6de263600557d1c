import type { DestinationStream } from 'pino';
import { lazyChild } from './http-logger';
import { createRootLogger } from './logger';

function capture(): { stream: DestinationStream; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  return {
    stream: { write: (line: string) => void written.push(line) },
    lines: () => written.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe(lazyChild.name, () => {
  const env = { LOG_LEVEL: 'warn', LOG_FORMAT: 'json', NODE_ENV: 'test' } as const;

  it('makes no child for lines the level drops', () => {
    const root = createRootLogger(env, capture().stream);
    const child = jest.spyOn(root, 'child');
    const log = lazyChild(root, { request_id: 'r1' });
    log.info('dropped');
    log.debug({ a: 1 }, 'dropped');
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(child).not.toHaveBeenCalled();
  });

  it('makes the child once, on the first line written, with its bindings', () => {
    const out = capture();
    const root = createRootLogger(env, out.stream);
    const child = jest.spyOn(root, 'child');
    const log = lazyChild(root, { request_id: 'r1' });
    log.warn('first');
    log.error({ x: 2 }, 'second');
    expect(child).toHaveBeenCalledTimes(1);
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'first', request_id: 'r1' }),
      expect.objectContaining({ level: 'error', msg: 'second', request_id: 'r1', x: 2 }),
    ]);
  });
});
