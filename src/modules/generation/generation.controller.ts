import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { MessageRateLimit, ResumeRateLimit } from '../../common/throttling/throttle.decorators';
import { ResumeBudget } from '../../common/throttling/resume-budget';
import { writeRateLimitHeaders } from '../../common/throttling/rate-limit-headers';
import { contextOf, type ContextRequest } from '../../common/http/request-context';
import {
  ApiBodyErrors,
  ApiBodyExample,
  ApiEnvelopedResponse,
  ApiErrorResponses,
  ApiProtected,
  ApiRateLimited,
  ApiSseResponse,
  ApiUuidParam,
  type ErrorResponseSpec,
} from '../../common/openapi/decorators';
import { EXAMPLE_QUESTION } from '../../common/openapi/examples';
import { MessageModel } from '../messages/dto/message.model';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import { AppConfig } from '../../config/app-config';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import type { AuthUser } from '../auth/auth-user';
import { watchSessionEnd } from '../auth/session-ended';
import { ResumeQueryDto } from './dto/resume.dto';
import { RegenerateResultModel, SendResultModel } from './dto/send-result.model';
import { RegenerateMessageDto, SendMessageDto } from './dto/send-message.dto';
import { GenerationService, StartedGeneration } from './generation.service';
import { resumePoint, streamSse } from './sse';
import { AcceptsApiKeys } from '../auth/accepts-api-keys.decorator';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw AppError.validation(
      [fieldIssue('Idempotency-Key', 'issue.idempotency_key_invalid')],
      'malformed',
      'error.bad_request',
    );
  }
  return header;
}

/** A started reply, once the sender's `messages` budget is written on the answer's headers. */
async function withRateLimitHeaders(
  res: Response,
  starting: Promise<StartedGeneration>,
): Promise<StartedGeneration> {
  const started = await starting;
  if (started.rateLimit) writeRateLimitHeaders(res, started.rateLimit);
  return started;
}

/** Sending is counted by the message rate limit and the quotas, and refused while draining. */
const SEND_LIMITS: ErrorResponseSpec[] = [
  { status: 429, codes: ['RATE_LIMIT_EXCEEDED', 'QUOTA_EXCEEDED'] },
  { status: 503, codes: ['DATABASE_ERROR', 'SERVICE_UNAVAILABLE'] },
];

const IdempotencyKeyHeader = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Printable ASCII, 1–200 characters. A retry with the same key and the same body answers ' +
      "with the first send's reply instead of starting another (400 when malformed; 422 when " +
      'the key was used with another body or conversation). `stream` is not part of the body ' +
      'compared: a send retried as a stream is the same send.',
  });

@ApiTags('messages')
@ApiRateLimited()
@ApiProtected()
@AcceptsApiKeys()
@Controller()
export class GenerationController {
  constructor(
    private readonly generation: GenerationService,
    private readonly config: AppConfig,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly resumes: ResumeBudget,
  ) {}

  private sseOptions(req: ContextRequest, sessionEnded: AbortSignal) {
    return { ...contextOf(req), heartbeatMs: this.config.env.SSE_HEARTBEAT_MS, sessionEnded };
  }

  /** Streams while the caller's session lives: its end (on any replica) ends the stream. */
  private async whileSessionLives(
    user: AuthUser,
    stream: (sessionEnded: AbortSignal) => Promise<void>,
  ): Promise<void> {
    const watch = watchSessionEnd(this.bus, { userId: user.id, sessionId: user.sessionId });
    try {
      await stream(watch.signal);
    } finally {
      watch.stop();
    }
  }

  /** Starts the reply of a send (either route) and says where the `messages` budget stands. */
  private start(
    user: AuthUser,
    conversationId: string,
    dto: SendMessageDto,
    key: string | undefined,
    res: Response,
  ): Promise<StartedGeneration> {
    const started = this.generation.start(user, conversationId, dto, idempotencyKeyOf(key));
    return withRateLimitHeaders(res, started);
  }

