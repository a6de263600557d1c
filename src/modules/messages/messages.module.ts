import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConversationsModule } from '../conversations/conversations.module';
import { MessageEntity } from './message.entity';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';

/**
 * Messages: their routes and the message rows' repository, which conversations (details, the
 * last message) and generation reuse. Conversations and messages each read the other's rows
 * (ownership, last message), hence the forward references.
 */
@Module({
  imports: [TypeOrmModule.forFeature([MessageEntity]), forwardRef(() => ConversationsModule)],
  controllers: [MessagesController],
  providers: [MessagesService, MessagesRepository],
  exports: [MessagesRepository],
})
export class MessagesModule {}
