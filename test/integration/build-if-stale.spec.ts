import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `npm start` builds only when the build's inputs changed (scripts/build-if-stale.js). These run
// the script as npm does, on a small project tree in a temporary directory.
const script = join(__dirname, '..', '..', 'scripts', 'build-if-stale.js');

function run(root: string, mode: '--check' | '--stamp'): { status: number | null; out: string } {
  const result = spawnSync(process.execPath, [script, mode, '--root', root], { encoding: 'utf8' });
  return { status: result.status, out: `${result.stdout}${result.stderr}`.trim() };
}

function write(root: string, file: string, text: string): void {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), text);
}

describe('build-if-stale', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'build-stamp-'));
    write(root, 'src/main.ts', 'export const a = 1;\n');
    write(root, 'src/users/users.service.ts', 'export const b = 2;\n');
    write(root, 'src/users/users.service.spec.ts', 'it("x", () => undefined);\n');
    write(root, 'migrations/1-init.ts', 'export class Init {}\n');
    write(root, 'tsconfig.json', '{}\n');
    write(root, 'tsconfig.build.json', '{"extends":"./tsconfig.json"}\n');
    write(root, 'nest-cli.json', '{}\n');
    write(root, 'package-lock.json', '{"lockfileVersion":3}\n');
    write(root, 'README.md', '# project\n');
    write(root, 'dist/src/main.js', '"use strict";\n');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** As after a successful build: the stamp records the inputs as they are now. */
  function built(): void {
    expect(run(root, '--stamp').status).toBe(0);
    expect(run(root, '--check')).toEqual({ status: 0, out: 'fresh' });
  }

  it('is stale without a stamp, and without the compiled entry point even when stamped', () => {
    expect(run(root, '--check')).toEqual({
      status: 1,
      out: 'stale: dist/.build-stamp is missing or unreadable',
    });
    built();
    rmSync(join(root, 'dist/src/main.js'));
    expect(run(root, '--check')).toEqual({ status: 1, out: 'stale: dist/src/main.js is missing' });
  });

  it('stays fresh when nothing changed, even when files are rewritten with the same bytes', () => {
    built();
    write(root, 'src/main.ts', 'export const a = 1;\n');
    expect(run(root, '--check')).toEqual({ status: 0, out: 'fresh' });
  });

  it('ignores files the build does not read (unit specs, docs, tests)', () => {
    built();
    write(root, 'src/users/users.service.spec.ts', 'it("y", () => undefined);\n');
    write(root, 'README.md', '# changed\n');
    write(root, 'test/e2e/x.e2e-spec.ts', 'export {};\n');
    expect(run(root, '--check')).toEqual({ status: 0, out: 'fresh' });
  });

  it.each([
    ['a source file', 'src/users/users.service.ts'],
    ['a migration', 'migrations/1-init.ts'],
    ['a tsconfig', 'tsconfig.build.json'],
    ['nest-cli.json', 'nest-cli.json'],
    ['the lockfile', 'package-lock.json'],
  ])('is stale when %s changes', (_what, file) => {
    built();
    write(root, file, 'changed\n');
    expect(run(root, '--check')).toEqual({ status: 1, out: `stale: ${file} changed` });
    built();
  });

  it('is stale when an input is added or removed', () => {
    built();
    write(root, 'src/chat/new.ts', 'export {};\n');
    expect(run(root, '--check')).toEqual({ status: 1, out: 'stale: src/chat/new.ts added' });
    built();
    rmSync(join(root, 'migrations/1-init.ts'));
    expect(run(root, '--check')).toEqual({ status: 1, out: 'stale: migrations/1-init.ts removed' });
  });

  it('is stale when the stamp is not one it wrote', () => {
    built();
    write(root, 'dist/.build-stamp', 'not json');
    expect(run(root, '--check').status).toBe(1);
  });
});
