import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants';
import { parse } from 'yaml';
import {
  alertRuleDrift,
  K8sObject,
  KUBERNETES_DIR,
  problemsOf,
  Rendering,
  renderAll,
  validateObject,
} from '../../deploy/kubernetes/validate';
import { API_PREFIX } from '../../src/app.setup';
import { validateEnv } from '../../src/config/env';
import { parseTrustProxy } from '../../src/config/trust-proxy';
import { HealthController } from '../../src/modules/health/health.controller';
import type { HealthService } from '../../src/modules/health/health.service';
import { METRICS_PATH } from '../../src/modules/metrics/metrics.routes';
import { MetricsService } from '../../src/modules/metrics/metrics.service';

const ROOT = join(__dirname, '..', '..');
const SECRET_NAME = 'chat-backend-secrets';
/** Never in a ConfigMap or a literal value: only secretKeyRef. */
const SECRET_KEYS = [
  'JWT_SECRET',
  'API_KEY_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
  'OPENAI_API_KEY',
  'METRICS_TOKEN',
  'SMTP_URL',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
];
const REQUIRED_SECRET_KEYS = [
  'JWT_SECRET',
  'API_KEY_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
  'OPENAI_API_KEY',
];

/* eslint-disable @typescript-eslint/no-unsafe-call */
type Obj = any;

const byKind = (objects: K8sObject[], kind: string): Obj[] =>
  objects.filter((o) => o.kind === kind);
const one = (objects: K8sObject[], kind: string, name?: string): Obj => {
  const found = byKind(objects, kind).filter((o) => name === undefined || o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};

/** The route path Nest registers for a controller method, under the global prefix. */
function routeOf(controller: Obj, method: string): string {
  const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
  const sub = Reflect.getMetadata(PATH_METADATA, controller.prototype[method]) as string;
  return `/${API_PREFIX}/${base}/${sub}`;
}

/** The settings a pod gets from its ConfigMaps (envFrom), by the rendered names. */
function configOf(objects: K8sObject[], podSpec: Obj): Record<string, string> {
  const container = podSpec.containers[0];
  const config: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const map = one(objects, 'ConfigMap', source.configMapRef.name);
    Object.assign(config, map.data);
  }
  return config;
}

let renderings: Rendering[];
let base: K8sObject[];
let production: K8sObject[];

