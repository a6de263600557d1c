import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { API_PREFIX, APP_OPTIONS, setupApp } from './app.setup';
import { AppConfig } from './config/app-config';
import { clusterWorkersOf, InvalidEnvError } from './config/env';
import { isClusterWorker, runPrimary } from './cluster';
import { ShutdownService } from './common/lifecycle/shutdown.service';
import { MigrationBootError } from './database/migration-lock';

/** How long closing may take after the grace period (sockets, server, pools) before exit 1. */
const SHUTDOWN_MARGIN_MS = 10_000;

async function bootstrap(): Promise<void> {
  // Fails before Nest starts, with every invalid key listed (`.env` is loaded at import).
  AppConfig.fromProcessEnv();
  const app = await NestFactory.create<NestExpressApplication>(AppModule, APP_OPTIONS);
  setupApp(app);
  const logger = new Logger('Bootstrap');
  const { env } = app.get(AppConfig);
  await app.listen(env.PORT, env.HOST);
  logger.log(`listening on ${await app.getUrl()}/${API_PREFIX} (${env.NODE_ENV})`);

  // Nest's own shutdown hooks re-raise the signal (exit 143); a clean stop should exit 0.
  // First drain (readiness 503, no new generations, running ones get SHUTDOWN_GRACE_MS), then
  // close: sockets 1001, HTTP server, database pool. A second signal kills at once.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const shutdown = app.get(ShutdownService);
    shutdown.beginDrain(signal);
    logger.log(`${signal} received: shutting down (grace ${shutdown.graceMs} ms)`);
    setTimeout(() => {
      logger.error('shutdown did not finish in time: exiting anyway');
      process.exit(1);
    }, shutdown.graceMs + SHUTDOWN_MARGIN_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function main(): Promise<void> {
  // CLUSTER_WORKERS > 1: this process only forks and watches the workers, each one runs bootstrap.
  if (!isClusterWorker()) {
    const workers = clusterWorkersOf(AppConfig.fromProcessEnv().env);
    if (workers > 1) {
      runPrimary(workers);
      return Promise.resolve();
    }
  }
  return bootstrap();
}

main().catch((error: unknown) => {
  if (error instanceof InvalidEnvError) {
    console.error(error.message);
  } else if (error instanceof MigrationBootError) {
    console.error(`startup refused: ${error.message}`);
  } else {
    console.error(
      'startup failed:',
      error instanceof Error ? (error.stack ?? error.message) : error,
    );
  }
  process.exit(1);
});
