import { Injectable } from '@nestjs/common';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { Pagination, paginationOf } from '../../common/http/pagination';
import { Transactions } from '../../database/transactions';
import type { AuthUser } from '../auth/auth-user';
import { ConversationUpdates } from '../conversations/conversation-updates';
import { ConversationsRepository } from '../conversations/conversations.repository';
import type { ListMessagesQueryDto, UpdateMessageDto } from './dto/message.dto';
import { MessageResponse, toMessageResponse } from './dto/message.response';
import { MessagesRepository } from './messages.repository';

@Injectable()
export class MessagesService {
  constructor(
    private readonly tx: Transactions,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly updates: ConversationUpdates,
  ) {}

  async list(
    actor: AuthUser,
    conversationId: string,
    query: ListMessagesQueryDto,
  ): Promise<{ messages: MessageResponse[]; pagination: Pagination }> {
    if (!(await this.conversations.findOwned(conversationId, actor.id))) throw AppError.notFound();
    const { items, total } = await this.messages.listByConversation(conversationId, {
      ...query,
      all: query.branch === 'all',
    });
    return {
      messages: (await this.messages.withAttachments(items)).map(toMessageResponse),
      pagination: paginationOf(query.page, query.size, total),
    };
  }

  async update(
    actor: AuthUser,
    messageId: string,
    dto: UpdateMessageDto,
  ): Promise<MessageResponse> {
    const updated = await this.tx.run(async (tx) => {
      const message = await this.messages.findOwned(messageId, actor.id, tx);
      if (!message) throw AppError.notFound();
      if (message.status === 'streaming')
        throw AppError.validation([fieldIssue('content', 'issue.message_streaming')]);
      const updated = await this.messages.updateContent(messageId, dto.content, tx);
      if (!updated) throw AppError.notFound();
      await this.conversations.touch(message.conversationId, tx);
      return updated;
    });
    // Read after the transaction: its connection is not held while another is asked for.
    const [shown] = await this.messages.withAttachments(
      await this.messages.withSiblings([updated]),
    );
    return toMessageResponse(shown);
  }

  /**
   * Deletes the message and its subtree — refused while a reply in it is being generated, as
   * a streaming reply is. A current branch that ran through it moves, and the user's sockets
   * are told.
   */
  async delete(actor: AuthUser, messageId: string): Promise<null> {
    const deleted = await this.messages.deleteSubtree(messageId, actor.id);
    if (!deleted) throw AppError.notFound();
    if (deleted.streaming)
      throw AppError.validation([fieldIssue('message', 'issue.message_streaming')]);
    if (deleted.deleted === 0) throw AppError.notFound();
    if (deleted.moved) {
      await this.updates.publish(actor.id, deleted.conversationId, {
        currentMessageId: deleted.currentMessageId,
      });
    }
    return null;
  }
}
