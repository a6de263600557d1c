import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
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
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import type { AuthUser } from '../auth/auth-user';
import { ListMessagesQueryDto, UpdateMessageDto } from './dto/message.dto';
import { MessageListModel, MessageModel } from './dto/message.model';
import { MessagesService } from './messages.service';
import { AcceptsApiKeys } from '../auth/accepts-api-keys.decorator';

@ApiTags('messages')
@ApiRateLimited()
@ApiProtected()
@AcceptsApiKeys()
@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get('conversations/:id/messages')
  @ResponseMessage('messages.list')
  @ApiOperation({ summary: "A conversation's messages, a page at a time" })
  @ApiUuidParam('id', 'Conversation id')
  @ApiEnvelopedResponse(MessageListModel)
  @ApiErrorResponses(400, 404)
  list(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: ListMessagesQueryDto,
  ) {
    return this.messages.list(user, id, query);
  }

  @Put('messages/:id')
  @ResponseMessage('messages.updated')
  @ApiOperation({ summary: "Edit a message's text (not while its reply is streaming)" })
  @ApiUuidParam('id', 'Message id')
  @ApiEnvelopedResponse(MessageModel)
  @ApiBodyExample(UpdateMessageDto, 'New text for one of your messages', {
    content: 'Suggest a two-day itinerary for a first visit to Lisbon.',
  })
  @ApiBodyErrors()
  @ApiErrorResponses(404)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: UpdateMessageDto,
  ) {
    return this.messages.update(user, id, dto);
  }

  @Delete('messages/:id')
  @ResponseMessage('messages.deleted')
  @ApiOperation({ summary: 'Delete a message (not while it is streaming)' })
  @ApiUuidParam('id', 'Message id')
  @ApiEnvelopedResponse(null)
  @ApiErrorResponses(400, 404, 422)
  delete(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.messages.delete(user, id);
  }
}