  /**
   * Starts the reply and streams it as Server-Sent Events from its first event. The session is
   * watched from before the start, so one ended while the send waits for admission still ends
   * the stream.
   */
  private startAndStream(
    user: AuthUser,
    conversationId: string,
    dto: SendMessageDto,
    key: string | undefined,
    req: ContextRequest,
    res: Response,
  ): Promise<void> {
    return this.streamStarted(
      user,
      () => this.start(user, conversationId, dto, key, res),
      req,
      res,
    );
  }

  /** Starts a reply (`begin`, once the session is watched) and streams it from its first event. */
  private streamStarted(
    user: AuthUser,
    begin: () => Promise<StartedGeneration>,
    req: ContextRequest,
    res: Response,
  ): Promise<void> {
    return this.whileSessionLives(user, async (ended) => {
      const started = await begin();
      await streamSse(res, this.sseOptions(req, ended), (signal) =>
        this.generation.eventsOf(started, signal),
      );
    });
  }

  /** Starts a regeneration and says where the `messages` budget stands. */
  private startRegeneration(
    user: AuthUser,
    messageId: string,
    dto: RegenerateMessageDto,
    key: string | undefined,
    res: Response,
  ): Promise<StartedGeneration> {
    const started = this.generation.regenerate(user, messageId, dto, idempotencyKeyOf(key));
    return withRateLimitHeaders(res, started);
  }

  /**
   * Sends a message and answers with the whole reply (201). With `stream: true` the request is
   * served by the stream route below (see streamedSendRoute): this handler never sees it.
   */
  @Post('conversations/:id/messages')
  @ResponseMessage('messages.sent')
  @ApiOperation({
    summary: 'Send a message and get the whole reply',
    description: 'With `stream: true` the answer is the event stream of …/messages/stream instead.',
  })
  @ApiUuidParam('id', 'Conversation id')
  @IdempotencyKeyHeader()
  @ApiEnvelopedResponse(SendResultModel, { status: 201 })
  @ApiSseResponse('With `stream: true`: the reply as Server-Sent Events.')
  @ApiBodyExample(SendMessageDto, 'A question', { content: EXAMPLE_QUESTION })
  @ApiBodyErrors()
  @ApiErrorResponses(404, 502, 504, ...SEND_LIMITS)
  @MessageRateLimit()
  async send(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) conversationId: string,
    @Body() dto: SendMessageDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SendResultModel> {
    const started = await this.start(user, conversationId, dto, key, res);
    return this.generation.result(started);
  }

