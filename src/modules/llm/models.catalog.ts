import { AppError, fieldIssue } from '../../common/errors/app-error';
import { InvalidEnvError } from '../../config/env';
import { defaultModelOf, LlmSettings, llmProviderOf } from './llm.config';
import { loadModelCatalog, ModelInfo, OFFLINE_MODEL } from './models.config';

export type { ModelInfo } from './models.config';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The models requests may name: the configured catalog (MODELS_FILE, MODELS_JSON or the
 * built-in entries), plus the offline development model while that provider is active (it
 * answers every catalog id too).
 */
export class ModelsCatalog {
  private readonly byId: ReadonlyMap<string, ModelInfo>;
  /** Model ids in catalog order. */
  readonly ids: readonly string[];

  constructor(
    models: readonly ModelInfo[],
    /** Used when a request names no model. */
    readonly defaultModelId: string,
  ) {
    // Frozen copies, handed out as they are: read on every send and every /info, a model is
    // never cloned per request (structuredClone was 11 % of /info's CPU).
    this.byId = new Map(models.map((m) => [m.id, deepFreeze(structuredClone(m))]));
    this.ids = Object.freeze([...this.byId.keys()]);
    if (!this.byId.has(defaultModelId)) {
      throw new Error(`default model "${defaultModelId}" is not in the catalog`);
    }
  }

  /** Built from validated settings; a catalog file that went bad since validation still fails boot. */
  static fromSettings(settings: LlmSettings): ModelsCatalog {
    const loaded = loadModelCatalog(settings);
    if ('problems' in loaded) throw new InvalidEnvError(loaded.problems);
    const models = [...loaded.models];
    if (llmProviderOf(settings) === 'offline' && !models.some((m) => m.id === OFFLINE_MODEL.id)) {
      models.unshift(structuredClone(OFFLINE_MODEL));
    }
    const ids = models.map((m) => m.id);
    const defaultModel = defaultModelOf(settings, ids);
    if (!ids.includes(defaultModel)) {
      throw new InvalidEnvError([`DEFAULT_MODEL: "${defaultModel}" is not in the model catalog`]);
    }
    return new ModelsCatalog(models, defaultModel);
  }

  /** Every model, in catalog order (frozen). */
  list(): readonly ModelInfo[] {
    return [...this.byId.values()];
  }

  /** The model (frozen), if the catalog has it. */
  get(id: string): ModelInfo | undefined {
    return this.byId.get(id);
  }

  /** The model, or a 422 VALIDATION_ERROR on the `model` field. */
  require(id: string): ModelInfo {
    const model = this.get(id);
    if (!model) throw AppError.validation([fieldIssue('model', 'issue.unknown_model')]);
    return model;
  }

  /**
   * The completion budget to ask for: the request's own, never above the model's max_tokens
   * (nor below 1); the model's max_tokens when the request sets none.
   */
  capMaxTokens(id: string, requested?: number | null): number {
    const { max_tokens } = this.require(id);
    if (requested === undefined || requested === null || !Number.isFinite(requested)) {
      return max_tokens;
    }
    return Math.max(1, Math.min(Math.floor(requested), max_tokens));
  }
}
