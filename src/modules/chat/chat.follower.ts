import { Injectable } from '@nestjs/common';
import { t } from '../../common/i18n/messages';
import type { GenerationEvent } from '../generation/generation-events';
import { GenerationService } from '../generation/generation.service';
import { ChatSocket, serializeFrame } from './chat-socket';
import type { ServerFrame } from './ws-events';

/** What every frame of one reply carries. */
interface ReplyIds {
  messageId: string;
  conversationId: string;
}

/**
 * Sends replies to sockets: each socket that follows a generation reads its stream log and
 * gets one frame per event, in order, paced by what the socket has not sent yet.
 *
 * A reply followed by many sockets (a user's tabs, a crowd) is serialized once per event, not
 * once per socket: on the replica running it, the in-memory log hands every follower the same
 * event object, and the text of its frame is kept beside it, for as long as the log keeps the
 * event. Such a frame's timestamp is when it was first sent, for every socket. Only the frames
 * that differ per socket are built per socket: message_start and error (the request id of the
 * socket that asked; an error's message in the socket's language).
 */
@Injectable()
export class ChatFollower {
  private readonly shared = new WeakMap<GenerationEvent, string>();

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
    // The same event has the same ids for every socket: they come from its own stream.
    const known = this.shared.get(event);
    if (known !== undefined) return known;
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
        return this.share(event, { type: 'message_content', ...base, content: event.content });
      case 'end':
        return this.share(event, {
          type: 'message_end',
          ...base,
          usage: event.usage,
          stopped: event.stopped,
        });
    }
  }

  private share(event: GenerationEvent, frame: ServerFrame): string {
    const text = serializeFrame(frame);
    this.shared.set(event, text);
    return text;
  }
}
