import { InvalidEnvError, validateEnv } from '../../config/env';
import { llmConfigProblems, llmProviderOf, MISSING_PROVIDER_PROBLEM } from './llm.config';

/** The keys named by the InvalidEnvError validateEnv throws for `raw`. */
function problemKeys(raw: Record<string, string>): string[] {
  try {
    validateEnv(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvError);
    return (error as InvalidEnvError).problems.map((p) => p.split(':')[0].trim());
  }
  throw new Error('expected validateEnv to throw');
}

describe('LLM configuration', () => {
  describe(llmProviderOf.name, () => {
    it.each<[Record<string, string>, string]>([
      [{}, 'offline'],
      [{ OPENAI_API_KEY: 'sk-x' }, 'openai'],
      [{ OPENAI_API_KEY: '' }, 'offline'],
      [{ OPENAI_API_KEY: 'sk-x', LLM_PROVIDER: 'offline' }, 'offline'],
      [{ OPENAI_API_KEY: 'sk-x', LLM_PROVIDER: 'openai' }, 'openai'],
    ])('picks the provider for %p: %s', (raw, expected) => {
      expect(llmProviderOf(validateEnv(raw))).toBe(expected);
    });
  });

  describe(llmConfigProblems.name, () => {
    it('refuses the unnamed offline stand-in in production only', () => {
      expect(llmConfigProblems({ NODE_ENV: 'production' })).toEqual([MISSING_PROVIDER_PROBLEM]);
      expect(llmConfigProblems({ NODE_ENV: 'development' })).toEqual([]);
      expect(llmConfigProblems({ NODE_ENV: 'test' })).toEqual([]);
      expect(llmConfigProblems({ NODE_ENV: 'production', LLM_PROVIDER: 'offline' })).toEqual([]);
      expect(llmConfigProblems({ NODE_ENV: 'production', OPENAI_API_KEY: 'sk-x' })).toEqual([]);
    });
  });

  describe('validateEnv', () => {
    it('has defaults for every LLM key', () => {
      expect(validateEnv({})).toMatchObject({
        LLM_REQUEST_TIMEOUT_MS: 30000,
        LLM_MAX_RETRIES: 2,
        LLM_FIRST_TOKEN_TIMEOUT_MS: 60000,
        LLM_IDLE_TIMEOUT_MS: 30000,
        OFFLINE_TOKEN_DELAY_MS: 30,
      });
      const env = validateEnv({});
      expect(env.LLM_PROVIDER).toBeUndefined();
      expect(env.OPENAI_BASE_URL).toBeUndefined();
      expect(env.DEFAULT_MODEL).toBeUndefined();
    });

    it('reads numbers and URLs', () => {
      const env = validateEnv({
        OPENAI_API_KEY: 'sk-x',
        OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
        LLM_MAX_RETRIES: '0',
        OFFLINE_TOKEN_DELAY_MS: '0',
        LLM_IDLE_TIMEOUT_MS: '1500',
      });
      expect(env).toMatchObject({
        OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
        LLM_MAX_RETRIES: 0,
        OFFLINE_TOKEN_DELAY_MS: 0,
        LLM_IDLE_TIMEOUT_MS: 1500,
      });
    });

    it('refuses LLM_PROVIDER=openai without OPENAI_API_KEY', () => {
      expect(problemKeys({ LLM_PROVIDER: 'openai' })).toEqual(['OPENAI_API_KEY']);
    });

    it('lists bad LLM keys together with the other bad keys', () => {
      expect(
        problemKeys({
          PORT: 'x',
          LLM_PROVIDER: 'anthropic',
          OPENAI_BASE_URL: 'not a url',
          LLM_MAX_RETRIES: '99',
          LLM_FIRST_TOKEN_TIMEOUT_MS: '5',
          OFFLINE_TOKEN_DELAY_MS: '-1',
        }).sort(),
      ).toEqual(
        [
          'PORT',
          'LLM_PROVIDER',
          'OPENAI_BASE_URL',
          'LLM_MAX_RETRIES',
          'LLM_FIRST_TOKEN_TIMEOUT_MS',
          'OFFLINE_TOKEN_DELAY_MS',
        ].sort(),
      );
    });

    it('lists an invalid model catalog and an unknown DEFAULT_MODEL at boot', () => {
      expect(problemKeys({ MODELS_JSON: '[{"id": "x"' })).toEqual(['MODELS_JSON']);
      // max_tokens, cost_per_1k_tokens and capabilities are missing: three problems.
      expect(problemKeys({ MODELS_JSON: '[{"id": "x", "name": "X"}]' })).toEqual([
        'MODELS_JSON',
        'MODELS_JSON',
        'MODELS_JSON',
      ]);
      expect(problemKeys({ OPENAI_API_KEY: 'sk-x', DEFAULT_MODEL: 'offline-dev' })).toEqual([
        'DEFAULT_MODEL',
      ]);
    });

    it('accepts DEFAULT_MODEL=offline-dev while the offline provider is active', () => {
      expect(validateEnv({ DEFAULT_MODEL: 'offline-dev' }).DEFAULT_MODEL).toBe('offline-dev');
    });
  });
});
