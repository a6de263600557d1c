import { applyDecorators, Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { RawResponse } from '../../common/decorators/http.decorators';
import { contextOf, type ContextRequest } from '../../common/http/request-context';
import { ApiBodyExample, BEARER_SCHEME, type ErrorStatus } from '../../common/openapi/decorators';
import { EXAMPLE_MODEL } from '../../common/openapi/examples';
import { MessageRateLimit } from '../../common/throttling/throttle.decorators';
import { AcceptsApiKeys } from '../auth/accepts-api-keys.decorator';
import type { AuthUser } from '../auth/auth-user';
import { ChatCompletionsService } from './chat-completions.service';
import { parseChatCompletionRequest } from './chat-request';
import { completionMeta } from './chat-response';
import {
  OpenAiChatCompletionModel,
  OpenAiContentPartModel,
  OpenAiChatCompletionRequestModel,
  OpenAiErrorModel,
  OpenAiModelListModel,
} from './dto/openai.models';
import { answerCompletion, streamCompletion } from './openai-http';

const WHEN: Partial<Record<ErrorStatus, string>> = {
  400: 'Malformed request (bad JSON, wrong types), or a feature not supported here: n > 1, tools, audio, images for a model without vision, a prompt past the context window.',
  401: 'Missing, invalid, expired or revoked key (access token).',
  403: 'The account is inactive.',
  404: 'Unknown model (`code: model_not_found`).',
  413: 'The request body is larger than the configured limit.',
  422: 'A number out of its range (temperature, top_p, max_tokens…).',
  429: 'The `messages` rate limit (`rate_limit_exceeded`, `Retry-After`) or a quota (`insufficient_quota`, `Retry-After` to the reset, `x-should-retry: false`).',
  500: 'Unexpected failure; no internals in the body.',
  502: 'The model provider failed before the first token.',
  503: 'The database is unreachable, or the service is shutting down.',
  504: 'The model provider timed out before the first token.',
};

/** Error answers in OpenAI's shape (every route under /openai answers its errors so). */
const ApiOpenAiErrors = (...statuses: ErrorStatus[]) =>
  applyDecorators(
    ApiExtraModels(OpenAiErrorModel),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: `${WHEN[status]} OpenAI's error shape.`,
        schema: { $ref: getSchemaPath(OpenAiErrorModel) },
      }),
    ),
  );

/**
 * OpenAI-compatible routes (API.md §12): OpenAI's request, response and error shapes, under
 * this service's auth, quotas, `messages` rate limit and metrics; nothing is stored as a
 * conversation. An API key (`sk-…`) or an access token is the key.
 */
@ApiTags('openai')
@ApiBearerAuth(BEARER_SCHEME)
@ApiOpenAiErrors(401, 403, 429, 500, 503)
@RawResponse()
@AcceptsApiKeys()
@Controller('openai')
export class OpenAiCompatController {
  constructor(private readonly completions: ChatCompletionsService) {}

  @Get('models')
  @ApiOperation({
    summary: "The catalog's models in OpenAI's list shape",
    description:
      'OpenAI\'s `GET /v1/models` shape: `{ object: "list", data: [{ id, object, created, owned_by }] }`.',
  })
  @ApiResponse({ status: 200, description: 'Succeeded (no envelope).', type: OpenAiModelListModel })
  models(): OpenAiModelListModel {
    return this.completions.models();
  }

  @Post('chat/completions')
  @HttpCode(200)
  @MessageRateLimit()
  @ApiOperation({
    summary: "A chat completion in OpenAI's shapes (streamed with `stream: true`)",
    description:
      "OpenAI's `POST /v1/chat/completions`: the official OpenAI SDKs work with only `baseURL` " +
      'and `apiKey` changed. Counted by the `messages` rate limit and the quotas like a chat ' +
      'send (reserved before the call, settled on the real usage). With `stream: true` the ' +
      'answer is `text/event-stream`: `data: {chat.completion.chunk}` events (the first with ' +
      '`delta.role`), the usage chunk when `stream_options.include_usage` is set, then ' +
      '`data: [DONE]`. A failure after the first chunk is one `data: {"error": {…}}` event and ' +
      'the stream ends without [DONE]. Closing the connection stops the upstream call.',
  })
  @ApiBodyExample(
    OpenAiChatCompletionRequestModel,
    'One question to a model of GET /openai/models',
    {
      model: EXAMPLE_MODEL,
      messages: [{ role: 'user', content: 'Say hello in Portuguese.' }],
    },
  )
  @ApiExtraModels(OpenAiChatCompletionModel, OpenAiContentPartModel)
  @ApiResponse({
    status: 200,
    description: 'Succeeded (no envelope): JSON, or with `stream: true` an event stream.',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(OpenAiChatCompletionModel) } },
      'text/event-stream': {
        schema: {
          type: 'string',
          description:
            '`data: <chat.completion.chunk JSON>` events, the usage chunk when asked for, then `data: [DONE]`.',
        },
      },
    },
  })
  @ApiOpenAiErrors(400, 404, 413, 422, 502, 504)
  async create(
    @CurrentUser() user: AuthUser,
    // Read by parseChatCompletionRequest, not the validation pipe: unknown fields are ignored.
    @Body() body: Record<string, unknown>,
    @Req() req: ContextRequest,
    @Res() res: Response,
  ): Promise<void> {
    const request = parseChatCompletionRequest(body);
    const meta = completionMeta(request.model);
    const run = this.completions.complete.bind(this.completions, user, request);
    if (request.stream) {
      await streamCompletion(res, contextOf(req), meta, request.includeUsage, run);
    } else {
      await answerCompletion(res, meta, run);
    }
  }
}
