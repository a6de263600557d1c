import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAppConfig, clusterWorkersOf, Env, InvalidEnvError, validateEnv } from './env';

const SECRET_48 = 'a'.repeat(16) + 'B'.repeat(16) + '0123456789abcdef';
const PG_URL = 'postgres://app:pw@db.internal:5432/chat';

/** The keys named by an InvalidEnvError thrown from `fn`, or fails when nothing is thrown. */
function problemKeys(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvError);
    return (error as InvalidEnvError).problems.map((p) => p.split(':')[0].trim());
  }
  throw new Error('expected validateEnv to throw');
}

describe(validateEnv.name, () => {
  it('accepts an empty environment with the embedded, no-setup defaults', () => {
    const env = validateEnv({});
    expect(env).toBeInstanceOf(Env);
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      PORT: 8000,
      JWT_ACCESS_TTL: '1800',
      JWT_REFRESH_TTL: '7d',
      PASSWORD_RESET_TTL: '1h',
      BODY_LIMIT_BYTES: 256 * 1024,
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.JWT_SECRET).toBeUndefined();
  });

  it('turns numeric strings into numbers and empty optional URLs into unset', () => {
    const env = validateEnv({
      PORT: '9001',
      DB_POOL_SIZE: '3',
      DATABASE_URL: '',
      REDIS_URL: '  ',
      SMTP_URL: '',
    });
    expect(env.PORT).toBe(9001);
    expect(env.DB_POOL_SIZE).toBe(3);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.SMTP_URL).toBeUndefined();
  });

  it('accepts postgres and postgresql URLs', () => {
    expect(validateEnv({ DATABASE_URL: PG_URL }).DATABASE_URL).toBe(PG_URL);
    expect(
      validateEnv({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test' }).DATABASE_URL,
    ).toBeDefined();
  });

  it('refuses quota limits beyond what the integer counters hold (they would fail every send)', () => {
    expect(
      problemKeys(() =>
        validateEnv({
          QUOTA_NORMAL_DAILY_TOKENS: '1000000000000',
          QUOTA_VIP_MONTHLY_REQUESTS: '2147483648',
        }),
      ),
    ).toEqual(['QUOTA_NORMAL_DAILY_TOKENS', 'QUOTA_VIP_MONTHLY_REQUESTS']);
    expect(validateEnv({ QUOTA_VIP_MONTHLY_TOKENS: '2147483647' }).QUOTA_VIP_MONTHLY_TOKENS).toBe(
      2147483647,
    );
  });

  it('takes CLUSTER_WORKERS as auto or a count, and more than one only with PostgreSQL and Redis', () => {
    const shared = { DATABASE_URL: PG_URL, REDIS_URL: 'redis://cache:6379' };
    expect(clusterWorkersOf(validateEnv({}))).toBe(0);
    expect(clusterWorkersOf(validateEnv({ ...shared, CLUSTER_WORKERS: 'AUTO' }), 4)).toBe(4);
    expect(validateEnv({ ...shared, CLUSTER_WORKERS: '3' }).CLUSTER_WORKERS).toBe(3);
    expect(validateEnv({ CLUSTER_WORKERS: '1' }).CLUSTER_WORKERS).toBe(1);
    expect(problemKeys(() => validateEnv({ CLUSTER_WORKERS: 'many' }))).toEqual([
      'CLUSTER_WORKERS',
    ]);
    expect(problemKeys(() => validateEnv({ CLUSTER_WORKERS: '2' }))).toEqual([
      'CLUSTER_WORKERS',
      'CLUSTER_WORKERS',
    ]);
    expect(problemKeys(() => validateEnv({ DATABASE_URL: PG_URL, CLUSTER_WORKERS: '2' }))).toEqual([
      'CLUSTER_WORKERS',
    ]);
  });

  it('ignores keys it does not know', () => {
    const env = validateEnv({ PATH: '/usr/bin', SOMETHING_ELSE: 'x' }) as unknown as Record<
      string,
      unknown
    >;
    expect(env.PATH).toBeUndefined();
    expect(env.SOMETHING_ELSE).toBeUndefined();
  });

  it('lists every invalid key at once', () => {
    const keys = problemKeys(() =>
      validateEnv({ PORT: 'abc', JWT_ACCESS_TTL: 'soon', DATABASE_URL: 'mysql://x' }),
    );
    expect(keys.sort()).toEqual(['DATABASE_URL', 'JWT_ACCESS_TTL', 'PORT']);
  });

  it.each([
    ['NODE_ENV', 'staging'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['JWT_REFRESH_TTL', '0'],
    ['PASSWORD_RESET_TTL', '-5'],
    ['REDIS_URL', 'http://cache:6379'],
    ['SMTP_URL', 'not a url'],
    ['PUBLIC_URL', 'localhost:8000'],
    ['BODY_LIMIT_BYTES', '10'],
    ['RATE_LIMIT_AUTH', '0'],
    ['RATE_LIMIT_AUTH_IP', '0'],
    ['RATE_LIMIT_AUTH_IP', 'many'],
    ['DB_MIGRATE_ON_BOOT', 'sometimes'],
    ['DB_MIGRATION_LOCK_TIMEOUT_MS', '10'],
    ['MAIL_FROM', 'nobody'],
  ])('rejects %s=%p', (key, value) => {
    expect(problemKeys(() => validateEnv({ [key]: value }))).toEqual([key]);
  });

  describe('in production', () => {
    const prod = (extra: Record<string, string>) => ({
      NODE_ENV: 'production',
      DATABASE_URL: PG_URL,
      OPENAI_API_KEY: 'sk-test',
      ...extra,
    });

    it('requires JWT_SECRET', () => {
      expect(problemKeys(() => validateEnv(prod({})))).toEqual(['JWT_SECRET']);
      expect(problemKeys(() => validateEnv(prod({ JWT_SECRET: '' })))).toEqual(['JWT_SECRET']);
    });

    it.each([
      'change-me',
      'CHANGE-ME',
      'change-me-to-a-long-random-string',
      'secret',
      'a'.repeat(31),
    ])('refuses the placeholder or short secret %p', (secret) => {
      expect(problemKeys(() => validateEnv(prod({ JWT_SECRET: secret })))).toEqual(['JWT_SECRET']);
    });

    it('requires DATABASE_URL (no embedded database in production)', () => {
      const keys = problemKeys(() =>
        validateEnv({ NODE_ENV: 'production', JWT_SECRET: SECRET_48, OPENAI_API_KEY: 'sk-x' }),
      );
      expect(keys).toEqual(['DATABASE_URL']);
    });

    it('reports a missing secret together with other bad keys', () => {
      const keys = problemKeys(() => validateEnv({ NODE_ENV: 'production', PORT: 'abc' }));
      expect(keys.sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'LLM_PROVIDER', 'PORT']);
    });

    it('refuses to run without a model provider, saying what to set, with the other bad keys', () => {
      let message = '';
      try {
        validateEnv({ NODE_ENV: 'production', JWT_SECRET: 'short', PORT: 'abc' });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/JWT_SECRET/);
      expect(message).toMatch(/PORT/);
      expect(message).toMatch(/DATABASE_URL/);
      const line = message.split('\n').find((l) => l.includes('LLM_PROVIDER:')) ?? '';
      for (const key of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'MODELS_FILE', 'MODELS_JSON']) {
        expect(line).toContain(key);
      }
      expect(line).toContain('LLM_PROVIDER=offline');
      // An empty key counts as unset.
      expect(
        problemKeys(() => validateEnv(prod({ JWT_SECRET: SECRET_48, OPENAI_API_KEY: '' }))),
      ).toEqual(['LLM_PROVIDER']);
    });

    it.each<[string, Record<string, string>]>([
      ['OPENAI_API_KEY', { OPENAI_API_KEY: 'sk-test' }],
      [
        'OPENAI_API_KEY and a base URL',
        { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://llm:8080/v1' },
      ],
      ['LLM_PROVIDER=offline (the stand-in, asked for by name)', { LLM_PROVIDER: 'offline' }],
      [
        'a catalog with providers',
        {
          MODELS_JSON: JSON.stringify({
            providers: [{ id: 'local', base_url: 'http://llm:8080/v1' }],
            models: [
              {
                id: 'm',
                name: 'M',
                max_tokens: 100,
                cost_per_1k_tokens: { input: 0, output: 0 },
                capabilities: ['text'],
              },
            ],
          }),
        },
      ],
      [
        'a catalog whose every model names the offline provider',
        {
          MODELS_JSON: JSON.stringify([
            {
              id: 'demo',
              name: 'Demo',
              max_tokens: 100,
              cost_per_1k_tokens: { input: 0, output: 0 },
              capabilities: ['text'],
              provider: 'offline',
            },
          ]),
        },
      ],
    ])('boots with a provider named: %s', (_label, extra) => {
      expect(() =>
        validateEnv({
          NODE_ENV: 'production',
          DATABASE_URL: PG_URL,
          JWT_SECRET: SECRET_48,
          ...extra,
        }),
      ).not.toThrow();
    });

    it('refuses a catalog without providers where some model would reach the stand-in only by default', () => {
      const model = (id: string, extra: object = {}) => ({
        id,
        name: id,
        max_tokens: 100,
        cost_per_1k_tokens: { input: 0, output: 0 },
        capabilities: ['text'],
        ...extra,
      });
      const keys = problemKeys(() =>
        validateEnv({
          NODE_ENV: 'production',
          DATABASE_URL: PG_URL,
          JWT_SECRET: SECRET_48,
          MODELS_JSON: JSON.stringify([model('demo', { provider: 'offline' }), model('real')]),
        }),
      );
      expect(keys).toEqual(['LLM_PROVIDER']);
    });

    it('accepts a 48-character secret and a database URL', () => {
      const env = validateEnv(prod({ JWT_SECRET: SECRET_48 }));
      expect(env.NODE_ENV).toBe('production');
      expect(env.JWT_SECRET).toBe(SECRET_48);
      expect(env.DATABASE_URL).toBe(PG_URL);
    });
  });

  it('does not demand a secret, nor a model provider, outside production', () => {
    expect(() => validateEnv({ NODE_ENV: 'development' })).not.toThrow();
    expect(() => validateEnv({ NODE_ENV: 'test', JWT_SECRET: 'short' })).not.toThrow();
  });
});

