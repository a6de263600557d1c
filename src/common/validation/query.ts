import { applyDecorators } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** An optional positive integer query parameter within [min, max]. */
export const QueryInt = (min: number, max: number) =>
  applyDecorators(IsOptional(), Type(() => Number), IsInt(), Min(min), Max(max));

/** An optional boolean query parameter: only the strings true/false (or 1/0). */
export const QueryBoolean = () =>
  applyDecorators(
    IsOptional(),
    Transform(({ value }: { value: unknown }) => {
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      return value;
    }),
    IsBoolean(),
  );
