import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString } from 'class-validator';
import { QueryInt } from '../../../common/validation/query';
import { CodePointLength, NoNulCharacter } from '../../../common/validation/text';
import { MAX_USER_MESSAGE_CHARS } from '../message.entity';

export class ListMessagesQueryDto {
  @ApiPropertyOptional({ default: 1 })
  @QueryInt(1, 1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ default: 50 })
  @QueryInt(1, 100)
  size: number = 50;

  @ApiPropertyOptional({ type: String, enum: ['asc', 'desc'], default: 'desc' })
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'desc';

  @ApiPropertyOptional({
    type: String,
    enum: ['current', 'all'],
    default: 'current',
    description:
      'current: the current branch (root → current_message_id); all: every message of the tree.',
  })
  @IsIn(['current', 'all'])
  branch: 'current' | 'all' = 'current';
}

export class UpdateMessageDto {
  @ApiProperty({ type: String })
  @IsString()
  @CodePointLength(1, MAX_USER_MESSAGE_CHARS)
  @NoNulCharacter()
  content!: string;
}
