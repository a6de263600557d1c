import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import type { AuthUser } from '../auth/auth-user';
import { ListMessagesQueryDto, UpdateMessageDto } from './dto/message.dto';
import { MessagesService } from './messages.service';

@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get('conversations/:id/messages')
  @ResponseMessage('messages.list')
  list(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: ListMessagesQueryDto,
  ) {
    return this.messages.list(user, id, query);
  }

  @Put('messages/:id')
  @ResponseMessage('messages.updated')
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: UpdateMessageDto,
  ) {
    return this.messages.update(user, id, dto);
  }

  @Delete('messages/:id')
  @ResponseMessage('messages.deleted')
  delete(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.messages.delete(user, id);
  }
}
