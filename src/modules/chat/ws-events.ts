import type { ErrorCode } from '../../common/errors/error-codes';
import type { Usage } from '../generation/generation-events';

/** Frames the server sends (API.md §6, plus `seq` and `request_id`). Every frame has `timestamp`. */
export type ServerFrame =
  | {
      type: 'message_start';
      conversation_id: string;
      message_id: string;
      user_message_id: string;
      seq: number;
      request_id?: string;
    }
  | {
      type: 'message_content';
      conversation_id: string;
      message_id: string;
      content: string;
      seq: number;
    }
  | {
      type: 'message_end';
      conversation_id: string;
      message_id: string;
      usage: Usage;
      stopped: boolean;
      seq: number;
    }
  | {
      type: 'error';
      /** `details` only on refusals that say when to retry (RATE_LIMIT_EXCEEDED, QUOTA_EXCEEDED). */
      error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
      conversation_id?: string;
      message_id?: string;
      request_id?: string;
      seq?: number;
    }
  | {
      type: 'conversation_updated';
      conversation_id: string;
      /** Present when the title changed (an automatic title, or a rename). */
      title?: string;
      /** Present when the current branch changed (a switch, a send, a regeneration, a delete). */
      current_message_id?: string | null;
    }
  | { type: 'pong' }
  | { type: 'authenticated'; expires_at: string };

/** Every server frame type, listed for docs/asyncapi.yaml's drift test; the compiler keeps it complete. */
export const SERVER_FRAME_TYPES = [
  'message_start',
  'message_content',
  'message_end',
  'error',
  'conversation_updated',
  'pong',
  'authenticated',
] as const satisfies readonly ServerFrame['type'][];
type UnlistedServerFrame = Exclude<ServerFrame['type'], (typeof SERVER_FRAME_TYPES)[number]>;
export const SERVER_FRAME_TYPES_COMPLETE: [UnlistedServerFrame] extends [never] ? true : never =
  true;

/** Client frame types this server understands. */
export const CLIENT_FRAME_TYPES = ['chat_message', 'ping', 'stop', 'resume', 'auth'] as const;
export type ClientFrameType = (typeof CLIENT_FRAME_TYPES)[number];

/** Largest frame accepted; larger ones are refused by the socket (close 1009). */
export const WS_MAX_FRAME_BYTES = 64 * 1024;

/**
 * Close codes: 4401 credentials missing, bad, expired or revoked; 1001 server going away;
 * 1008 (policy violation) a client that kept sending past its limits after being refused.
 */
export const WS_CLOSE_UNAUTHORIZED = 4401;
export const WS_CLOSE_GOING_AWAY = 1001;
export const WS_CLOSE_POLICY = 1008;
