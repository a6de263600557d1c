import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import { CodePointLength } from '../validation/text';
import { AppError, FieldIssue } from '../errors/app-error';
import { AppValidationPipe, toFieldIssues, translateConstraint } from './validation';
import { httpStatusOf } from '../errors/error-codes';

const CJK = /[\u4e00-\u9fff]/;

class InnerDto {
  @IsString()
  @CodePointLength(1, 5)
  name!: string;
}

class SampleBodyDto {
  @IsString()
  @CodePointLength(3, 10)
  title!: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2)
  level?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => InnerDto)
  inner?: InnerDto;
}

class SampleQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page?: number;
}

const body: ArgumentMetadata = { type: 'body', metatype: SampleBodyDto };
const query: ArgumentMetadata = { type: 'query', metatype: SampleQueryDto };

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the pipe to reject');
}

/** Every field named by the error's details, in both shapes the contract allows. */
function fieldsOf(error: AppError): string[] {
  const details = error.details as { field?: string; fields?: FieldIssue[] };
  if (details.fields) return details.fields.map((f) => f.field);
  return details.field ? [details.field] : [];
}

describe(AppValidationPipe.name, () => {
  const pipe = new AppValidationPipe();

  it('returns an instance of the DTO for a valid body', async () => {
    const out = await pipe.transform({ title: 'hello', level: 1, inner: { name: 'x' } }, body);
    expect(out).toBeInstanceOf(SampleBodyDto);
    expect((out as SampleBodyDto).inner).toBeInstanceOf(InnerDto);
    expect(out).toEqual({ title: 'hello', level: 1, inner: { name: 'x' } });
  });

  it('answers a body that breaks a rule with 422 VALIDATION_ERROR naming the field', async () => {
    const error = await rejection(pipe.transform({ title: 'ab' }, body));
    expect(httpStatusOf(error.code, error.variant)).toBe(422);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details).toMatchObject({ field: 'title', constraint: 'isLength' });
  });

  it('lists several invalid fields, each once (first broken rule), with the first one also at the top', async () => {
    const error = await rejection(pipe.transform({ title: 5, level: 9 }, body));
    expect(httpStatusOf(error.code, error.variant)).toBe(422);
    expect(fieldsOf(error).sort()).toEqual(['level', 'title']);
    const details = error.details as { field: string; fields: FieldIssue[] };
    expect(details.field).toBe(details.fields[0].field);
  });

  it('names nested fields by their path', async () => {
    const error = await rejection(
      pipe.transform({ title: 'hello', inner: { name: 'far too long' } }, body),
    );
    expect(httpStatusOf(error.code, error.variant)).toBe(422);
    expect(fieldsOf(error)).toEqual(['inner.name']);
  });

  it('rejects a missing required field with 422', async () => {
    const error = await rejection(pipe.transform({}, body));
    expect(httpStatusOf(error.code, error.variant)).toBe(422);
    expect(fieldsOf(error)).toContain('title');
  });

  it('rejects an unknown field with a whitelistValidation issue naming it, and 422', async () => {
    const error = await rejection(pipe.transform({ title: 'hello', is_admin: true }, body));
    expect(httpStatusOf(error.code, error.variant)).toBe(422);
    expect(error.details).toMatchObject({ field: 'is_admin', constraint: 'whitelistValidation' });
  });

  it.each<[string, unknown]>([
    ['an array', [{ title: 'hello' }]],
    ['a string', 'hello'],
    ['a number', 42],
    ['null', null],
  ])('answers %s as the body with 400', async (_, value) => {
    const error = await rejection(pipe.transform(value, body));
    expect(httpStatusOf(error.code, error.variant)).toBe(400);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(fieldsOf(error)).toEqual(['body']);
  });

  it('treats no body at all as an empty one: 422 for a missing field, the DTO when nothing is required', async () => {
    const error = await rejection(pipe.transform(undefined, body));
    expect(httpStatusOf(error.code, error.variant)).toBe(422);
    expect(fieldsOf(error)).toContain('title');

    const out = await pipe.transform(undefined, { type: 'body', metatype: SampleQueryDto });
    expect(out).toBeInstanceOf(SampleQueryDto);
  });

  it('refuses U+0000 anywhere in a body (422) or a query (400), naming the field', async () => {
    const inBody = await rejection(
      pipe.transform({ title: 'hello', inner: { name: 'a\u0000b' } }, body),
    );
    expect(httpStatusOf(inBody.code, inBody.variant)).toBe(422);
    expect(inBody.details).toMatchObject({ field: 'inner.name' });
    const inQuery = await rejection(
      pipe.transform({ search: 'x\u0000' }, { type: 'query', metatype: SampleQueryDto }),
    );
    expect(httpStatusOf(inQuery.code, inQuery.variant)).toBe(400);
    expect(inQuery.details).toMatchObject({ field: 'search' });
  });

  it('answers a query parameter of the wrong type with 400, not 422', async () => {
    const error = await rejection(pipe.transform({ page: 'abc' }, query));
    expect(httpStatusOf(error.code, error.variant)).toBe(400);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(new Set(fieldsOf(error))).toEqual(new Set(['page']));
  });

  it('answers an out-of-range or unknown query parameter with 400', async () => {
    const outOfRange = await rejection(pipe.transform({ page: '0' }, query));
    expect(httpStatusOf(outOfRange.code, outOfRange.variant)).toBe(400);
    const unknown = await rejection(pipe.transform({ sort: 'x' }, query));
    expect(httpStatusOf(unknown.code, unknown.variant)).toBe(400);
    expect(fieldsOf(unknown)).toEqual(['sort']);
  });

  it('converts a valid query to the DTO with typed values', async () => {
    const out = await pipe.transform({ page: '3' }, query);
    expect(out).toBeInstanceOf(SampleQueryDto);
    expect((out as SampleQueryDto).page).toBe(3);
  });

  it('leaves primitive parameters alone', async () => {
    expect(await pipe.transform('abc', { type: 'param', metatype: String, data: 'id' })).toBe(
      'abc',
    );
  });

  it('does not echo the rejected value back in the issue details', async () => {
    const secret = 'x'.repeat(20) + 'SECRET';
    const error = await rejection(pipe.transform({ title: secret }, body));
    expect(JSON.stringify(error.details)).not.toContain('SECRET');
  });
});

