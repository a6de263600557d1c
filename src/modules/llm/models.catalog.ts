import { AppError, fieldIssue } from '../../common/errors/app-error';
import { InvalidEnvError } from '../../config/env';
import { ModelInfo } from './models.config';
import {
  LlmSettings,
  OFFLINE_PROVIDER_ID,
  ResolvedRoute,
  resolveLlmSetup,
  SecretLookup,
} from './providers.config';

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
    /** Each model's provider and upstream name (resolveLlmSetup); none: not known here. */
    private readonly routes: ReadonlyMap<string, ResolvedRoute> = new Map(),
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
  static fromSettings(settings: LlmSettings, secrets?: SecretLookup): ModelsCatalog {
    const setup = resolveLlmSetup(settings, secrets);
    if ('problems' in setup) throw new InvalidEnvError(setup.problems);
    return new ModelsCatalog(setup.models, setup.defaultModel, setup.routes);
  }

  /** The model's provider, upstream name and fallbacks, when the catalog routes it. */
  route(id: string): ResolvedRoute | undefined {
    return this.routes.get(id);
  }

  /**
   * True for a model served by the offline provider and priced 0 (the offline development
   * model): its replies count as requests but spend none of the user's tokens, since nothing is
   * paid for them. A priced model served offline (the env's offline mode answers every id with
   * the offline model) is not free: its price says what it would cost.
   */
  isTokenFree(id: string): boolean {
    const model = this.byId.get(id);
    return (
      model !== undefined &&
      this.routes.get(id)?.provider === OFFLINE_PROVIDER_ID &&
      model.cost_per_1k_tokens.input === 0 &&
      model.cost_per_1k_tokens.output === 0
    );
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
