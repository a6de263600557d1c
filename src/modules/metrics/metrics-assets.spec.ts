import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { HealthService } from '../health/health.service';
import { MetricsService } from './metrics.service';

// js-yaml comes with the toolchain (jest, @nestjs/swagger); it only reads the rule file here.
const yaml = createRequire(__filename)('js-yaml') as { load(text: string): unknown };

const ROOT = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Series names Prometheus stores for each family the app exports (histograms as their parts). */
async function exportedSeriesNames(): Promise<Set<string>> {
  const health = { databaseUp: () => Promise.resolve(true) } as unknown as HealthService;
  const app = new MetricsService(health).registry;
  const process = new Registry();
  collectDefaultMetrics({ register: process });
  const names = new Set<string>(['up']); // written by Prometheus itself for each target
  for (const registry of [app, process]) {
    for (const metric of await registry.getMetricsAsJSON()) {
      // Typed as an enum, but the value at run time is the family's type name.
      if (String(metric.type) === 'histogram') {
        for (const part of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${part}`);
      } else {
        names.add(metric.name);
      }
    }
  }
  return names;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool']);
const OPERATORS = new Set(['and', 'or', 'unless', 'offset']);

/** The metric names a PromQL expression selects (not its functions, labels or keywords). */
function selectedMetrics(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '');
  const names: string[] = [];
  // Not inside a number or a duration (`5m`, `1e3`).
  for (const match of bare.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const next = bare.slice((match.index ?? 0) + word.length).trimStart();
    if (next.startsWith('(') || KEYWORDS.has(word) || OPERATORS.has(word)) continue;
    names.push(word);
  }
  return names;
}

function balanced(expr: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const c of expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if ('([{'.includes(c)) stack.push(c);
    else if (c in pairs && stack.pop() !== pairs[c]) return false;
  }
  return stack.length === 0;
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}

describe('docker/ monitoring assets', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    exported = await exportedSeriesNames();
  });

  describe('selectedMetrics', () => {
    it('finds the selected metrics and nothing else', () => {
      expect(
        selectedMetrics(
          'histogram_quantile(0.95, sum by (job, le) (rate(a_bucket{x="b{c}", y!~"d|e"}[5m]))) > 1 and on (job) up == 0 or b_total offset 5m',
        ),
      ).toEqual(['a_bucket', 'up', 'b_total']);
    });
  });

  describe('prometheus-alerts.yml', () => {
    let rules: Rule[];
    beforeAll(() => {
      const doc = yaml.load(read('docker/prometheus-alerts.yml')) as {
        groups: { name: string; rules: Rule[] }[];
      };
      expect(doc.groups.length).toBeGreaterThan(0);
      for (const group of doc.groups) expect(typeof group.name).toBe('string');
      rules = doc.groups.flatMap((g) => g.rules);
    });

    it('is a rule file: every rule has a unique name, an expression, a duration, a severity and a summary', () => {
      expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
      for (const rule of rules) {
        expect({ alert: rule.alert, expr: typeof rule.expr }).toEqual({
          alert: rule.alert,
          expr: 'string',
        });
        expect(rule.for).toMatch(/^\d+[smh]$/);
        expect(['critical', 'warning']).toContain(rule.labels?.severity);
        expect(rule.annotations?.summary).toEqual(expect.any(String));
        expect({ alert: rule.alert, balanced: balanced(rule.expr) }).toEqual({
          alert: rule.alert,
          balanced: true,
        });
      }
    });

    it('covers instance down, database down, 5xx rate, p95 latency and upstream failures', () => {
      const uses = (name: string) =>
        rules.filter((r) => selectedMetrics(r.expr).includes(name)).map((r) => r.alert);
      expect(uses('up')).toContain('ChatBackendInstanceDown');
      expect(uses('database_up')).toContain('ChatBackendDatabaseDown');
      expect(uses('http_requests_total')).toContain('ChatBackendHigh5xxRate');
      expect(uses('http_request_duration_seconds_bucket')).toContain('ChatBackendHighLatencyP95');
      expect(uses('openai_requests_total')).toContain('ChatBackendUpstreamFailures');
      const fiveHundreds = rules.find((r) => r.alert === 'ChatBackendHigh5xxRate');
      expect(fiveHundreds?.expr).toContain('status=~"5.."');
    });

    it('selects only metrics the service exports', () => {
      for (const rule of rules) {
        const unknown = selectedMetrics(rule.expr).filter((name) => !exported.has(name));
        expect({ alert: rule.alert, unknown }).toEqual({ alert: rule.alert, unknown: [] });
      }
    });
  });

  describe('grafana-dashboard.json', () => {
    let dashboard: {
      uid: string;
      title: string;
      panels: Panel[];
      templating: {
        list: { name: string; type: string; query: unknown; definition?: string }[];
      };
    };
    beforeAll(() => {
      dashboard = JSON.parse(read('docker/grafana-dashboard.json')) as typeof dashboard;
    });

    it('is importable: a Prometheus data-source variable every panel uses, unique panel ids', () => {
      const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
      expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
      expect(dashboard.uid).toEqual(expect.any(String));
      const ids = dashboard.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
        expect({ title: panel.title, ds: panel.datasource }).toEqual({
          title: panel.title,
          ds: { type: 'prometheus', uid: '${datasource}' },
        });
        expect(panel.targets?.length).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(balanced(target.expr)).toBe(true);
          expect(target.datasource?.uid).toBe('${datasource}');
        }
      }
    });

    it('queries only exported metrics, and shows every application metric', () => {
      const used = new Set<string>();
      for (const panel of dashboard.panels) {
        for (const target of panel.targets ?? []) {
          for (const name of selectedMetrics(target.expr)) used.add(name);
        }
      }
      for (const v of dashboard.templating.list) {
        const metric = /label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(v.definition ?? '')?.[1];
        if (metric) used.add(metric);
      }
      expect([...used].filter((name) => !exported.has(name))).toEqual([]);
      for (const name of [
        'http_requests_total',
        'http_request_duration_seconds_bucket',
        'openai_requests_total',
        'openai_tokens_total',
        'openai_time_to_first_token_seconds_bucket',
        'openai_generation_duration_seconds_bucket',
        'active_generations',
        'ws_connections',
        'quota_rejections_total',
        'rate_limit_rejections_total',
        'database_up',
        'up',
        'process_resident_memory_bytes',
        'process_cpu_seconds_total',
      ]) {
        expect({ name, used: used.has(name) }).toEqual({ name, used: true });
      }
    });
  });

  it('both files are referenced from the README', () => {
    const readme = read('README.md');
    expect(readme).toContain('docker/grafana-dashboard.json');
    expect(readme).toContain('docker/prometheus-alerts.yml');
  });
});
