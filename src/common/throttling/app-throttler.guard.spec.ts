import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { AppError } from '../errors/app-error';
import { accountNamesOf, AppThrottlerGuard } from './app-throttler.guard';
import { RateLimiter } from './rate-limiter';
import { RecoveryRateLimit } from './throttle.decorators';

class SomeController {
  handler(): void {}
}

interface FakeRequest {
  ip: string;
  user?: { id: string; sessionId?: string };
  body?: unknown;
  socket: { remoteAddress?: string };
}

function httpContext(req: FakeRequest, headers: Record<string, string>): ExecutionContext {
  const res = { setHeader: (name: string, value: string) => (headers[name] = value) };
  return {
    getType: () => 'http',
    getHandler: () => SomeController.prototype.handler,
    getClass: () => SomeController,
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ExecutionContext;
}

describe(AppThrottlerGuard.name, () => {
  const storage = new ThrottlerStorageService();
  afterAll(() => storage.onApplicationShutdown());

  async function guardWithDefaultLimit(limit: number): Promise<AppThrottlerGuard> {
    const guard = new AppThrottlerGuard(
      { throttlers: [{ name: 'default', limit, ttl: 60_000 }] },
      storage,
      new Reflector(),
      new RateLimiter(storage),
    );
    await guard.onModuleInit();
    return guard;
  }

  it('counts anonymous requests per client IP, and signed-in ones per user', async () => {
    const guard = await guardWithDefaultLimit(2);
    const ip = `192.0.2.${Math.floor(Math.random() * 200)}`;
    const headers: Record<string, string> = {};
    const anonymous = () => guard.canActivate(httpContext({ ip, socket: {} }, headers));
    await expect(anonymous()).resolves.toBe(true);
    expect(headers['RateLimit-Remaining']).toBe('1');
    await expect(anonymous()).resolves.toBe(true);
    await expect(anonymous()).rejects.toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      details: { group: 'default', limit: 2 },
    } satisfies Partial<AppError>);
    // Another address, and a signed-in user at the same address, have budgets of their own.
    await expect(
      guard.canActivate(httpContext({ ip: '198.51.100.7', socket: {} }, headers)),
    ).resolves.toBe(true);
    await expect(
      guard.canActivate(httpContext({ ip, user: { id: 'user-1' }, socket: {} }, headers)),
    ).resolves.toBe(true);
    expect(headers['RateLimit-Remaining']).toBe('1');
  });

  it('counts a recovery route per session and client IP, outside the default budget', async () => {
    class RecoveryController {
      @RecoveryRateLimit()
      handler(): void {}
    }
    const guard = new AppThrottlerGuard(
      {
        throttlers: [
          { name: 'default', limit: 1, ttl: 60_000 },
          { name: 'recovery', limit: 2, ttl: 60_000 },
        ],
      },
      storage,
      new Reflector(),
      new RateLimiter(storage),
    );
    await guard.onModuleInit();
    const headers: Record<string, string> = {};
    const user = { id: `user-${Math.random()}`, sessionId: `s-${Math.random()}` };
    const recovery = (ip: string, sessionId = user.sessionId) =>
      guard.canActivate({
        ...httpContext({ ip, user: { ...user, sessionId }, socket: {} }, headers),
        getHandler: () => RecoveryController.prototype.handler,
        getClass: () => RecoveryController,
      } as unknown as ExecutionContext);
    // The user's default budget is spent…
    await guard.canActivate(httpContext({ ip: '192.0.2.1', user, socket: {} }, headers));
    await expect(
      guard.canActivate(httpContext({ ip: '192.0.2.1', user, socket: {} }, headers)),
    ).rejects.toMatchObject({ details: { group: 'default' } });
    // …the recovery route still passes, twice per session and address.
    await expect(recovery('192.0.2.1')).resolves.toBe(true);
    await expect(recovery('192.0.2.1')).resolves.toBe(true);
    await expect(recovery('192.0.2.1')).rejects.toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      details: { group: 'recovery', limit: 2 },
    });
    // The same session from another address, and another session, have budgets of their own.
    await expect(recovery('198.51.100.9')).resolves.toBe(true);
    await expect(recovery('192.0.2.1', 'another-session')).resolves.toBe(true);
  });

  it('lets WebSocket contexts through (chat_message has the messages budget)', async () => {
    const guard = await guardWithDefaultLimit(1);
    const ws = { getType: () => 'ws' } as unknown as ExecutionContext;
    for (let i = 0; i < 3; i++) await expect(guard.canActivate(ws)).resolves.toBe(true);
  });
});

describe(accountNamesOf.name, () => {
  it('takes username and e-mail, trimmed and lower-cased, once each; ignores non-strings', () => {
    expect(accountNamesOf({ username: ' Alice ', email: 'ALICE@example.com' })).toEqual([
      'alice',
      'alice@example.com',
    ]);
    expect(accountNamesOf({ username: 'bob', email: 'BOB' })).toEqual(['bob']);
    expect(accountNamesOf({ username: 42, email: '' })).toEqual([]);
    expect(accountNamesOf(null)).toEqual([]);
    expect(accountNamesOf('username')).toEqual([]);
  });
});
