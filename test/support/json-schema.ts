/**
 * A small JSON Schema checker for the subset our documents emit (OpenAPI 3.0 schemas and
 * AsyncAPI's JSON Schema): $ref (local JSON pointers), allOf/oneOf/anyOf, type (a name or a
 * list; OpenAPI's `nullable`), enum, const, format (date-time, uuid, email), string lengths
 * (code points), minimum/maximum, required, properties, additionalProperties, items.
 *
 * Strict by default: a property the schema does not list is an error unless the schema
 * allows more (`additionalProperties`), so an undocumented field in an answer is caught.
 */

type Schema = Record<string, unknown>;

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function resolvePointer(root: unknown, ref: string): Record<string, any> {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) {
      throw new Error(`unresolvable $ref ${ref}`);
    }
    node = (node as Record<string, unknown>)[key];
  }
  return node as Schema;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

/** Properties a schema declares, through allOf and $ref (for the strictness check). */
function declaredProperties(schema: Schema, root: unknown, seen = new Set<Schema>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(schema)) return out;
  seen.add(schema);
  if (typeof schema.$ref === 'string') {
    for (const p of declaredProperties(resolvePointer(root, schema.$ref), root, seen)) out.add(p);
  }
  for (const key of Object.keys((schema.properties as Schema | undefined) ?? {})) out.add(key);
  for (const part of (schema.allOf as Schema[] | undefined) ?? []) {
    for (const p of declaredProperties(part, root, seen)) out.add(p);
  }
  return out;
}

function allowsMore(schema: Schema, root: unknown): boolean {
  if (schema.additionalProperties !== undefined) return schema.additionalProperties !== false;
  if (typeof schema.$ref === 'string') return allowsMore(resolvePointer(root, schema.$ref), root);
  return ((schema.allOf as Schema[] | undefined) ?? []).some(
    (part) => part.additionalProperties !== undefined && part.additionalProperties !== false,
  );
}

export interface ValidateOptions {
  /** Undocumented properties are errors unless `additionalProperties` allows them (default true). */
  strict?: boolean;
  /** Internal: this level is one part of an allOf (strictness is judged on the whole). */
  partOfAllOf?: boolean;
}

/** The problems of `value` against `schema` ([] when it conforms). */
export function validateSchema(
  schema: Schema,
  value: unknown,
  root: unknown,
  options: ValidateOptions = {},
  path = '$',
): string[] {
  const strict = (options.strict ?? true) && !options.partOfAllOf;
  const inner = { strict: options.strict };
  const errors: string[] = [];
  const fail = (message: string) => errors.push(`${path}: ${message}`);

  if (typeof schema.$ref === 'string') {
    return validateSchema(resolvePointer(root, schema.$ref), value, root, options, path);
  }
  if (value === null && schema.nullable === true) return [];

  for (const part of (schema.allOf as Schema[] | undefined) ?? []) {
    // Each part is checked for its own rules; strictness is judged on the whole schema below.
    errors.push(...validateSchema(part, value, root, { ...options, partOfAllOf: true }, path));
  }
  if (Array.isArray(schema.oneOf)) {
    const passing = (schema.oneOf as Schema[]).filter(
      (part) => validateSchema(part, value, root, inner, path).length === 0,
    ).length;
    if (passing !== 1) fail(`matches ${passing} of oneOf, expected exactly 1`);
  }
  if (Array.isArray(schema.anyOf)) {
    const passing = (schema.anyOf as Schema[]).some(
      (part) => validateSchema(part, value, root, inner, path).length === 0,
    );
    if (!passing) fail('matches none of anyOf');
  }

  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(t, actual))) {
      fail(`expected ${types.join('|')}, got ${actual} (${JSON.stringify(value)})`);
      return errors;
    }
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    fail(`expected const ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
    fail(`${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }

  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength) {
      fail(`shorter than ${schema.minLength}`);
    }
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) {
      fail(`longer than ${schema.maxLength}`);
    }
    if (schema.format === 'date-time' && !ISO_DATE_TIME.test(value)) fail('not a date-time');
    if (schema.format === 'uuid' && !UUID.test(value)) fail('not a uuid');
    if (schema.format === 'email' && !EMAIL.test(value)) fail('not an e-mail');
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      fail(`does not match ${schema.pattern}`);
    }
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail(`< ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail(`> ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) =>
      errors.push(...validateSchema(schema.items as Schema, item, root, inner, `${path}[${i}]`)),
    );
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in object)) fail(`missing required property ${key}`);
    }
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, item] of Object.entries(object)) {
      if (properties[key]) {
        errors.push(...validateSchema(properties[key], item, root, inner, `${path}.${key}`));
      } else if (typeof schema.additionalProperties === 'object') {
        errors.push(
          ...validateSchema(
            schema.additionalProperties as Schema,
            item,
            root,
            inner,
            `${path}.${key}`,
          ),
        );
      }
    }
    const describesObject = schema.properties !== undefined || Array.isArray(schema.allOf);
    if (strict && describesObject && !allowsMore(schema, root)) {
      const known = declaredProperties(schema, root);
      for (const key of Object.keys(object)) {
        if (!known.has(key)) fail(`undocumented property ${key}`);
      }
    }
  }
  return errors;
}
