import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { PaginationModel } from '../../../common/openapi/pagination.model';
import {
  MESSAGE_ROLES,
  MESSAGE_STATUSES,
  type MessageRole,
  type MessageStatus,
} from '../message.entity';
import type { MessageAttachment } from '../message-attachment';
import type { MessageResponse } from './message.response';

@ApiSchema({ name: 'MessageAttachment', description: 'A file a message carries (API.md §10).' })
export class MessageAttachmentModel implements MessageAttachment {
  @ApiProperty({ type: String, format: 'uuid', description: 'The file id (GET /files/{id}).' })
  id!: string;

  @ApiProperty({ type: String })
  filename!: string;

  @ApiProperty({ type: String, example: 'application/pdf' })
  content_type!: string;

  @ApiProperty({ type: 'integer', minimum: 1 })
  size!: number;

  @ApiProperty({ type: String, enum: ['image', 'document', 'text'] })
  kind!: MessageAttachment['kind'];

  @ApiProperty({
    type: Boolean,
    description: 'The file was deleted since; the message keeps these fields.',
  })
  deleted!: boolean;
}

@ApiSchema({ name: 'Message' })
export class MessageModel implements MessageResponse {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, format: 'uuid' })
  conversation_id!: string;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'The message this one follows in the conversation tree (a reply: its user message); null for a root.',
  })
  parent_id!: string | null;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: '1-based place, in creation order, among the messages with the same parent.',
  })
  sibling_index!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'How many messages have the same parent (this one included).',
  })
  sibling_count!: number;

  @ApiProperty({ type: String, enum: [...MESSAGE_ROLES] })
  role!: MessageRole;

  @ApiProperty({ type: String })
  content!: string;

  @ApiProperty({
    type: String,
    enum: [...MESSAGE_STATUSES],
    description: 'streaming while a reply is generated; stopped keeps the partial text.',
  })
  status!: MessageStatus;

  @ApiProperty({ type: String, nullable: true, description: 'The model of an assistant reply.' })
  model!: string | null;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: "A reply's completion tokens; a user message's own token count.",
  })
  tokens_used!: number;

  @ApiProperty({
    type: () => [MessageAttachmentModel],
    description: 'The files a user message carries, in order (empty for replies).',
  })
  attachments!: MessageAttachmentModel[];

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updated_at!: string;
}

@ApiSchema({ name: 'MessageList' })
export class MessageListModel {
  @ApiProperty({ type: () => [MessageModel] })
  messages!: MessageModel[];

  @ApiProperty({ type: () => PaginationModel })
  pagination!: PaginationModel;
}
