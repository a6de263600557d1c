import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { contextOf, type ContextRequest } from '../../common/http/request-context';
import { successEnvelope } from '../../common/http/envelope';
import { t } from '../../common/i18n/messages';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import { AppConfig } from '../../config/app-config';
import type { AuthUser } from '../auth/auth-user';
import { ResumeQueryDto } from './dto/resume.dto';
import { SendMessageDto } from './dto/send-message.dto';
import { GenerationService } from './generation.service';
import { resumePoint, streamSse } from './sse';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw AppError.validation(
      [fieldIssue('Idempotency-Key', 'issue.idempotency_key_invalid')],
      400,
      'error.bad_request',
    );
  }
  return header;
}

@Controller()
export class GenerationController {
  constructor(
    private readonly generation: GenerationService,
    private readonly config: AppConfig,
  ) {}

  private sseOptions(req: ContextRequest) {
    return { ...contextOf(req), heartbeatMs: this.config.env.SSE_HEARTBEAT_MS };
  }

  /** Sends a message and answers with the whole reply (201), or as the stream below with `stream: true`. */
  @Post('conversations/:id/messages')
  async send(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) conversationId: string,
    @Body() dto: SendMessageDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: ContextRequest,
    @Res() res: Response,
  ): Promise<void> {
    const started = await this.generation.start(user, conversationId, dto, idempotencyKeyOf(key));
    if (dto.stream) {
      await streamSse(res, this.sseOptions(req), (signal) =>
        this.generation.follow(user, started.assistantMessageId, 0, signal),
      );
      return;
    }
    const result = await this.generation.result(user, started);
    res.status(201).json(successEnvelope(result, t('messages.sent', contextOf(req).lang)));
  }

  /** Sends a message and streams the reply as Server-Sent Events (API.md §5). */
  @Post('conversations/:id/messages/stream')
  async stream(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) conversationId: string,
    @Body() dto: SendMessageDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: ContextRequest,
    @Res() res: Response,
  ): Promise<void> {
    const started = await this.generation.start(user, conversationId, dto, idempotencyKeyOf(key));
    await streamSse(res, this.sseOptions(req), (signal) =>
      this.generation.follow(user, started.assistantMessageId, 0, signal),
    );
  }

  /** Resumes a reply's stream after Last-Event-ID (or ?after=N): replays what was missed, then live. */
  @Get('conversations/:id/messages/:messageId/stream')
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
    await streamSse(res, this.sseOptions(req), (signal) =>
      this.generation.follow(user, messageId, after, signal, conversationId),
    );
  }

  /** Stops a reply being generated; the partial text is kept (status `stopped`) and billed. */
  @Post('messages/:id/stop')
  @HttpCode(200)
  @ResponseMessage('messages.stopped')
  stop(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) messageId: string) {
    return this.generation.stop(user, messageId);
  }
}
