import { IsIn, IsString } from 'class-validator';
import { QueryInt } from '../../../common/validation/query';
import { CodePointLength, NoNulCharacter } from '../../../common/validation/text';
import { MAX_USER_MESSAGE_CHARS } from '../message.entity';

export class ListMessagesQueryDto {
  @QueryInt(1, 1_000_000)
  page: number = 1;

  @QueryInt(1, 100)
  size: number = 50;

  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'desc';
}

export class UpdateMessageDto {
  @IsString()
  @CodePointLength(1, MAX_USER_MESSAGE_CHARS)
  @NoNulCharacter()
  content!: string;
}
