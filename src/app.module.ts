import { Module } from '@nestjs/common';
import { ThrottlingModule } from './common/throttling/throttling.module';
import { ConfigModule } from './config/config.module';
import { LifecycleModule } from './common/lifecycle/lifecycle.module';
import { LoggingModule } from './common/logging/logging.module';
import { DatabaseModule } from './database/database.module';
import { RedisModule } from './redis/redis.module';
import { AuthModule } from './modules/auth/auth.module';
import { AdminModule } from './modules/admin/admin.module';
import { ChatModule } from './modules/chat/chat.module';
import { FilesModule } from './modules/files/files.module';
import { ConversationsModule } from './modules/conversations/conversations.module';
import { GenerationModule } from './modules/generation/generation.module';
import { HealthModule } from './modules/health/health.module';
import { LlmModule } from './modules/llm/llm.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { MessagesModule } from './modules/messages/messages.module';
import { QuotaModule } from './modules/quota/quota.module';
import { UsersModule } from './modules/users/users.module';
import { OpenAiCompatModule } from './modules/openai-compat/openai-compat.module';

@Module({
  imports: [
    ConfigModule,
    LoggingModule,
    LifecycleModule,
    DatabaseModule,
    RedisModule,
    ThrottlingModule,
    UsersModule,
    QuotaModule,
    AuthModule,
    LlmModule,
    ConversationsModule,
    FilesModule,
    MessagesModule,
    GenerationModule,
    HealthModule,
    MetricsModule,
    ChatModule,
    AdminModule,
    OpenAiCompatModule,
  ],
})
export class AppModule {}
