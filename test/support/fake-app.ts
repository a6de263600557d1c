import { bootApp, TestApp } from './app';
import { FakeOpenAi, fakeOpenAiEnv, startFakeOpenAi } from './fake-openai';

/** The app and its fake provider of a suite (set once its beforeAll has run). */
export interface FakeApp {
  t: TestApp;
  fake: FakeOpenAi;
}

/**
 * For the enclosing describe: a fake OpenAI-compatible server and the app wired to it (plus
 * `env`, or what it returns once the earlier beforeAll hooks have run), booted before its tests and closed after; with `reset`, the fake's script and
 * recorded requests are cleared after each test.
 */
export function useFakeApp(
  env: Record<string, string | undefined> | (() => Record<string, string | undefined>) = {},
  options: { reset?: boolean } = {},
): FakeApp {
  const ctx = {} as FakeApp;
  beforeAll(async () => {
    ctx.fake = await startFakeOpenAi();
    ctx.t = await bootApp({
      ...fakeOpenAiEnv(ctx.fake),
      ...(typeof env === 'function' ? env() : env),
    });
  });
  if (options.reset) afterEach(() => ctx.fake.reset());
  afterAll(async () => {
    await ctx.t?.close();
    await ctx.fake?.close();
  });
  return ctx;
}
