import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiRateLimited, ApiRawResponse } from '../../common/openapi/decorators';
import { Public, RawResponse } from '../../common/decorators/http.decorators';
import { appVersion } from '../../common/app-version';
import { AppConfig } from '../../config/app-config';
import { LLM_PROVIDER, LlmProvider } from '../llm/llm-provider';
import { ModelsCatalog } from '../llm/models.catalog';
import { InfoModel } from './health.model';

/** API.md §7: what this deployment is and can do, reported truthfully; no envelope. */
@Public()
@RawResponse()
// Counted by client address under `default` like any anonymous traffic (API.md §8); the
// probes are /health*.
@ApiRateLimited()
@ApiTags('system')
@Controller('info')
export class InfoController {
  constructor(
    private readonly config: AppConfig,
    private readonly models: ModelsCatalog,
    @Inject(LLM_PROVIDER) private readonly provider: LlmProvider,
  ) {}

  @Get()
  @ApiOperation({ summary: 'What this deployment is and can do' })
  @ApiRawResponse(InfoModel)
  info(): InfoModel {
    return {
      name: 'ChatGPT Backend API',
      version: appVersion(),
      environment: this.config.env.NODE_ENV,
      supported_models: [...this.models.ids],
      default_model: this.models.defaultModelId,
      llm_provider: this.provider.name,
      features: {
        websocket: true,
        streaming: true,
        file_upload: true,
        stop_generation: true,
        resume_stream: true,
        idempotent_send: true,
      },
    };
  }
}
