import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The route table of docs/API.md, generated from openapi.json so that it cannot go stale.
 *
 *   npx ts-node --transpile-only test/docs/api-routes.ts           rewrites the marked block
 *   npx ts-node --transpile-only test/docs/api-routes.ts --check   exits 1 when the block differs
 *
 * Only the block between ROUTES_START and ROUTES_END is generated; the prose around it is
 * written by hand (test/docs/api-reference.spec.ts checks that the prose names every route too).
 */
export const ROOT = join(__dirname, '../..');
export const API_DOC = join(ROOT, 'docs/API.md');
export const OPENAPI = join(ROOT, 'openapi.json');
export const ROUTES_START = '<!-- routes:start -->';
export const ROUTES_END = '<!-- routes:end -->';

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface OpenApiOperation {
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  'x-accepts-api-keys'?: boolean;
}
export interface OpenApiDocument {
  paths: Record<string, Partial<Record<string, OpenApiOperation>>>;
}

export interface RouteRow {
  method: string;
  path: string;
  summary: string;
  access: string;
  section: number;
}

/** Where each tag of openapi.json is described in docs/API.md. */
const SECTION_OF_TAG: Record<string, number> = {
  auth: 2,
  users: 3,
  admin: 3,
  conversations: 4,
  messages: 5,
  chat: 6,
  system: 7,
  models: 7,
  files: 10,
  'api-keys': 12,
  openai: 12,
};

function sectionOf(path: string, operation: OpenApiOperation): number {
  if (/\/regenerate(\/|$)/.test(path)) return 11;
  const tag = operation.tags?.[0];
  const section = tag === undefined ? undefined : SECTION_OF_TAG[tag];
  if (section === undefined) {
    throw new Error(
      `openapi.json tag ${String(tag)} (${path}) has no section in test/docs/api-routes.ts: ` +
        'add it to SECTION_OF_TAG and describe its routes in docs/API.md',
    );
  }
  return section;
}

function accessOf(operation: OpenApiOperation): string {
  const schemes = new Set((operation.security ?? []).flatMap((entry) => Object.keys(entry)));
  if (schemes.has('metrics_token')) return 'public, or `METRICS_TOKEN` when set';
  if (!schemes.has('bearer')) return 'public';
  return operation['x-accepts-api-keys'] ? 'access token or API key' : 'access token';
}

/** Every operation of the document, in the order the table lists them. */
export function routesOf(document: OpenApiDocument): RouteRow[] {
  const rows: RouteRow[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      rows.push({
        method: method.toUpperCase(),
        path,
        summary: (operation.summary ?? '').replace(/\|/g, '\\|'),
        access: accessOf(operation),
        section: sectionOf(path, operation),
      });
    }
  }
  // Plain code-unit order, not localeCompare: the table must be the same on every machine.
  const order = (method: string) => HTTP_METHODS.indexOf(method.toLowerCase() as never);
  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows.sort(
    (a, b) => a.section - b.section || byPath(a.path, b.path) || order(a.method) - order(b.method),
  );
}

/** The lines between the markers (markers excluded). */
export function renderRouteTable(document: OpenApiDocument): string {
  const lines = [
    '',
    '<!-- Generated from openapi.json by test/docs/api-routes.ts: do not edit by hand. -->',
    '',
    '| § | method | path | what | credentials |',
    '| --- | --- | --- | --- | --- |',
    ...routesOf(document).map(
      (row) =>
        `| [§${row.section}](#${row.section}-${anchorOf(row.section)}) | ${row.method} | ` +
        `\`${row.path}\` | ${row.summary} | ${row.access} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** GitHub's anchors of the numbered headings of docs/API.md (`## 7. System` → `7-system`). */
const HEADING_SLUGS: Record<number, string> = {
  2: 'authentication',
  3: 'users-and-administration',
  4: 'conversations',
  5: 'messages-and-replies',
  6: 'websocket',
  7: 'system-health-info-models-metrics',
  10: 'files',
  11: 'conversation-trees',
  12: 'api-keys-and-the-openai-compatible-endpoint',
};

function anchorOf(section: number): string {
  const slug = HEADING_SLUGS[section];
  if (!slug) throw new Error(`no heading anchor for §${section} in test/docs/api-routes.ts`);
  return slug;
}

/** The document with its route block replaced by a fresh one. */
export function withRouteTable(markdown: string, document: OpenApiDocument): string {
  const start = markdown.indexOf(ROUTES_START);
  const end = markdown.indexOf(ROUTES_END);
  if (start < 0 || end < start) {
    throw new Error(`docs/API.md must hold ${ROUTES_START} … ${ROUTES_END}`);
  }
  return (
    markdown.slice(0, start + ROUTES_START.length) +
    renderRouteTable(document) +
    markdown.slice(end)
  );
}

export function readOpenApi(): OpenApiDocument {
  return JSON.parse(readFileSync(OPENAPI, 'utf8')) as OpenApiDocument;
}

function main(): number {
  const current = readFileSync(API_DOC, 'utf8');
  const fresh = withRouteTable(current, readOpenApi());
  if (!process.argv.includes('--check')) {
    writeFileSync(API_DOC, fresh);
    console.log(`wrote the route table of ${API_DOC}`);
    return 0;
  }
  if (fresh === current) {
    console.log('docs/API.md route table is up to date');
    return 0;
  }
  console.error(
    'docs/API.md route table is out of date: run `npx ts-node --transpile-only test/docs/api-routes.ts`',
  );
  return 1;
}

if (require.main === module) process.exit(main());
