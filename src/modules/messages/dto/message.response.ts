import type { MessageAttachment } from '../message-attachment';
import type { MessageEntity, MessageRole, MessageStatus } from '../message.entity';

export interface MessageResponse {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  sibling_index: number;
  sibling_count: number;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  model: string | null;
  tokens_used: number;
  attachments: MessageAttachment[];
  created_at: string;
  updated_at: string;
}

export function toMessageResponse(m: MessageEntity): MessageResponse {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    parent_id: m.parentId,
    // Every reader sets them (a new message is the newest of its siblings when stored).
    sibling_index: m.siblingIndex ?? 1,
    sibling_count: m.siblingCount ?? 1,
    role: m.role,
    content: m.content,
    status: m.status,
    model: m.model,
    tokens_used: m.tokensUsed,
    attachments: m.attachments ?? [],
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
  };
}
