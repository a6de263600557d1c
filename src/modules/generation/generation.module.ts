import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConversationsModule } from '../conversations/conversations.module';
import { FilesModule } from '../files/files.module';
import { MessagesModule } from '../messages/messages.module';
import { LlmModule } from '../llm/llm.module';
import { QuotaModule } from '../quota/quota.module';
import { GenerationController } from './generation.controller';
import { GenerationService } from './generation.service';
import { GenerationRunners } from './generation-runner';
import { AutoTitles } from './auto-titles';
import { SendOpener } from './send-opener';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { GenerationLeases } from './generation-leases';
import { GenerationLeasesRepository } from './generation-leases.repository';
import { IdempotencyRepository } from './idempotency.repository';
import { SendRepository } from './send.repository';
import type Redis from 'ioredis';
import { REDIS } from '../../redis/redis.module';
import { RedisFallback } from '../../common/throttling/redis-fallback';
import { MemoryStreamLog, RedisStreamLog, STREAM_LOG, TieredStreamLog } from './stream-log';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { AdmissionGate } from './admission-gate';

/** Ended generations stay replayable from the log this long (then from the database). */
const STREAM_LOG_TTL_MS = 10 * 60 * 1000;
/** With Redis, this replica's own copy of a generation's events is kept this long after its end. */
const LOCAL_COPY_TTL_MS = 30 * 1000;

@Module({
  imports: [
    TypeOrmModule.forFeature([IdempotencyKeyEntity]),
    MessagesModule,
    ConversationsModule,
    LlmModule,
    QuotaModule,
    FilesModule,
    ConversationsModule,
  ],
  controllers: [GenerationController],
  providers: [
    GenerationService,
    GenerationRunners,
    AutoTitles,
    GenerationLeases,
    GenerationLeasesRepository,
    SendOpener,
    IdempotencyRepository,
    SendRepository,
    {
      provide: AdmissionGate,
      inject: [AppConfig, MetricsService],
      useFactory: (config: AppConfig, metrics: MetricsService) =>
        new AdmissionGate(
          {
            concurrency: config.env.ADMISSION_CONCURRENCY || config.env.DB_POOL_SIZE,
            depth: config.env.ADMISSION_QUEUE_DEPTH,
            maxWaitMs: config.env.ADMISSION_MAX_WAIT_MS,
          },
          metrics.admission,
        ),
    },
    {
      provide: STREAM_LOG,
      inject: [REDIS],
      useFactory: (redis: Redis | null) =>
        redis
          ? new TieredStreamLog(
              new MemoryStreamLog(LOCAL_COPY_TTL_MS),
              new RedisStreamLog(redis, STREAM_LOG_TTL_MS / 1000),
              new RedisFallback('StreamLog', redis),
            )
          : new MemoryStreamLog(STREAM_LOG_TTL_MS),
    },
  ],
  exports: [GenerationService, GenerationRunners, GenerationLeases, GenerationLeasesRepository],
})
export class GenerationModule {}
