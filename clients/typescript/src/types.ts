/**
 * Types of the API's bodies and events. The REST shapes come from `generated/openapi.ts`
 * (made from the service's openapi.json by `npm run client:types`); the event-stream events and
 * the WebSocket frames are written here after docs/asyncapi.yaml, which has no generator.
 */
import type { components, operations, paths } from './generated/openapi.ts';

export type { components, operations, paths };

/** A schema of openapi.json by name: `Schema<'Conversation'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** The contract's error codes (API.md §1). */
export type ErrorCode = NonNullable<Schema<'ErrorBody'>['code']>;

export type User = Schema<'User'>;
export type AuthResult = Schema<'AuthResult'>;
export type TokenPair = Schema<'TokenPair'>;
export type Conversation = Schema<'Conversation'>;
export type ConversationDetail = Schema<'ConversationDetail'>;
export type ConversationList = Schema<'ConversationList'>;
export type Message = Schema<'Message'>;
export type MessageList = Schema<'MessageList'>;
export type SendMessageBody = Schema<'SendMessageDto'>;
export type RegenerateBody = Schema<'RegenerateMessageDto'>;
export type SendResult = Schema<'SendResult'>;
export type RegenerateResult = Schema<'RegenerateResult'>;
export type FileInfo = Schema<'File'>;
export type Usage = Schema<'Usage'>;

/** The error part of a refusal, in the envelope, an SSE `error` event or a WebSocket frame. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Token usage of one reply, as events and frames carry it. */
export interface ReplyUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

// ---------------------------------------------------------------------------------------------
// Server-Sent Events of a reply (API.md §5; asyncapi.yaml, channel replyStream)

export interface StartEvent {
  type: 'start';
  message_id: string;
  conversation_id: string;
  user_message_id: string;
}
export interface ContentEvent {
  type: 'content';
  content: string;
}
export interface TitleEvent {
  type: 'title';
  title: string;
}
export interface EndEvent {
  type: 'end';
  usage: ReplyUsage;
  stopped: boolean;
}
export interface ErrorEvent {
  type: 'error';
  error: ErrorBody;
}

/**
 * One event of a reply stream, with `id`, the reply's event number (the SSE `id:` line, the
 * WebSocket `seq`). An `error` that ends a stream because its session ended has no id.
 */
export type StreamEvent = (StartEvent | ContentEvent | TitleEvent | EndEvent | ErrorEvent) & {
  id?: number;
};

// ---------------------------------------------------------------------------------------------
// WebSocket frames (API.md §6; asyncapi.yaml, channel chat)

export interface ChatMessageFrame {
  type: 'chat_message';
  conversation_id: string;
  content: string;
  role?: 'user';
  model?: string;
  temperature?: number;
  max_tokens?: number;
  attachments?: string[];
  parent_id?: string | null;
  stream?: boolean;
  request_id?: string;
}
export interface RegenerateFrame {
  type: 'regenerate';
  message_id: string;
  model?: string;
  temperature?: number;
  max_tokens?: number;
  stream?: boolean;
  request_id?: string;
}
export interface PingFrame {
  type: 'ping';
  request_id?: string;
}
export interface StopFrame {
  type: 'stop';
  message_id: string;
  request_id?: string;
}
export interface ResumeFrame {
  type: 'resume';
  message_id: string;
  after?: number;
  request_id?: string;
}
export interface AuthFrame {
  type: 'auth';
  token: string;
  request_id?: string;
}

/** A frame a client sends. */
export type ClientFrame =
  ChatMessageFrame | RegenerateFrame | PingFrame | StopFrame | ResumeFrame | AuthFrame;

export interface MessageStartFrame {
  type: 'message_start';
  conversation_id: string;
  message_id: string;
  user_message_id: string;
  seq: number;
  request_id?: string;
  timestamp: string;
}
export interface MessageContentFrame {
  type: 'message_content';
  conversation_id: string;
  message_id: string;
  content: string;
  seq: number;
  timestamp: string;
}
export interface MessageEndFrame {
  type: 'message_end';
  conversation_id: string;
  message_id: string;
  usage: ReplyUsage;
  stopped: boolean;
  seq: number;
  timestamp: string;
}
export interface ErrorFrame {
  type: 'error';
  error: ErrorBody;
  conversation_id?: string;
  message_id?: string;
  request_id?: string;
  seq?: number;
  timestamp: string;
}
export interface ConversationUpdatedFrame {
  type: 'conversation_updated';
  conversation_id: string;
  title?: string;
  current_message_id?: string | null;
  timestamp: string;
}
export interface PongFrame {
  type: 'pong';
  timestamp: string;
}
export interface AuthenticatedFrame {
  type: 'authenticated';
  expires_at: string;
  timestamp: string;
}

/** A frame the server sends. */
export type ServerFrame =
  | MessageStartFrame
  | MessageContentFrame
  | MessageEndFrame
  | ErrorFrame
  | ConversationUpdatedFrame
  | PongFrame
  | AuthenticatedFrame;
