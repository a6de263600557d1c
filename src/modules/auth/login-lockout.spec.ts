import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import { LoginLockout, lockMsFor, lockoutNameOf, lockoutSubjectOf } from './login-lockout';

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
    const name = (typed: string) => lockoutSubjectOf(undefined, typed);
    await lockout.recordFailure(name('Alice'));
    await expect(lockout.assertNotLocked(name('alice'))).resolves.toBeUndefined();
    expect(await lockout.recordFailure(name(' ALICE'))).toBe(30_000);
    await expect(lockout.assertNotLocked(name('alice'))).rejects.toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      details: { group: 'login_lockout', retry_after: 30 },
    });
    await lockout.reset(name('alice'));
    await expect(lockout.assertNotLocked(name('Alice'))).resolves.toBeUndefined();
  });

  it('keeps one counter per account whatever name was typed, apart from names that are no account', async () => {
    const lockout = new LoginLockout(config, null);
    expect(lockoutSubjectOf('u-1', 'alice')).toBe(lockoutSubjectOf('u-1', 'alice@example.com'));
    expect(lockoutSubjectOf('u-1', 'alice')).not.toBe(lockoutSubjectOf(undefined, 'alice'));
    await lockout.recordFailure(lockoutSubjectOf('u-1', 'alice'));
    expect(await lockout.recordFailure(lockoutSubjectOf('u-1', 'ALICE@example.com'))).toBe(30_000);
    await expect(
      lockout.assertNotLocked(lockoutSubjectOf(undefined, 'alice')),
    ).resolves.toBeUndefined();
  });
});
