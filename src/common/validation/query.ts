import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** An optional positive integer query parameter within [min, max]. */
export const QueryInt = (min: number, max: number) =>
  applyDecorators(
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(min),
    Max(max),
    ApiPropertyOptional({ type: 'integer', minimum: min, maximum: max }),
  );

/** An optional boolean query parameter: only the strings true/false (or 1/0). */
export const QueryBoolean = () =>
  applyDecorators(
    IsOptional(),
    Transform(({ value }: { value: unknown }) => {
      // Case-insensitive, so clients that print booleans as True/False (Python) work too.
      const text = typeof value === 'string' ? value.toLowerCase() : value;
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      return value;
    }),
    IsBoolean(),
    ApiPropertyOptional({ type: Boolean }),
  );
