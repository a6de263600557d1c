import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { HealthModule } from '../health/health.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { claimDefaultMetricsCollection, processMetricsRegistry } from './process-metrics';

/**
 * Prometheus metrics. The nestjs-prometheus module hosts our controller and starts prom-client's
 * default metrics — once per process, in the process-wide registry (it would otherwise use the
 * global one, which a second app in the same process collides with). Application metrics live
 * in MetricsService's own registry; other modules inject MetricsService to record.
 */
@Global()
@Module({
  imports: [
    HealthModule,
    PrometheusModule.registerAsync({
      controller: MetricsController,
      useFactory: () => ({
        defaultMetrics: {
          enabled: claimDefaultMetricsCollection(),
          config: { register: processMetricsRegistry() },
        },
      }),
    }),
  ],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
