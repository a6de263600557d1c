import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Shared pieces of the fault suite (test/fault): the committed OpenAPI document read as a list
 * of operations, JSON-schema → fast-check arbitraries (valid-ish values AND wild ones), and the
 * checks every error answer must pass (envelope, known code, no stack trace, no SQL).
 */

export interface JsonSchema {
  type?: string;
  $ref?: string;
  enum?: unknown[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  default?: unknown;
}

export interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path, e.g. /api/v1/conversations/{id} */
  path: string;
  operationId: string;
  secured: boolean;
  params: Parameter[];
  body?: JsonSchema;
  /** Statuses the document declares for this operation. */
  statuses: Set<number>;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        security?: unknown[];
        parameters?: Parameter[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        responses: Record<string, unknown>;
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
}

export const openapi = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', 'openapi.json'), 'utf8'),
) as OpenApiDoc;

export function deref(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema?.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return openapi.components.schemas[name];
}

/** Every operation the committed document lists: a new route is fuzzed without touching this suite. */
export function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(openapi.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      out.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        operationId: op.operationId,
        secured: Array.isArray(op.security) && op.security.length > 0,
        params: op.parameters ?? [],
        body: deref(op.requestBody?.content['application/json']?.schema),
        statuses: new Set(Object.keys(op.responses).map(Number)),
      });
    }
  }
  return out;
}

/** The error codes of the contract (ErrorBody.code's enum). */
export const ERROR_CODES: readonly string[] = (
  openapi.components.schemas.ErrorBody.properties?.code?.enum ?? []
).map(String);

/** Fields a client must never be able to set through a body (mass assignment). */
export const PRIVILEGED_FIELDS: Record<string, unknown> = {
  is_vip: true,
  role: 'admin',
  is_active: false,
  id: '00000000-0000-4000-8000-000000000001',
  user_id: '00000000-0000-4000-8000-000000000002',
  password_hash: 'x',
  created_at: '2000-01-01T00:00:00Z',
  tokens_used: 0,
  message_count: 999,
};

// ---------------------------------------------------------------------------------------------
// Values

/** Strings a fuzzer should always try: unicode planes, control characters, injection text. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '😀'.repeat(50),
  '𝕳𝖊𝖑𝖑𝖔',
  '聊天助手',
  'ﷺ',
  'a\u0301\u0301\u0301',
  '\u202eevil',
  '\r\n\r\n',
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '%',
  '_',
  '\\',
  ';--',
  '$1',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e309',
  '0x10',
  '__proto__',
  'constructor',
  'x'.repeat(10_001),
  '9'.repeat(400),
];

export const HUGE_NUMBERS = [
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e21,
  1e-7,
];

export const wildString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 3000 }) },
  { weight: 1, arbitrary: fc.uuid() },
);

/** encodeURIComponent that survives lone surrogates (they become U+FFFD, as a browser sends them). */
export function encodePathPart(value: string): string {
  return encodeURIComponent(wellFormed(value));
}

/** Lone surrogates replaced by U+FFFD (String.prototype.toWellFormed, not in this lib target). */
export function wellFormed(value: string): string {
  return value.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '\ufffd',
  );
}

export const wildNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...HUGE_NUMBERS),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, wild leaves included, with a rare deeply nested one. */
export const wildJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: wildString },
  { weight: 3, arbitrary: wildNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/**
 * Deeply nested JSON, as text (a value this deep would overflow fast-check's own printer):
 * arrays or objects, at the top or under a field the routes know.
 */
export const deepJsonText: fc.Arbitrary<string> = fc
  .record({
    depth: fc.integer({ min: 50, max: 20_000 }),
    shape: fc.constantFrom('array', 'object'),
    under: fc.constantFrom('', 'content', 'title', 'username', 'refresh_token', 'is_vip'),
  })
  .map(({ depth, shape, under }) => {
    const inner =
      shape === 'array'
        ? '['.repeat(depth) + ']'.repeat(depth)
        : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    return under ? `{"${under}":${inner}}` : inner;
  });

/**
 * Valid values of fields whose rule is not in the schema (e.g. `model`: one of GET /models),
 * set by a suite once it knows them.
 */
export const FIELD_VALUES: Record<string, fc.Arbitrary<unknown>> = {};

/** A value that follows the schema (lengths, ranges, enums, formats): the path past validation. */
export function validValue(schema: JsonSchema | undefined, name?: string): fc.Arbitrary<unknown> {
  if (name && FIELD_VALUES[name]) return FIELD_VALUES[name];
  const s = deref(schema) ?? {};
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'string': {
      if (s.format === 'email') return fc.emailAddress();
      const minLength = s.minLength ?? 0;
      const maxLength = Math.min(s.maxLength ?? 60, minLength + 60);
      return fc.oneof(
        fc.string({ minLength, maxLength }),
        fc.string({ unit: 'grapheme', minLength, maxLength }),
        fc.stringMatching(/^[a-z][a-z0-9_]{2,20}$/),
      );
    }
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'object':
      return objectOf(s, validValue);
    case 'array':
      return fc.array(validValue(s.items), { maxLength: 3 });
    case undefined:
    default:
      return wildJson;
  }
}

function objectOf(
  s: JsonSchema,
  leaf: (schema: JsonSchema, name: string) => fc.Arbitrary<unknown>,
): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  return fc
    .record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, leaf(v, k)])), {
      requiredKeys: Object.keys(props).filter((k) => required.has(k)),
    })
    .map((o) => {
      // A confirmation repeats its password (register, change and reset password).
      if ('confirm_password' in o) o.confirm_password = o.new_password ?? o.password;
      return o;
    });
}

