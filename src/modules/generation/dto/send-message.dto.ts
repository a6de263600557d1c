import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';
import { CodePointLength, NoNulCharacter } from '../../../common/validation/text';
import { MAX_USER_MESSAGE_CHARS } from '../../messages/message.entity';

/** POST …/messages and …/messages/stream (API.md §5); the same rules apply over WebSocket. */
export class SendMessageDto {
  @IsString()
  @CodePointLength(1, MAX_USER_MESSAGE_CHARS)
  @NoNulCharacter()
  content!: string;

  /** Only users send messages; a client cannot inject system or assistant turns. */
  @IsOptional()
  @IsIn(['user'])
  role?: 'user';

  @IsOptional()
  @IsString()
  @Length(1, 100)
  model?: string;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  /** Checked against the model's limit by the service. */
  @IsOptional()
  @IsInt()
  @Min(1)
  max_tokens?: number;

  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}
