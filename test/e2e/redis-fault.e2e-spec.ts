import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { sleep } from '../support/expect';
import { TcpProxy } from '../support/tcp-proxy';

const withRedis = process.env.REDIS_URL ? describe : describe.skip;

interface Timed<T> {
  ms: number;
  value: T;
}
async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/**
 * Redis dies (and comes back) under a running app: requests keep being served with limits
 * counted in memory, /health says so within its 1 s bound, and counting returns to Redis.
 * Only non-generation endpoints are used here.
 */
withRedis('Rate limits and lockouts when Redis fails', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let direct: Redis;
  beforeAll(async () => {
    const target = new URL(process.env.REDIS_URL as string);
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    target.host = `127.0.0.1:${port}`;
    t = await bootApp({
      REDIS_URL: target.toString(),
      RATE_LIMIT_DEFAULT: '4',
      LOGIN_LOCKOUT_THRESHOLD: '3',
      LOGIN_LOCKOUT_BASE_SECONDS: '30',
      LLM_PROVIDER: 'offline',
      OPENAI_API_KEY: undefined,
    });
    direct = new Redis(process.env.REDIS_URL as string);
  });
  afterAll(async () => {
    proxy.setMode('pass');
    await t?.close();
    await proxy?.stop();
    await direct?.quit();
  });

  const me = (user: RegisteredUser) =>
    timed(() => t.api().get('/api/v1/users/me').set(bearer(user.accessToken)));
  const health = () => timed(() => t.api().get('/api/v1/health'));
  /** Where the throttler's Redis storage keeps this user's `default` hits. */
  const redisHits = async (user: RegisteredUser) =>
    Number((await direct.get(`{default:user:${user.id}:default}:hits`)) ?? 0);

  /** Polls /health (cached 5 s) until Redis has the state; each answer within `boundMs`. */
  async function healthUntil(redis: 'healthy' | 'unhealthy', boundMs = 1000) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await health();
      expect(res.ms).toBeLessThan(boundMs);
      if (res.value.body.services?.redis === redis) return res;
      if (Date.now() > deadline) throw new Error(`health never said redis ${redis}`);
      await sleep(250);
    }
  }

  it('serves requests with limits counted in memory, reports redis unhealthy, then goes back to Redis', async () => {
    const user = await registerUser(t);
    const first = await me(user);
    expect(first.value.status).toBe(200);
    expect(first.value.headers['ratelimit-remaining']).toBe('3');
    expect(await redisHits(user)).toBe(1);
    const before = await healthUntil('healthy');
    expect(before.value.body.status).toBe('healthy');

    proxy.setMode('refuse');

    // Served, and still limited: a fresh budget in this process's memory.
    const remaining: string[] = [];
    let slowest = 0;
    for (let i = 0; i < 4; i++) {
      const res = await me(user);
      expect(res.value.status).toBe(200);
      remaining.push(res.value.headers['ratelimit-remaining']);
      slowest = Math.max(slowest, res.ms);
    }
    expect(remaining).toEqual(['3', '2', '1', '0']);
    const refused = await me(user);
    expect(refused.value.status).toBe(429);
    expect(refused.value.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(slowest).toBeLessThan(1000);
    expect(await redisHits(user)).toBe(1);

    // Login lockouts are counted in memory too.
    const name = `ghost_${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 3; i++) {
      const res = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: name, password: 'wrong-password-1' });
      expect(res.status).toBe(401);
    }
    const locked = await t
      .api()
      .post('/api/v1/auth/login')
      .send({ username: name, password: 'wrong-password-1' });
    expect(locked.status).toBe(429);

    const down = await healthUntil('unhealthy');
    expect(down.value.status).toBe(200);
    expect(down.value.body.status).toBe('degraded');
    console.log(`[redis fault] /health answered in ${down.ms.toFixed(0)} ms with Redis cut`);

    proxy.setMode('pass');

    const up = await healthUntil('healthy');
    expect(up.value.body.status).toBe('healthy');
    // Counting is back in Redis: the user's Redis count (1) goes on from where it was.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await me(user);
      if (res.value.status === 200) {
        expect(res.value.headers['ratelimit-remaining']).toBe('2');
        break;
      }
      if (Date.now() > deadline) throw new Error('counting never went back to Redis');
      await sleep(200);
    }
    expect(await redisHits(user)).toBe(2);
  });

  it('answers within the command timeout when Redis hangs instead of refusing', async () => {
    const user = await registerUser(t);
    expect((await me(user)).value.status).toBe(200);
    proxy.setMode('blackhole');
    let slowest = 0;
    for (let i = 0; i < 3; i++) {
      const res = await me(user);
      expect(res.value.status).toBe(200);
      slowest = Math.max(slowest, res.ms);
    }
    console.log(`[redis fault] slowest request with Redis hanging: ${slowest.toFixed(0)} ms`);
    expect(slowest).toBeLessThan(1000);
    // A hanging Redis is given the health check's full second (plus the request itself).
    const down = await healthUntil('unhealthy', 1300);
    expect(down.value.body.status).toBe('degraded');
    proxy.setMode('pass');
    await healthUntil('healthy');
  });
});
