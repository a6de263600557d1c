import {
  Transport,
  type FetchLike,
  type HttpMethod,
  type Operation,
  type RequestArgs,
  type Result,
  type Route,
} from './http.ts';
import { ReplyStream, type StreamOptions } from './stream.ts';
import { TokenKeeper, tokensOf, type Tokens, type TokenStorage } from './tokens.ts';
import type {
  AuthResult,
  Conversation,
  ConversationDetail,
  ConversationList,
  FileInfo,
  Message,
  MessageList,
  operations,
  RegenerateBody,
  RegenerateResult,
  Schema,
  SendMessageBody,
  SendResult,
} from './types.ts';
import { ChatSocket, type ChatSocketOptions, type WebSocketConstructor } from './ws.ts';

export interface ClientOptions {
  /**
   * The service's origin (`http://localhost:8000`), without `/api/v1`. Defaults to the page's
   * origin in a browser.
   */
  baseUrl?: string;
  /** A `fetch` to use instead of the global one (a test's, a proxy's). */
  fetch?: FetchLike;
  /** A WebSocket class where there is no global one (Node 20: the `ws` package's). */
  WebSocket?: WebSocketConstructor;
  /** Where tokens survive a reload (`webStorage(localStorage)`); memory only by default. */
  storage?: TokenStorage;
  /** Called whenever the tokens change (sign-in, refresh, sign-out: null). */
  onTokens?: (tokens: Tokens | null) => void;
  /** Tokens to start with (a session signed in earlier). */
  tokens?: Tokens;
  /** Sign in with an API key (`sk-…`, §12) instead of tokens: the chat routes only. */
  apiKey?: string;
  /** Headers sent with every request (e.g. `Accept-Language`). */
  headers?: Record<string, string>;
  /** Serialize refreshes across tabs with `navigator.locks` where present (default true). */
  crossTabLock?: boolean;
}

/** The options of any request, as the implementation reads them. */
interface LooseOptions {
  path?: Record<string, string | number>;
  query?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

type Query<K extends keyof operations> = operations[K] extends { parameters: { query?: infer Q } }
  ? NonNullable<Q>
  : never;

function defaultBaseUrl(): string {
  const location = (globalThis as { location?: { origin?: string } }).location;
  if (location?.origin && location.origin !== 'null') return location.origin;
  throw new TypeError('createClient needs a baseUrl outside a browser');
}

/**
 * A client of the chat assistant's API. `request` reaches every REST route of openapi.json,
 * typed; the groups below are the common flows. Tokens are kept and refreshed on their own.
 */
export class ChatClient {
  readonly transport: Transport;
  readonly tokens: TokenKeeper;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly apiKey: string | undefined;

  constructor(options: ClientOptions = {}) {
    const baseUrl = (options.baseUrl ?? defaultBaseUrl()).replace(/\/+$/, '');
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.apiKey = options.apiKey;
    this.tokens = new TokenKeeper({
      storage: options.storage,
      onTokens: options.onTokens,
      crossTabLock: options.crossTabLock,
      lockName: `chat-assistant-refresh ${baseUrl}`,
      refresh: async (refreshToken) =>
        (await this.transport.json({
          method: 'POST',
          path: '/api/v1/auth/refresh',
          body: { refresh_token: refreshToken },
        })) as Result<Operation<'POST', '/api/v1/auth/refresh'>>,
    });
    this.transport = new Transport(baseUrl, fetchImpl, this.tokens, options.apiKey, {
      accept: 'application/json',
      ...options.headers,
    });
    if (options.tokens) void this.tokens.set(options.tokens);
    this.WebSocketImpl =
      options.WebSocket ??
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ??
      undefined;
  }

  /**
   * Any REST route of openapi.json, typed from it: `request('GET', '/api/v1/conversations/{id}',
   * { path: { id } })`. Resolves to the envelope's `data`; throws `ApiError` otherwise.
   */
  async request<M extends HttpMethod, P extends Route<M>>(
    method: M,
    path: P,
    ...[options]: RequestArgs<Operation<M, P>>
  ): Promise<Result<Operation<M, P>>> {
    const o = (options ?? {}) as LooseOptions;
    return (await this.transport.json({
      method,
      path,
      pathParams: o.path,
      query: o.query,
      body: o.body,
      headers: o.headers,
      signal: o.signal,
    })) as Result<Operation<M, P>>;
  }

