import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LlmModule } from '../llm/llm.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { InfoController } from './info.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), LlmModule],
  controllers: [HealthController, InfoController],
  providers: [HealthService],
  exports: [HealthService],
})
export class HealthModule {}
