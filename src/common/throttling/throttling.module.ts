import { Global, Module } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { AppConfig } from '../../config/app-config';
import { RATE_LIMIT_STORAGE, RateLimiter } from './rate-limiter';

@Global()
@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [AppConfig],
      // The storage gets the URL, not our client: it then owns (and closes) its connection.
      useFactory: (config: AppConfig): ThrottlerStorage =>
        config.env.REDIS_URL
          ? new ThrottlerStorageRedisService(config.env.REDIS_URL, {
              maxRetriesPerRequest: 1,
              connectTimeout: 2000,
            })
          : new ThrottlerStorageService(),
    },
    RateLimiter,
  ],
  exports: [RateLimiter],
})
export class ThrottlingModule {}
