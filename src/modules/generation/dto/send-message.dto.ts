import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { CodePointLength, NoNulCharacter } from '../../../common/validation/text';
import { MAX_USER_MESSAGE_CHARS } from '../../messages/message.entity';

/** Files one message may carry (API.md §10). */
export const MAX_ATTACHMENTS = 10;

/** POST …/messages and …/messages/stream (API.md §5); the same rules apply over WebSocket. */
export class SendMessageDto {
  @ApiProperty({ type: String, example: 'Hello, world!' })
  @IsString()
  @CodePointLength(1, MAX_USER_MESSAGE_CHARS)
  @NoNulCharacter()
  content!: string;

  /** Only users send messages; a client cannot inject system or assistant turns. */
  @ApiPropertyOptional({ type: String, enum: ['user'], default: 'user' })
  @IsOptional()
  @IsIn(['user'])
  role?: 'user';

  @ApiPropertyOptional({
    type: String,
    minLength: 1,
    maxLength: 100,
    description: "One of GET /models; overrides the conversation's model for this reply.",
  })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 100)
  model?: string;

  @ApiPropertyOptional({ type: Number, minimum: 0, maximum: 2, example: 0.7 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  /** Checked against the model's limit by the service. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: "At most the model's max_tokens (422 otherwise).",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  max_tokens?: number;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: MAX_ATTACHMENTS,
    uniqueItems: true,
    description:
      'Ids of own files (POST /files) the model is given with this message: images as images, documents as their text.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  attachments?: string[];

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'The message the new one follows (API.md §11): a message of this conversation (404 ' +
      'otherwise), null for a new root; absent, the current branch is followed ' +
      '(current_message_id). An edit-and-resend names the edited message’s parent.',
  })
  @ValidateIf((dto: SendMessageDto) => dto.parent_id !== undefined && dto.parent_id !== null)
  @IsString()
  @IsUUID()
  parent_id?: string | null;

  @ApiPropertyOptional({
    type: Boolean,
    description: 'On POST …/messages: answer with the event stream instead of the whole reply.',
  })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}

/** POST /messages/{id}/regenerate (API.md §11): the send's call settings, all optional. */
export class RegenerateMessageDto extends PickType(SendMessageDto, [
  'model',
  'temperature',
  'max_tokens',
  'stream',
] as const) {}