  /** `request` for routes that answer no JSON (file contents, metrics): the answer itself. */
  async requestRaw<M extends HttpMethod, P extends Route<M>>(
    method: M,
    path: P,
    ...[options]: RequestArgs<Operation<M, P>>
  ): Promise<Response> {
    const o = (options ?? {}) as LooseOptions;
    return this.transport.send({
      method,
      path,
      pathParams: o.path,
      query: o.query,
      body: o.body,
      headers: o.headers,
      signal: o.signal,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Authentication (API.md §2)

  readonly auth = {
    register: async (body: Schema<'RegisterDto'>): Promise<AuthResult> => {
      const result = await this.request('POST', '/api/v1/auth/register', { body });
      await this.tokens.set(tokensOf(result));
      return result;
    },
    login: async (username: string, password: string): Promise<AuthResult> => {
      const result = await this.request('POST', '/api/v1/auth/login', {
        body: { username, password },
      });
      await this.tokens.set(tokensOf(result));
      return result;
    },
    /** Ends the session on the server (its sockets and streams too) and drops the tokens. */
    logout: async (): Promise<void> => {
      const held = await this.tokens.get();
      try {
        if (held) {
          await this.request('POST', '/api/v1/auth/logout', {
            body: { refresh_token: held.refreshToken },
          });
        }
      } finally {
        await this.tokens.set(null);
      }
    },
    /** Renews the tokens now (they are renewed on their own when a request needs it). */
    refresh: async (): Promise<Tokens | null> => {
      const held = await this.tokens.get();
      return this.tokens.refresh(held?.accessToken);
    },
    getTokens: (): Promise<Tokens | null> => this.tokens.get(),
    setTokens: (tokens: Tokens | null): Promise<void> => this.tokens.set(tokens),
  };

  /** The signed-in user with quota (GET /users/me). */
  me(): Promise<Result<Operation<'GET', '/api/v1/users/me'>>> {
    return this.request('GET', '/api/v1/users/me');
  }

  // -------------------------------------------------------------------------------------------
  // Conversations (API.md §4)

  readonly conversations = {
    list: (query?: Query<'conversations_list'>): Promise<ConversationList> =>
      this.request('GET', '/api/v1/conversations', { query }),
    create: (body: Schema<'CreateConversationDto'> = {}): Promise<Conversation> =>
      this.request('POST', '/api/v1/conversations', { body }),
    get: (id: string): Promise<ConversationDetail> =>
      this.request('GET', '/api/v1/conversations/{id}', { path: { id } }),
    update: (id: string, body: Schema<'UpdateConversationDto'>): Promise<Conversation> =>
      this.request('PUT', '/api/v1/conversations/{id}', { path: { id }, body }),
    delete: async (id: string): Promise<void> => {
      await this.request('DELETE', '/api/v1/conversations/{id}', { path: { id } });
    },
    archive: async (id: string): Promise<void> => {
      await this.request('POST', '/api/v1/conversations/{id}/archive', { path: { id } });
    },
    unarchive: async (id: string): Promise<void> => {
      await this.request('POST', '/api/v1/conversations/{id}/unarchive', { path: { id } });
    },
  };

  // -------------------------------------------------------------------------------------------
  // Messages and replies (API.md §5, §11)

  readonly messages = {
    list: (conversationId: string, query?: Query<'messages_list'>): Promise<MessageList> =>
      this.request('GET', '/api/v1/conversations/{id}/messages', {
        path: { id: conversationId },
        query,
      }),
    /** Sends a message and waits for the whole reply. */
    send: (
      conversationId: string,
      body: SendMessageBody,
      options: { idempotencyKey?: string; signal?: AbortSignal } = {},
    ): Promise<SendResult> =>
      this.request('POST', '/api/v1/conversations/{id}/messages', {
        path: { id: conversationId },
        body: { ...body, stream: false },
        headers: idempotency(options.idempotencyKey),
        signal: options.signal,
      }),
    /** A new reply to the same user message as assistant message `messageId`. */
    regenerate: (
      messageId: string,
      body: RegenerateBody = {},
      options: { idempotencyKey?: string; signal?: AbortSignal } = {},
    ): Promise<RegenerateResult> =>
      this.request('POST', '/api/v1/messages/{id}/regenerate', {
        path: { id: messageId },
        body: { ...body, stream: false },
        headers: idempotency(options.idempotencyKey),
        signal: options.signal,
      }),
    /** Stops a reply wherever it runs; answers the message with its partial text. */
    stop: (messageId: string): Promise<Message> =>
      this.request('POST', '/api/v1/messages/{id}/stop', { path: { id: messageId } }),
  };

  /**
   * Sends a message and streams the reply (POST …/messages/stream): iterate the result for its
   * events. A dropped connection is resumed with `Last-Event-ID`; `stop()` stops the reply.
   */
  stream(conversationId: string, body: SendMessageBody, options?: StreamOptions): ReplyStream {
    return new ReplyStream(
      this.transport,
      { kind: 'send', conversationId, body: { ...body, stream: undefined } },
      (id) => this.messages.stop(id),
      options,
    );
  }

  /** Regenerates an assistant reply and streams the new one (POST …/regenerate/stream). */
  regenerateStream(
    messageId: string,
    body: RegenerateBody = {},
    options?: StreamOptions,
  ): ReplyStream {
    return new ReplyStream(
      this.transport,
      { kind: 'regenerate', messageId, body: { ...body, stream: undefined } },
      (id) => this.messages.stop(id),
      options,
    );
  }

  /**
   * Follows a reply that is running (or ended): its events after `after` (e.g. the last one a
   * page had before a reload), then the live ones.
   */
  resumeStream(
    conversationId: string,
    messageId: string,
    after = 0,
    options?: StreamOptions,
  ): ReplyStream {
    return new ReplyStream(
      this.transport,
      { kind: 'resume', conversationId, messageId, after },
      (id) => this.messages.stop(id),
      options,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Files (API.md §10)

  readonly files = {
    /** Uploads a file (a Blob or File; `filename` names a Blob). */
    upload: (file: Blob, filename?: string): Promise<FileInfo> => {
      const form = new FormData();
      const name = filename ?? (file as { name?: unknown }).name;
      if (typeof name === 'string') form.append('file', file, name);
      else form.append('file', file);
      return this.request('POST', '/api/v1/files', { body: form });
    },
    list: (query?: Query<'files_list'>) => this.request('GET', '/api/v1/files', { query }),
    get: (id: string): Promise<FileInfo> =>
      this.request('GET', '/api/v1/files/{id}', { path: { id } }),
    /** The file's bytes, as the answer (read `blob()` or `arrayBuffer()`). */
    content: (id: string): Promise<Response> =>
      this.requestRaw('GET', '/api/v1/files/{id}/content', { path: { id } }),
    delete: async (id: string): Promise<void> => {
      await this.request('DELETE', '/api/v1/files/{id}', { path: { id } });
    },
  };

  // -------------------------------------------------------------------------------------------
  // WebSocket (API.md §6)

  /** Opens the chat WebSocket (it reconnects on its own until `close()`). */
  connect(options?: ChatSocketOptions): ChatSocket {
    if (!this.WebSocketImpl) {
      throw new TypeError(
        'No WebSocket here: pass createClient({ WebSocket }) (in Node 20, the ws package)',
      );
    }
    return new ChatSocket(this.transport, this.WebSocketImpl, this.apiKey, options);
  }
}

function idempotency(key: string | undefined): Record<string, string> | undefined {
  return key === undefined ? undefined : { 'idempotency-key': key };
}

/** A client of the chat assistant's API (see ClientOptions). */
export function createClient(options?: ClientOptions): ChatClient {
  return new ChatClient(options);
}
