import { Injectable } from '@nestjs/common';
import { t } from '../../common/i18n/messages';
import type { GenerationEvent } from '../generation/generation-events';
import { GenerationService } from '../generation/generation.service';
import { ChatSocket, serializeFrame } from './chat-socket';

/** What every frame of one reply carries. */
interface ReplyIds {
  messageId: string;
  conversationId: string;
}

/**
 * Sends replies to sockets: each socket that follows a generation reads its stream log and
 * gets one frame per event, in order, paced by what the socket has not sent yet.
 */
@Injectable()
export class ChatFollower {
  constructor(private readonly generation: GenerationService) {}

  /**
   * Streams one generation's events to one socket, from event `after` on, in the background.
   * A socket already following it is left as it is, unless `again` (a resume) asks to replay.
   */
  follow(
    socket: ChatSocket,
    messageId: string,
    after: number,
    requestId?: string,
    again = false,
  ): void {
    if (socket.following.has(messageId) && !again) return;
    socket.following.add(messageId);
    void (async () => {
      const ids: ReplyIds = { messageId, conversationId: '' };
      try {
        // From the start event on, so frames after `after` still carry the conversation id.
        // Ownership is known on every path here (the bus names the user; a resume checked it).
        const events = await this.generation.followStarted(messageId, 0, socket.closed.signal);
        for await (const event of events) {
          if (event.type === 'start') ids.conversationId = event.conversation_id;
          if (event.seq <= after) continue;
          await socket.sendPaced(this.frameOf(event, ids, socket, requestId));
        }
      } catch (error) {
        if (!socket.closed.signal.aborted)
          socket.sendError(error, { message_id: messageId, request_id: requestId });
      } finally {
        socket.following.delete(messageId);
      }
    })();
  }

  /** The text of an event's frame for this socket. */
  private frameOf(
    event: GenerationEvent,
    ids: ReplyIds,
    socket: ChatSocket,
    requestId?: string,
  ): string {
    const base = { conversation_id: ids.conversationId, message_id: ids.messageId, seq: event.seq };
    const echo = requestId ? { request_id: requestId } : {};
    switch (event.type) {
      case 'start':
        return serializeFrame({
          type: 'message_start',
          ...base,
          user_message_id: event.user_message_id,
          ...echo,
        });
      case 'error':
        return serializeFrame({
          type: 'error',
          ...base,
          error: { code: event.error.code, message: t(event.error.messageKey, socket.lang) },
          ...echo,
        });
      case 'content':
        return serializeFrame({ type: 'message_content', ...base, content: event.content });
      case 'end':
        return serializeFrame({
          type: 'message_end',
          ...base,
          usage: event.usage,
          stopped: event.stopped,
        });
    }
  }
}
