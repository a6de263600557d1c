import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * The model catalog's configuration, kept free of Nest and of AppConfig so that env
 * validation (src/config/env.ts) can check it at boot and list its problems with the
 * other keys.
 */

export interface ModelInfo {
  id: string;
  name: string;
  description: string;
  /** Largest completion we ask for (requests are capped to it). */
  max_tokens: number;
  /** Prompt + completion budget, for trimming history. Defaults to max_tokens. */
  context_window: number;
  /** USD per 1,000 tokens. */
  cost_per_1k_tokens: { input: number; output: number };
  capabilities: string[];
}

/** API.md §7's entries, plus gpt-4-turbo. */
export const DEFAULT_MODELS: readonly ModelInfo[] = [
  {
    id: 'gpt-4',
    name: 'GPT-4',
    description: 'Most capable GPT-4 model for complex reasoning, code and long answers',
    max_tokens: 8192,
    context_window: 8192,
    cost_per_1k_tokens: { input: 0.03, output: 0.06 },
    capabilities: ['text', 'code', 'reasoning'],
  },
  {
    id: 'gpt-4-turbo',
    name: 'GPT-4 Turbo',
    description: 'GPT-4 Turbo with a 128k context window and image understanding',
    max_tokens: 4096,
    context_window: 128000,
    cost_per_1k_tokens: { input: 0.01, output: 0.03 },
    capabilities: ['text', 'code', 'reasoning', 'vision'],
  },
  {
    id: 'gpt-3.5-turbo',
    name: 'GPT-3.5 Turbo',
    description: 'Fast and inexpensive model for everyday tasks',
    max_tokens: 4096,
    context_window: 4096,
    cost_per_1k_tokens: { input: 0.001, output: 0.002 },
    capabilities: ['text', 'code'],
  },
];

export const OFFLINE_MODEL_ID = 'offline-dev';

/** Listed only while the offline provider is active. */
export const OFFLINE_MODEL: ModelInfo = {
  id: OFFLINE_MODEL_ID,
  name: 'Offline development model',
  description:
    'Development stand-in that runs without network or API key: it restates your question, it does not answer it',
  max_tokens: 4096,
  context_window: 8192,
  cost_per_1k_tokens: { input: 0, output: 0 },
  capabilities: ['text'],
};

export const DEFAULT_MODEL_ID = 'gpt-3.5-turbo';

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;
const CAPABILITY = /^[a-z][a-z0-9_-]{0,31}$/;
const FIELDS = new Set([
  'id',
  'name',
  'description',
  'max_tokens',
  'context_window',
  'cost_per_1k_tokens',
  'capabilities',
  // Routing (see ModelRoute): which provider serves the model, under which name, and what next.
  'provider',
  'upstream_model',
  'fallbacks',
]);

/** Where a model is served: a provider id, the name that provider knows, what to try next. */
export interface ModelRoute {
  /** A provider id; undefined: the only provider there is (the env's `openai`, or the one listed). */
  provider?: string;
  upstream_model: string;
  /** Catalog model ids tried in order when this model's provider fails before the first token. */
  fallbacks: string[];
}

/** A catalog as written: models, their routes, and the providers when the catalog lists some. */
export interface ParsedCatalog {
  models: ModelInfo[];
  routes: Record<string, ModelRoute>;
  /** The raw `providers` entries (see providers.config.ts); undefined when the catalog has none. */
  providers?: unknown;
}

const PROVIDER_REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isPositiveInt = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;
const isCost = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** One entry, or the problems with it (each prefixed with where it is). */
function parseEntry(raw: unknown, where: string): ModelInfo | string[] {
  if (!isObject(raw)) return [`${where}: must be an object`];
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (!FIELDS.has(key)) problems.push(`${where}: unknown field "${key}"`);
  }
  const { id, name, description, max_tokens, context_window, cost_per_1k_tokens, capabilities } =
    raw;
  if (typeof id !== 'string' || !MODEL_ID.test(id)) {
    problems.push(`${where}: id must be 1-100 characters of letters, digits, . _ : / -`);
  }
  if (typeof name !== 'string' || name.trim() === '') {
    problems.push(`${where}: name must be a non-empty string`);
  }
  if (description !== undefined && typeof description !== 'string') {
    problems.push(`${where}: description must be a string`);
  }
  if (!isPositiveInt(max_tokens)) problems.push(`${where}: max_tokens must be a positive integer`);
  if (context_window !== undefined) {
    if (!isPositiveInt(context_window)) {
      problems.push(`${where}: context_window must be a positive integer`);
    } else if (isPositiveInt(max_tokens) && context_window < max_tokens) {
      problems.push(`${where}: context_window must be at least max_tokens`);
    }
  }
  if (
    !isObject(cost_per_1k_tokens) ||
    !isCost(cost_per_1k_tokens.input) ||
    !isCost(cost_per_1k_tokens.output)
  ) {
    problems.push(`${where}: cost_per_1k_tokens must be {input, output} with numbers >= 0`);
  }
  if (
    !Array.isArray(capabilities) ||
    !capabilities.every((c) => typeof c === 'string' && CAPABILITY.test(c))
  ) {
    problems.push(`${where}: capabilities must be a list of lowercase words (e.g. "text", "code")`);
  }
  const { provider, upstream_model, fallbacks } = raw;
  if (provider !== undefined && (typeof provider !== 'string' || !PROVIDER_REF.test(provider))) {
    problems.push(`${where}: provider must be a provider id (letters, digits, . _ -)`);
  }
  if (
    upstream_model !== undefined &&
    (typeof upstream_model !== 'string' ||
      upstream_model.trim() === '' ||
      upstream_model.length > 200)
  ) {
    problems.push(`${where}: upstream_model must be a non-empty string of at most 200 characters`);
  }
  if (
    fallbacks !== undefined &&
    (!Array.isArray(fallbacks) || !fallbacks.every((f) => typeof f === 'string'))
  ) {
    problems.push(`${where}: fallbacks must be a list of model ids`);
  }
  if (problems.length > 0) return problems;
  const cost = cost_per_1k_tokens as { input: number; output: number };
  return {
    id: id as string,
    name: (name as string).trim(),
    description: (description as string | undefined) ?? '',
    max_tokens: max_tokens as number,
    context_window: (context_window as number | undefined) ?? (max_tokens as number),
    cost_per_1k_tokens: { input: cost.input, output: cost.output },
    capabilities: [...new Set(capabilities as string[])],
  };
}