beforeAll(() => {
  renderings = renderAll();
  base = renderings.find((r) => r.name === 'base')!.objects;
  production = renderings.find((r) => r.name === 'overlays/production')!.objects;
}, 60_000);

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it('render and validate against the Kubernetes API schemas, as npm run deploy:check does', () => {
    expect(renderings.map((r) => r.name)).toEqual([
      'base',
      'overlays/production',
      'overlays/production + components/monitoring',
      'overlays/production + components/hpa-active-generations',
      'overlays/production + every component',
    ]);
    expect(problemsOf(renderings)).toEqual([]);
    for (const r of renderings) {
      expect(byKind(r.objects, 'Deployment')).toHaveLength(1);
    }
  });

  it('the validator rejects broken objects, unknown fields and unknown kinds', () => {
    const deployment = structuredClone(one(production, 'Deployment'));
    expect(validateObject(deployment)).toEqual([]);

    const wrongType = structuredClone(deployment);
    wrongType.spec.replicas = 'three';
    expect(validateObject(wrongType)).toContain('/spec/replicas: must be integer');

    const misspelled = structuredClone(deployment);
    misspelled.spec.template.spec.containers[0].readinesProbe = { httpGet: { port: 8000 } };
    expect(validateObject(misspelled)).toEqual([
      '/spec/template/spec/containers/0/readinesProbe: unknown field',
    ]);

    const missing = structuredClone(deployment);
    delete missing.spec.selector;
    expect(validateObject(missing).join('\n')).toMatch(/\/spec: must have required property/);

    expect(validateObject({ apiVersion: 'example.com/v1', kind: 'Widget' })).toEqual([
      'unknown kind example.com/v1/Widget: no schema to validate it against',
    ]);
    expect(
      validateObject({ apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler' }),
    ).toHaveLength(1);

    const rule = structuredClone(
      one(renderings.find((r) => r.name.endsWith('monitoring'))!.objects, 'PrometheusRule'),
    );
    rule.spec.groups[0].rules[0].expresion = 'up == 0';
    expect(validateObject(rule)).toEqual(['/spec/groups/0/rules/0/expresion: unknown field']);

    // And problemsOf reports them per rendering, so deploy:check exits non-zero on them.
    expect(problemsOf([{ name: 'broken', objects: [wrongType] }])).toEqual([
      'broken: Deployment/chat-backend: /spec/replicas: must be integer',
    ]);
  });

  it('probes the real health routes on the container port the service listens on', () => {
    const live = routeOf(HealthController, 'live');
    const ready = routeOf(HealthController, 'ready');
    expect([live, ready]).toEqual(['/api/v1/health/live', '/api/v1/health/ready']);
    for (const objects of [base, production]) {
      const pod = one(objects, 'Deployment').spec.template.spec;
      const container = pod.containers[0];
      const port = container.ports.find((p: Obj) => p.name === 'http');
      expect(String(port.containerPort)).toBe(configOf(objects, pod).PORT);
      expect(container.livenessProbe.httpGet).toEqual({ path: live, port: 'http' });
      expect(container.startupProbe.httpGet).toEqual({ path: live, port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: ready, port: 'http' });
      expect(container.command).toEqual(['node', 'dist/src/main.js']);
      expect(statSync(join(ROOT, 'src/main.ts')).isFile()).toBe(true);
    }
  });

  it('gives a terminating pod more grace than its preStop wait plus SHUTDOWN_GRACE_MS', () => {
    for (const objects of [base, production]) {
      const pod = one(objects, 'Deployment').spec.template.spec;
      const preStop = pod.containers[0].lifecycle.preStop.exec.command;
      expect(preStop[0]).toBe('sleep');
      const sleepSeconds = Number(preStop[1]);
      expect(sleepSeconds).toBeGreaterThanOrEqual(5);
      const drainSeconds = Number(configOf(objects, pod).SHUTDOWN_GRACE_MS) / 1000;
      expect(drainSeconds).toBeGreaterThan(0);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(sleepSeconds + drainSeconds);
    }
  });

  it('runs the server and the migration Job as uid 1000 on a read-only root filesystem', () => {
    for (const r of renderings) {
      const pods = [
        one(r.objects, 'Deployment').spec.template.spec,
        one(r.objects, 'Job').spec.template.spec,
      ];
      for (const pod of pods) {
        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(pod.automountServiceAccountToken).toBe(false);
        const container = pod.containers[0];
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: 1000,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.resources.requests).toEqual(
          expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
        );
        expect(container.resources.limits).toEqual(
          expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
        );
        // The only writable places: emptyDir volumes at /tmp and DATA_DIR.
        const dataDir = configOf(r.objects, pod).DATA_DIR;
        const writable = container.volumeMounts
          .filter((m: Obj) => !m.readOnly)
          .map((m: Obj) => [m.mountPath, pod.volumes.find((v: Obj) => v.name === m.name)]);
        expect(writable.map(([path]: Obj) => path).sort()).toEqual([dataDir, '/tmp'].sort());
        for (const [, volume] of writable) expect(volume.emptyDir).toBeDefined();
      }
    }
  });

  it('takes every secret from the Secret by secretKeyRef, and renders no Secret', () => {
    for (const r of renderings) {
      expect(byKind(r.objects, 'Secret')).toEqual([]);
      for (const map of byKind(r.objects, 'ConfigMap')) {
        for (const key of SECRET_KEYS) expect(map.data).not.toHaveProperty(key);
      }
      for (const workload of [one(r.objects, 'Deployment'), one(r.objects, 'Job')]) {
        const env: Obj[] = workload.spec.template.spec.containers[0].env;
        for (const entry of env.filter((e) => SECRET_KEYS.includes(e.name))) {
          expect(entry.value).toBeUndefined();
          expect(entry.valueFrom.secretKeyRef).toEqual(
            expect.objectContaining({ name: SECRET_NAME, key: entry.name }),
          );
        }
        for (const key of REQUIRED_SECRET_KEYS) {
          const entry = env.find((e) => e.name === key);
          expect(entry?.valueFrom.secretKeyRef.optional).toBeUndefined();
        }
      }
    }
    // The example Secret is documentation: valid, empty, and listed by no kustomization.
    const example = parse(readFileSync(join(KUBERNETES_DIR, 'secret.example.yaml'), 'utf8'));
    expect(validateObject(example)).toEqual([]);
    expect(Object.values(example.stringData).every((v) => v === '')).toBe(true);
    const kustomizations: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        else if (entry.name === 'kustomization.yaml') kustomizations.push(join(dir, entry.name));
      }
    };
    walk(KUBERNETES_DIR);
    expect(kustomizations.map((k) => relative(KUBERNETES_DIR, k)).sort()).toEqual([
      'base/kustomization.yaml',
      'components/hpa-active-generations/kustomization.yaml',
      'components/monitoring/kustomization.yaml',
      'overlays/production/kustomization.yaml',
    ]);
    for (const file of kustomizations) {
      expect(readFileSync(file, 'utf8')).not.toMatch(/^[^#]*secret\.example/m);
      expect(parse(readFileSync(file, 'utf8'))).not.toHaveProperty('secretGenerator');
    }
  });

  it('passes the service’s own boot checks with the rendered config, catalog and secret names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-env-'));
    try {
      for (const objects of [base, production]) {
        const pod = one(objects, 'Deployment').spec.template.spec;
        const config = configOf(objects, pod);
        const catalogVolume = pod.volumes.find((v: Obj) => v.configMap);
        const mount = pod.containers[0].volumeMounts.find(
          (m: Obj) => m.name === catalogVolume.name,
        );
        expect(mount.readOnly).toBe(true);
        const catalog = one(objects, 'ConfigMap', catalogVolume.configMap.name).data;
        expect(config.MODELS_FILE).toBe(`${mount.mountPath}/models.yaml`);
        const modelsFile = join(dir, 'models.yaml');
        writeFileSync(modelsFile, catalog['models.yaml']);
        // The variables a Secret holding only the required keys would give the pod.
        const secrets: Record<string, string> = {};
        for (const entry of pod.containers[0].env as Obj[]) {
          const ref = entry.valueFrom?.secretKeyRef;
          if (ref && !ref.optional) secrets[entry.name] = randomBytes(32).toString('hex');
        }
        secrets.DATABASE_URL = 'postgres://chat@postgres.invalid:5432/chat';
        secrets.REDIS_URL = 'redis://redis.invalid:6379';
        const env = validateEnv({ ...config, ...secrets, MODELS_FILE: modelsFile });
        expect(env.NODE_ENV).toBe('production');
        expect(env.LOG_FORMAT).toBe('json');
        expect(env.TRUST_PROXY).toBe('1');
        expect(parseTrustProxy(env.TRUST_PROXY)).toBe(1);
        // Without the provider key the catalog names, the service would refuse to boot.
        const withoutKey = { ...secrets };
        delete withoutKey.OPENAI_API_KEY;
        expect(() => validateEnv({ ...config, ...withoutKey, MODELS_FILE: modelsFile })).toThrow(
          /OPENAI_API_KEY/,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Service, PodDisruptionBudget and HPA select and target the server pods', () => {
    for (const r of renderings) {
      const deployment = one(r.objects, 'Deployment');
      const podLabels = deployment.spec.template.metadata.labels;
      const service = one(r.objects, 'Service');
      expect(podLabels).toMatchObject(service.spec.selector);
      // The Job's pods must not receive traffic.
      expect(one(r.objects, 'Job').spec.template.metadata.labels).not.toMatchObject(
        service.spec.selector,
      );
      const pdb = one(r.objects, 'PodDisruptionBudget');
      expect(podLabels).toMatchObject(pdb.spec.selector.matchLabels);
      expect(pdb.spec.maxUnavailable ?? pdb.spec.minAvailable).toBeDefined();
      if (pdb.spec.maxUnavailable !== undefined) expect(pdb.spec.maxUnavailable).toBe(1);
      const hpa = one(r.objects, 'HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: deployment.metadata.name,
      });
      expect(hpa.spec.metrics).toContainEqual(
        expect.objectContaining({
          type: 'Resource',
          resource: expect.objectContaining({ name: 'cpu' }),
        }),
      );
      // The HPA owns the count: a replicas field would reset it on every apply.
      expect(deployment.spec.replicas).toBeUndefined();
      expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    }
  });

  it('production: three replicas at least, a pinned image, TLS, and migrations by the Job', () => {
    const hpa = one(production, 'HorizontalPodAutoscaler');
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(3);
    const pod = one(production, 'Deployment').spec.template.spec;
    expect(pod.containers[0].image).toMatch(/^[^:]+\.[^/]+\/.+:(?!latest$)[\w.-]+$/);
    const job = one(production, 'Job');
    expect(job.spec.template.spec.containers[0].image).toBe(pod.containers[0].image);
    expect(job.spec.template.spec.containers[0].command).toEqual([
      'node',
      'dist/src/database/migrate.js',
      'run',
    ]);
    expect(statSync(join(ROOT, 'src/database/migrate.ts')).isFile()).toBe(true);
    expect(configOf(production, pod).DB_MIGRATE_ON_BOOT).toBe('false');
    expect(configOf(production, job.spec.template.spec).DB_MIGRATE_ON_BOOT).toBe('false');
    expect(configOf(base, one(base, 'Deployment').spec.template.spec).DB_MIGRATE_ON_BOOT).toBe(
      'true',
    );
    const ingress = one(production, 'Ingress');
    expect(ingress.spec.tls).toEqual([
      { hosts: [ingress.spec.rules[0].host], secretName: expect.any(String) },
    ]);
    for (const object of production) expect(object.metadata?.namespace).toBe('chat-backend');
  });

  it('the Ingress streams SSE and WebSockets unbuffered, with long timeouts and no stickiness', () => {
    for (const r of renderings) {
      const ingress = one(r.objects, 'Ingress');
      const annotations: Record<string, string> = ingress.metadata.annotations;
      expect(annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
        'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
      });
      for (const key of ['proxy-read-timeout', 'proxy-send-timeout']) {
        expect(Number(annotations[`nginx.ingress.kubernetes.io/${key}`])).toBeGreaterThanOrEqual(
          3600,
        );
      }
      const bodySize = /^(\d+)m$/.exec(annotations['nginx.ingress.kubernetes.io/proxy-body-size']);
      const config = configOf(r.objects, one(r.objects, 'Deployment').spec.template.spec);
      expect(Number(bodySize?.[1]) * 1024 * 1024).toBeGreaterThan(Number(config.FILE_MAX_BYTES));
      expect(Object.keys(annotations).filter((k) => /affinity|session-cookie/.test(k))).toEqual([]);
      const backend = ingress.spec.rules[0].http.paths[0].backend.service;
      const service = one(r.objects, 'Service', backend.name);
      expect(service.spec.ports.map((p: Obj) => p.name)).toContain(backend.port.name);
    }
  });

  it('monitoring component: the alert rules of docker/prometheus-alerts.yml, scraped as job chat-backend', () => {
    const alerts = parse(readFileSync(join(ROOT, 'docker/prometheus-alerts.yml'), 'utf8'));
    for (const r of renderings) {
      const rules = byKind(r.objects, 'PrometheusRule');
      const monitors = byKind(r.objects, 'ServiceMonitor');
      if (!r.name.includes('monitoring') && !r.name.includes('every component')) {
        expect([rules, monitors]).toEqual([[], []]);
        continue;
      }
      expect(rules).toHaveLength(1);
      expect(rules[0].spec.groups).toEqual(alerts.groups);
      const drifted = structuredClone(rules[0]);
      drifted.spec.groups[0].rules[0].for = '2m';
      expect(alertRuleDrift([{ name: 'x', objects: [rules[0]] }])).toEqual([]);
      expect(alertRuleDrift([{ name: 'x', objects: [drifted] }])).toEqual([
        'x: PrometheusRule/chat-backend: rules differ from docker/prometheus-alerts.yml',
      ]);
      expect(monitors).toHaveLength(1);
      const monitor = monitors[0];
      const service = one(r.objects, 'Service');
      // The Prometheus Operator's job label is the Service's name; the rules select job="chat-backend".
      expect(service.metadata.name).toBe('chat-backend');
      expect(JSON.stringify(alerts)).toContain('job=\\"chat-backend\\"');
      expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      expect(monitor.metadata.namespace).toBe(service.metadata.namespace);
      expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'http', path: `/${METRICS_PATH}` });
      expect(monitor.spec.endpoints[0].authorization.credentials).toEqual({
        name: SECRET_NAME,
        key: 'METRICS_TOKEN',
        optional: true,
      });
    }
  });

  it('hpa-active-generations component: scales on the gauge the service exports', async () => {
    const health = { databaseUp: () => Promise.resolve(true) } as unknown as HealthService;
    const exported = (await new MetricsService(health).registry.getMetricsAsJSON()).map(
      (m) => m.name,
    );
    for (const r of renderings) {
      const metrics: Obj[] = one(r.objects, 'HorizontalPodAutoscaler').spec.metrics;
      const pods = metrics.filter((m) => m.type === 'Pods');
      if (!r.name.includes('hpa-active-generations') && !r.name.includes('every component')) {
        expect(pods).toEqual([]);
        continue;
      }
      expect(pods).toHaveLength(1);
      expect(exported).toContain(pods[0].pods.metric.name);
      expect(pods[0].pods.metric.name).toBe('active_generations');
      expect(Number(pods[0].pods.target.averageValue)).toBeGreaterThan(0);
    }
  });
});
