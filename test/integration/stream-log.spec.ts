import { randomUUID } from 'node:crypto';
import type { GenerationEvent } from '../../src/modules/generation/generation-events';
import {
  MemoryStreamLog,
  RedisStreamLog,
  StreamLog,
} from '../../src/modules/generation/stream-log';
import { createRedis } from '../../src/redis/redis.module';
import type Redis from 'ioredis';

async function collect(
  iterable: AsyncIterable<GenerationEvent> | null,
): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  if (!iterable) throw new Error('unknown generation');
  for await (const e of iterable) out.push(e);
  return out;
}

const start = (id: string) => ({
  type: 'start' as const,
  message_id: id,
  conversation_id: id,
  user_message_id: id,
});
const content = (text: string) => ({ type: 'content' as const, content: text });
const end = {
  type: 'end' as const,
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
  stopped: false,
};

// The Redis implementation runs when REDIS_URL is set (CI sets it; a laptop without Redis skips nothing it has).
const backends: [string, () => { log: StreamLog; close: () => Promise<void>; redis?: Redis }][] = [
  ['memory', () => ({ log: new MemoryStreamLog(60_000), close: () => Promise.resolve() })],
];
if (process.env.REDIS_URL) {
  const url = process.env.REDIS_URL;
  backends.push([
    'redis',
    () => {
      const redis = createRedis(url);
      return {
        log: new RedisStreamLog(redis, 60),
        redis,
        close: async () => void (await redis.quit()),
      };
    },
  ]);
}

describe.each(backends)('StreamLog (%s)', (_name, make) => {
  let log: StreamLog;
  let close: () => Promise<void>;
  let redis: Redis | undefined;

  beforeAll(() => {
    ({ log, close, redis } = make());
  });
  afterAll(async () => {
    await close();
  });

  it('numbers events from 1 and replays them all after the end', async () => {
    const id = randomUUID();
    await log.append(id, start(id));
    await log.append(id, content('a'));
    await log.append(id, content('b'));
    const last = await log.append(id, end);
    expect(last.seq).toBe(4);
    const events = await collect(await log.follow(id, 0));
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'start'],
      [2, 'content'],
      [3, 'content'],
      [4, 'end'],
    ]);
  });

  it('replays only what comes after the given event number', async () => {
    const id = randomUUID();
    for (const body of [start(id), content('x'), content('y'), end]) await log.append(id, body);
    expect((await collect(await log.follow(id, 2))).map((e) => e.seq)).toEqual([3, 4]);
    expect(await collect(await log.follow(id, 4))).toEqual([]);
  });

  it('follows live events as they are written, in order, to several readers', async () => {
    const id = randomUUID();
    await log.append(id, start(id));
    const readers = [collect(await log.follow(id, 0)), collect(await log.follow(id, 1))];
    for (let i = 0; i < 20; i++) {
      await log.append(id, content(String(i)));
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await log.append(id, end);
    const [all, fromOne] = await Promise.all(readers);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(fromOne.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 2));
    expect(
      all
        .filter((e) => e.type === 'content')
        .map((e) => (e as { content: string }).content)
        .join(','),
    ).toBe(Array.from({ length: 20 }, (_, i) => i).join(','));
  });

  it('answers null for an unknown generation', async () => {
    expect(await log.follow(randomUUID(), 0)).toBeNull();
  });

  it('stops following when the reader aborts, without an error', async () => {
    const id = randomUUID();
    await log.append(id, start(id));
    const controller = new AbortController();
    const reading = collect(await log.follow(id, 0, controller.signal));
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(reading).resolves.toEqual([expect.objectContaining({ seq: 1, type: 'start' })]);
    await log.append(id, end);
  });

  if (_name === 'redis') {
    it('lets a stream expire after its end', async () => {
      const id = randomUUID();
      await log.append(id, start(id));
      expect(await redis!.ttl(`gen:${id}`)).toBeGreaterThan(3600);
      await log.append(id, end);
      const ttl = await redis!.ttl(`gen:${id}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    });

    it('gives a reader that joins a stream already followed every event from its start, on one connection', async () => {
      const id = randomUUID();
      const other = randomUUID();
      await log.append(id, start(id));
      await log.append(other, start(other));
      const first = collect(await log.follow(id, 0));
      const elsewhere = collect(await log.follow(other, 0));
      for (let i = 0; i < 10; i++) await log.append(id, content(String(i)));
      // The shared read is under way (blocked) past event 11; the newcomer needs 1…11 too.
      await new Promise((r) => setTimeout(r, 30));
      const late = collect(await log.follow(id, 0));
      await new Promise((r) => setTimeout(r, 30));
      expect((log as RedisStreamLog).readers).toBe(3);
      await log.append(id, end);
      await log.append(other, end);
      const seqs = Array.from({ length: 12 }, (_, i) => i + 1);
      expect((await first).map((e) => e.seq)).toEqual(seqs);
      expect((await late).map((e) => e.seq)).toEqual(seqs);
      expect((await elsewhere).map((e) => e.seq)).toEqual([1, 2]);
      expect((log as RedisStreamLog).readers).toBe(0);
    });

    it('is shared: a second client reads what the first one wrote', async () => {
      const other = createRedis(process.env.REDIS_URL!);
      try {
        const id = randomUUID();
        const reader = new RedisStreamLog(other, 60);
        await log.append(id, start(id));
        const reading = collect(await reader.follow(id, 0));
        await log.append(id, content('hello'));
        await log.append(id, end);
        expect((await reading).map((e) => e.type)).toEqual(['start', 'content', 'end']);
      } finally {
        await other.quit();
      }
    });
  }
});
