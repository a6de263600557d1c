import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../src/config/app-config';
import { validateEnv } from '../../src/config/env';
import { ChatSocketSlots } from '../../src/modules/chat/chat-socket-slots';

const HEARTBEAT_MS = 200;
const config = new AppConfig(
  validateEnv({
    JWT_SECRET: 'x'.repeat(40),
    WS_MAX_SOCKETS_PER_USER: '3',
    WS_HEARTBEAT_MS: String(HEARTBEAT_MS),
  }),
);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * WS_MAX_SOCKETS_PER_USER across replicas: two ChatSocketSlots, each with its own Redis
 * connection as two processes would have, on the real Redis (runs when REDIS_URL is set).
 */
(process.env.REDIS_URL ? describe : describe.skip)('ChatSocketSlots on Redis', () => {
  const clients: Redis[] = [];
  const replica = () => {
    const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: false });
    clients.push(redis);
    return new ChatSocketSlots(config, redis);
  };
  let a: ChatSocketSlots;
  let b: ChatSocketSlots;

  beforeAll(async () => {
    a = replica();
    b = replica();
    await Promise.all(
      clients.map((c) =>
        c.status === 'ready'
          ? Promise.resolve()
          : new Promise<void>((resolve) => c.once('ready', () => resolve())),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('holds the cap over both replicas, and a released slot is free on either', async () => {
    const user = randomUUID();
    const ids = Array.from({ length: 4 }, () => randomUUID());
    expect(await a.acquire(user, ids[0])).toBe(true);
    expect(await b.acquire(user, ids[1])).toBe(true);
    expect(await a.acquire(user, ids[2])).toBe(true);
    expect(await b.acquire(user, ids[3])).toBe(false);
    expect(await a.acquire(user, ids[3])).toBe(false);
    // Another user is not counted with this one.
    expect(await b.acquire(randomUUID(), randomUUID())).toBe(true);
    a.release(user, ids[0]);
    await sleep(50);
    expect(await b.acquire(user, ids[3])).toBe(true);
  });

  it('takes 3 of 20 concurrent upgrades of one user spread over both replicas', async () => {
    const user = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).acquire(user, randomUUID())),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
  });

  it("frees the slots of a replica that stopped refreshing them (it died) within their lifetime; the live replica's stay", async () => {
    const user = randomUUID();
    const live = randomUUID();
    expect(await a.acquire(user, live)).toBe(true);
    expect(await b.acquire(user, randomUUID())).toBe(true);
    expect(await b.acquire(user, randomUUID())).toBe(true);
    expect(await a.acquire(user, randomUUID())).toBe(false);
    // Replica a keeps its socket's slot at every heartbeat; b has died and refreshes nothing.
    const deadline = Date.now() + a.ttlMs + HEARTBEAT_MS;
    while (Date.now() < deadline) {
      await a.refresh([{ userId: user, socketId: live }]);
      await sleep(HEARTBEAT_MS);
    }
    const free = await Promise.all([
      a.acquire(user, randomUUID()),
      a.acquire(user, randomUUID()),
      a.acquire(user, randomUUID()),
    ]);
    expect(free).toEqual([true, true, false]);
  });
});
