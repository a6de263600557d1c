/**
 * Offline check of the Kubernetes manifests (`npm run deploy:check`): renders the base, the
 * production overlay and the overlay with each optional component through `kubectl kustomize`,
 * then validates every object against the Kubernetes API's JSON schemas as compiled by
 * kubernetes-models (and @kubernetes-models/prometheus-operator for the monitoring kinds). No
 * cluster and no network: the schemas ship inside those packages.
 *
 * Beyond the schemas' types and required fields, a field no schema declares is an error (the API
 * server's strict field validation would refuse it; a lenient one would drop it silently), a kind
 * the packages do not know is an error, and so are alpha/beta API versions.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';

export const KUBERNETES_DIR = __dirname;
export const OPTIONAL_COMPONENTS = ['monitoring', 'hpa-active-generations'] as const;

export type K8sObject = {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  [key: string]: unknown;
};

export interface Rendering {
  /** What was rendered, e.g. `overlays/production + components/monitoring`. */
  name: string;
  objects: K8sObject[];
}

type ModelClass = {
  apiVersion: string;
  kind: string;
  prototype: { validate(this: unknown): void };
};

const load = createRequire(__filename);

function isModelClass(value: unknown): value is ModelClass {
  if (typeof value !== 'function') return false;
  const candidate = value as Partial<ModelClass>;
  return (
    typeof candidate.apiVersion === 'string' &&
    typeof candidate.kind === 'string' &&
    typeof candidate.prototype?.validate === 'function'
  );
}

let registry: Map<string, ModelClass> | undefined;

/** Every kind the schema packages know, by `apiVersion/kind` (one index.js per group version). */
export function knownKinds(): Map<string, ModelClass> {
  if (registry) return registry;
  registry = new Map();
  for (const pkg of ['kubernetes-models', '@kubernetes-models/prometheus-operator']) {
    const root = dirname(load.resolve(`${pkg}/package.json`));
    const indexes: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory() || entry.name.startsWith('_') || entry.name === 'node_modules')
          continue;
        const sub = join(dir, entry.name);
        if (existsSync(join(sub, 'index.js'))) indexes.push(join(sub, 'index.js'));
        if (depth < 1) walk(sub, depth + 1);
      }
    };
    walk(root, 0);
    for (const index of indexes) {
      const exported = load(index) as Record<string, unknown>;
      for (const value of Object.values(exported)) {
        if (isModelClass(value)) registry.set(`${value.apiVersion}/${value.kind}`, value);
      }
    }
  }
  return registry;
}

/**
 * A copy of `value` whose objects record every property the validator looks at; a property
 * never looked at is one the schema does not declare (a compiled schema reads each declared
 * property, and every key of a map such as labels or ConfigMap data).
 */
