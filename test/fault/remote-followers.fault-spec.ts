import { FakeOpenAi, fakeOpenAiEnv, startFakeOpenAi } from '../support/fake-openai';
import {
  connectionsOf,
  conversationOver,
  mapLimit,
  registerOver,
  sleep,
} from '../support/fault-helpers-h3';
import { startService, ServiceProcess } from '../support/service-process';
import { openSse, SseStream } from '../support/sse';
import { TITLES_OFF } from '../support/titles';

/**
 * 500 followers on one replica of replies running on another: every one reads the shared
 * log in Redis, yet the replica's Redis connections stay where they were (one blocking
 * reader multiplexes every stream followed). Runs with PostgreSQL + Redis only.
 */
const FOLLOWERS = 500;
const REPLIES = 10;
const WORDS = Array.from({ length: 120 }, (_, i) => `w${i}`).join(' ');
const replicas = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

(replicas ? describe : describe.skip)('Remote followers share one Redis connection', () => {
  let fake: FakeOpenAi;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    fake.setDefault({ text: WORDS, chunkIntervalMs: 50 });
    [a, b] = await Promise.all([
      startService({ ...fakeOpenAiEnv(fake), ...TITLES_OFF }),
      startService({ ...fakeOpenAiEnv(fake), ...TITLES_OFF }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.dispose(), b?.dispose()]);
    await fake.close();
  });

  it(`${FOLLOWERS} followers of ${REPLIES} replies on another replica: Redis connections flat, every follower gets every event`, async () => {
    const redisPort = Number(new URL(process.env.REDIS_URL!).port || 6379);
    const pid = b.child.pid!;
    const idle = connectionsOf(pid, redisPort);

    const user = await registerOver(a.url);
    const senders: SseStream[] = [];
    const started: { conversationId: string; messageId: string }[] = [];
    for (let i = 0; i < REPLIES; i++) {
      const conversationId = await conversationOver(a.url, user);
      const sender = await openSse(
        `${a.url}/api/v1/conversations/${conversationId}/messages/stream`,
        {
          headers: { authorization: `Bearer ${user.token}` },
          body: { content: `Reply ${i}` },
        },
      );
      const start = await sender.waitFor((f) => f.data?.type === 'start', 5000);
      senders.push(sender);
      started.push({ conversationId, messageId: start.data.message_id as string });
    }

    const followers = await mapLimit(
      Array.from({ length: FOLLOWERS }, (_, i) => started[i % REPLIES]),
      50,
      ({ conversationId, messageId }) =>
        openSse(`${b.url}/api/v1/conversations/${conversationId}/messages/${messageId}/stream`, {
          headers: { authorization: `Bearer ${user.token}` },
        }),
    );
    expect(followers.every((f) => f.status === 200)).toBe(true);
    // Sampled while the replies stream (they last about 6 s).
    let following = 0;
    for (let i = 0; i < 10; i++) {
      await sleep(200);
      following = Math.max(following, connectionsOf(pid, redisPort));
    }
    await Promise.all([...senders, ...followers].map((s) => s.untilEnd(60_000)));
    await sleep(500);
    const after = connectionsOf(pid, redisPort);

    // Every follower got the whole reply and its end, as its sender did.
    const texts = senders.map((s) =>
      s.events
        .filter((e) => e.type === 'content')
        .map((e) => e.content as string)
        .join(''),
    );
    for (const [i, follower] of followers.entries()) {
      const text = follower.events
        .filter((e) => e.type === 'content')
        .map((e) => e.content as string)
        .join('');
      expect(text).toBe(texts[i % REPLIES]);
      expect(follower.events.at(-1)?.type).toBe('end');
    }
    // One blocking connection at most, whatever the number of followers.
    expect(following - idle).toBeLessThanOrEqual(1);
    console.log(
      `[remote followers] ${FOLLOWERS} SSE followers of ${REPLIES} replies on another replica: ` +
        `Redis connections of the following replica: ${idle} idle, at most ${following} while following, ${after} after`,
    );
  });
});
