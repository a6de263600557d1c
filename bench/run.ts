import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchReport, markdownTable } from './lib/report';
import { ensureBuild, ROOT } from './lib/service';

/**
 * Runs every bench piece it finds (bench/p<N>-*.ts) as its own child process, collects their
 * JSON, prints the tables together and rewrites docs/PERFORMANCE.md between its markers.
 *   npm run bench                    full mode; rewrites docs/PERFORMANCE.md
 *   npm run bench:quick              quick mode (CI); rewrites the document only with --write
 *   … -- --only p1,p4                some pieces only
 */
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const write = quick ? argv.includes('--write') : !argv.includes('--no-write');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1].split(',') : null;
const DOC = join(ROOT, 'docs/PERFORMANCE.md');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

const pieces = readdirSync(join(ROOT, 'bench'))
  .filter((f) => /^p\d+-.*\.ts$/.test(f))
  .filter((f) => !only || only.some((o) => f.startsWith(`${o}-`)))
  .sort((a, b) => Number(a.slice(1, a.indexOf('-'))) - Number(b.slice(1, b.indexOf('-'))));

// Compile once up front so no piece pays for it (or races another).
ensureBuild();
const out = mkdtempSync(join(tmpdir(), 'chat-bench-run-'));
const reports: BenchReport[] = [];
const failures: string[] = [];
const load = [loadavg()[0]];
const started = Date.now();
for (const piece of pieces) {
  const json = join(out, `${piece}.json`);
  console.log(`\n=== ${piece}${quick ? ' (quick)' : ''} ===`);
  const t0 = Date.now();
  const result = spawnSync(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      join('bench', piece),
      ...(quick ? ['--quick'] : []),
      '--json',
      json,
    ],
    { cwd: ROOT, stdio: 'inherit', env: process.env },
  );
  load.push(loadavg()[0]);
  if (result.status === 0 && existsSync(json)) {
    reports.push(JSON.parse(readFileSync(json, 'utf8')) as BenchReport);
    console.log(`(${piece}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  } else {
    failures.push(`${piece} (exit ${result.status ?? result.signal})`);
  }
}
rmSync(out, { recursive: true, force: true });

const machine = `${cpus().length} CPU (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${process.platform}; 1-min load average between pieces: ${load.map((l) => l.toFixed(1)).join(' → ')}`;
const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const sections = [
  `Run: ${date}, ${quick ? 'quick' : 'full'} mode, ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
  '',
  `Machine: ${machine}.`,
  '',
  ...reports.flatMap((r) => [
    `### ${r.id} — ${r.title}`,
    '',
    markdownTable(r),
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ]),
  ...(failures.length ? [`Pieces that failed: ${failures.join(', ')}.`, ''] : []),
];
const block = sections.join('\n').trimEnd();

console.log(`\n=== all results ===\n\n${block}\n`);
const missed = reports.flatMap((r) =>
  r.rows.filter((x) => x.met === false).map((x) => `${r.id} ${x.name}`),
);
if (missed.length) console.log(`targets missed: ${missed.join('; ')}`);

if (write) {
  const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : `# Performance\n\n${START}\n${END}\n`;
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) {
    console.error(`docs/PERFORMANCE.md has no ${START} … ${END} markers: not rewritten`);
  } else {
    writeFileSync(DOC, `${doc.slice(0, a + START.length)}\n\n${block}\n\n${doc.slice(b)}`);
    console.log('docs/PERFORMANCE.md rewritten between its markers');
  }
}
process.exit(failures.length ? 1 : 0);
