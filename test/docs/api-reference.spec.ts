import { execFileSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  ERROR_CODES,
  httpStatusOf,
  type ErrorCode,
  type ErrorVariant,
} from '../../src/common/errors/error-codes';
import {
  API_DOC,
  HTTP_METHODS,
  type OpenApiDocument,
  readOpenApi,
  ROOT,
  ROUTES_END,
  ROUTES_START,
  withRouteTable,
} from './api-routes';

/**
 * docs/API.md is the repository's own API reference. These checks keep it complete and current
 * against what the code serves (openapi.json, docs/asyncapi.yaml, the error codes), and keep
 * every reference of the repository inside it. Each check is a function of its inputs, so the
 * last block can show that each one fails on a document that is wrong.
 */

type Json = Record<string, any>;

/** The YAML parser @nestjs/swagger depends on (as test/e2e/asyncapi.e2e-spec.ts loads it). */

const DOC = readFileSync(API_DOC, 'utf8');
const OPENAPI = readOpenApi();
const ASYNCAPI = parseYaml(readFileSync(join(ROOT, 'docs/asyncapi.yaml'), 'utf8')) as Json;

const normalize = (path: string) => path.replace(/\{[^}]*\}/g, '{}');
const key = (method: string, path: string) => `${method.toUpperCase()} ${normalize(path)}`;

function operationsOf(openapi: OpenApiDocument): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, item] of Object.entries(openapi.paths)) {
    for (const method of HTTP_METHODS) if (item[method]) out.set(key(method, path), path);
  }
  return out;
}

/** The document without its generated route block: what was written by hand. */
function proseOf(doc: string): string {
  const start = doc.indexOf(ROUTES_START);
  const end = doc.indexOf(ROUTES_END);
  return start < 0 || end < start ? doc : doc.slice(0, start) + doc.slice(end);
}

interface RouteMention {
  text: string;
  /** The operations it may name: as written, and under /api/v1. */
  candidates: string[];
}

/** Every `METHOD /path` written in the text (query strings and trailing punctuation left off). */
function routeMentions(text: string): RouteMention[] {
  const out: RouteMention[] = [];
  for (const match of text.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/[^\s`)\]|,;]*)/g)) {
    const path = match[2].split('?')[0].replace(/[.:]+$/, '');
    const method = match[1];
    const paths = path.startsWith('/api/v1/') ? [path] : [path, `/api/v1${path}`];
    out.push({ text: `${method} ${path}`, candidates: paths.map((p) => key(method, p)) });
  }
  return out;
}

/** Operations of openapi.json that the hand-written text never names. */
function undocumentedOperations(doc: string, openapi: OpenApiDocument): string[] {
  const named = new Set(routeMentions(proseOf(doc)).flatMap((m) => m.candidates));
  return [...operationsOf(openapi).keys()].filter((op) => !named.has(op));
}

/** `METHOD /path` mentions of the document that name no operation of openapi.json. */
function unknownRoutes(doc: string, openapi: OpenApiDocument): string[] {
  const operations = operationsOf(openapi);
  return routeMentions(doc)
    .filter((m) => !m.candidates.some((c) => operations.has(c)))
    .map((m) => m.text);
}

/** The text of one numbered section (`## 6. …` up to the next `## `). */
function sectionText(doc: string, n: number): string {
  const start = doc.search(new RegExp(`^## ${n}\\. `, 'm'));
  if (start < 0) return '';
  const rest = doc.slice(start + 1);
  const next = rest.search(/^## /m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The `type`s of an AsyncAPI operation's messages. */
function messageTypes(asyncapi: Json, operation: string): string[] {
  const resolve = (ref: string): Json =>
    ref
      .slice(2)
      .split('/')
      .reduce<Json>((node, part) => node[part] as Json, asyncapi);
  return (asyncapi.operations[operation].messages as Json[]).map((ref) => {
    let message = resolve(ref.$ref as string);
    if (message.$ref) message = resolve(message.$ref as string);
    return message.name as string;
  });
}

/** Frame or event types the section does not name in backticks. */
function missingNames(doc: string, section: number, names: string[]): string[] {
  const text = sectionText(doc, section);
  return names.filter((name) => !text.includes(`\`${name}\``));
}

const VARIANTS: Array<ErrorVariant | undefined> = [
  undefined,
  'malformed',
  'too_large',
  'unsupported_media',
  'timeout',
];

/** Error codes whose row in §1's table is missing or lacks a status the code maps them to. */
function errorTableProblems(doc: string, codes: readonly ErrorCode[]): string[] {
  const rows = new Map<string, string>();
  for (const match of sectionText(doc, 1).matchAll(/^\|\s*`([A-Z_]+)`\s*\|([^|]+)\|/gm)) {
    rows.set(match[1], match[2]);
  }
  const problems: string[] = [];
  for (const code of codes) {
    const statuses = rows.get(code);
    if (statuses === undefined) {
      problems.push(`${code}: no row in §1's table`);
      continue;
    }
    for (const status of new Set(VARIANTS.map((v) => httpStatusOf(code, v)))) {
      if (!statuses.includes(String(status))) problems.push(`${code}: status ${status} missing`);
    }
  }
  for (const code of rows.keys()) {
    if (!(codes as readonly string[]).includes(code)) problems.push(`${code}: not a code of src/`);
  }
  return problems;
}

/** GitHub's anchor of a heading. */
function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** `](#anchor)` links of the document that match no heading. */
function brokenAnchors(doc: string): string[] {
  const slugs = new Set([...doc.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slugOf(m[1])));
  return [...doc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]).filter((a) => !slugs.has(a));
}

/** The numbered sections (`## N. …`) of the document. */
function sectionNumbers(doc: string): Set<number> {
  return new Set([...doc.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1])));
}

/** `API.md §N` (and `§N–§M`) references of a text whose section the document lacks. */
function danglingSectionRefs(text: string, sections: Set<number>): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/API\.md §(\d+)(?:\s*[–-]\s*§(\d+))?/g)) {
    for (const n of [match[1], match[2]].filter(Boolean).map(Number)) {
      if (!sections.has(n)) out.push(match[0]);
    }
  }
  return out;
}

