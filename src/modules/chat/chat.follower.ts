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
   * Streams one generation's events to one socket, from event `after` on, in the background
   * (a generation the user started, or one the bus announced for the user: its ownership is
   * known). A socket already following it is left as it is: it gets every frame already.
   */
  follow(socket: ChatSocket, messageId: string, after: number, requestId?: string): void {
    if (socket.following.has(messageId)) return;
    const follow = new AbortController();
    socket.replaceFollow(messageId, follow);
    const signal = socket.signalOf(follow);
    // From the start event on, so frames after `after` still carry the conversation id.
    const events = this.generation.followStarted(messageId, 0, signal);
    void this.pump(socket, messageId, follow, signal, events, after, requestId);
  }

  /**
   * A `resume`: the reply's frames after `after`, then the live ones, once its ownership is
   * checked (a refusal throws here, for the frame's error). It replaces a follow of the same
   * reply already running on the socket, which ends without another frame: one socket never
   * gets a reply's frames twice, however often it resumes.
   */
  async resume(
    socket: ChatSocket,
    messageId: string,
    after: number,
    requestId?: string,
  ): Promise<void> {
    const follow = new AbortController();
    const signal = socket.signalOf(follow);
    const events = await this.generation.follow(socket.user, messageId, 0, signal);
    socket.replaceFollow(messageId, follow);
    void this.pump(socket, messageId, follow, signal, Promise.resolve(events), after, requestId);
  }

  /** Sends one follow's events as frames until its end, its replacement or the socket's close. */
  private async pump(
    socket: ChatSocket,
    messageId: string,
    follow: AbortController,
    signal: AbortSignal,
    opening: Promise<AsyncIterable<GenerationEvent>>,
    after: number,
    requestId?: string,
  ): Promise<void> {
    const ids: ReplyIds = { messageId, conversationId: '' };
    try {
      for await (const event of await opening) {
        // A log hands over the events it already has without looking at the signal.
        if (signal.aborted) break;
        if (event.type === 'start') ids.conversationId = event.conversation_id;
        if (event.seq <= after) continue;
        // An automatic title reaches every socket of the user once, as conversation_updated
        // (AutoTitles, over the bus), followers of this reply or not: no frame of its own here.
        if (event.type === 'title') continue;
        await socket.sendPaced(this.frameOf(event, ids, socket, requestId));
      }
    } catch (error) {
      if (!signal.aborted)
        socket.sendError(error, { message_id: messageId, request_id: requestId });
    } finally {
      socket.endFollow(messageId, follow);
    }
  }

  /** The text of an event's frame for this socket. */
  private frameOf(
    event: Exclude<GenerationEvent, { type: 'title' }>,
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
