export { ChatClient, createClient, type ClientOptions } from './client.ts';
export { ApiError, isApiError, isErrorCode, type ClientErrorCode } from './errors.ts';
export type {
  FetchLike,
  HttpMethod,
  Operation,
  RequestArgs,
  RequestOptions,
  Result,
  Route,
} from './http.ts';
export { SseParser, readSse, type SseMessage } from './sse.ts';
export { ReplyStream, type StreamOptions } from './stream.ts';
export { TokenKeeper, webStorage, type Tokens, type TokenStorage } from './tokens.ts';
export {
  ChatSocket,
  ReplyFollow,
  type ChatSocketOptions,
  type ReplyFrame,
  type SocketState,
  type StateChange,
  type WebSocketConstructor,
  type WebSocketLike,
} from './ws.ts';
export type * from './types.ts';