function watched(value: unknown, path: string, read: Set<string>, present: Set<string>): unknown {
  if (Array.isArray(value))
    return value.map((item, i) => watched(item, `${path}/${i}`, read, present));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    present.add(`${path}/${key}`);
    copy[key] = watched(item, `${path}/${key}`, read, present);
  }
  const note = (key: string | symbol) => {
    if (typeof key === 'string') read.add(`${path}/${key}`);
  };
  return new Proxy(copy, {
    get(target, key, receiver) {
      note(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
    has(target, key) {
      note(key);
      return Reflect.has(target, key);
    },
  });
}

/** `Kind/name` for messages. */
export function describe(object: K8sObject): string {
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : '(no name)';
  return `${typeof object.kind === 'string' ? object.kind : '(no kind)'}/${name}`;
}

/** Every problem with one object; empty when it is valid. */
export function validateObject(object: K8sObject): string[] {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return ['apiVersion and kind must be strings'];
  }
  if (/\/v\d+(alpha|beta)\d*$/.test(apiVersion) || /^v\d+(alpha|beta)\d*$/.test(apiVersion)) {
    return [`${apiVersion}: alpha and beta API versions are not accepted`];
  }
  const model = knownKinds().get(`${apiVersion}/${kind}`);
  if (!model) return [`unknown kind ${apiVersion}/${kind}: no schema to validate it against`];
  const read = new Set<string>();
  const present = new Set<string>();
  const subject = watched(object, '', read, present);
  const problems: string[] = [];
  try {
    model.prototype.validate.call(subject);
  } catch (error) {
    // ajv's ValidationError: one entry per failed keyword, with where it failed.
    const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) throw error;
    for (const e of errors) problems.push(`${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
  }
  // The topmost unknown field only, not everything under it.
  const unknown = [...present].filter((path) => !read.has(path));
  for (const path of unknown) {
    if (!unknown.some((other) => path.startsWith(`${other}/`))) {
      problems.push(`${path}: unknown field`);
    }
  }
  return problems;
}

/** `kubectl kustomize DIR`, parsed. */
export function render(dir: string): K8sObject[] {
  let text: string;
  try {
    text = execFileSync(process.env.KUBECTL ?? 'kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error('kubectl not found: install it (Debian package `kubectl`) or set KUBECTL', {
        cause: error,
      });
    }
    throw new Error(`kubectl kustomize ${dir} failed: ${err.stderr?.trim() ?? err.message}`, {
      cause: error,
    });
  }
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`${dir}: ${document.errors[0].message}`);
    const value = document.toJS() as unknown;
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  return objects;
}

/**
 * The production overlay with `components` added, rendered from a copy of deploy/kubernetes
 * (as an operator would list them in the overlay, so its namespace applies to them too).
 */
export function renderProductionWith(components: readonly string[]): K8sObject[] {
  const copy = mkdtempSync(join(tmpdir(), 'k8s-check-'));
  try {
    cpSync(KUBERNETES_DIR, copy, { recursive: true });
    const file = join(copy, 'overlays', 'production', 'kustomization.yaml');
    const kustomization = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    kustomization.components = components.map((name) => `../../components/${name}`);
    writeFileSync(file, stringify(kustomization));
    return render(join(copy, 'overlays', 'production'));
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** What `deploy:check` renders, each as a name and how to render it. */
export function targets(): { name: string; render: () => K8sObject[] }[] {
  return [
    { name: 'base', render: () => render(join(KUBERNETES_DIR, 'base')) },
    {
      name: 'overlays/production',
      render: () => render(join(KUBERNETES_DIR, 'overlays', 'production')),
    },
    ...OPTIONAL_COMPONENTS.map((component) => ({
      name: `overlays/production + components/${component}`,
      render: () => renderProductionWith([component]),
    })),
    {
      name: 'overlays/production + every component',
      render: () => renderProductionWith(OPTIONAL_COMPONENTS),
    },
  ];
}

/** Everything `deploy:check` renders; throws on the first target that does not render. */
export function renderAll(): Rendering[] {
  return targets().map((target) => ({ name: target.name, objects: target.render() }));
}

/** Every problem of every rendering, as `rendering: Kind/name: problem` lines. */
export function problemsOf(renderings: Rendering[]): string[] {
  const problems: string[] = [];
  for (const rendering of renderings) {
    if (rendering.objects.length === 0) problems.push(`${rendering.name}: renders no object`);
    for (const object of rendering.objects) {
      for (const problem of validateObject(object)) {
        problems.push(`${rendering.name}: ${describe(object)}: ${problem}`);
      }
    }
  }
  return problems;
}

/** The alert rules the monitoring component ships must be those of docker/prometheus-alerts.yml. */
export function alertRuleDrift(renderings: Rendering[]): string[] {
  const file = join(KUBERNETES_DIR, '..', '..', 'docker', 'prometheus-alerts.yml');
  const expected = (parse(readFileSync(file, 'utf8')) as { groups: unknown }).groups;
  const problems: string[] = [];
  for (const rendering of renderings) {
    for (const rule of rendering.objects.filter((o) => o.kind === 'PrometheusRule')) {
      const groups = (rule.spec as { groups?: unknown } | undefined)?.groups;
      if (!isDeepStrictEqual(groups, expected)) {
        problems.push(
          `${rendering.name}: ${describe(rule)}: rules differ from docker/prometheus-alerts.yml`,
        );
      }
    }
  }
  return problems;
}

function main(): void {
  const renderings: Rendering[] = [];
  const renderProblems: string[] = [];
  for (const target of targets()) {
    try {
      renderings.push({ name: target.name, objects: target.render() });
    } catch (error) {
      renderProblems.push(
        `${target.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const problems = [...renderProblems, ...problemsOf(renderings), ...alertRuleDrift(renderings)];
  for (const rendering of renderings) {
    console.log(`${rendering.name}: ${rendering.objects.length} objects`);
  }
  if (problems.length > 0) {
    console.error(`\n${problems.length} problem(s):`);
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.log('every object is valid against the Kubernetes API schemas');
}

if (require.main === module) main();
