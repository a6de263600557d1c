import { Module } from '@nestjs/common';
import { GenerationModule } from '../generation/generation.module';
import { LlmModule } from '../llm/llm.module';
import { QuotaModule } from '../quota/quota.module';
import { ChatCompletionsService } from './chat-completions.service';
import { OpenAiCompatController } from './openai-compat.controller';

/** The OpenAI-compatible endpoint (API.md §12): OpenAI's shapes over this service's rules. */
@Module({
  imports: [LlmModule, QuotaModule, GenerationModule],
  controllers: [OpenAiCompatController],
  providers: [ChatCompletionsService],
})
export class OpenAiCompatModule {}
