#!/usr/bin/env node
// Generates the client's REST types (src/generated/openapi.ts) from the service's openapi.json
// with openapi-typescript, formatted with the repository's Prettier settings.
//
//   node clients/typescript/scripts/generate-types.mjs           writes the file
//   node clients/typescript/scripts/generate-types.mjs --check   exits 1 when it is out of date
//   --input <openapi.json> --output <file>                       other paths (the drift spec)
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import * as prettier from 'prettier';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : resolve(process.argv[at + 1]);
}

const input = option('--input', resolve(root, 'openapi.json'));
const output = option('--output', resolve(here, '../src/generated/openapi.ts'));
const check = process.argv.includes('--check');

const HEADER = `// Generated from openapi.json by openapi-typescript (npm run client:types): do not edit.
// \`npm run client:types:check\` fails when this file and openapi.json disagree.

`;

/**
 * A `$ref` to a schema the document does not define is a fault of openapi.json (the server's
 * document): each one is named on stderr and nothing is generated (exit 1).
 */
function withoutDanglingRefs(spec) {
  const schemas = spec.components?.schemas ?? {};
  const dangling = new Set();
  const walk = (node) => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const ref = node.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const name = ref.slice('#/components/schemas/'.length);
      if (!(name in schemas)) {
        dangling.add(name);
        return {};
      }
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)]));
  };
  const out = walk(spec);
  if (dangling.size > 0) {
    for (const name of dangling) {
      console.error(
        `error: ${relative(process.cwd(), input)} refers to schema ${name}, which it does not define`,
      );
    }
    process.exit(1);
  }
  return out;
}

const spec = withoutDanglingRefs(JSON.parse(await readFile(input, 'utf8')));
// A field with a default may be left out of a request body: keep it optional.
const ast = await openapiTS(spec, { silent: true, defaultNonNullable: false });
const config = (await prettier.resolveConfig(output)) ?? {};
const text = await prettier.format(HEADER + astToString(ast), {
  ...config,
  filepath: output,
});

const name = relative(process.cwd(), output) || output;
if (check) {
  const current = await readFile(output, 'utf8').catch(() => '');
  if (current !== text) {
    console.error(
      `${name} does not match ${relative(process.cwd(), input)}: run npm run client:types`,
    );
    process.exit(1);
  }
  console.log(`${name} matches ${relative(process.cwd(), input)}`);
} else {
  await writeFile(output, text);
  console.log(`wrote ${name}`);
}
