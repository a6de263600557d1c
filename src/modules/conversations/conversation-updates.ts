import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';

/** What changed on a conversation; only the fields present are sent. */
export interface ConversationChange {
  title?: string;
  currentMessageId?: string | null;
}

/**
 * Tells every socket of a user, on every replica, that one of their conversations changed
 * (WebSocket `conversation_updated`). The change is stored before this is called; telling is
 * best effort: a bus failure is logged, never turned into the caller's failure.
 */
@Injectable()
export class ConversationUpdates {
  private readonly logger = new Logger(ConversationUpdates.name);

  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}

  async publish(userId: string, conversationId: string, change: ConversationChange): Promise<void> {
    try {
      await this.bus.publish('conversation.updated', { userId, conversationId, ...change });
    } catch (error) {
      this.logger.warn(
        `conversation_updated not sent for ${conversationId}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
