import { Logger } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import type { LlmCheck, LlmEvent, LlmProvider, LlmProviderName, LlmRequest } from './llm-provider';
import type { ResolvedRoute } from './providers.config';

/** A failover: `from`'s provider failed before its first token, `to` is tried next. */
export interface LlmFailover {
  from: string;
  to: string;
  /** The failure's `reason` (connection_error, upstream_error, first_token_timeout…). */
  reason: string;
}

export interface LlmRouterOptions {
  /** What /health and /info report as `llm_provider`. */
  name: LlmProviderName;
  /** Providers by id. */
  providers: ReadonlyMap<string, LlmProvider>;
  /** Catalog model id → provider, upstream name, fallbacks. */
  routes: ReadonlyMap<string, ResolvedRoute>;
  /** The provider of a model id the catalog does not route (sent under its own name). */
  defaultProvider: string;
  /** Each model's max_tokens: a fallback is asked for no more than its own. */
  maxTokensOf: (model: string) => number | undefined;
  onFailover?: (failover: LlmFailover) => void;
}

/**
 * Whether a failure before the first token lets the next model be tried: the provider could not
 * be reached, was overloaded or broken (429, 5xx), or did not start answering in time. A 4xx
 * (a bad request, a refused key) would fail the same way elsewhere, or should be seen.
 */
export function isFailoverError(error: unknown): boolean {
  if (!(error instanceof AppError) || error.code !== 'OPENAI_API_ERROR') return false;
  const details = (error.details ?? {}) as { reason?: string; upstream_status?: number };
  switch (details.reason ?? '') {
    case 'connection_error':
    case 'request_timeout':
    case 'first_token_timeout':
      return true;
    case 'upstream_error':
      return (
        details.upstream_status !== undefined &&
        (details.upstream_status === 429 || details.upstream_status >= 500)
      );
    default:
      return false;
  }
}

/**
 * The LlmProvider callers inject (LLM_PROVIDER): `request.model` is a catalog model id, sent to
 * that model's provider under its upstream name. When the provider fails before the first token
 * in a way another provider may not (isFailoverError), the model's fallbacks are tried in order,
 * each on its own provider with max_tokens capped to its own; once a delta was yielded the
 * error propagates as it is. With fallbacks, every event names the catalog model that served it
 * (`model`); without, the provider's stream is handed over as it is (the requested model served).
 * Only the first attempt waits for `sendAfter`: the caller's go covers the reply, not one try.
 */
export class LlmRouter implements LlmProvider {
  readonly name: LlmProviderName;
  private readonly logger = new Logger(LlmRouter.name);

  constructor(private readonly options: LlmRouterOptions) {
    this.name = options.name;
  }

  stream(request: LlmRequest): AsyncIterable<LlmEvent> {
    const fallbacks = this.options.routes.get(request.model)?.fallbacks ?? [];
    if (fallbacks.length > 0) return this.withFallbacks(request, [request.model, ...fallbacks]);
    // No fallbacks (the common case): the provider's own stream, with nothing around it per
    // chunk; its events name no model, the requested one served.
    const { provider, upstream } = this.target(request.model);
    return provider.stream(upstream === request.model ? request : { ...request, model: upstream });
  }

  private async *withFallbacks(
    request: LlmRequest,
    chain: string[],
  ): AsyncGenerator<LlmEvent, void, undefined> {
    for (let i = 0; i < chain.length; i++) {
      const model = chain[i];
      const { provider, upstream } = this.target(model);
      const cap = i === 0 ? undefined : this.options.maxTokensOf(model);
      const maxTokens =
        request.maxTokens !== undefined && cap !== undefined
          ? Math.min(request.maxTokens, cap)
          : request.maxTokens;
      const attempt: LlmRequest = { ...request, model: upstream, maxTokens };
      if (i > 0) delete attempt.sendAfter;
      let started = false;
      try {
        for await (const event of provider.stream(attempt)) {
          if (event.type === 'delta') started = true;
          yield { ...event, model };
        }
        return;
      } catch (error) {
        const next = chain[i + 1];
        if (started || next === undefined || request.signal?.aborted || !isFailoverError(error)) {
          throw error;
        }
        const { reason } = (error as AppError).details as { reason: string };
        this.logger.warn(`${model} failed before its first token (${reason}); trying ${next}`);
        this.options.onFailover?.({ from: model, to: next, reason });
      }
    }
  }

  /** The default provider's probe (per-provider health is ProviderHealth's). */
  check(options?: { timeoutMs?: number }): Promise<LlmCheck> {
    return this.provider(this.options.defaultProvider).check(options);
  }

  private target(model: string): { provider: LlmProvider; upstream: string } {
    const route = this.options.routes.get(model);
    if (!route) return { provider: this.provider(this.options.defaultProvider), upstream: model };
    return { provider: this.provider(route.provider), upstream: route.upstream_model };
  }

  private provider(id: string): LlmProvider {
    const provider = this.options.providers.get(id);
    // resolveLlmSetup validated every route's provider at boot.
    if (!provider) throw new Error(`LLM provider "${id}" is not configured`);
    return provider;
  }
}
