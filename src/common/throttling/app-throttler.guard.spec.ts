import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { AppError } from '../errors/app-error';
import { accountNamesOf, AppThrottlerGuard } from './app-throttler.guard';
import { RateLimiter } from './rate-limiter';

class SomeController {
  handler(): void {}
}

interface FakeRequest {
  ip: string;
  user?: { id: string };
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
