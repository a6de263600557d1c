import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `npm run openapi`: writes openapi.json (repo root) from the application itself: the real
 * modules and setupApp, booted on a throw-away embedded database that is never listened on.
 * `npm run openapi:check`: regenerates into a temp file and fails with a diff when the
 * committed openapi.json differs.
 *
 * The environment is fixed here (nothing from `.env` or the shell), so the document is the
 * same on every machine.
 */
const OUTPUT = resolve(process.cwd(), 'openapi.json');
const CLEARED = [
  'DATABASE_URL',
  'REDIS_URL',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'MODELS_FILE',
  'MODELS_JSON',
  'DEFAULT_MODEL',
  'METRICS_TOKEN',
];

async function generate(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openapi-'));
  for (const key of CLEARED) delete process.env[key];
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    LLM_PROVIDER: 'offline',
    API_DOCS_ENABLED: 'true',
    LOG_LEVEL: 'warn',
  });
  // Imported once the environment is set: the modules read it as they load.
  const { AppModule } = await import('./app.module');
  const { APP_OPTIONS, setupApp } = await import('./app.setup');
  const { buildOpenApiDocument } = await import('./common/openapi/document');
  const app = await NestFactory.create<NestExpressApplication>(AppModule, APP_OPTIONS);
  try {
    setupApp(app);
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const text = await generate();
  if (!check) {
    writeFileSync(OUTPUT, text);
    console.log(`wrote ${OUTPUT}`);
    return 0;
  }
  const committed = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : '';
  if (committed === text) {
    console.log('openapi.json is up to date');
    return 0;
  }
  const fresh = join(mkdtempSync(join(tmpdir(), 'openapi-check-')), 'openapi.json');
  writeFileSync(fresh, text);
  spawnSync('diff', ['-u', OUTPUT, fresh], { stdio: 'inherit' });
  console.error('openapi.json is out of date: run `npm run openapi` and commit it');
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
