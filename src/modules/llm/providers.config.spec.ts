import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidEnvError, validateEnv } from '../../config/env';
import { ModelsCatalog } from './models.catalog';
import { OFFLINE_MODEL_ID } from './models.config';
import { LlmSetup, resolveLlmSetup } from './providers.config';

const model = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  max_tokens: 1024,
  cost_per_1k_tokens: { input: 0.001, output: 0.002 },
  capabilities: ['text'],
  ...extra,
});

const LOCAL = { id: 'local', base_url: 'http://127.0.0.1:11434/v1' };
const CLOUD = { id: 'cloud', base_url: 'https://api.openai.com/v1', api_key_env: 'CLOUD_KEY' };
const SECRETS: Record<string, string> = { CLOUD_KEY: 'sk-cloud' };
const lookup = (name: string) => SECRETS[name];

function setupOf(catalog: unknown, env: Record<string, unknown> = {}): LlmSetup {
  const result = resolveLlmSetup({ MODELS_JSON: JSON.stringify(catalog), ...env }, lookup);
  if ('problems' in result) throw new Error(result.problems.join('\n'));
  return result;
}

function problemsOf(catalog: unknown, env: Record<string, unknown> = {}): string[] {
  const result = resolveLlmSetup({ MODELS_JSON: JSON.stringify(catalog), ...env }, lookup);
  return 'problems' in result ? result.problems : [];
}

