import { Logger, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import type { Env } from '../../config/env';
import { LLM_PROVIDER, LlmProvider } from './llm-provider';
import { llmProviderOf } from './llm.config';
import { ModelsCatalog } from './models.catalog';
import { ModelsController } from './models.controller';
import { OfflineProvider } from './offline.provider';
import { OPENAI_DEFAULT_BASE_URL, OpenAiProvider } from './openai.provider';

/** The provider LLM_PROVIDER (or its default) selects, configured from the validated env. */
export function createLlmProvider(env: Env, logger = new Logger('LlmModule')): LlmProvider {
  const name = llmProviderOf(env);
  switch (name) {
    case 'openai': {
      // Validation guarantees a key when the openai provider is selected.
      const baseURL = env.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL;
      logger.log(`LLM provider: openai at ${baseURL}`);
      return new OpenAiProvider({
        apiKey: env.OPENAI_API_KEY as string,
        baseURL,
        requestTimeoutMs: env.LLM_REQUEST_TIMEOUT_MS,
        maxRetries: env.LLM_MAX_RETRIES,
        firstTokenTimeoutMs: env.LLM_FIRST_TOKEN_TIMEOUT_MS,
        idleTimeoutMs: env.LLM_IDLE_TIMEOUT_MS,
      });
    }
    case 'offline':
      if (env.LLM_PROVIDER === 'offline') logger.log('LLM provider: offline development model');
      else {
        logger.warn(
          'No OPENAI_API_KEY: replies come from the offline development model. ' +
            'Set OPENAI_API_KEY (or LLM_PROVIDER=offline to silence this warning).',
        );
      }
      return new OfflineProvider({ tokenDelayMs: env.OFFLINE_TOKEN_DELAY_MS });
  }
}

@Module({
  controllers: [ModelsController],
  providers: [
    {
      provide: ModelsCatalog,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ModelsCatalog.fromSettings(config.env),
    },
    {
      provide: LLM_PROVIDER,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => createLlmProvider(config.env),
    },
  ],
  exports: [ModelsCatalog, LLM_PROVIDER],
})
export class LlmModule {}
