import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FilesModule } from '../files/files.module';
import { LlmModule } from '../llm/llm.module';
import { MessagesModule } from '../messages/messages.module';
import { ConversationUpdates } from './conversation-updates';
import { ConversationEntity } from './conversation.entity';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';

/** Conversations; their messages' rows come from MessagesModule. */
@Module({
  imports: [
    TypeOrmModule.forFeature([ConversationEntity]),
    LlmModule,
    FilesModule,
    forwardRef(() => MessagesModule),
  ],
  controllers: [ConversationsController],
  providers: [ConversationsService, ConversationsRepository, ConversationUpdates],
  exports: [ConversationsRepository, ConversationUpdates],
})
export class ConversationsModule {}
