import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../common/errors/app-error';
import { InvalidEnvError } from '../../config/env';
import { ModelsCatalog } from './models.catalog';
import { OFFLINE_MODEL_ID, parseModelCatalog } from './models.config';
import { httpStatusOf } from '../../common/errors/error-codes';

const OPENAI = { OPENAI_API_KEY: 'sk-test' };
const CUSTOM = [
  {
    id: 'llama3:8b',
    name: 'Llama 3 8B',
    description: 'Local model',
    max_tokens: 2048,
    context_window: 8192,
    cost_per_1k_tokens: { input: 0, output: 0 },
    capabilities: ['text', 'code'],
  },
  {
    id: 'qwen2.5',
    name: 'Qwen 2.5',
    max_tokens: 4096,
    cost_per_1k_tokens: { input: 0.0005, output: 0.001 },
    capabilities: ['text'],
  },
];

/** The problems listed by the InvalidEnvError `fn` throws. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvError);
    return (error as InvalidEnvError).problems;
  }
  throw new Error('expected an InvalidEnvError');
}

describe(ModelsCatalog.name, () => {
  describe('fromSettings', () => {
    it('defaults to the contract entries (gpt-4, gpt-4-turbo, gpt-3.5-turbo)', () => {
      const catalog = ModelsCatalog.fromSettings(OPENAI);
      expect(catalog.list().map((m) => m.id)).toEqual(['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo']);
      expect(catalog.get('gpt-4')).toMatchObject({
        max_tokens: 8192,
        context_window: 8192,
        cost_per_1k_tokens: { input: 0.03, output: 0.06 },
        capabilities: ['text', 'code', 'reasoning'],
      });
      expect(catalog.get('gpt-3.5-turbo')).toMatchObject({
        max_tokens: 4096,
        cost_per_1k_tokens: { input: 0.001, output: 0.002 },
        capabilities: ['text', 'code'],
      });
      expect(catalog.get('gpt-4-turbo')).toMatchObject({
        context_window: 128000,
        cost_per_1k_tokens: { input: 0.01, output: 0.03 },
        capabilities: ['text', 'code', 'reasoning', 'vision'],
      });
      expect(catalog.defaultModelId).toBe('gpt-3.5-turbo');
      expect(catalog.get(OFFLINE_MODEL_ID)).toBeUndefined();
    });

    it('adds the offline model, first and as the default, while the offline provider is active', () => {
      const catalog = ModelsCatalog.fromSettings({});
      expect(catalog.list().map((m) => m.id)).toEqual([
        OFFLINE_MODEL_ID,
        'gpt-4',
        'gpt-4-turbo',
        'gpt-3.5-turbo',
      ]);
      expect(catalog.defaultModelId).toBe(OFFLINE_MODEL_ID);
      expect(catalog.get(OFFLINE_MODEL_ID)?.name).toMatch(/offline/i);
    });

    it('keeps an explicit DEFAULT_MODEL with the offline provider', () => {
      const catalog = ModelsCatalog.fromSettings({
        LLM_PROVIDER: 'offline',
        DEFAULT_MODEL: 'gpt-4',
      });
      expect(catalog.defaultModelId).toBe('gpt-4');
      expect(catalog.get(OFFLINE_MODEL_ID)).toBeDefined();
    });

    it('loads MODELS_JSON, accepting {"models": [...]} and filling defaults', () => {
      const catalog = ModelsCatalog.fromSettings({
        ...OPENAI,
        MODELS_JSON: JSON.stringify({ models: CUSTOM }),
      });
      expect(catalog.list().map((m) => m.id)).toEqual(['llama3:8b', 'qwen2.5']);
      expect(catalog.get('qwen2.5')).toEqual({
        ...CUSTOM[1],
        description: '',
        context_window: 4096,
      });
      // No gpt-3.5-turbo in this catalog: the first entry is the default.
      expect(catalog.defaultModelId).toBe('llama3:8b');
    });

    describe('with a file', () => {
      let dir: string;
      beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'models-'));
      });
      afterAll(() => rmSync(dir, { recursive: true, force: true }));

      it('loads MODELS_FILE (a JSON array)', () => {
        const file = join(dir, 'models.json');
        writeFileSync(file, JSON.stringify(CUSTOM));
        const catalog = ModelsCatalog.fromSettings({
          ...OPENAI,
          MODELS_FILE: file,
          DEFAULT_MODEL: 'qwen2.5',
        });
        expect(catalog.list()).toHaveLength(2);
        expect(catalog.get('llama3:8b')?.context_window).toBe(8192);
        expect(catalog.defaultModelId).toBe('qwen2.5');
      });

      it('rejects a missing file, naming the key and the path', () => {
        const file = join(dir, 'nope.json');
        const [problem] = problemsOf(() =>
          ModelsCatalog.fromSettings({ ...OPENAI, MODELS_FILE: file }),
        );
        expect(problem).toMatch(/^MODELS_FILE: /);
        expect(problem).toContain(file);
        expect(problem).toContain('ENOENT');
      });

      it('rejects a file that is not JSON', () => {
        const file = join(dir, 'broken.json');
        writeFileSync(file, '[{"id": "x",');
        expect(
          problemsOf(() => ModelsCatalog.fromSettings({ ...OPENAI, MODELS_FILE: file }))[0],
        ).toMatch(/^MODELS_FILE: is not valid JSON/);
      });
    });

    it('rejects MODELS_FILE and MODELS_JSON together', () => {
      expect(
        problemsOf(() =>
          ModelsCatalog.fromSettings({
            MODELS_FILE: 'a.json',
            MODELS_JSON: JSON.stringify(CUSTOM),
          }),
        )[0],
      ).toMatch(/^MODELS_FILE, MODELS_JSON: /);
    });

    it('rejects an unknown DEFAULT_MODEL', () => {
      expect(
        problemsOf(() => ModelsCatalog.fromSettings({ ...OPENAI, DEFAULT_MODEL: 'gpt-5' }))[0],
      ).toMatch(/^DEFAULT_MODEL: /);
    });
  });

  describe('list and get', () => {
    it('hands out models that cannot change the catalog (frozen, not copied per call)', () => {
      const catalog = ModelsCatalog.fromSettings(OPENAI);
      expect(() => {
        (catalog.list()[0] as { max_tokens: number }).max_tokens = 1;
      }).toThrow(/read.only/);
      expect(() => catalog.get('gpt-4')!.capabilities.push('magic')).toThrow(/not extensible/);
      expect(catalog.get('gpt-4')).toBe(catalog.get('gpt-4'));
      expect(catalog.ids).toEqual(catalog.list().map((m) => m.id));
      expect(catalog.get('gpt-4')).toMatchObject({
        max_tokens: 8192,
        capabilities: ['text', 'code', 'reasoning'],
      });
    });
  });

  describe('require', () => {
    const catalog = ModelsCatalog.fromSettings(OPENAI);

    it('returns a known model', () => {
      expect(catalog.require('gpt-4').id).toBe('gpt-4');
    });

    it('throws 422 VALIDATION_ERROR on the model field for an unknown one', () => {
      let caught: unknown;
      try {
        catalog.require('gpt-5');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AppError);
      const error = caught as AppError;
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(httpStatusOf(error.code, error.variant)).toBe(422);
      expect(error.details).toMatchObject({ field: 'model', key: 'issue.unknown_model' });
    });

    it('does not know the offline model while the openai provider is active', () => {
      expect(() => catalog.require(OFFLINE_MODEL_ID)).toThrow(AppError);
    });
  });

  describe('capMaxTokens', () => {
    const catalog = ModelsCatalog.fromSettings(OPENAI);

    it.each<[string, number | undefined | null, number]>([
      ['gpt-3.5-turbo', undefined, 4096],
      ['gpt-3.5-turbo', null, 4096],
      ['gpt-3.5-turbo', 500, 500],
      ['gpt-3.5-turbo', 4096, 4096],
      ['gpt-3.5-turbo', 100000, 4096],
      ['gpt-4', 100000, 8192],
      ['gpt-4-turbo', 100000, 4096],
      ['gpt-4', 0, 1],
      ['gpt-4', 12.7, 12],
    ])('caps %s asked for %p to %i', (id, requested, expected) => {
      expect(catalog.capMaxTokens(id, requested)).toBe(expected);
    });

    it('throws 422 for an unknown model', () => {
      expect(() => catalog.capMaxTokens('nope', 10)).toThrow(AppError);
    });
  });
});

describe(parseModelCatalog.name, () => {
  const problems = (json: unknown) => {
    const result = parseModelCatalog(JSON.stringify(json), 'MODELS_JSON');
    return 'problems' in result ? result.problems : [];
  };

  it('accepts a valid catalog', () => {
    expect(parseModelCatalog(JSON.stringify(CUSTOM), 'MODELS_JSON')).toHaveProperty('models');
  });

  it.each<[string, unknown, RegExp]>([
    ['not a list', { id: 'x' }, /must be a JSON array/],
    ['an empty list', [], /at least one model/],
    ['an entry that is not an object', ['gpt-4'], /model 0: must be an object/],
    ['a missing id', [{ ...CUSTOM[0], id: undefined }], /model 0: id must be/],
    ['an id with spaces', [{ ...CUSTOM[0], id: 'my model' }], /id must be/],
    ['an empty name', [{ ...CUSTOM[0], name: ' ' }], /name must be a non-empty string/],
    ['max_tokens 0', [{ ...CUSTOM[0], max_tokens: 0 }], /max_tokens must be a positive integer/],
    ['max_tokens as a string', [{ ...CUSTOM[0], max_tokens: '4096' }], /max_tokens/],
    [
      'a context window below max_tokens',
      [{ ...CUSTOM[0], context_window: 100 }],
      /context_window must be at least/,
    ],
    [
      'a negative cost',
      [{ ...CUSTOM[0], cost_per_1k_tokens: { input: -1, output: 0 } }],
      /cost_per_1k_tokens/,
    ],
    ['a missing cost', [{ ...CUSTOM[0], cost_per_1k_tokens: undefined }], /cost_per_1k_tokens/],
    ['capabilities not a list', [{ ...CUSTOM[0], capabilities: 'text' }], /capabilities/],
    ['an unknown field', [{ ...CUSTOM[0], max_token: 5 }], /unknown field "max_token"/],
    ['a duplicate id', [CUSTOM[0], CUSTOM[0]], /model 1 \("llama3:8b"\): duplicate id/],
  ])('rejects %s', (_, json, pattern) => {
    const found = problems(json);
    expect(found.length).toBeGreaterThan(0);
    for (const p of found) expect(p).toMatch(/^MODELS_JSON: /);
    expect(found.join('\n')).toMatch(pattern);
  });

  it('lists every problem of every entry', () => {
    const found = problems([
      { ...CUSTOM[0], max_tokens: -1 },
      { ...CUSTOM[1], name: '', capabilities: [1] },
    ]);
    expect(found).toHaveLength(3);
  });

  it('rejects text that is not JSON', () => {
    const result = parseModelCatalog('{nope', 'MODELS_JSON');
    expect('problems' in result && result.problems[0]).toMatch(/^MODELS_JSON: is not valid JSON/);
  });
});