describe(resolveLlmSetup.name, () => {
  describe('without providers in the catalog', () => {
    it('defines the env provider openai as before, every model on it under its own name', () => {
      const setup = resolveLlmSetup({ OPENAI_API_KEY: 'sk-x' });
      if ('problems' in setup) throw new Error(setup.problems.join());
      expect(setup.source).toBe('env');
      expect(setup.providers).toEqual([
        expect.objectContaining({ id: 'openai', kind: 'http', apiKey: 'sk-x' }),
      ]);
      expect(setup.providers[0].baseURL).toBe('https://api.openai.com/v1');
      expect(setup.routes.get('gpt-4')).toEqual({
        provider: 'openai',
        upstream_model: 'gpt-4',
        fallbacks: [],
      });
      expect(setup.defaultModel).toBe('gpt-3.5-turbo');
    });

    it('answers every model with the offline model without a key, and lists it first', () => {
      const setup = resolveLlmSetup({});
      if ('problems' in setup) throw new Error(setup.problems.join());
      expect(setup.providerName).toBe('offline');
      expect(setup.models[0].id).toBe(OFFLINE_MODEL_ID);
      expect(setup.defaultModel).toBe(OFFLINE_MODEL_ID);
      expect(new Set([...setup.routes.values()].map((r) => r.provider))).toEqual(
        new Set(['offline']),
      );
    });

    it('keeps upstream_model and fallbacks on the env provider', () => {
      const setup = setupOf(
        [model('a', { upstream_model: 'A-v2', fallbacks: ['b'] }), model('b')],
        {
          OPENAI_API_KEY: 'sk-x',
        },
      );
      expect(setup.routes.get('a')).toEqual({
        provider: 'openai',
        upstream_model: 'A-v2',
        fallbacks: ['b'],
      });
    });
  });

  describe('with providers', () => {
    const catalog = {
      providers: [LOCAL, CLOUD],
      models: [
        model('llama', { provider: 'local', upstream_model: 'llama3.1:8b', fallbacks: ['gpt'] }),
        model('gpt', { provider: 'cloud', upstream_model: 'gpt-4o-mini' }),
      ],
    };

    it('routes each model to its provider and reads keys from the variables named', () => {
      const setup = setupOf(catalog);
      expect(setup.source).toBe('catalog');
      expect(setup.providerName).toBe('openai');
      expect(setup.providers.map((p) => [p.id, p.apiKey])).toEqual([
        ['local', undefined],
        ['cloud', 'sk-cloud'],
      ]);
      expect(setup.routes.get('llama')).toEqual({
        provider: 'local',
        upstream_model: 'llama3.1:8b',
        fallbacks: ['gpt'],
      });
      expect(setup.models.map((m) => m.id)).toEqual(['llama', 'gpt']);
      expect(setup.defaultModel).toBe('llama');
    });

    it('lets a provider take its own timeout, retries and headers', () => {
      const setup = setupOf({
        providers: [{ ...LOCAL, timeout_ms: 2500, max_retries: 0, headers: { 'x-team': 'chat' } }],
        models: [model('llama')],
      });
      expect(setup.providers[0]).toMatchObject({
        requestTimeoutMs: 2500,
        firstTokenTimeoutMs: 2500,
        maxRetries: 0,
        headers: { 'x-team': 'chat' },
      });
      // The only provider needs no naming.
      expect(setup.routes.get('llama')?.provider).toBe('local');
    });

    it('serves a model from the built-in offline provider when one names it', () => {
      const setup = setupOf({
        providers: [LOCAL],
        models: [
          model('llama', { provider: 'local', fallbacks: ['dev'] }),
          model('dev', { provider: 'offline' }),
        ],
      });
      expect(setup.providers.map((p) => p.kind)).toEqual(['http', 'offline']);
    });

    it('lists every problem of the catalog at once, each with its key', () => {
      const found = problemsOf({
        providers: [
          LOCAL,
          { id: 'cloud', base_url: 'https://api.openai.com/v1' },
          { id: 'both', base_url: 'http://x:1/v1', api_key: 'k', api_key_env: 'K' },
          { id: 'unset', base_url: 'http://x:1/v1', api_key_env: 'NOT_SET_ANYWHERE' },
          { id: 'badurl', base_url: 'ftp://x/v1' },
          { id: 'offline', base_url: 'http://x:1/v1' },
          { id: 'numbers', base_url: 'http://x:1/v1', timeout_ms: 0, max_retries: 99, extra: 1 },
          LOCAL,
        ],
        models: [
          model('a', { provider: 'nowhere' }),
          model('b', { provider: 'local', fallbacks: ['ghost', 'b'] }),
          model('c', { provider: 'local', fallbacks: ['d'] }),
          model('d', { provider: 'local', fallbacks: ['c'] }),
          model('e'),
        ],
      });
      const expected = [
        /provider 1 \("cloud"\): api.openai.com needs api_key or api_key_env/,
        /provider 2 \("both"\): set api_key or api_key_env, not both/,
        /provider 3 \("unset"\): api_key_env NOT_SET_ANYWHERE is not set/,
        /provider 4 \("badurl"\): base_url must be an http\(s\) URL/,
        /provider 5 \("offline"\): id "offline" is reserved/,
        /provider 6 \("numbers"\): unknown field "extra"/,
        /provider 6 \("numbers"\): timeout_ms must be/,
        /provider 6 \("numbers"\): max_retries must be/,
        /provider 7 \("local"\): duplicate id/,
        /model "a": unknown provider "nowhere"/,
        /model "b": fallback "ghost" is not a model of the catalog/,
        /model "b": falls back to itself/,
        /fallbacks form a cycle \(c -> d -> c\)/,
        /model "e": provider is required when the catalog lists several providers/,
      ];
      for (const pattern of expected) expect(found.join('\n')).toMatch(pattern);
      expect(found).toHaveLength(expected.length);
      for (const p of found) expect(p).toMatch(/^MODELS_JSON: /);
    });

    it('refuses an empty providers list and LLM_PROVIDER=offline beside providers', () => {
      expect(problemsOf({ providers: [], models: [model('a')] })).toEqual([
        'MODELS_JSON: providers must be a non-empty list',
      ]);
      expect(
        problemsOf({ providers: [LOCAL], models: [model('a')] }, { LLM_PROVIDER: 'offline' }),
      ).toEqual(['LLM_PROVIDER: offline cannot be combined with providers in MODELS_JSON']);
    });

    it('refuses a provider name without a providers list that is not the env one', () => {
      expect(problemsOf([model('a', { provider: 'local' })], { OPENAI_API_KEY: 'k' })[0]).toMatch(
        /model "a": unknown provider "local"/,
      );
    });
  });

  describe('MODELS_FILE', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'catalog-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads YAML from a .yaml file', () => {
      const path = join(dir, 'models.yaml');
      writeFileSync(
        path,
        [
          'providers:',
          '  - id: ollama',
          '    base_url: http://127.0.0.1:11434/v1',
          'models:',
          '  - id: llama3.1',
          '    name: Llama 3.1 8B',
          '    upstream_model: "llama3.1:8b"',
          '    max_tokens: 2048',
          '    cost_per_1k_tokens: { input: 0, output: 0 }',
          '    capabilities: [text]',
        ].join('\n'),
      );
      const setup = resolveLlmSetup({ MODELS_FILE: path });
      if ('problems' in setup) throw new Error(setup.problems.join());
      expect(setup.routes.get('llama3.1')).toEqual({
        provider: 'ollama',
        upstream_model: 'llama3.1:8b',
        fallbacks: [],
      });
    });

    it('says when a .yml file is not YAML', () => {
      const path = join(dir, 'bad.yml');
      writeFileSync(path, 'models: [\n  - : :');
      const result = resolveLlmSetup({ MODELS_FILE: path });
      expect('problems' in result && result.problems[0]).toMatch(/^MODELS_FILE: is not valid YAML/);
    });
  });

  describe('through validateEnv', () => {
    it('reads api_key_env from the raw environment and lists its problem under the catalog key', () => {
      const catalog = JSON.stringify({ providers: [CLOUD], models: [model('gpt')] });
      expect(() => validateEnv({ MODELS_JSON: catalog, CLOUD_KEY: 'sk-1' })).not.toThrow();
      try {
        validateEnv({ MODELS_JSON: catalog });
        throw new Error('expected a problem');
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidEnvError);
        expect((error as InvalidEnvError).problems).toEqual([
          'MODELS_JSON: provider 0 ("cloud"): api_key_env CLOUD_KEY is not set',
        ]);
      }
    });
  });
});

