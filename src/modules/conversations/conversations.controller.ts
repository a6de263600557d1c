import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import type { AuthUser } from '../auth/auth-user';
import { ConversationsService } from './conversations.service';
import {
  CreateConversationDto,
  ListConversationsQueryDto,
  UpdateConversationDto,
} from './dto/conversation.dto';

@Controller('conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Get()
  @ResponseMessage('conversations.list')
  list(@CurrentUser() user: AuthUser, @Query() query: ListConversationsQueryDto) {
    return this.conversations.list(user, query);
  }

  @Post()
  @ResponseMessage('conversations.created')
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateConversationDto) {
    return this.conversations.create(user, dto);
  }

  @Get(':id')
  @ResponseMessage('conversations.detail')
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.conversations.get(user, id);
  }

  @Put(':id')
  @ResponseMessage('conversations.updated')
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: UpdateConversationDto,
  ) {
    return this.conversations.update(user, id, dto);
  }

  @Delete(':id')
  @ResponseMessage('conversations.deleted')
  delete(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.conversations.delete(user, id);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @ResponseMessage('conversations.archived')
  archive(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.conversations.setArchived(user, id, true);
  }

  @Post(':id/unarchive')
  @HttpCode(200)
  @ResponseMessage('conversations.unarchived')
  unarchive(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.conversations.setArchived(user, id, false);
  }
}
