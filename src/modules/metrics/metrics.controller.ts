import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorResponses, METRICS_SCHEME } from '../../common/openapi/decorators';
import { API_PREFIX } from '../../app.setup';
import { Public, RawResponse } from '../../common/decorators/http.decorators';
import { MetricsTokenGuard } from './metrics-token.guard';
import { metricsRoutePaths } from './metrics.routes';
import { MetricsService } from './metrics.service';

/**
 * GET /metrics and GET /api/v1/metrics (API.md §7): Prometheus text, no envelope, no user
 * token, never rate limited; METRICS_TOKEN, when set, is required as a bearer token.
 */
@Public()
@RawResponse()
@SkipThrottle()
@UseGuards(MetricsTokenGuard)
@ApiTags('system')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get(metricsRoutePaths(API_PREFIX))
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format, no envelope)',
    description: 'With METRICS_TOKEN set, `Authorization: Bearer <METRICS_TOKEN>` is required.',
  })
  @ApiSecurity({})
  @ApiSecurity(METRICS_SCHEME)
  @ApiResponse({
    status: 200,
    description: 'The metrics.',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiErrorResponses(401)
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.setHeader('Content-Type', this.metrics.contentType);
    return this.metrics.scrape();
  }
}
