import { Logger, Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppConfig } from '../../config/app-config';
import { InvalidEnvError, type Env } from '../../config/env';
import { MetricsService } from '../metrics/metrics.service';
import { LLM_PROVIDER, LlmProvider } from './llm-provider';
import { LlmFailover, LlmRouter } from './llm-router';
import { ModelsCatalog } from './models.catalog';
import { ModelsController } from './models.controller';
import { OfflineProvider } from './offline.provider';
import { OpenAiProvider } from './openai.provider';
import { LlmSetup, ProviderSetup, resolveLlmSetup } from './providers.config';

/** The configured providers, each built once: the router sends through them, health checks them. */
export class LlmProviders {
  constructor(
    readonly setup: LlmSetup,
    readonly byId: ReadonlyMap<string, LlmProvider>,
  ) {}

  static fromEnv(env: Env, logger = new Logger('LlmModule')): LlmProviders {
    const setup = resolveLlmSetup(env);
    if ('problems' in setup) throw new InvalidEnvError(setup.problems);
    const byId = new Map<string, LlmProvider>();
    for (const provider of setup.providers) byId.set(provider.id, build(provider, env, logger));
    if (setup.source === 'env' && setup.providerName === 'offline') {
      if (env.LLM_PROVIDER === 'offline') logger.log('LLM provider: offline development model');
      else {
        logger.warn(
          'No OPENAI_API_KEY: replies come from the offline development model. ' +
            'Set OPENAI_API_KEY (or LLM_PROVIDER=offline to silence this warning).',
        );
      }
    }
    return new LlmProviders(setup, byId);
  }
}

function build(provider: ProviderSetup, env: Env, logger: Logger): LlmProvider {
  switch (provider.kind) {
    case 'offline':
      return new OfflineProvider({ tokenDelayMs: env.OFFLINE_TOKEN_DELAY_MS });
    case 'http':
      logger.log(
        `LLM provider ${provider.id}: ${provider.baseURL}${provider.apiKey ? '' : ' (no key)'}`,
      );
      return new OpenAiProvider({
        ...(provider.apiKey !== undefined ? { apiKey: provider.apiKey } : {}),
        baseURL: provider.baseURL,
        requestTimeoutMs: provider.requestTimeoutMs,
        maxRetries: provider.maxRetries,
        firstTokenTimeoutMs: provider.firstTokenTimeoutMs,
        idleTimeoutMs: provider.idleTimeoutMs,
        headers: provider.headers,
      });
  }
}

/** The router callers inject as LLM_PROVIDER, over the configured providers. */
export function createLlmProvider(
  providers: LlmProviders,
  catalog: ModelsCatalog,
  onFailover?: (failover: LlmFailover) => void,
): LlmProvider {
  const { setup, byId } = providers;
  return new LlmRouter({
    name: setup.providerName,
    providers: byId,
    routes: setup.routes,
    defaultProvider: setup.defaultProvider,
    maxTokensOf: (model) => catalog.get(model)?.max_tokens,
    ...(onFailover ? { onFailover } : {}),
  });
}

@Module({
  controllers: [ModelsController],
  providers: [
    {
      provide: LlmProviders,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => LlmProviders.fromEnv(config.env),
    },
    {
      provide: ModelsCatalog,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ModelsCatalog.fromSettings(config.env),
    },
    {
      provide: LLM_PROVIDER,
      inject: [LlmProviders, ModelsCatalog, ModuleRef],
      useFactory: (providers: LlmProviders, catalog: ModelsCatalog, moduleRef: ModuleRef) =>
        // Looked up when a failover happens: MetricsService depends on health, which depends
        // on this module, so it cannot be injected here.
        createLlmProvider(providers, catalog, (f) =>
          moduleRef.get(MetricsService, { strict: false }).llmFailover(f.from, f.to),
        ),
    },
  ],
  exports: [ModelsCatalog, LLM_PROVIDER, LlmProviders],
})
export class LlmModule {}