describe(buildAppConfig.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'env-spec-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('derives seconds and the origin list from the environment', () => {
    const config = buildAppConfig(
      validateEnv({
        DATA_DIR: dir,
        JWT_SECRET: SECRET_48,
        JWT_ACCESS_TTL: '30m',
        JWT_REFRESH_TTL: '7d',
        JWT_REFRESH_REUSE_GRACE: '10s',
        PASSWORD_RESET_TTL: '1h',
        CORS_ORIGINS: ' https://a.example , ,https://b.example',
      }),
    );
    expect(config).toMatchObject({
      accessTtlSeconds: 1800,
      refreshTtlSeconds: 604800,
      refreshReuseGraceSeconds: 10,
      passwordResetTtlSeconds: 3600,
      corsOrigins: ['https://a.example', 'https://b.example'],
      jwtSecret: SECRET_48,
    });
  });

  it('allows no cross-origin caller by default', () => {
    expect(
      buildAppConfig(validateEnv({ DATA_DIR: dir, JWT_SECRET: SECRET_48 })).corsOrigins,
    ).toEqual([]);
  });

  it('uses a given JWT_SECRET and writes nothing to DATA_DIR', () => {
    const config = buildAppConfig(validateEnv({ DATA_DIR: dir, JWT_SECRET: SECRET_48 }));
    expect(config.jwtSecret).toBe(SECRET_48);
    expect(existsSync(join(dir, 'jwt-secret'))).toBe(false);
  });

  it('generates a JWT secret once in DATA_DIR and returns the same one afterwards', () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = buildAppConfig(validateEnv({ DATA_DIR: dataDir })).jwtSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim()).toBe(first);

    const second = buildAppConfig(validateEnv({ DATA_DIR: dataDir })).jwtSecret;
    expect(second).toBe(first);
  });

  it('gives different data directories different generated secrets', () => {
    const a = buildAppConfig(validateEnv({ DATA_DIR: join(dir, 'a') })).jwtSecret;
    const b = buildAppConfig(validateEnv({ DATA_DIR: join(dir, 'b') })).jwtSecret;
    expect(a).not.toBe(b);
  });

  it('replaces a kept secret that is too short to be safe', () => {
    writeFileSync(join(dir, 'jwt-secret'), 'short\n');
    const secret = buildAppConfig(validateEnv({ DATA_DIR: dir })).jwtSecret;
    expect(secret).not.toBe('short');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim()).toBe(secret);
  });
});

describe('.env.example', () => {
  it('documents every configuration key', () => {
    const text = readFileSync(join(__dirname, '../../.env.example'), 'utf8');
    const listed = new Set(
      text.split('\n').flatMap((line) => /^#?\s*([A-Z][A-Z0-9_]+)=/.exec(line)?.[1] ?? []),
    );
    const missing = Object.keys(new Env()).filter((key) => !listed.has(key));
    expect(missing).toEqual([]);
  });
});
