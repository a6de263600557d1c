/** Reading a Prometheus text exposition (format 0.0.4) in tests. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Every sample of the exposition; throws on a line that is not valid exposition syntax. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[3] ?? '';
    LABEL_PAIR.lastIndex = 0;
    let consumed = 0;
    for (let pair = LABEL_PAIR.exec(body); pair; pair = LABEL_PAIR.exec(body)) {
      labels[pair[1]] = unescape(pair[2]);
      consumed = LABEL_PAIR.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`bad labels in: ${line}`);
    samples.push({ name: match[1], labels, value: parseValue(match[4]) });
  }
  return samples;
}

/** The metric families the exposition declares (`# TYPE name type`). */
export function metricTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1], match[2]);
  return types;
}

/** A parsed scrape: the value of one series (0 when absent, as a counter not yet touched). */
export class Scrape {
  readonly samples: Sample[];

  constructor(readonly text: string) {
    this.samples = parseExposition(text);
  }

  /** Sum of the samples of `name` whose labels include `labels`. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  }

  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }

  /** Every value label `label` takes in the samples of `name`. */
  labelValues(name: string, label: string): string[] {
    return [
      ...new Set(this.samples.filter((s) => s.name === name).map((s) => s.labels[label])),
    ].filter((v): v is string => v !== undefined);
  }
}
