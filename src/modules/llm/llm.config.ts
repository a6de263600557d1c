import type { LlmProviderName } from './llm-provider';
import { loadModelCatalog } from './models.config';
import {
  LlmSettings,
  OFFLINE_PROVIDER_ID,
  resolveLlmSetup,
  SecretLookup,
} from './providers.config';

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
  if (settings.NODE_ENV === 'production') problems.push(...productionProviderProblems(settings));
  return problems;
}

/** What production is told to set when no provider is configured. */
export const MISSING_PROVIDER_PROBLEM =
  'LLM_PROVIDER: no model provider is configured, and production never falls back to the ' +
  'offline stand-in. Set OPENAI_API_KEY (with OPENAI_BASE_URL for a server other than OpenAI), ' +
  'or MODELS_FILE / MODELS_JSON with a `providers` list, or LLM_PROVIDER=offline to run the ' +
  'offline stand-in deliberately';

/**
 * Production runs the offline model only where it is asked for by name: LLM_PROVIDER=offline,
 * or a catalog model whose `provider` is `offline`. A model that would reach it only because
 * nothing else is configured (no LLM_PROVIDER, no OPENAI_API_KEY, no catalog providers) is a
 * boot error instead of a service that silently answers with made-up replies.
 */
function productionProviderProblems(settings: LlmSettings): string[] {
  if (settings.LLM_PROVIDER !== undefined || settings.OPENAI_API_KEY) return [];
  const catalog = loadModelCatalog(settings);
  // A catalog that does not parse is already listed; one with providers routes every model.
  if ('problems' in catalog || catalog.providers !== undefined) return [];
  const byDefault = catalog.models.filter(
    (model) => catalog.routes[model.id]?.provider !== OFFLINE_PROVIDER_ID,
  );
  return byDefault.length > 0 ? [MISSING_PROVIDER_PROBLEM] : [];
}
