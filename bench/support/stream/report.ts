import { writeFileSync } from 'node:fs';

/** One figure beside its baseline (the same shape as the rest of bench/ writes with `--json`). */
export interface Row {
  name: string;
  value: number | null;
  baseline: number | null;
  /** value / baseline when both exist. */
  ratio: number | null;
  unit: string;
  /** Human-readable target ("≤ 1 ms"); null when the row only informs. */
  target: string | null;
  /** Whether the target was met; null when there is no target (or nothing was measured). */
  met: boolean | null;
}

export interface Report {
  id: string;
  title: string;
  rows: Row[];
  notes: string[];
}

export interface Args {
  quick: boolean;
  json?: string;
  cpuProf: boolean;
}

export function parseArgs(argv = process.argv.slice(2)): Args {
  const args: Args = { quick: false, cpuProf: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true;
    else if (argv[i] === '--json') args.json = argv[++i];
    else if (argv[i] === '--cpu-prof') args.cpuProf = true;
  }
  return args;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export function row(
  name: string,
  value: number | null,
  unit: string,
  options: { baseline?: number | null; target?: string; met?: boolean | null } = {},
): Row {
  const baseline = options.baseline ?? null;
  const ratio =
    value !== null && baseline !== null && baseline !== 0 && Number.isFinite(value / baseline)
      ? round(value / baseline, 3)
      : null;
  return {
    name,
    value: value === null || !Number.isFinite(value) ? null : round(value, 3),
    baseline: baseline === null || !Number.isFinite(baseline) ? null : round(baseline, 3),
    ratio,
    unit,
    target: options.target ?? null,
    met:
      options.target === undefined || value === null || !Number.isFinite(value)
        ? null
        : (options.met ?? null),
  };
}

/** Prints the rows as a table and writes the JSON report when asked. */
export function emit(report: Report, json?: string): void {
  const cells = report.rows.map((r) => [
    r.name,
    fmt(r.value),
    fmt(r.baseline),
    r.ratio === null ? '' : `${r.ratio}×`,
    r.unit,
    r.target ?? '',
    r.met === null ? '' : r.met ? 'met' : 'MISSED',
  ]);
  const head = ['figure', 'value', 'baseline', 'ratio', 'unit', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ');
  console.log(`\n${report.id} — ${report.title}`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
  for (const note of report.notes) console.log(`note: ${note}`);
  if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
}

function fmt(n: number | null): string {
  if (n === null) return '–';
  return Math.abs(n) >= 100 ? String(Math.round(n)) : String(round(n, 2));
}

/** The q-quantile (0..1) of the values, nearest-rank; NaN when empty. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export const median = (values: number[]) => quantile(values, 0.5);
export const p99 = (values: number[]) => quantile(values, 0.99);
