import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, IsUUID, ValidateIf } from 'class-validator';
import { QueryBoolean, QueryInt } from '../../../common/validation/query';
import { CodePointLength, MaxCodePoints, NoNulCharacter } from '../../../common/validation/text';
import { MAX_SYSTEM_MESSAGE_CHARS } from '../conversation.entity';

const trim = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value,
);

export class ListConversationsQueryDto {
  @ApiPropertyOptional({ default: 1 })
  @QueryInt(1, 1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ default: 20 })
  @QueryInt(1, 100)
  size: number = 20;

  /** false (default) leaves archived conversations out; true includes them. */
  @ApiPropertyOptional({
    default: false,
    description: 'false leaves archived conversations out; true includes them.',
  })
  @QueryBoolean()
  archived: boolean = false;

  @ApiPropertyOptional({
    type: String,
    maxLength: 200,
    description: 'Matches the title and message text, case-insensitive.',
  })
  @IsOptional()
  @IsString()
  @MaxCodePoints(200)
  @NoNulCharacter()
  search?: string;
}

export class CreateConversationDto {
  @ApiPropertyOptional({
    type: String,
    description:
      'Trimmed; default "New conversation", which the first reply replaces with a short automatic title (unless AUTO_TITLE=false or the user renames it first).',
    example: 'Trip planning',
  })
  @IsOptional()
  @trim
  @IsString()
  @CodePointLength(1, 200)
  @NoNulCharacter()
  title?: string;

  @ApiPropertyOptional({
    type: String,
    minLength: 1,
    maxLength: 100,
    description: 'One of GET /models (422 otherwise); default from the configuration.',
    example: 'gpt-3.5-turbo',
  })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 100)
  model?: string;

  @ApiPropertyOptional({ type: String, maxLength: MAX_SYSTEM_MESSAGE_CHARS })
  @IsOptional()
  @IsString()
  @MaxCodePoints(MAX_SYSTEM_MESSAGE_CHARS)
  @NoNulCharacter()
  system_message?: string;
}

export class UpdateConversationDto {
  @ApiPropertyOptional({ type: String, description: 'Trimmed.' })
  @ValidateIf((o: UpdateConversationDto) => o.title !== undefined)
  @trim
  @IsString()
  @CodePointLength(1, 200)
  @NoNulCharacter()
  title?: string;

  @ApiPropertyOptional({ type: Boolean })
  @ValidateIf((o: UpdateConversationDto) => o.is_archived !== undefined)
  @IsBoolean()
  is_archived?: boolean;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    description:
      'Switches branch: a message of this conversation (404 otherwise). The current branch then ' +
      'runs through it and on down the newest child at each level; current_message_id names that leaf.',
  })
  @ValidateIf((o: UpdateConversationDto) => o.current_message_id !== undefined)
  @IsString()
  @IsUUID()
  current_message_id?: string;

  @ApiPropertyOptional({
    type: String,
    minLength: 1,
    maxLength: 100,
    description:
      'Switches the model of later replies: one of GET /models (422 otherwise). The way on for a ' +
      'conversation whose model has left the catalog (its sends answer 422 until then).',
    example: 'gpt-4',
  })
  @ValidateIf((o: UpdateConversationDto) => o.model !== undefined)
  @IsString()
  @CodePointLength(1, 100)
  model?: string;
}
