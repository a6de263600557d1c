import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopedResponse, ApiRateLimited } from '../../common/openapi/decorators';
import { Public, ResponseMessage } from '../../common/decorators/http.decorators';
import { ModelResponse, toModelResponse } from './dto/model.response';
import { ModelListModel } from './dto/model.model';
import { ModelsCatalog } from './models.catalog';
import { AcceptsApiKeys } from '../auth/accepts-api-keys.decorator';

// Public, so counted by client address under `default` (API.md §8: everything that is not auth
// or sending), like any anonymous traffic.
@ApiTags('models')
@ApiRateLimited()
@AcceptsApiKeys()
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
