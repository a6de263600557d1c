import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { ModelResponse } from './model.response';

@ApiSchema({ name: 'ModelCost', description: 'Price per 1,000 tokens.' })
export class ModelCostModel {
  @ApiProperty({ type: Number, minimum: 0, example: 0.001 })
  input!: number;

  @ApiProperty({ type: Number, minimum: 0, example: 0.002 })
  output!: number;
}

@ApiSchema({ name: 'ModelInfo' })
export class ModelInfoModel implements ModelResponse {
  @ApiProperty({ type: String, example: 'gpt-3.5-turbo' })
  id!: string;

  @ApiProperty({ type: String, example: 'GPT-3.5 Turbo' })
  name!: string;

  @ApiProperty({ type: String })
  description!: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 4096 })
  max_tokens!: number;

  @ApiProperty({ type: () => ModelCostModel })
  cost_per_1k_tokens!: ModelCostModel;

  @ApiProperty({ type: [String], example: ['text', 'code'] })
  capabilities!: string[];
}

@ApiSchema({ name: 'ModelList' })
export class ModelListModel {
  @ApiProperty({ type: () => [ModelInfoModel] })
  models!: ModelInfoModel[];
}