describe(toFieldIssues.name, () => {
  it('keeps one issue per broken constraint, with its field and English text', () => {
    const issues = toFieldIssues([
      {
        property: 'title',
        constraints: { isString: 'title must be a string', isLength: 'title too short' },
        children: [],
      },
    ]);
    expect(issues).toEqual([
      { field: 'title', constraint: 'isString', issue: 'title must be a string' },
      { field: 'title', constraint: 'isLength', issue: 'title too short' },
    ]);
  });
});

describe(translateConstraint.name, () => {
  const issue = (
    constraint: string | undefined,
    english: string,
    field = 'username',
  ): FieldIssue => ({
    field,
    issue: english,
    constraint,
  });

  it('translates a length rule into Chinese, keeping the field and the number', () => {
    const zh = translateConstraint(
      issue('isLength', 'username must be longer than or equal to 3 characters'),
    );
    expect(zh).toMatch(CJK);
    expect(zh).toContain('username');
    expect(zh).toContain('3');
    expect(zh).not.toContain('longer');
  });

  it('tells a too-long value from a too-short one', () => {
    const tooShort = translateConstraint(
      issue('isLength', 'username must be longer than or equal to 3 characters'),
    );
    const tooLong = translateConstraint(
      issue('isLength', 'username must be shorter than or equal to 50 characters'),
    );
    expect(tooLong).toContain('50');
    expect(tooLong).not.toContain('3');
    expect(tooLong.replace('50', '3')).not.toBe(tooShort);
  });

  it.each([
    'whitelistValidation',
    'isEmail',
    'isString',
    'min',
    'max',
    'match',
    'matches',
    'isInt',
  ])('translates %s', (constraint) => {
    const zh = translateConstraint(issue(constraint, 'some english text 5', 'field_x'));
    expect(zh).toMatch(CJK);
    expect(zh).toContain('field_x');
  });

  it('carries the bound of min/max over', () => {
    expect(
      translateConstraint(issue('max', 'level must not be greater than 2', 'level')),
    ).toContain('2');
    expect(translateConstraint(issue('min', 'page must not be less than 1', 'page'))).toContain(
      '1',
    );
  });

  it('keeps the English text for a constraint it does not know, or none', () => {
    expect(translateConstraint(issue('someCustomRule', 'custom english'))).toBe('custom english');
    expect(translateConstraint(issue(undefined, 'plain english'))).toBe('plain english');
  });
});
