import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, FieldIssue, fieldIssue } from '../errors/app-error';

/** Chinese phrasing of class-validator constraints; numbers are carried over from the English text. */
const ZH_CONSTRAINTS: Record<string, (numbers: string[], english: string) => string> = {
  isString: () => '必须是字符串',
  isEmail: () => '必须是有效的邮箱地址',
  isNotEmpty: () => '不能为空',
  isDefined: () => '为必填项',
  whitelistValidation: () => '是不允许的字段',
  isBoolean: () => '必须是布尔值',
  isInt: () => '必须是整数',
  isNumber: () => '必须是数字',
  isUuid: () => '必须是 UUID',
  isIn: () => '必须是允许的值之一',
  isEnum: () => '必须是允许的值之一',
  matches: () => '格式不正确',
  min: (n) => `不能小于 ${n[0]}`,
  max: (n) => `不能大于 ${n[0]}`,
  isLength: (n, en) =>
    en.includes('shorter') ? `长度不能超过 ${n[0]} 个字符` : `长度至少为 ${n[0]} 个字符`,
  minLength: (n) => `长度至少为 ${n[0]} 个字符`,
  maxLength: (n) => `长度不能超过 ${n[0]} 个字符`,
  match: () => '与所确认的密码不一致',
};

function flatten(
  errors: ValidationError[],
  prefix = '',
): { field: string; constraint: string; english: string }[] {
  const out: { field: string; constraint: string; english: string }[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    for (const [constraint, english] of Object.entries(error.constraints ?? {})) {
      out.push({ field, constraint, english });
    }
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/**
 * Turns class-validator output into field issues. The issue text is English here; the error
 * filter translates it (it knows the request's language) through `translateIssue`.
 */
export function toFieldIssues(errors: ValidationError[]): FieldIssue[] {
  return flatten(errors).map(({ field, constraint, english }) => ({
    field,
    issue: english,
    constraint,
  }));
}

export function translateConstraint(issue: FieldIssue): string {
  const zh = issue.constraint ? ZH_CONSTRAINTS[issue.constraint] : undefined;
  if (!zh) return issue.issue;
  return `${issue.field} ${zh(issue.issue.match(/\d+/g) ?? [], issue.issue)}`;
}

/** A lone UTF-16 surrogate: not a character, and it makes validators (encodeURI) throw. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

/** The path of the first string PostgreSQL text cannot hold (U+0000, lone surrogates), or null. */
function pathWithNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return unstorable(value) ? path : null;
  if (depth > 32 || value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    if (unstorable(key)) return path ? `${path}.${key}` : key;
    const found = pathWithNul(inner, path ? `${path}.${key}` : key, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/** Deepest nesting a request value may have; no route takes more than a level or two. */
const MAX_DEPTH = 32;

/**
 * The top-level field (or '' for the value itself) under which `value` nests deeper than
 * MAX_DEPTH, or null. Iterative: class-transformer recurses per level, and a 256 KiB body of
 * `[[[[…` overflows its stack (a 500) long before the size cap.
 */
function tooDeep(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return null;
  const stack: [unknown, number, string][] = [[value, 0, '']];
  while (stack.length) {
    const [node, depth, top] = stack.pop()!;
    if (depth > MAX_DEPTH) return top;
    for (const [key, inner] of Object.entries(node as object)) {
      if (inner !== null && typeof inner === 'object') {
        stack.push([inner, depth + 1, depth === 0 && !Array.isArray(node) ? key : top]);
      }
    }
  }
  return null;
}

/**
 * The one global validation pipe: whitelist + forbid unknown fields, transform to DTO classes.
 * A body that breaks a rule is 422; a bad query or path parameter is a malformed request (400).
 */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => AppError.validation(toFieldIssues(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto = typeof metadata.metatype === 'function' && !this.isPrimitiveType(metadata);
    // No body at all (none sent, or a content type the JSON parser does not read) is an empty one.
    if (metadata.type === 'body' && isDto && value === undefined) value = {};
    if (
      metadata.type === 'body' &&
      isDto &&
      (value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw AppError.validation(
        [fieldIssue('body', 'issue.body_not_object')],
        'malformed',
        'error.bad_request',
      );
    }
    const deep = tooDeep(value);
    if (deep !== null) {
      const field = metadata.data ? `${metadata.data}${deep ? `.${deep}` : ''}` : deep || 'body';
      const issue = { field, issue: `${field} is nested more than ${MAX_DEPTH} levels deep` };
      throw metadata.type === 'body'
        ? AppError.validation([issue])
        : AppError.validation([issue], 'malformed', 'error.bad_request');
    }
    const nul = pathWithNul(value, metadata.data ?? '');
    if (nul !== null) {
      // PostgreSQL text cannot hold U+0000: refused for every field of every route, never a 500.
      const issue = {
        field: nul || 'body',
        issue: `${nul || 'body'} must be Unicode text without the NUL character (U+0000)`,
        constraint: 'matches',
      };
      throw metadata.type === 'body'
        ? AppError.validation([issue])
        : AppError.validation([issue], 'malformed', 'error.bad_request');
    }
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (error instanceof AppError && metadata.type !== 'body') {
        throw new AppError(error.code, 'error.bad_request', error.details, 'malformed');
      }
      throw error;
    }
  }

  private isPrimitiveType(metadata: ArgumentMetadata): boolean {
    return [String, Boolean, Number, Array, Object].includes(metadata.metatype as never);
  }
}
