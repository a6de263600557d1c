import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { PaginationModel } from '../../../common/openapi/pagination.model';
import { MESSAGE_ROLES } from '../../messages/message.entity';
import { MessageModel } from '../../messages/dto/message.model';
import type { ConversationDetailResponse, ConversationResponse } from './conversation.response';

@ApiSchema({ name: 'LastMessage' })
export class LastMessageModel {
  @ApiProperty({ type: String })
  content!: string;

  @ApiProperty({ type: String, enum: [...MESSAGE_ROLES] })
  role!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;
}

@ApiSchema({ name: 'Conversation' })
export class ConversationModel implements ConversationResponse {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, maxLength: 200 })
  title!: string;

  @ApiProperty({ type: String, example: 'gpt-3.5-turbo' })
  model!: string;

  @ApiProperty({ type: String, nullable: true })
  system_message!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'The last message of the current branch (messages lists root → this one); null when empty.',
  })
  current_message_id!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Every message, all branches.' })
  message_count!: number;

  @ApiProperty({ type: Boolean })
  is_archived!: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'Last activity.' })
  updated_at!: string;

  @ApiProperty({ type: () => LastMessageModel, nullable: true })
  last_message!: LastMessageModel | null;
}

@ApiSchema({
  name: 'ConversationDetail',
  description: 'A conversation with the messages of its current branch, oldest first.',
})
export class ConversationDetailModel
  extends ConversationModel
  implements ConversationDetailResponse
{
  @ApiProperty({ type: () => [MessageModel] })
  messages!: MessageModel[];
}

@ApiSchema({ name: 'ConversationList' })
export class ConversationListModel {
  @ApiProperty({ type: () => [ConversationModel], description: 'Newest activity first.' })
  conversations!: ConversationModel[];

  @ApiProperty({ type: () => PaginationModel })
  pagination!: PaginationModel;
}
