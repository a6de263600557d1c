import { Controller, Get } from '@nestjs/common';
import { Public, ResponseMessage } from '../../common/decorators/http.decorators';
import { ModelResponse, toModelResponse } from './dto/model.response';
import { ModelsCatalog } from './models.catalog';

@Controller('models')
export class ModelsController {
  constructor(private readonly catalog: ModelsCatalog) {}

  @Public()
  @Get()
  @ResponseMessage('models.list')
  list(): { models: ModelResponse[] } {
    return { models: this.catalog.list().map(toModelResponse) };
  }
}
