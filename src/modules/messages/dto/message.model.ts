import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { PaginationModel } from '../../../common/openapi/pagination.model';
import {
  MESSAGE_ROLES,
  MESSAGE_STATUSES,
  type MessageRole,
  type MessageStatus,
} from '../message.entity';
import type { MessageResponse } from './message.response';

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
    description: "An assistant reply's user message.",
  })
  parent_id!: string | null;

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