/**
 * A body for `schema`: mostly valid, then mutated (a required field dropped, a field replaced
 * by a wild value, a privileged or random extra field), or something else entirely.
 */
export function bodyFor(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const s = deref(schema);
  if (!s?.properties) return wildJson;
  const keys = Object.keys(s.properties);
  const valid = objectOf(s, validValue);
  const mutated = fc
    .tuple(
      valid,
      fc.subarray(keys),
      fc.dictionary(fc.constantFrom(...keys), wildJson, { maxKeys: 2 }),
      fc.oneof(
        fc.constant({}),
        fc
          .constantFrom(...Object.keys(PRIVILEGED_FIELDS))
          .map((k) => ({ [k]: PRIVILEGED_FIELDS[k] })),
        fc.dictionary(wildString, wildJson, { maxKeys: 2 }),
      ),
    )
    .map(([base, dropped, replaced, extra]) => {
      const out: Record<string, unknown> = { ...base };
      for (const k of dropped) delete out[k];
      return { ...out, ...replaced, ...extra };
    });
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 5, arbitrary: mutated },
    { weight: 1, arbitrary: wildJson },
  );
}

/** A query value for a parameter: from its schema, or wild. */
export function queryValue(schema: JsonSchema | undefined): fc.Arbitrary<string | string[]> {
  return fc.oneof(
    { weight: 3, arbitrary: validValue(schema).map((v) => String(v)) },
    { weight: 2, arbitrary: wildString },
    { weight: 1, arbitrary: wildNumber.map(String) },
    { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 3 }) },
  );
}

/** Raw request bodies that are not what the route expects at all. */
export const rawBody: fc.Arbitrary<{ contentType: string; text: string }> = fc.oneof(
  fc.record({
    contentType: fc.constant('application/json'),
    text: fc.oneof(
      fc.constantFrom('{', '{"a":', '[', 'nul', '{"a":1}}', '\u0000', '{"__proto__":{"x":1}}'),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      deepJsonText,
    ),
  }),
  fc.record({
    contentType: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
    ),
    text: fc.oneof(fc.constant('content=hi&role=system'), fc.string({ maxLength: 200 })),
  }),
  // Just over BODY_LIMIT_BYTES (256 KiB): 413.
  fc.constant({
    contentType: 'application/json',
    text: JSON.stringify({ content: 'x'.repeat(270_000) }),
  }),
);

// ---------------------------------------------------------------------------------------------
// Checks

/** Text that betrays internals: stack frames, source paths, SQL. */
export const LEAK_PATTERNS: RegExp[] = [
  /at Object\./,
  /\.ts:\d/,
  /\.js:\d/,
  /node_modules/,
  /\n\s+at /,
  /SELECT /i,
  /INSERT /i,
  /UPDATE .* SET /i,
  /syntax error at/i,
  /relation "/i,
  /QueryFailedError/,
  /TypeError|ReferenceError|RangeError/,
];

/** Leak patterns in `body` that are not already in what the client sent itself. */
export function leaksIn(body: string, sent: string): string[] {
  return LEAK_PATTERNS.filter((p) => p.test(body) && !p.test(sent)).map(String);
}

/** Problems with an error answer (empty when it is the contract's envelope). */
export function envelopeProblems(body: unknown): string[] {
  const problems: string[] = [];
  const b = body as {
    success?: unknown;
    error?: { code?: unknown; message?: unknown };
    timestamp?: unknown;
  };
  if (typeof b !== 'object' || b === null) return ['error body is not a JSON object'];
  if (b.success !== false) problems.push('success is not false');
  if (typeof b.error !== 'object' || b.error === null) return [...problems, 'no error object'];
  if (typeof b.error.code !== 'string' || !ERROR_CODES.includes(b.error.code))
    problems.push(`error.code ${JSON.stringify(b.error.code)} is not in the contract`);
  if (typeof b.error.message !== 'string' || b.error.message === '')
    problems.push('error.message is not a non-empty string');
  if (typeof b.timestamp !== 'string' || Number.isNaN(Date.parse(b.timestamp)))
    problems.push('timestamp is not a date');
  return problems;
}

/**
 * What is wrong with an error body of the OpenAI-compatible routes (API.md §12): OpenAI's own
 * shape `{ error: { message, type, code, param? } }`, not the envelope.
 */
export function openAiErrorProblems(body: unknown): string[] {
  const b = body as { error?: { message?: unknown; type?: unknown; code?: unknown } };
  if (typeof b !== 'object' || b === null) return ['error body is not a JSON object'];
  if (typeof b.error !== 'object' || b.error === null) return ['no error object'];
  const problems: string[] = [];
  if (typeof b.error.message !== 'string' || b.error.message === '')
    problems.push('error.message is not a non-empty string');
  if (typeof b.error.type !== 'string' || b.error.type === '')
    problems.push('error.type is not a non-empty string');
  if (b.error.code !== null && typeof b.error.code !== 'string')
    problems.push('error.code is neither a string nor null');
  if ('success' in b) problems.push('an envelope field (success) in an OpenAI-shaped error');
  return problems;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** FUZZ_CASES (default 10,000): the total number of fuzz cases over HTTP and WebSocket. */
export function fuzzCases(): number {
  const n = Number(process.env.FUZZ_CASES ?? 10_000);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 10_000;
}

/** Share of FUZZ_CASES given to the HTTP routes; the rest goes to WebSocket frames. */
export const HTTP_SHARE = 0.8;

/** Requests (or sockets) in flight at once. */
export const FUZZ_CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 4);
