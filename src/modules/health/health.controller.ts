import { Controller, Get, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiRawResponse } from '../../common/openapi/decorators';
import { Public, RawResponse } from '../../common/decorators/http.decorators';
import { appVersion } from '../../common/app-version';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { HealthReportModel, LivenessModel, ReadinessModel } from './health.model';
import { HealthReport, HealthService } from './health.service';

@Public()
@RawResponse()
@SkipThrottle() // probes are never rate limited
@ApiTags('system')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly shutdown: ShutdownService,
  ) {}

  /** API.md §7: 200 while the database answers, 503 when it does not; no envelope. */
  @Get()
  @ApiOperation({ summary: 'Health of the service and its dependencies' })
  @ApiRawResponse(HealthReportModel, { description: 'The database answers.' })
  @ApiRawResponse(HealthReportModel, { status: 503, description: 'The database does not answer.' })
  async report(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    const services = await this.health.services();
    const providers = this.health.providers;
    // A provider down, or missing a model the catalog sends to it, degrades: it never makes
    // the service unhealthy (replies still go to the others, and readiness is the database's).
    const providersDegraded = Object.values(providers ?? {}).some(
      (p) => p.status === 'unhealthy' || p.missing_models.length > 0,
    );
    const status: HealthReport['status'] =
      services.database !== 'healthy'
        ? 'unhealthy'
        : services.redis === 'unhealthy' || services.openai === 'unhealthy' || providersDegraded
          ? 'degraded'
          : 'healthy';
    res.status(services.database === 'healthy' ? 200 : 503);
    return {
      status,
      timestamp: new Date().toISOString(),
      version: appVersion(),
      services,
      ...(providers ? { providers } : {}),
      llm_provider: this.health.providerName,
      uptime: Math.round(process.uptime()),
    };
  }

  /** The process is up (for liveness probes): never touches a dependency. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiRawResponse(LivenessModel)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready for traffic: the database answers now (not cached); 503 when it does not. */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers now' })
  @ApiRawResponse(ReadinessModel, { description: 'Ready.' })
  @ApiRawResponse(ReadinessModel, {
    status: 503,
    description: 'The database does not answer, or the instance is draining for shutdown.',
  })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadinessModel> {
    // Draining for shutdown: 503 at once, without asking the database.
    if (this.shutdown.draining) {
      res.status(503);
      return { status: 'unavailable', draining: true };
    }
    const up = await this.health.databaseUp();
    res.status(up ? 200 : 503);
    return { status: up ? 'ok' : 'unavailable', database: up ? 'up' : 'down', draining: false };
  }
}
