import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { AdminApiKeysController } from './admin-api-keys.controller';
import { ApiKeyActivity } from './api-key-activity';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeySecret } from './api-key-secret';
import { ApiKeyVerifier } from './api-key.verifier';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';

/**
 * API keys: their routes, and the verifier the HTTP guard (AuthModule) and the WebSocket
 * handshake (ChatModule) use. Imports nothing of AuthModule, so AuthModule can import it.
 */
@Module({
  imports: [UsersModule],
  controllers: [ApiKeysController, AdminApiKeysController],
  providers: [
    ApiKeysService,
    ApiKeysRepository,
    ApiKeySecret,
    ApiKeyCache,
    ApiKeyActivity,
    ApiKeyVerifier,
  ],
  exports: [ApiKeyVerifier, ApiKeysService],
})
export class ApiKeysModule {}