  /** Sends a message and streams the reply as Server-Sent Events (API.md §5). */
  @Post('conversations/:id/messages/stream')
  @ApiOperation({
    summary: 'Send a message and stream the reply (Server-Sent Events)',
    description:
      'Checks happen before the stream opens (error envelope); a failure after `start` is an ' +
      '`error` event that ends the stream.',
  })
  @ApiUuidParam('id', 'Conversation id')
  @IdempotencyKeyHeader()
  @ApiSseResponse('The reply as Server-Sent Events.')
  @ApiBodyExample(SendMessageDto, 'A question', { content: EXAMPLE_QUESTION })
  @ApiBodyErrors()
  @ApiErrorResponses(404, ...SEND_LIMITS)
  @MessageRateLimit()
  async stream(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) conversationId: string,
    @Body() dto: SendMessageDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: ContextRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.startAndStream(user, conversationId, dto, key, req, res);
  }

  /** Resumes a reply's stream after Last-Event-ID (or ?after=N): replays what was missed, then live. */
  @Get('conversations/:id/messages/:messageId/stream')
  @ApiOperation({
    summary: "Resume a reply's event stream",
    description:
      'Replays the events after Last-Event-ID (or ?after=N), then follows live. Counted by the ' +
      '`resumes` budget (RATE_LIMIT_RESUMES per minute), shared with the WebSocket `resume` frame.',
  })
  @ApiUuidParam('id', 'Conversation id')
  @ApiUuidParam('messageId', 'Assistant message id (from the start event)')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The last event id received.',
  })
  @ApiSseResponse('The events after the given one, then live until the end.')
  @ApiErrorResponses(400, 404)
  @ResumeRateLimit()
  async resume(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) conversationId: string,
    @Param('messageId', ParseUuidPipe) messageId: string,
    @Query() query: ResumeQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: ContextRequest,
    @Res() res: Response,
  ): Promise<void> {
    const after = resumePoint(lastEventId, query.after);
    // One budget with the WebSocket `resume` frame (not `default`): refused before the stream opens.
    writeRateLimitHeaders(res, await this.resumes.consume(user.id));
    await this.whileSessionLives(user, (ended) =>
      streamSse(res, this.sseOptions(req, ended), (signal) =>
        this.generation.follow(user, messageId, after, signal, conversationId),
      ),
    );
  }

  /** Stops a reply being generated; the partial text is kept (status `stopped`) and billed. */
  @Post('messages/:id/stop')
  @HttpCode(200)
  @ResponseMessage('messages.stopped')
  @ApiOperation({ summary: 'Stop a reply being generated; the partial text is kept and billed' })
  @ApiUuidParam('id', 'Assistant message id')
  @ApiEnvelopedResponse(MessageModel)
  @ApiErrorResponses(400, 404)
  stop(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) messageId: string) {
    return this.generation.stop(user, messageId);
  }

  /**
   * A new reply to the same user message, a sibling of this one (API.md §11), answered whole
   * (201). With `stream: true` the request is served by the stream route below (see
   * streamedSendRoute): this handler never sees it.
   */
  @Post('messages/:id/regenerate')
  @ResponseMessage('messages.regenerated')
  @ApiOperation({
    summary: 'Regenerate an assistant reply (a new sibling answering the same user message)',
    description:
      'The model sees the branch from the root to the user message. The new reply becomes the ' +
      'current branch. With `stream: true` the answer is the event stream of …/regenerate/stream. ' +
      'Counted by the `messages` rate limit and the quotas as a send.',
  })
  @ApiUuidParam('id', 'Assistant message id')
  @IdempotencyKeyHeader()
  @ApiEnvelopedResponse(RegenerateResultModel, { status: 201 })
  @ApiSseResponse('With `stream: true`: the new reply as Server-Sent Events.')
  @ApiBodyExample(RegenerateMessageDto, 'Another answer, a little more varied', {
    temperature: 1,
  })
  @ApiBodyErrors()
  @ApiErrorResponses(404, 502, 504, ...SEND_LIMITS)
  @MessageRateLimit()
  async regenerate(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) messageId: string,
    @Body() dto: RegenerateMessageDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RegenerateResultModel> {
    const started = await this.startRegeneration(user, messageId, dto, key, res);
    return this.generation.regenerateResult(started);
  }

  /** Regenerates an assistant reply and streams the new one as Server-Sent Events. */
  @Post('messages/:id/regenerate/stream')
  @ApiOperation({
    summary: 'Regenerate an assistant reply and stream the new one (Server-Sent Events)',
    description:
      'Checks happen before the stream opens (error envelope); a failure after `start` is an ' +
      '`error` event that ends the stream.',
  })
  @ApiUuidParam('id', 'Assistant message id')
  @IdempotencyKeyHeader()
  @ApiSseResponse('The new reply as Server-Sent Events.')
  @ApiBodyExample(RegenerateMessageDto, 'Another answer, a little more varied', {
    temperature: 1,
  })
  @ApiBodyErrors()
  @ApiErrorResponses(404, ...SEND_LIMITS)
  @MessageRateLimit()
  async regenerateStream(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) messageId: string,
    @Body() dto: RegenerateMessageDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: ContextRequest,
    @Res() res: Response,
  ): Promise<void> {
    const begin = () => this.startRegeneration(user, messageId, dto, key, res);
    await this.streamStarted(user, begin, req, res);
  }
}
