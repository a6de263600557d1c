import { writeFileSync } from 'node:fs';

/** One measured figure beside its baseline. `ratio` = value / baseline when both exist. */
export interface BenchRow {
  name: string;
  value: number | null;
  baseline: number | null;
  ratio: number | null;
  unit: string;
  /** Human-readable target, e.g. "≥ 50 % of raw" or "≤ 3"; null when the row only informs. */
  target: string | null;
  /** Whether the target was met; null when there is no target. */
  met: boolean | null;
}

/** The contract every bench piece writes with `--json <file>` (and bench/run.ts reads). */
export interface BenchReport {
  id: string;
  title: string;
  rows: BenchRow[];
  notes: string[];
}

export interface BenchArgs {
  quick: boolean;
  json?: string;
}

export function parseArgs(argv = process.argv.slice(2)): BenchArgs {
  const args: BenchArgs = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true;
    else if (argv[i] === '--json') args.json = argv[++i];
  }
  return args;
}

export function row(
  name: string,
  value: number | null,
  unit: string,
  options: {
    baseline?: number | null;
    target?: string;
    met?: boolean | null;
  } = {},
): BenchRow {
  const baseline = options.baseline ?? null;
  const ratio =
    value !== null && baseline !== null && baseline !== 0 ? round(value / baseline, 3) : null;
  return {
    name,
    value: value === null ? null : round(value, 2),
    baseline: baseline === null ? null : round(baseline, 2),
    ratio,
    unit,
    target: options.target ?? null,
    met: options.met ?? null,
  };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function cell(v: number | null): string {
  return v === null ? '—' : String(v);
}

function metCell(met: boolean | null): string {
  if (met === null) return '';
  return met ? 'met' : 'MISSED';
}

/** The rows as a Markdown table (also readable on a terminal). */
export function markdownTable(report: BenchReport): string {
  const header = '| measure | value | baseline | ratio | unit | target | result |';
  const sep = '| --- | ---: | ---: | ---: | --- | --- | --- |';
  const lines = report.rows.map(
    (r) =>
      `| ${r.name} | ${cell(r.value)} | ${cell(r.baseline)} | ${cell(r.ratio)} | ${r.unit} | ${r.target ?? ''} | ${metCell(r.met)} |`,
  );
  return [header, sep, ...lines].join('\n');
}

/** Prints the human table and writes the JSON file when asked. */
export function finish(report: BenchReport, args: BenchArgs): void {
  console.log(`\n## ${report.id} — ${report.title}\n`);
  console.log(markdownTable(report));
  for (const note of report.notes) console.log(`\n- ${note}`);
  console.log('');
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