describe(ModelsCatalog.name, () => {
  describe('isTokenFree', () => {
    it('is true for the offline model served offline at price 0, false for priced models served offline', () => {
      const catalog = ModelsCatalog.fromSettings({});
      expect(catalog.isTokenFree(OFFLINE_MODEL_ID)).toBe(true);
      expect(catalog.isTokenFree('gpt-4')).toBe(false);
    });

    it('is false for a free model of a real provider', () => {
      const catalog = ModelsCatalog.fromSettings({
        MODELS_JSON: JSON.stringify({
          providers: [LOCAL],
          models: [model('llama', { cost_per_1k_tokens: { input: 0, output: 0 } })],
        }),
      });
      expect(catalog.isTokenFree('llama')).toBe(false);
    });
  });
});

describe('examples/providers', () => {
  it.each(['ollama.yaml', 'vllm.yaml'])('%s is a valid catalog', (file) => {
    const result = resolveLlmSetup(
      { MODELS_FILE: join(__dirname, '../../../examples/providers', file) },
      (name) => ({ VLLM_API_KEY: 'v', OPENAI_API_KEY: 'o' })[name],
    );
    expect('problems' in result ? result.problems : []).toEqual([]);
  });
});

describe('LLM_PROVIDER=openai beside catalog providers', () => {
  it('does not ask for OPENAI_API_KEY', () => {
    const catalog = JSON.stringify({ providers: [LOCAL], models: [model('llama')] });
    expect(() => validateEnv({ MODELS_JSON: catalog, LLM_PROVIDER: 'openai' })).not.toThrow();
  });
});
