import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { APP_OPTIONS, setupApp } from '../../src/app.setup';
import { SessionCache } from '../../src/modules/auth/session-cache';
import { seedEmbeddedDatabase } from './pglite-template';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestApp {
  app: INestApplication;
  /** Base URL of the running server, e.g. http://127.0.0.1:PORT */
  url: string;
  /** supertest bound to the server over real HTTP; paths start with /api/v1. */
  api: () => ReturnType<typeof request>;
  /** Runs SQL on the app's own connection (assertions on stored state). */
  sql: <T = Record<string, unknown>>(query: string, params?: unknown[]) => Promise<T[]>;
  dataDir: string;
  close: () => Promise<void>;
}

/**
 * Boots the whole application exactly as main.ts does (app.setup.ts), on a real HTTP port.
 * `env` overrides process.env for this boot only. Without DATABASE_URL the app starts its
 * embedded PGlite in a fresh directory.
 */
export async function bootApp(
  env: Record<string, string | undefined> = {},
  options: { dataDir?: string } = {},
): Promise<TestApp> {
  // A given data directory is the caller's to keep (restart tests); a fresh one is removed on close.
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'chat-test-'));
  if (!process.env.DATABASE_URL && !env.DATABASE_URL) seedEmbeddedDatabase(dataDir);
  const saved = { ...process.env };
  Object.assign(process.env, {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: dataDir,
    // Suites send far more than a person would; a test of the limits sets its own.
    RATE_LIMIT_AUTH: '100000',
    RATE_LIMIT_MESSAGES: '100000',
    RATE_LIMIT_DEFAULT: '100000',
    RATE_LIMIT_RESUMES: '100000',
    WS_RATE_LIMIT_PINGS: '1000000',
    WS_RATE_LIMIT_FRAMES: '1000000',
    WS_MAX_SOCKETS_PER_USER: '100000',
    RATE_LIMIT_RECOVERY: '100000',
    // Suites ask for several reset mails in a row; the cooldown's own tests set it.
    PASSWORD_RESET_MAIL_COOLDOWN_SECONDS: '0',
    LOGIN_LOCKOUT_THRESHOLD: '100000',
    // Quiet test output; `LOG_LEVEL=debug npm test -- …` shows the apps' logs. Suites that
    // assert on logs run the service as a child process and read its stdout.
    LOG_LEVEL: saved.LOG_LEVEL ?? 'silent',
    // Closing an app cuts off running replies at once; shutdown suites set a grace period.
    SHUTDOWN_GRACE_MS: '0',
  });
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  let app: NestExpressApplication;
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>(APP_OPTIONS);
    setupApp(app);
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
  } finally {
    process.env = saved;
  }
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const dataSource = app.get(DataSource);
  return {
    app,
    url,
    dataDir,
    api: () => request(url),
    sql: async (query, params) => {
      const rows = await dataSource.query(query, params);
      // A change to users or sessions made in SQL bypasses the bus messages the service's own
      // writes publish: drop what the session cache holds, as those messages would.
      if (/\b(update|delete)\b[\s\S]*\b(users|sessions)\b/i.test(query))
        app.get(SessionCache).clear();
      return rows;
    },
    close: async () => {
      await app.close();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
