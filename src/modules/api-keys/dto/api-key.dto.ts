import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { CodePointLength, NoNulCharacter } from '../../../common/validation/text';
import { MAX_API_KEY_NAME_CHARS } from '../api-key.entity';

/** Longest lifetime a key may be given, in days. */
export const MAX_API_KEY_DAYS = 3650;

export class CreateApiKeyDto {
  @ApiProperty({
    type: String,
    minLength: 1,
    maxLength: MAX_API_KEY_NAME_CHARS,
    description: 'What the key is for (trimmed), shown in the list.',
    example: 'nightly-report script',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @CodePointLength(1, MAX_API_KEY_NAME_CHARS)
  @NoNulCharacter()
  name!: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_API_KEY_DAYS,
    description: 'The key stops working this many days from now; without it, it never expires.',
    example: 90,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_API_KEY_DAYS)
  expires_in_days?: number;
}
