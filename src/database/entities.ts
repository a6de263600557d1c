import { ApiKeyEntity } from '../modules/api-keys/api-key.entity';
import { PasswordResetEntity } from '../modules/auth/password-reset.entity';
import { RefreshTokenEntity } from '../modules/auth/refresh-token.entity';
import { SessionEntity } from '../modules/auth/session.entity';
import {
  FileEntity,
  JobLeaseEntity,
  MessageAttachmentEntity,
  StorageUsageEntity,
} from '../modules/files/file.entity';
import { ConversationEntity } from '../modules/conversations/conversation.entity';
import {
  GenerationLeaseEntity,
  GenerationOwnerEntity,
} from '../modules/generation/generation-lease.entity';
import { IdempotencyKeyEntity } from '../modules/generation/idempotency-key.entity';
import { MessageEntity } from '../modules/messages/message.entity';
import { QuotaCounterEntity } from '../modules/quota/quota-counter.entity';
import { UserEntity } from '../modules/users/user.entity';

export const ENTITIES = [
  UserEntity,
  SessionEntity,
  RefreshTokenEntity,
  PasswordResetEntity,
  ConversationEntity,
  MessageEntity,
  QuotaCounterEntity,
  IdempotencyKeyEntity,
  GenerationOwnerEntity,
  GenerationLeaseEntity,
  FileEntity,
  StorageUsageEntity,
  MessageAttachmentEntity,
  JobLeaseEntity,
  ApiKeyEntity,
];
