import type { LlmProviderName } from './llm-provider';
import { loadModelCatalog } from './models.config';
import { LlmSettings, resolveLlmSetup, SecretLookup } from './providers.config';

export type { LlmSettings } from './providers.config';

/**
 * The env's provider: LLM_PROVIDER when set; otherwise openai with an API key, the offline
 * model without. (A catalog that lists providers replaces it; see resolveLlmSetup.)
 */
export function llmProviderOf(settings: LlmSettings): LlmProviderName {
  return settings.LLM_PROVIDER ?? (settings.OPENAI_API_KEY ? 'openai' : 'offline');
}

/**
 * Cross-key problems of the LLM settings and the catalog's providers and routes, in env
 * validation's "KEY: problem" form. `secrets` reads the variables `api_key_env` names.
 */
export function llmConfigProblems(settings: LlmSettings, secrets?: SecretLookup): string[] {
  const problems: string[] = [];
  // A catalog that lists providers has keys of its own; OPENAI_API_KEY is then not needed.
  const catalog = loadModelCatalog(settings);
  const listsProviders = 'providers' in catalog && catalog.providers !== undefined;
  if (settings.LLM_PROVIDER === 'openai' && !settings.OPENAI_API_KEY && !listsProviders) {
    problems.push('OPENAI_API_KEY: is required when LLM_PROVIDER is openai');
  }
  const setup = resolveLlmSetup(settings, secrets);
  if ('problems' in setup) problems.push(...setup.problems);
  return problems;
}
