import type { LlmProviderName } from './llm-provider';
import {
  DEFAULT_MODEL_ID,
  loadModelCatalog,
  ModelCatalogSettings,
  ModelInfo,
  ModelRoute,
  OFFLINE_MODEL,
  OFFLINE_MODEL_ID,
} from './models.config';

/**
 * The providers and routes of the catalog (API.md §13), resolved from the settings and kept
 * free of Nest like models.config.ts: env validation lists their problems at boot, the LLM
 * module builds its router from the same result.
 */

/** The OpenAI-compatible base URL used when none is given. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** The provider the env keys define when the catalog lists none. */
export const ENV_PROVIDER_ID = 'openai';
/** Built in, never declared: the offline development model. */
export const OFFLINE_PROVIDER_ID = 'offline';

/** The env keys the LLM setup reads. */
export interface LlmSettings extends ModelCatalogSettings {
  /** In production the offline model runs only when named (see llmConfigProblems). */
  NODE_ENV?: string;
  LLM_PROVIDER?: LlmProviderName;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  DEFAULT_MODEL?: string;
  LLM_REQUEST_TIMEOUT_MS?: number;
  LLM_MAX_RETRIES?: number;
  LLM_FIRST_TOKEN_TIMEOUT_MS?: number;
  LLM_IDLE_TIMEOUT_MS?: number;
}

/** Reads a variable a provider's `api_key_env` names (the raw environment, not the Env class). */
export type SecretLookup = (name: string) => string | undefined;

export interface ProviderSetup {
  id: string;
  /** `http`: an OpenAI-compatible server; `offline`: the offline development model. */
  kind: 'http' | 'offline';
  baseURL: string;
  /** Undefined: the provider takes no key, and no Authorization header is sent. */
  apiKey?: string;
  /** The SDK's per-attempt timeout, until the response headers. */
  requestTimeoutMs: number;
  /** From sending to the first streamed chunk; past it the model's fallbacks are tried. */
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  maxRetries: number;
  headers: Record<string, string>;
}

/** A model's route with its provider resolved. */
export type ResolvedRoute = Required<ModelRoute>;

export interface LlmSetup {
  /** `env`: OPENAI_* define the one provider, as before providers existed; `catalog`: it lists them. */
  source: 'env' | 'catalog';
  /** What /health and /info report as `llm_provider`. */
  providerName: LlmProviderName;
  providers: ProviderSetup[];
  /** The models requests may name, in catalog order (the offline model first when it is active). */
  models: ModelInfo[];
  routes: Map<string, ResolvedRoute>;
  /** Where a model id outside the catalog goes (callers validate ids; this keeps them working). */
  defaultProvider: string;
  defaultModel: string;
}