const SCANNED = /\.(md|ts|ya?ml|json|js|mjs|cjs|py|sh)$|(^|\/)\.env\.example$|^\.ci\/run$/;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && SCANNED.test(file) && !file.endsWith('package-lock.json'));
}

/**
 * References in one file that lead outside the repository: the sibling folder the project's
 * guides live in, this machine's absolute paths, and relative paths that climb above the root
 * (resolved from the file's own folder, as links and imports are). A fenced code block of a
 * Markdown page is an example whose paths are relative to where it runs (a Kustomize overlay,
 * a shell), so only the first two kinds are looked for there.
 */
function outsideReferences(file: string, text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/\.\.\/shared\b|\/work\/[\w.-]+|shared\/spec\//g)) {
    out.push(match[0]);
  }
  const linked = file.endsWith('.md') ? text.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '') : text;
  for (const match of linked.matchAll(/(?:\.\.\/)+[^\s`"'()[\]{},;:*<>|]*/g)) {
    const target = resolve(dirname(join(ROOT, file)), match[0]);
    if (relative(ROOT, target).startsWith('..')) out.push(match[0]);
  }
  return out.map((reference) => `${file}: ${reference}`);
}

describe('docs/API.md', () => {
  it('has the route table openapi.json makes (test/docs/api-routes.ts)', () => {
    expect(withRouteTable(DOC, OPENAPI)).toBe(DOC);
  });

  it('describes every operation of openapi.json in its own text, not only in the table', () => {
    expect(operationsOf(OPENAPI).size).toBeGreaterThan(40);
    expect(undocumentedOperations(DOC, OPENAPI)).toEqual([]);
  });

  it('names no route that openapi.json does not have', () => {
    expect(routeMentions(DOC).length).toBeGreaterThan(50);
    expect(unknownRoutes(DOC, OPENAPI)).toEqual([]);
  });

  it('names every WebSocket frame of docs/asyncapi.yaml in §6 and every SSE event in §5', () => {
    const client = messageTypes(ASYNCAPI, 'receiveClientFrames');
    const server = messageTypes(ASYNCAPI, 'sendServerFrames');
    const events = messageTypes(ASYNCAPI, 'sendReplyEvents');
    expect(client).toContain('chat_message');
    expect(events).toContain('start');
    expect(missingNames(DOC, 6, [...client, ...server])).toEqual([]);
    expect(missingNames(DOC, 5, events)).toEqual([]);
  });

  it('lists every error code of src/common/errors with each status it is answered with', () => {
    expect(errorTableProblems(DOC, ERROR_CODES)).toEqual([]);
  });

  it('keeps the section numbers the code refers to, and its own links land on headings', () => {
    const sections = sectionNumbers(DOC);
    for (let n = 1; n <= 13; n += 1) expect(sections).toContain(n);
    expect(brokenAnchors(DOC)).toEqual([]);
    const dangling = trackedFiles().flatMap((file) =>
      danglingSectionRefs(readFileSync(join(ROOT, file), 'utf8'), sections).map(
        (ref) => `${file}: ${ref}`,
      ),
    );
    expect(dangling).toEqual([]);
  });
});

describe('the repository', () => {
  it('links to nothing outside itself', () => {
    const files = trackedFiles();
    expect(files).toContain('README.md');
    const found = files.flatMap((file) =>
      outsideReferences(file, readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(found).toEqual([]);
  });
});

describe('the checks above, on documents that are wrong', () => {
  // Built at run time, so that this file does not hold the references the checks look for.
  const sibling = ['..', 'shared', 'spec', 'API.md'].join('/');
  const missingSection = `API.md §${14}`;
  const withExtraRoute: OpenApiDocument = {
    paths: { ...OPENAPI.paths, '/api/v1/widgets/{id}': { delete: { tags: ['files'] } } },
  };

  it('find a route openapi.json gained but the prose does not describe', () => {
    expect(undocumentedOperations(DOC, withExtraRoute)).toEqual(['DELETE /api/v1/widgets/{}']);
    expect(() => withRouteTable(DOC, withExtraRoute)).not.toThrow();
    expect(withRouteTable(DOC, withExtraRoute)).not.toBe(DOC);
  });

  it('find a route the prose describes that openapi.json does not have', () => {
    const doc = DOC.replace(
      '## 13. Providers',
      '`POST /conversations/{id}/pin` pins.\n\n## 13. Providers',
    );
    expect(unknownRoutes(doc, OPENAPI)).toEqual(['POST /conversations/{id}/pin']);
  });

  it('find a route left out of the prose', () => {
    const doc = DOC.replaceAll('POST /messages/{id}/stop', 'the stop route');
    expect(undocumentedOperations(doc, OPENAPI)).toEqual(['POST /api/v1/messages/{}/stop']);
  });

  it('find a frame, an event and an error code left out', () => {
    expect(
      missingNames(DOC.replaceAll('`authenticated`', 'authenticated'), 6, ['authenticated']),
    ).toEqual(['authenticated']);
    expect(missingNames(DOC, 5, ['stopped_early'])).toEqual(['stopped_early']);
    expect(errorTableProblems(DOC, [...ERROR_CODES, 'PAYMENT_REQUIRED' as ErrorCode])).toEqual([
      "PAYMENT_REQUIRED: no row in §1's table",
    ]);
    const noTimeout = DOC.replace(/(\|\s*`OPENAI_API_ERROR`\s*\|\s*502), 504/, '$1');
    expect(errorTableProblems(noTimeout, ERROR_CODES)).toEqual([
      'OPENAI_API_ERROR: status 504 missing',
    ]);
  });

  it('find a section reference with no section, and a link outside the repository', () => {
    expect(
      danglingSectionRefs(`see ${missingSection} and API.md §2–§3`, sectionNumbers(DOC)),
    ).toEqual([missingSection]);
    expect(outsideReferences('README.md', `The contract is \`${sibling}\`.`)).toEqual([
      `README.md: ${sibling.split('/spec')[0]}`,
      `README.md: ${sibling}`,
    ]);
    expect(outsideReferences('docs/x.md', 'see [it](../../elsewhere/README.md)')).toEqual([
      'docs/x.md: ../../elsewhere/README.md',
    ]);
    expect(
      outsideReferences('test/e2e/x.ts', "join(__dirname, '../..'); '../../src/main'"),
    ).toEqual([]);
    const example = ['```yaml', 'components:', '  - ../../components/monitoring', '```'];
    expect(outsideReferences('docs/x.md', example.join('\n'))).toEqual([]);
    expect(outsideReferences('docs/x.md', [...example, 'see ../../components'].join('\n'))).toEqual(
      ['docs/x.md: ../../components'],
    );
    const fencedSibling = ['```', `cat ${sibling}`, '```'].join('\n');
    expect(outsideReferences('docs/x.md', fencedSibling)).toEqual([
      `docs/x.md: ${sibling.split('/spec')[0]}`,
    ]);
  });
});