/** The route fields of an entry already checked by parseEntry. */
function routeOf(raw: Record<string, unknown>, id: string): ModelRoute {
  const { provider, upstream_model, fallbacks } = raw as {
    provider?: string;
    upstream_model?: string;
    fallbacks?: string[];
  };
  return {
    ...(provider !== undefined ? { provider } : {}),
    upstream_model: upstream_model?.trim() ?? id,
    fallbacks: [...(fallbacks ?? [])],
  };
}

/**
 * Parses a catalog: an array of entries, or `{"models": [...], "providers": [...]}`, as JSON or
 * (`format` yaml) YAML. Returns the entries, or every problem found, each starting with `source`
 * (the env key that supplied it). Cross-references (providers, fallbacks) are checked by
 * resolveLlmSetup, which knows the providers.
 */
export function parseModelCatalog(
  text: string,
  source: string,
  format: 'json' | 'yaml' = 'json',
): ParsedCatalog | { problems: string[] } {
  let json: unknown;
  try {
    json = format === 'yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      problems: [`${source}: is not valid ${format === 'yaml' ? 'YAML' : 'JSON'} (${reason})`],
    };
  }
  const list = isObject(json) && 'models' in json ? json.models : json;
  const providers = isObject(json) && 'providers' in json ? json.providers : undefined;
  if (!Array.isArray(list)) {
    return { problems: [`${source}: must be a JSON array of models or {"models": [...]}`] };
  }
  if (list.length === 0) return { problems: [`${source}: must list at least one model`] };
  const problems: string[] = [];
  const models: ModelInfo[] = [];
  const routes: Record<string, ModelRoute> = {};
  const seen = new Set<string>();
  list.forEach((raw: unknown, index) => {
    const label =
      isObject(raw) && typeof raw.id === 'string'
        ? `model ${index} ("${raw.id}")`
        : `model ${index}`;
    const parsed = parseEntry(raw, `${source}: ${label}`);
    if (Array.isArray(parsed)) {
      problems.push(...parsed);
      return;
    }
    if (seen.has(parsed.id)) problems.push(`${source}: ${label}: duplicate id`);
    seen.add(parsed.id);
    models.push(parsed);
    routes[parsed.id] = routeOf(raw as Record<string, unknown>, parsed.id);
  });
  if (problems.length > 0) return { problems };
  return providers === undefined ? { models, routes } : { models, routes, providers };
}

export interface ModelCatalogSettings {
  MODELS_FILE?: string;
  MODELS_JSON?: string;
}

/**
 * The configured catalog: MODELS_FILE (path to a JSON file, or YAML when it ends in .yaml or
 * .yml), else MODELS_JSON, else the defaults. Setting both is a problem, so that nobody edits
 * the one that is ignored.
 */
export function loadModelCatalog(
  settings: ModelCatalogSettings,
): ParsedCatalog | { problems: string[] } {
  if (settings.MODELS_FILE && settings.MODELS_JSON) {
    return { problems: ['MODELS_FILE, MODELS_JSON: set one or the other, not both'] };
  }
  if (settings.MODELS_FILE) {
    const path = resolve(settings.MODELS_FILE);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return { problems: [`MODELS_FILE: cannot read ${path} (${code})`] };
    }
    const yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
    return parseModelCatalog(text, 'MODELS_FILE', yaml ? 'yaml' : 'json');
  }
  if (settings.MODELS_JSON) return parseModelCatalog(settings.MODELS_JSON, 'MODELS_JSON');
  const models = DEFAULT_MODELS.map((m) => structuredClone(m));
  return {
    models,
    routes: Object.fromEntries(models.map((m) => [m.id, { upstream_model: m.id, fallbacks: [] }])),
  };
}
