import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Length, MaxLength, ValidateIf } from 'class-validator';
import { QueryBoolean, QueryInt } from '../../../common/validation/query';
import { CodePointLength, NoNulCharacter } from '../../../common/validation/text';

const trim = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value,
);

export class ListConversationsQueryDto {
  @QueryInt(1, 1_000_000)
  page: number = 1;

  @QueryInt(1, 100)
  size: number = 20;

  /** false (default) leaves archived conversations out; true includes them. */
  @QueryBoolean()
  archived: boolean = false;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  @NoNulCharacter()
  search?: string;
}

export class CreateConversationDto {
  @IsOptional()
  @trim
  @IsString()
  @CodePointLength(1, 200)
  @NoNulCharacter()
  title?: string;

  @IsOptional()
  @IsString()
  @Length(1, 100)
  model?: string;

  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  @NoNulCharacter()
  system_message?: string;
}

export class UpdateConversationDto {
  @ValidateIf((o: UpdateConversationDto) => o.title !== undefined)
  @trim
  @IsString()
  @CodePointLength(1, 200)
  @NoNulCharacter()
  title?: string;

  @ValidateIf((o: UpdateConversationDto) => o.is_archived !== undefined)
  @IsBoolean()
  is_archived?: boolean;
}
