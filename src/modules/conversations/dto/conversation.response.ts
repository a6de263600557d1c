import type { MessageEntity } from '../../messages/message.entity';
import { MessageResponse, toMessageResponse } from '../../messages/dto/message.response';
import type { ConversationEntity } from '../conversation.entity';
import type { LastMessage } from '../conversations.repository';

export interface ConversationResponse {
  id: string;
  title: string;
  model: string;
  system_message: string | null;
  current_message_id: string | null;
  message_count: number;
  is_archived: boolean;
  created_at: string;
  updated_at: string;
  last_message: { content: string; role: string; created_at: string } | null;
}

export interface ConversationDetailResponse extends ConversationResponse {
  messages: MessageResponse[];
}

export function toConversationResponse(
  c: ConversationEntity,
  last: LastMessage | null,
): ConversationResponse {
  return {
    id: c.id,
    title: c.title,
    model: c.model,
    system_message: c.systemMessage,
    current_message_id: c.currentMessageId,
    message_count: c.messageCount,
    is_archived: c.isArchived,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    last_message: last
      ? { content: last.content, role: last.role, created_at: last.createdAt.toISOString() }
      : null,
  };
}

export function toConversationDetail(
  c: ConversationEntity,
  messages: MessageEntity[],
): ConversationDetailResponse {
  const last = messages.at(-1);
  return {
    ...toConversationResponse(
      c,
      last ? { content: last.content, role: last.role, createdAt: last.createdAt } : null,
    ),
    messages: messages.map(toMessageResponse),
  };
}
