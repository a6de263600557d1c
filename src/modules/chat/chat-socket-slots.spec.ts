import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import { ChatSocketSlots } from './chat-socket-slots';

const config = new AppConfig(
  validateEnv({
    JWT_SECRET: 'x'.repeat(40),
    WS_MAX_SOCKETS_PER_USER: '2',
    WS_HEARTBEAT_MS: '1000',
  }),
);

// On Redis (across replicas): test/integration/ws-socket-slots.spec.ts.
describe(ChatSocketSlots.name, () => {
  afterEach(() => jest.useRealTimers());

  describe('acquire (without Redis: this replica counts)', () => {
    it('takes WS_MAX_SOCKETS_PER_USER slots per user, then refuses; a release frees one', async () => {
      const slots = new ChatSocketSlots(config, null);
      const user = randomUUID();
      const [s1, s2, s3] = [randomUUID(), randomUUID(), randomUUID()];
      expect(await slots.acquire(user, s1)).toBe(true);
      expect(await slots.acquire(user, s2)).toBe(true);
      expect(await slots.acquire(user, s3)).toBe(false);
      expect(await slots.acquire(randomUUID(), s3)).toBe(true);
      slots.release(user, s1);
      expect(await slots.acquire(user, s3)).toBe(true);
      expect(slots.countLocal(user)).toBe(2);
    });

    it('decides concurrent upgrades one at a time', async () => {
      const slots = new ChatSocketSlots(config, null);
      const user = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => slots.acquire(user, randomUUID())),
      );
      expect(results.filter(Boolean)).toHaveLength(2);
    });

    it('counts here while Redis is not connected', async () => {
      const down = { status: 'reconnecting' } as unknown as Redis;
      const slots = new ChatSocketSlots(config, down);
      const user = randomUUID();
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await slots.acquire(user, randomUUID()));
      expect(results).toEqual([true, true, false]);
    });
  });

  describe('refresh', () => {
    it('keeps the slots of open sockets past their lifetime; an upgrade that never became a socket lapses', async () => {
      jest.useFakeTimers();
      const slots = new ChatSocketSlots(config, null);
      const user = randomUUID();
      const open = randomUUID();
      await slots.acquire(user, open);
      await slots.acquire(user, randomUUID()); // accepted, but its connection never came
      for (let t = 0; t < slots.ttlMs * 2; t += 1000) {
        jest.advanceTimersByTime(1000);
        await slots.refresh([{ userId: user, socketId: open }]);
      }
      expect(slots.countLocal(user)).toBe(1);
      expect(await slots.acquire(user, randomUUID())).toBe(true);
    });
  });
});
