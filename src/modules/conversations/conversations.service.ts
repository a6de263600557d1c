import { Inject, Injectable } from '@nestjs/common';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { Pagination, paginationOf } from '../../common/http/pagination';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import type { AuthUser } from '../auth/auth-user';
import { ModelsCatalog } from '../llm/models.catalog';
import { FilesService } from '../files/files.service';
import { MessagesRepository } from '../messages/messages.repository';
import type { ConversationEntity, TitleSource } from './conversation.entity';
import { ConversationUpdates } from './conversation-updates';
import { ConversationsRepository } from './conversations.repository';
import type {
  CreateConversationDto,
  ListConversationsQueryDto,
  UpdateConversationDto,
} from './dto/conversation.dto';
import {
  ConversationDetailResponse,
  ConversationResponse,
  toConversationDetail,
  toConversationResponse,
} from './dto/conversation.response';

export const DEFAULT_CONVERSATION_TITLE = 'New conversation';

@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly models: ModelsCatalog,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly files: FilesService,
    private readonly updates: ConversationUpdates,
  ) {}

  async list(
    actor: AuthUser,
    query: ListConversationsQueryDto,
  ): Promise<{ conversations: ConversationResponse[]; pagination: Pagination }> {
    const { items, total } = await this.conversations.listOwned(actor.id, {
      page: query.page,
      size: query.size,
      includeArchived: query.archived,
      search: query.search?.trim() || undefined,
    });
    return {
      conversations: items.map((i) => toConversationResponse(i.conversation, i.lastMessage)),
      pagination: paginationOf(query.page, query.size, total),
    };
  }

  async create(actor: AuthUser, dto: CreateConversationDto): Promise<ConversationResponse> {
    const model = dto.model ?? this.models.defaultModelId;
    this.models.require(model);
    const conversation = await this.conversations.create({
      userId: actor.id,
      title: dto.title || DEFAULT_CONVERSATION_TITLE,
      // Without a title of the user's, the first reply names it (AutoTitles).
      titleSource: dto.title ? 'user' : 'default',
      model,
      systemMessage: dto.system_message?.trim() ? dto.system_message : null,
    });
    return toConversationResponse(conversation, null);
  }

  async get(actor: AuthUser, id: string): Promise<ConversationDetailResponse> {
    const conversation = await this.conversations.findOwned(id, actor.id);
    if (!conversation) throw AppError.notFound();
    const messages = await this.messages.branchOf(id);
    return toConversationDetail(conversation, await this.messages.withAttachments(messages));
  }

  async update(
    actor: AuthUser,
    id: string,
    dto: UpdateConversationDto,
  ): Promise<ConversationResponse> {
    if (
      dto.title === undefined &&
      dto.is_archived === undefined &&
      dto.current_message_id === undefined &&
      dto.model === undefined
    ) {
      throw AppError.validation([fieldIssue('body', 'issue.nothing_to_update_conversation')]);
    }
    // An unknown model refuses the whole update, before anything changes.
    if (dto.model !== undefined) this.models.require(dto.model);
    // The switch first: a message not of this conversation refuses the whole update.
    if (dto.current_message_id !== undefined)
      await this.switchBranch(actor, id, dto.current_message_id);
    return this.applyOwned(actor, id, {
      title: dto.title,
      // A rename is the user's: an automatic title still to come leaves it alone.
      titleSource: dto.title === undefined ? undefined : 'user',
      isArchived: dto.is_archived,
      model: dto.model,
    });
  }

  /**
   * Makes the branch through the message current (down its newest children to a leaf) and
   * tells every socket of the user.
   */
  private async switchBranch(actor: AuthUser, id: string, messageId: string): Promise<void> {
    const switched = await this.conversations.switchBranch(id, actor.id, messageId.toLowerCase());
    if (!switched) throw AppError.notFound();
    if (!switched.conversation) {
      throw new AppError('RESOURCE_NOT_FOUND', 'error.not_found', {
        field: 'current_message_id',
        id: messageId,
      });
    }
    await this.branchChanged(actor, switched.conversation);
  }

  /** Tells every socket of the user, on every replica, which branch is current now. */
  private branchChanged(actor: AuthUser, conversation: ConversationEntity): Promise<void> {
    return this.updates.publish(actor.id, conversation.id, {
      currentMessageId: conversation.currentMessageId,
    });
  }

  async setArchived(actor: AuthUser, id: string, isArchived: boolean): Promise<null> {
    await this.applyOwned(actor, id, { isArchived });
    return null;
  }

  /**
   * Deletes the conversation and stops its running replies, wherever they run: the provider
   * call is aborted and only what was produced is billed. Files used only in it go too.
   */
  async delete(actor: AuthUser, id: string): Promise<null> {
    const deleted = await this.conversations.deleteOwned(id, actor.id);
    if (!deleted) throw AppError.notFound();
    await Promise.all([
      ...deleted.streaming.map((messageId) => this.bus.publish('generation.stop', { messageId })),
      this.files.removeBytes(deleted.files),
    ]);
    return null;
  }

  private async applyOwned(
    actor: AuthUser,
    id: string,
    changes: { title?: string; titleSource?: TitleSource; isArchived?: boolean; model?: string },
  ): Promise<ConversationResponse> {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const updated = await this.conversations.updateOwned(id, actor.id, defined);
    if (!updated) throw AppError.notFound();
    // Every tab of the user shows the new name (WebSocket conversation_updated).
    if (changes.title !== undefined) {
      await this.updates.publish(actor.id, id, { title: updated.title });
    }
    const last = updated.currentMessageId
      ? await this.messages.findById(updated.currentMessageId)
      : null;
    return toConversationResponse(
      updated,
      last ? { content: last.content, role: last.role, createdAt: last.createdAt } : null,
    );
  }
}
