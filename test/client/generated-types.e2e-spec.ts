import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// The client's REST types are generated from openapi.json and committed; this is the check of
// `npm run client:types:check`, so that a change to the API without `npm run client:types`
// fails the tests as well as CI's own step.

const root = resolve(__dirname, '../..');
const script = join(root, 'clients/typescript/scripts/generate-types.mjs');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [script, ...args], { cwd: root }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('clients/typescript/src/generated/openapi.ts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'client-types-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches openapi.json (npm run client:types:check)', async () => {
    const result = await run(['--check']);
    expect({ code: result.code, stdout: result.stdout.trim() }).toEqual({
      code: 0,
      stdout: 'clients/typescript/src/generated/openapi.ts matches openapi.json',
    });
    // openapi.json is whole: every $ref names a schema it defines (the generator refuses one that does not).
    expect(result.stderr.trim()).toBe('');
  });

  it('the check fails once openapi.json changes, and regenerating makes it pass again', async () => {
    const spec = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    spec.components.schemas.Conversation.properties!.pinned = { type: 'boolean' };
    const input = join(dir, 'openapi.json');
    const output = join(dir, 'openapi.ts');
    writeFileSync(input, JSON.stringify(spec));
    writeFileSync(output, readFileSync(join(root, 'clients/typescript/src/generated/openapi.ts')));

    const stale = await run(['--check', '--input', input, '--output', output]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('npm run client:types');

    expect((await run(['--input', input, '--output', output])).code).toBe(0);
    expect(readFileSync(output, 'utf8')).toMatch(/pinned\?: boolean/);
    expect((await run(['--check', '--input', input, '--output', output])).code).toBe(0);
  });
});
