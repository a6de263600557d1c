import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LlmModule } from '../llm/llm.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { InfoController } from './info.controller';
import { ProviderHealth } from './provider-health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), LlmModule],
  controllers: [HealthController, InfoController],
  providers: [HealthService, ProviderHealth],
  exports: [HealthService],
})
export class HealthModule {}
