import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { resolveLlmSetup } from '../modules/llm/providers.config';
import { Env, InvalidEnvError, validateEnv } from './env';

/**
 * docker/compose.yaml and docker/Dockerfile cannot be run here (no container engine): these
 * checks keep them in step with the configuration the code reads.
 */
const root = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const KNOWN = new Set(Object.keys(new Env()));

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  read_only?: boolean;
  tmpfs?: string[];
}
const compose = parse(read('docker/compose.yaml'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** Compose's interpolation: `${X:-default}` gives the default, `${X:?msg}` the value given. */
function interpolate(
  environment: Record<string, string>,
  given: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) {
    out[key] = String(value).replace(
      /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
      (_all, name: string, op?: string, rest?: string) => {
        if (given[name] !== undefined) return given[name];
        if (op === '?') throw new Error(`${name} is required: ${rest}`);
        return op === '-' ? (rest ?? '') : '';
      },
    );
  }
  return out;
}

describe('docker/compose.yaml', () => {
  const app = compose.services.app;
  const migrate = compose.services.migrate;

  it('passes only keys the service reads, the provider settings among them', () => {
    const keys = Object.keys(app.environment ?? {});
    expect(keys.filter((key) => !KNOWN.has(key))).toEqual([]);
    expect(keys).toEqual(
      expect.arrayContaining([
        'LLM_PROVIDER',
        'OPENAI_API_KEY',
        'OPENAI_BASE_URL',
        'MODELS_FILE',
        'DEFAULT_MODEL',
        'TITLE_MODEL',
        'API_KEY_SECRET',
        'METRICS_TOKEN',
        'TRUST_PROXY',
        'CORS_ORIGINS',
        'S3_BUCKET',
        'S3_ENDPOINT',
        'S3_REGION',
        'S3_ACCESS_KEY_ID',
        'S3_SECRET_ACCESS_KEY',
        'S3_FORCE_PATH_STYLE',
        'DATABASE_URL',
        'REDIS_URL',
        'JWT_SECRET',
      ]),
    );
    expect(Object.keys(migrate.environment ?? {}).filter((key) => !KNOWN.has(key))).toEqual([]);
  });

  it('documents each provider, proxy and S3 setting in a comment above it', () => {
    const lines = read('docker/compose.yaml').split('\n');
    for (const key of [
      'LLM_PROVIDER',
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
      'MODELS_FILE',
      'DEFAULT_MODEL',
      'API_KEY_SECRET',
      'METRICS_TOKEN',
      'TRUST_PROXY',
      'CORS_ORIGINS',
      'S3_BUCKET',
      'S3_ENDPOINT',
      'S3_ACCESS_KEY_ID',
      'S3_FORCE_PATH_STYLE',
    ]) {
      const at = lines.findIndex((l) => l.trim().startsWith(`${key}:`));
      expect({ key, comment: lines[at - 1]?.trim().startsWith('#') }).toEqual({
        key,
        comment: true,
      });
    }
  });

  it('requires JWT_SECRET, and the app refuses production without a provider (its own check)', () => {
    expect(() => interpolate(app.environment ?? {}, {})).toThrow(/JWT_SECRET is required/);
    const secret = 'x'.repeat(16) + 'Y'.repeat(16) + '0123456789';
    const refused = (() => {
      try {
        validateEnv(interpolate(app.environment ?? {}, { JWT_SECRET: secret }));
      } catch (error) {
        return (error as InvalidEnvError).problems.map((p) => p.split(':')[0]);
      }
      return [];
    })();
    expect(refused).toEqual(['LLM_PROVIDER']);
    for (const given of <Record<string, string>[]>[
      { OPENAI_API_KEY: 'sk-test' },
      { LLM_PROVIDER: 'offline' },
      {
        OPENAI_API_KEY: 'sk-test',
        MODELS_FILE: join(root, 'docker/models.example.yaml'),
      },
    ]) {
      const env = validateEnv(interpolate(app.environment ?? {}, { JWT_SECRET: secret, ...given }));
      expect(env.NODE_ENV).toBe('production');
    }
  });

  it('mounts the example catalog read-only where MODELS_FILE is told to look, and it resolves', () => {
    expect(app.volumes).toContain(
      '${MODELS_CATALOG:-./models.example.yaml}:/etc/chat-assistant/models.yaml:ro',
    );
    const setup = resolveLlmSetup(
      { MODELS_FILE: join(root, 'docker/models.example.yaml') },
      (name) => (name === 'OPENAI_API_KEY' ? 'sk-test' : undefined),
    );
    expect('problems' in setup ? setup.problems : []).toEqual([]);
  });

  it('runs the migrations once in a one-shot service the app waits for', () => {
    expect(migrate.command).toEqual(['node', 'dist/src/database/migrate.js', 'run']);
    expect(app.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(app.environment?.DATABASE_URL).toBe(migrate.environment?.DATABASE_URL);
  });

  it('runs the app with a read-only root filesystem, DATA_DIR and /tmp writable', () => {
    expect(app.read_only).toBe(true);
    expect(app.tmpfs).toContain('/tmp');
    expect(app.volumes?.some((v) => v.endsWith(':/app/data'))).toBe(true);
  });
});

describe('docker/Dockerfile', () => {
  const text = read('docker/Dockerfile');
  const stages = text.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1];

  it('is multi-stage on Node 24, the runtime stage without dev dependencies', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^node:24[-.\w]*/);
    expect(runtime).not.toMatch(/npm (ci|install)/);
    const deps = stages.find((s) => /npm ci --omit=dev/.test(s));
    expect(deps).toBeDefined();
    expect(runtime).toMatch(/COPY --from=\w+ \/app\/node_modules/);
  });

  it('runs as a non-root user with a health check, CMD node dist/src/main.js', () => {
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD .*\/api\/v1\/health\/live/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]$/m);
  });

  it('sets only keys the service reads', () => {
    const env = /^ENV (.*)$/m.exec(runtime)?.[1] ?? '';
    const keys = env.split(/\s+/).map((pair) => pair.split('=')[0]);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !KNOWN.has(key))).toEqual([]);
  });
});
