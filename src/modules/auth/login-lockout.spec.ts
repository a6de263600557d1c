import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import { LoginLockout, lockMsFor, lockoutNameOf } from './login-lockout';

describe(lockMsFor.name, () => {
  const policy = { threshold: 5, baseMs: 30_000, maxMs: 900_000 };

  it('locks from the threshold-th failure, doubling each further one, up to the cap', () => {
    const locks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1000].map((n) => lockMsFor(n, policy));
    expect(locks).toEqual([
      0, 0, 0, 0, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000,
    ]);
  });
});

describe(LoginLockout.name, () => {
  const config = new AppConfig(
    validateEnv({
      JWT_SECRET: 'x'.repeat(40),
      LOGIN_LOCKOUT_THRESHOLD: '2',
      LOGIN_LOCKOUT_BASE_SECONDS: '30',
    }),
  );

  it('treats names case- and space-insensitively, in memory without Redis', async () => {
    const lockout = new LoginLockout(config, null);
    expect(lockoutNameOf('  Alice ')).toBe('alice');
    await lockout.recordFailure('Alice');
    await expect(lockout.assertNotLocked('alice')).resolves.toBeUndefined();
    expect(await lockout.recordFailure(' ALICE')).toBe(30_000);
    await expect(lockout.assertNotLocked('alice')).rejects.toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      details: { group: 'login_lockout', retry_after: 30 },
    });
    await lockout.reset('alice');
    await expect(lockout.assertNotLocked('Alice')).resolves.toBeUndefined();
  });
});
