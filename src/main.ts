import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { API_PREFIX, APP_OPTIONS, setupApp } from './app.setup';
import { AppConfig } from './config/app-config';
import { InvalidEnvError } from './config/env';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, APP_OPTIONS);
  setupApp(app);
  app.enableShutdownHooks();
  const { env } = app.get(AppConfig);
  await app.listen(env.PORT, env.HOST);
  const url = await app.getUrl();
  new Logger('Bootstrap').log(`listening on ${url}/${API_PREFIX} (${env.NODE_ENV})`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof InvalidEnvError) {
    console.error(error.message);
  } else {
    console.error('startup failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exit(1);
});
