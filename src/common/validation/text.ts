import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ValidateBy, ValidationArguments } from 'class-validator';

/** Length in Unicode code points: what PostgreSQL's varchar(n) and char_length() count. */
const codePoints = (text: string): number => [...text].length;

/**
 * Like class-validator's Length, but counted as the database counts. Length leaves U+FE0E/U+FE0F
 * out of its count, so a text it accepts could still overflow the column or its CHECK (a 500).
 * Named isLength so its issue is translated like Length's.
 */
export function CodePointLength(min: number, max: number): PropertyDecorator {
  const validator = ValidateBy({
    name: 'isLength',
    constraints: [min, max],
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && codePoints(value) >= min && codePoints(value) <= max,
      defaultMessage: (args?: ValidationArguments) =>
        typeof args?.value === 'string' && codePoints(args.value) < min
          ? `${args.property} must be longer than or equal to ${min} characters`
          : `${args?.property} must be shorter than or equal to ${max} characters`,
    },
  });
  // Documented as the same bounds (code points, which is what JSON Schema's lengths count).
  return applyDecorators(validator, ApiProperty({ minLength: min, maxLength: max }));
}

/**
 * PostgreSQL text cannot hold U+0000: refused here rather than failing in the database (a 500).
 * Named matches so its issue is translated like a pattern mismatch.
 */
export function NoNulCharacter(): PropertyDecorator {
  return ValidateBy({
    name: 'matches',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'),
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property} must not contain the NUL character (U+0000)`,
    },
  });
}
