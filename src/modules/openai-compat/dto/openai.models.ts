import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

/*
 * OpenAPI models of the OpenAI-compatible routes (API.md §12). The shapes are OpenAI's own
 * chat completions API, documented here only as far as this service reads and answers them;
 * the body is read by parseChatCompletionRequest, not by the validation pipe, because
 * unknown fields must be ignored (OpenAI's clients send extras).
 */

@ApiSchema({
  name: 'OpenAiContentPart',
  description: 'A part of a message: `text`, or `image_url` (user messages, vision models only).',
})
export class OpenAiContentPartModel {
  @ApiProperty({ type: String, enum: ['text', 'image_url'] })
  type!: string;

  @ApiPropertyOptional({ type: String })
  text?: string;

  @ApiPropertyOptional({
    type: 'object',
    properties: { url: { type: 'string', description: 'An https or data: URL.' } },
  })
  image_url?: { url: string };
}

@ApiSchema({ name: 'OpenAiChatMessage' })
export class OpenAiChatMessageModel {
  @ApiProperty({
    type: String,
    enum: ['system', 'developer', 'user', 'assistant'],
    description: '`developer` is passed on as `system`. `tool` messages are refused (400).',
  })
  role!: string;

  @ApiProperty({
    oneOf: [
      { type: 'string' },
      { type: 'array', items: { $ref: '#/components/schemas/OpenAiContentPart' } },
    ],
  })
  content!: string | OpenAiContentPartModel[];
}

@ApiSchema({
  name: 'OpenAiChatCompletionRequest',
  description:
    "OpenAI's chat completion request. Fields not listed are ignored. `n` other than 1, " +
    '`tools`/`functions`/`tool_choice`, `audio` and non-text `modalities` are refused with ' +
    '400. Wrong types are 400; numbers out of range 422.',
})
export class OpenAiChatCompletionRequestModel {
  @ApiProperty({
    type: String,
    example: 'gpt-3.5-turbo',
    description: 'A catalog model id (GET /openai/models); unknown → 404 `model_not_found`.',
  })
  model!: string;

  @ApiProperty({ type: () => [OpenAiChatMessageModel], minItems: 1 })
  messages!: OpenAiChatMessageModel[];

  @ApiPropertyOptional({ type: Number, minimum: 0, maximum: 2 })
  temperature?: number;

  @ApiPropertyOptional({ type: Number, minimum: 0, maximum: 1 })
  top_p?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: "Capped at the model's max_tokens and at what the user's token quota allows.",
  })
  max_tokens?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'Takes precedence over max_tokens.',
  })
  max_completion_tokens?: number;

  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 4 }],
  })
  stop?: string | string[];

  @ApiPropertyOptional({ type: Boolean, description: 'Answer as `text/event-stream` chunks.' })
  stream?: boolean;

  @ApiPropertyOptional({
    type: 'object',
    properties: { include_usage: { type: 'boolean' } },
    description: 'With `include_usage`, a last chunk with empty `choices` carries the usage.',
  })
  stream_options?: { include_usage?: boolean };

  @ApiPropertyOptional({
    type: String,
    description: 'Accepted and ignored: the caller is the authenticated user.',
  })
  user?: string;

  @ApiPropertyOptional({ type: 'integer', enum: [1], description: 'Only 1 (400 otherwise).' })
  n?: number;
}

@ApiSchema({ name: 'OpenAiUsage' })
export class OpenAiUsageModel {
  @ApiProperty({ type: 'integer' })
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer' })
  completion_tokens!: number;

  @ApiProperty({ type: 'integer' })
  total_tokens!: number;
}

@ApiSchema({ name: 'OpenAiAssistantMessage' })
export class OpenAiAssistantMessageModel {
  @ApiProperty({ type: String, enum: ['assistant'] })
  role!: 'assistant';

  @ApiProperty({ type: String })
  content!: string;
}

@ApiSchema({ name: 'OpenAiChoice' })
export class OpenAiChoiceModel {
  @ApiProperty({ type: 'integer', example: 0 })
  index!: number;

  @ApiProperty({ type: () => OpenAiAssistantMessageModel })
  message!: OpenAiAssistantMessageModel;

  @ApiProperty({ type: String, enum: ['stop', 'length', 'content_filter'] })
  finish_reason!: string;
}

@ApiSchema({
  name: 'OpenAiChatCompletion',
  description: "OpenAI's non-streamed chat completion (`stream` false or absent).",
})
export class OpenAiChatCompletionModel {
  @ApiProperty({ type: String, example: 'chatcmpl-3Qy…' })
  id!: string;

  @ApiProperty({ type: String, enum: ['chat.completion'] })
  object!: 'chat.completion';

  @ApiProperty({ type: 'integer', description: 'Unix seconds.' })
  created!: number;

  @ApiProperty({ type: String })
  model!: string;

  @ApiProperty({ type: () => [OpenAiChoiceModel] })
  choices!: OpenAiChoiceModel[];

  @ApiProperty({ type: () => OpenAiUsageModel })
  usage!: OpenAiUsageModel;
}

@ApiSchema({ name: 'OpenAiModel' })
export class OpenAiModelModel {
  @ApiProperty({ type: String, example: 'gpt-3.5-turbo' })
  id!: string;

  @ApiProperty({ type: String, enum: ['model'] })
  object!: 'model';

  @ApiProperty({ type: 'integer', description: 'Unix seconds (when the catalog was loaded).' })
  created!: number;

  @ApiProperty({ type: String, example: 'system' })
  owned_by!: string;
}

@ApiSchema({ name: 'OpenAiModelList', description: "The catalog in OpenAI's list shape." })
export class OpenAiModelListModel {
  @ApiProperty({ type: String, enum: ['list'] })
  object!: 'list';

  @ApiProperty({ type: () => [OpenAiModelModel] })
  data!: OpenAiModelModel[];
}

@ApiSchema({ name: 'OpenAiErrorBody' })
export class OpenAiErrorBodyModel {
  @ApiProperty({ type: String })
  message!: string;

  @ApiProperty({
    type: String,
    example: 'invalid_request_error',
    description:
      'invalid_request_error (400, 401, 404, 422), permission_error (403), insufficient_quota ' +
      '(429 quota), rate_limit_error (429 rate limit), upstream_error (502, 504), server_error (500, 503).',
  })
  type!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'model_not_found',
    description:
      'e.g. invalid_request, invalid_value, unsupported_parameter, model_not_found, ' +
      'context_length_exceeded, invalid_api_key, insufficient_quota, rate_limit_exceeded, ' +
      'upstream_error, upstream_timeout.',
  })
  code!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'n',
    description: 'The request field at fault.',
  })
  param!: string | null;
}

@ApiSchema({
  name: 'OpenAiError',
  description:
    "OpenAI's error shape, answered by every route under /openai with the status of API.md §1 " +
    '(no envelope). QUOTA_EXCEEDED answers 429 with `Retry-After` (seconds to the reset) and ' +
    '`x-should-retry: false`.',
})
export class OpenAiErrorModel {
  @ApiProperty({ type: () => OpenAiErrorBodyModel })
  error!: OpenAiErrorBodyModel;
}
