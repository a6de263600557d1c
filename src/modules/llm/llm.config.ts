import type { LlmProviderName } from './llm-provider';
import {
  DEFAULT_MODEL_ID,
  loadModelCatalog,
  ModelCatalogSettings,
  OFFLINE_MODEL_ID,
} from './models.config';

/** The env keys this module reads to pick its provider and default model. */
export interface LlmSettings extends ModelCatalogSettings {
  LLM_PROVIDER?: LlmProviderName;
  OPENAI_API_KEY?: string;
  DEFAULT_MODEL?: string;
}

/** LLM_PROVIDER when set; otherwise openai with an API key, the offline model without. */
export function llmProviderOf(settings: LlmSettings): LlmProviderName {
  return settings.LLM_PROVIDER ?? (settings.OPENAI_API_KEY ? 'openai' : 'offline');
}

/**
 * The model used when a request names none: DEFAULT_MODEL when set; otherwise the offline
 * model while it is active, else gpt-3.5-turbo, else (a catalog without it) its first entry.
 */
export function defaultModelOf(settings: LlmSettings, catalogIds: readonly string[]): string {
  if (settings.DEFAULT_MODEL) return settings.DEFAULT_MODEL;
  if (llmProviderOf(settings) === 'offline') return OFFLINE_MODEL_ID;
  return catalogIds.includes(DEFAULT_MODEL_ID) ? DEFAULT_MODEL_ID : catalogIds[0];
}

/** Cross-key problems of the LLM settings, in env validation's "KEY: problem" form. */
export function llmConfigProblems(settings: LlmSettings): string[] {
  const problems: string[] = [];
  if (settings.LLM_PROVIDER === 'openai' && !settings.OPENAI_API_KEY) {
    problems.push('OPENAI_API_KEY: is required when LLM_PROVIDER is openai');
  }
  const catalog = loadModelCatalog(settings);
  if ('problems' in catalog) return [...problems, ...catalog.problems];
  const ids = catalog.models.map((m) => m.id);
  if (llmProviderOf(settings) === 'offline') ids.push(OFFLINE_MODEL_ID);
  if (settings.DEFAULT_MODEL && !ids.includes(settings.DEFAULT_MODEL)) {
    problems.push(
      `DEFAULT_MODEL: "${settings.DEFAULT_MODEL}" is not in the model catalog (${ids.join(', ')})`,
    );
  }
  return problems;
}