const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const PROVIDER_FIELDS = new Set([
  'id',
  'base_url',
  'api_key',
  'api_key_env',
  'timeout_ms',
  'max_retries',
  'headers',
]);
const MAX_TIMEOUT_MS = 600_000;
const MAX_RETRIES = 10;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when the URL is OpenAI's own API, which refuses requests without a key. */
export function isOpenAiUrl(url: string): boolean {
  try {
    return new URL(url).hostname.toLowerCase() === 'api.openai.com';
  } catch {
    return false;
  }
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Defaults a provider takes from the LLM_* keys. */
function envTimeouts(settings: LlmSettings) {
  return {
    requestTimeoutMs: settings.LLM_REQUEST_TIMEOUT_MS ?? 30000,
    firstTokenTimeoutMs: settings.LLM_FIRST_TOKEN_TIMEOUT_MS ?? 60000,
    idleTimeoutMs: settings.LLM_IDLE_TIMEOUT_MS ?? 30000,
    maxRetries: settings.LLM_MAX_RETRIES ?? 2,
  };
}

function offlineProvider(settings: LlmSettings): ProviderSetup {
  return {
    id: OFFLINE_PROVIDER_ID,
    kind: 'offline',
    baseURL: '',
    ...envTimeouts(settings),
    headers: {},
  };
}

/** One `providers` entry, or its problems (each prefixed with where it is). */
function parseProvider(
  raw: unknown,
  where: string,
  settings: LlmSettings,
  secrets: SecretLookup,
): ProviderSetup | string[] {
  if (!isObject(raw)) return [`${where}: must be an object`];
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (!PROVIDER_FIELDS.has(key)) problems.push(`${where}: unknown field "${key}"`);
  }
  const { id, base_url, api_key, api_key_env, timeout_ms, max_retries, headers } = raw;
  if (typeof id !== 'string' || !PROVIDER_ID.test(id)) {
    problems.push(`${where}: id must be 1-64 characters of letters, digits, . _ -`);
  } else if (id === OFFLINE_PROVIDER_ID) {
    problems.push(`${where}: id "${OFFLINE_PROVIDER_ID}" is reserved for the offline model`);
  }
  if (!isHttpUrl(base_url)) problems.push(`${where}: base_url must be an http(s) URL`);
  let apiKey: string | undefined;
  if (api_key !== undefined && api_key_env !== undefined) {
    problems.push(`${where}: set api_key or api_key_env, not both`);
  } else if (api_key !== undefined) {
    if (typeof api_key !== 'string' || api_key.trim() === '') {
      problems.push(`${where}: api_key must be a non-empty string`);
    } else apiKey = api_key;
  } else if (api_key_env !== undefined) {
    if (typeof api_key_env !== 'string' || !ENV_NAME.test(api_key_env)) {
      problems.push(`${where}: api_key_env must be an environment variable name`);
    } else {
      apiKey = secrets(api_key_env) || undefined;
      if (apiKey === undefined) problems.push(`${where}: api_key_env ${api_key_env} is not set`);
    }
  } else if (isHttpUrl(base_url) && isOpenAiUrl(base_url)) {
    problems.push(`${where}: api.openai.com needs api_key or api_key_env`);
  }
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  if (
    timeout_ms !== undefined &&
    !(isInt(timeout_ms) && timeout_ms > 0 && timeout_ms <= MAX_TIMEOUT_MS)
  ) {
    problems.push(`${where}: timeout_ms must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
  }
  if (
    max_retries !== undefined &&
    !(isInt(max_retries) && max_retries >= 0 && max_retries <= MAX_RETRIES)
  ) {
    problems.push(`${where}: max_retries must be an integer from 0 to ${MAX_RETRIES}`);
  }
  if (
    headers !== undefined &&
    (!isObject(headers) ||
      !Object.entries(headers).every(([k, v]) => HEADER_NAME.test(k) && typeof v === 'string'))
  ) {
    problems.push(`${where}: headers must map header names to strings`);
  }
  if (problems.length > 0) return problems;
  const defaults = envTimeouts(settings);
  const timeout = timeout_ms as number | undefined;
  return {
    id: id as string,
    kind: 'http',
    baseURL: base_url as string,
    ...(apiKey !== undefined ? { apiKey } : {}),
    // One figure bounds both the wait for headers and the wait for the first token.
    requestTimeoutMs: timeout ?? defaults.requestTimeoutMs,
    firstTokenTimeoutMs: timeout ?? defaults.firstTokenTimeoutMs,
    idleTimeoutMs: defaults.idleTimeoutMs,
    maxRetries: (max_retries as number | undefined) ?? defaults.maxRetries,
    headers: { ...((headers as Record<string, string> | undefined) ?? {}) },
  };
}

/** Every model id that some model's fallbacks reach back to itself through, once per cycle. */
function fallbackCycles(routes: Map<string, ModelRoute>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (id: string) => {
    if (onPath.has(id)) {
      cycles.push([...path.slice(path.indexOf(id)), id]);
      return;
    }
    if (done.has(id)) return;
    onPath.add(id);
    path.push(id);
    for (const next of routes.get(id)?.fallbacks ?? []) if (routes.has(next)) visit(next);
    path.pop();
    onPath.delete(id);
    done.add(id);
  };
  for (const id of routes.keys()) visit(id);
  return cycles;
}

/**
 * The providers, the models and their routes the settings describe, or every problem with
 * them in env validation's "KEY: problem" form. Without `providers` in the catalog, the env
 * keys define one provider exactly as before: `openai` (OPENAI_API_KEY, OPENAI_BASE_URL), or
 * the offline development model, which then answers every catalog id.
 */
export function resolveLlmSetup(
  settings: LlmSettings,
  secrets: SecretLookup = (name) => process.env[name],
): LlmSetup | { problems: string[] } {
  const catalog = loadModelCatalog(settings);
  if ('problems' in catalog) return catalog;
  const source = settings.MODELS_FILE ? 'MODELS_FILE' : 'MODELS_JSON';
  const problems: string[] = [];
  const providers: ProviderSetup[] = [];
  let providerName: LlmProviderName;
  let defaultProvider: string;

  if (catalog.providers === undefined) {
    providerName = settings.LLM_PROVIDER ?? (settings.OPENAI_API_KEY ? 'openai' : 'offline');
    if (providerName === 'openai') {
      // A missing OPENAI_API_KEY is llmConfigProblems' to report.
      providers.push({
        id: ENV_PROVIDER_ID,
        kind: 'http',
        baseURL: settings.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL,
        ...(settings.OPENAI_API_KEY ? { apiKey: settings.OPENAI_API_KEY } : {}),
        ...envTimeouts(settings),
        headers: {},
      });
      defaultProvider = ENV_PROVIDER_ID;
    } else {
      defaultProvider = OFFLINE_PROVIDER_ID;
    }
  } else {
    if (settings.LLM_PROVIDER === 'offline') {
      problems.push(`LLM_PROVIDER: offline cannot be combined with providers in ${source}`);
    }
    providerName = 'openai';
    if (!Array.isArray(catalog.providers) || catalog.providers.length === 0) {
      problems.push(`${source}: providers must be a non-empty list`);
    } else {
      const seen = new Set<string>();
      catalog.providers.forEach((raw: unknown, index) => {
        const label =
          isObject(raw) && typeof raw.id === 'string'
            ? `provider ${index} ("${raw.id}")`
            : `provider ${index}`;
        const parsed = parseProvider(raw, `${source}: ${label}`, settings, secrets);
        if (Array.isArray(parsed)) {
          problems.push(...parsed);
          return;
        }
        if (seen.has(parsed.id)) problems.push(`${source}: ${label}: duplicate id`);
        seen.add(parsed.id);
        providers.push(parsed);
      });
    }
    defaultProvider = providers[0]?.id ?? OFFLINE_PROVIDER_ID;
  }

  // Routes: each model's provider resolved and known, its fallbacks catalog models.
  const declared = new Set(providers.map((p) => p.id));
  const routes = new Map<string, ResolvedRoute>();
  const ids = new Set(catalog.models.map((m) => m.id));
  let usesOffline = providerName === 'offline' && catalog.providers === undefined;
  for (const model of catalog.models) {
    const route = catalog.routes[model.id];
    const where = `${source}: model "${model.id}"`;
    let provider = route.provider;
    if (catalog.providers === undefined) {
      // The env's one provider serves every model; `offline` may still be named explicitly.
      if (
        provider !== undefined &&
        provider !== ENV_PROVIDER_ID &&
        provider !== OFFLINE_PROVIDER_ID
      ) {
        problems.push(
          `${where}: unknown provider "${provider}" (the catalog lists no providers: use "${ENV_PROVIDER_ID}" or "${OFFLINE_PROVIDER_ID}")`,
        );
      }
      provider = provider === OFFLINE_PROVIDER_ID ? OFFLINE_PROVIDER_ID : defaultProvider;
    } else if (provider === undefined) {
      // Only a catalog with several providers (valid or not) needs each model to name one.
      const listed = Array.isArray(catalog.providers) ? catalog.providers.length : 0;
      if (listed > 1) {
        problems.push(`${where}: provider is required when the catalog lists several providers`);
      } else provider = providers[0]?.id;
    } else if (provider !== OFFLINE_PROVIDER_ID && !declared.has(provider)) {
      problems.push(
        `${where}: unknown provider "${provider}" (listed: ${[...declared].join(', ') || 'none'})`,
      );
    }
    if (provider === OFFLINE_PROVIDER_ID) usesOffline = true;
    const seen = new Set<string>();
    for (const fallback of route.fallbacks) {
      if (fallback === model.id) problems.push(`${where}: falls back to itself`);
      else if (!ids.has(fallback)) {
        problems.push(`${where}: fallback "${fallback}" is not a model of the catalog`);
      } else if (seen.has(fallback))
        problems.push(`${where}: fallback "${fallback}" is listed twice`);
      seen.add(fallback);
    }
    routes.set(model.id, {
      provider: provider ?? defaultProvider,
      upstream_model: route.upstream_model,
      fallbacks: route.fallbacks,
    });
  }
  for (const cycle of fallbackCycles(
    new Map(
      [...routes].map(([id, r]) => [id, { ...r, fallbacks: r.fallbacks.filter((f) => f !== id) }]),
    ),
  )) {
    problems.push(`${source}: fallbacks form a cycle (${cycle.join(' -> ')})`);
  }
  if (usesOffline) providers.push(offlineProvider(settings));

  const models = [...catalog.models];
  // As before providers: the offline model is listed (and answers every id) while it is active.
  if (catalog.providers === undefined && providerName === 'offline' && !ids.has(OFFLINE_MODEL_ID)) {
    models.unshift(structuredClone(OFFLINE_MODEL));
    routes.set(OFFLINE_MODEL_ID, {
      provider: OFFLINE_PROVIDER_ID,
      upstream_model: OFFLINE_MODEL_ID,
      fallbacks: [],
    });
  }
  const listed = models.map((m) => m.id);
  let defaultModel: string;
  if (settings.DEFAULT_MODEL) {
    defaultModel = settings.DEFAULT_MODEL;
    if (!listed.includes(defaultModel)) {
      problems.push(
        `DEFAULT_MODEL: "${defaultModel}" is not in the model catalog (${listed.join(', ')})`,
      );
    }
  } else if (catalog.providers === undefined && providerName === 'offline') {
    defaultModel = OFFLINE_MODEL_ID;
  } else {
    defaultModel = listed.includes(DEFAULT_MODEL_ID) ? DEFAULT_MODEL_ID : listed[0];
  }
  if (problems.length > 0) return { problems };
  return {
    source: catalog.providers === undefined ? 'env' : 'catalog',
    providerName,
    providers,
    models,
    routes,
    defaultProvider,
    defaultModel,
  };
}
