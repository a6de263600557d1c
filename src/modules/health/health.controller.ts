import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public, RawResponse } from '../../common/decorators/http.decorators';
import { appVersion } from '../../common/app-version';
import { HealthReport, HealthService } from './health.service';

@Public()
@RawResponse()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** API.md §7: 200 while the database answers, 503 when it does not; no envelope. */
  @Get()
  async report(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    const services = await this.health.services();
    const status: HealthReport['status'] =
      services.database !== 'healthy'
        ? 'unhealthy'
        : services.redis === 'unhealthy' || services.openai === 'unhealthy'
          ? 'degraded'
          : 'healthy';
    res.status(services.database === 'healthy' ? 200 : 503);
    return {
      status,
      timestamp: new Date().toISOString(),
      version: appVersion(),
      services,
      llm_provider: this.health.providerName,
      uptime: Math.round(process.uptime()),
    };
  }

  /** The process is up (for liveness probes): never touches a dependency. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready for traffic: the database answers now (not cached); 503 when it does not. */
  @Get('ready')
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: 'ok' | 'unavailable'; database: 'up' | 'down' }> {
    const up = await this.health.databaseUp();
    res.status(up ? 200 : 503);
    return { status: up ? 'ok' : 'unavailable', database: up ? 'up' : 'down' };
  }
}
