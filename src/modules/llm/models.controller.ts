import { Controller, Get } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopedResponse, ApiRateLimited } from '../../common/openapi/decorators';
import { Public, ResponseMessage } from '../../common/decorators/http.decorators';
import { ModelResponse, toModelResponse } from './dto/model.response';
import { ModelListModel } from './dto/model.model';
import { ModelsCatalog } from './models.catalog';

@SkipThrottle() // the static catalog, fetched by every client at start: never rate limited
@ApiTags('models')
@ApiRateLimited()
@Controller('models')
export class ModelsController {
  constructor(private readonly catalog: ModelsCatalog) {}

  @Public()
  @Get()
  @ResponseMessage('models.list')
  @ApiOperation({ summary: 'The models this deployment offers' })
  @ApiEnvelopedResponse(ModelListModel)
  list(): { models: ModelResponse[] } {
    return { models: this.catalog.list().map(toModelResponse) };
  }
}
