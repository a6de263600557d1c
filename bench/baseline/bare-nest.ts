/**
 * Bare NestJS (issue 12): the project's Nest on @nestjs/platform-express with one controller
 * answering GET /api/v1/info with the service's JSON, and nothing else — no guards, pipes,
 * interceptors, filters, middleware, logging or metrics. What the service's /info costs above
 * this is what its own stack adds to every request.
 *
 * The JSON is read from INFO_JSON (the bench passes the service's own answer) and handed to the
 * controller through DI by type, as the service's InfoController gets its collaborators — run
 * under `ts-node/register/transpile-only`, so this also checks that the project's tsconfig
 * (emitDecoratorMetadata) still gives Nest the constructor types there.
 *
 * Env: PORT, INFO_JSON. Prints `READY` once listening on 127.0.0.1.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Injectable()
class InfoSource {
  readonly info = JSON.parse(process.env.INFO_JSON ?? '{}') as Record<string, unknown>;
}

@Controller('info')
class InfoController {
  constructor(private readonly source: InfoSource) {}

  @Get()
  info(): Record<string, unknown> {
    return this.source.info;
  }
}

@Module({ controllers: [InfoController], providers: [InfoSource] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(BareModule, { logger: ['error', 'warn'] });
  app.setGlobalPrefix('api/v1');
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  process.stdout.write('READY\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
