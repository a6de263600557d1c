import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiBodyErrors,
  ApiBodyExample,
  ApiEnvelopedResponse,
  ApiErrorResponses,
  ApiProtected,
  ApiRateLimited,
  ApiUuidParam,
} from '../../common/openapi/decorators';
import { EXAMPLE_MODEL } from '../../common/openapi/examples';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import type { AuthUser } from '../auth/auth-user';
import {
  ConversationDetailModel,
  ConversationListModel,
  ConversationModel,
} from './dto/conversation.model';
import { ConversationsService } from './conversations.service';
import {
  CreateConversationDto,
  ListConversationsQueryDto,
  UpdateConversationDto,
} from './dto/conversation.dto';
import { AcceptsApiKeys } from '../auth/accepts-api-keys.decorator';

@ApiTags('conversations')
@ApiRateLimited()
@ApiProtected()
@AcceptsApiKeys()
@Controller('conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Get()
  @ResponseMessage('conversations.list')
  @ApiOperation({ summary: "The caller's conversations, newest activity first" })
  @ApiEnvelopedResponse(ConversationListModel)
  @ApiErrorResponses(400)
  list(@CurrentUser() user: AuthUser, @Query() query: ListConversationsQueryDto) {
    return this.conversations.list(user, query);
  }

  @Post()
  @ResponseMessage('conversations.created')
  @ApiOperation({ summary: 'Start a conversation' })
  @ApiEnvelopedResponse(ConversationModel, { status: 201 })
  @ApiBodyExample(CreateConversationDto, 'A titled conversation with a model of GET /models', {
    title: 'Trip to Lisbon',
    model: EXAMPLE_MODEL,
    system_message: 'You are a concise travel assistant.',
  })
  @ApiBodyErrors()
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateConversationDto) {
    return this.conversations.create(user, dto);
  }

  @Get(':id')
  @ResponseMessage('conversations.detail')
  @ApiOperation({ summary: 'A conversation with its messages, oldest first' })
  @ApiUuidParam('id', 'Conversation id')
  @ApiEnvelopedResponse(ConversationDetailModel)
  @ApiErrorResponses(400, 404)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.conversations.get(user, id);
  }

  @Put(':id')
  @ResponseMessage('conversations.updated')
  @ApiOperation({ summary: 'Rename and/or archive a conversation' })
  @ApiUuidParam('id', 'Conversation id')
  @ApiEnvelopedResponse(ConversationModel)
  @ApiBodyExample(UpdateConversationDto, 'A new title', { title: 'Three days in Lisbon' })
  @ApiBodyErrors()
  @ApiErrorResponses(404)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: UpdateConversationDto,
  ) {
    return this.conversations.update(user, id, dto);
  }

  @Delete(':id')
  @ResponseMessage('conversations.deleted')
  @ApiOperation({ summary: 'Delete a conversation and all its messages' })
  @ApiUuidParam('id', 'Conversation id')
  @ApiEnvelopedResponse(null)
  @ApiErrorResponses(400, 404)
  delete(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.conversations.delete(user, id);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @ResponseMessage('conversations.archived')
  @ApiOperation({ summary: 'Archive a conversation' })
  @ApiUuidParam('id', 'Conversation id')
  @ApiEnvelopedResponse(null)
  @ApiErrorResponses(400, 404)
  archive(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.conversations.setArchived(user, id, true);
  }

  @Post(':id/unarchive')
  @HttpCode(200)
  @ResponseMessage('conversations.unarchived')
  @ApiOperation({ summary: 'Unarchive a conversation' })
  @ApiUuidParam('id', 'Conversation id')
  @ApiEnvelopedResponse(null)
  @ApiErrorResponses(400, 404)
  unarchive(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.conversations.setArchived(user, id, false);
  }
}
