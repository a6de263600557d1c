import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ValidateBy, ValidationArguments } from 'class-validator';

/**
 * Length in Unicode code points: what PostgreSQL's varchar(n) and char_length() count, and
 * what JSON Schema's minLength/maxLength count. The one length rule of every text field
 * (bodies, queries, WebSocket frames) and of every CHECK in the database. Not UTF-16 units
 * (`string.length`: an emoji is 2) and not graphemes (a family of four is 1 grapheme but 7 code points).
 */
export function codePointLength(text: string): number {
  let n = text.length;
  // Each surrogate pair is one code point in two units (lone surrogates never get this far:
  // the validation pipe refuses them).
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const codePoints = codePointLength;

/**
 * The length rule of every text field: counted as the database counts. class-validator's
 * Length/MaxLength leave U+FE0E/U+FE0F out of their count (and String#length counts UTF-16
 * units), so a text they accept could overflow a column or its CHECK, or two fields of the same
 * limit could disagree (issue 13). Named isLength so its issue is translated like Length's.
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
 * At most `max` code points (CodePointLength without a lower bound). Named maxLength so its
 * issue is translated, and its bound documented, like MaxLength's.
 */
export function MaxCodePoints(max: number): PropertyDecorator {
  const validator = ValidateBy({
    name: 'maxLength',
    constraints: [max],
    validator: {
      validate: (value: unknown) => typeof value === 'string' && codePoints(value) <= max,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property} must be shorter than or equal to ${max} characters`,
    },
  });
  return applyDecorators(validator, ApiProperty({ maxLength: max }));
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
