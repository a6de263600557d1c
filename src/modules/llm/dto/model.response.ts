import type { ModelInfo } from '../models.config';

/** API.md §7: one entry of GET /models. */
export interface ModelResponse {
  id: string;
  name: string;
  description: string;
  max_tokens: number;
  cost_per_1k_tokens: { input: number; output: number };
  capabilities: string[];
}

/** Only the contract's fields: context_window stays internal (history trimming). */
export function toModelResponse(model: ModelInfo): ModelResponse {
  return {
    id: model.id,
    name: model.name,
    description: model.description,
    max_tokens: model.max_tokens,
    cost_per_1k_tokens: {
      input: model.cost_per_1k_tokens.input,
      output: model.cost_per_1k_tokens.output,
    },
    capabilities: [...model.capabilities],
  };
}
