// Generated from openapi.json by openapi-typescript (npm run client:types): do not edit.
// `npm run client:types:check` fails when this file and openapi.json disagree.

export interface paths {
  '/api/v1/admin/usage': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Usage and cost of everyone per day and model (admins only) */
    get: operations['admin_usage'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/admin/users': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Users, newest first (admins only) */
    get: operations['admin_list'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/admin/users/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /** Change a user's role, tier or active flag (admins only) */
    patch: operations['admin_update'];
    trace?: never;
  };
  '/api/v1/admin/users/{id}/api-keys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A user's API keys, revoked ones included (admins only) */
    get: operations['adminApiKeys_list'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/admin/users/{id}/api-keys/{keyId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Revoke a user's API key (admins only)
     * @description It stops working at once on every replica. A key not of that user, or revoked: 404.
     */
    delete: operations['adminApiKeys_revoke'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/admin/users/{id}/usage': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A user's usage and cost per day and model, and quota (admins only) */
    get: operations['admin_userUsage'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/api-keys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The caller's API keys (without the keys) */
    get: operations['apiKeys_list'];
    put?: never;
    /**
     * Create an API key
     * @description The answer holds the key (`sk-…`) once; only its hash is stored. At most 20 live (unrevoked, unexpired) keys per user: the 21st is 422 VALIDATION_ERROR (`details.field: "api_keys"`). Refused with 403 when the request itself is made with an API key.
     */
    post: operations['apiKeys_create'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/api-keys/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Revoke an API key
     * @description The key stops working at once on every replica (401), and sockets and event streams opened with it end. Another user's key, an unknown or an already revoked one: 404.
     */
    delete: operations['apiKeys_revoke'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/forgot-password': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * E-mail a password reset link
     * @description The same answer whether or not the e-mail is known. Limited per client IP (429); per address, at most one mail goes out per PASSWORD_RESET_MAIL_COOLDOWN_SECONDS — a request within it gets the same answer and sends nothing.
     */
    post: operations['auth_forgotPassword'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/login': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Sign in with a username or e-mail and a password */
    post: operations['auth_login'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/logout': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** End the access token's session */
    post: operations['auth_logout'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/refresh': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Exchange a refresh token (once) for a new token pair */
    post: operations['auth_refresh'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/register': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Create an account and sign in */
    post: operations['auth_register'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/reset-password': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Set a new password with a reset token
     * @description The token works once, within its lifetime; every session of the user ends.
     */
    post: operations['auth_resetPassword'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/sessions': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The caller's sessions (signed-in devices)
     * @description Sessions not ended and not expired, with the client and address of their login or latest refresh; `current` marks the one of this token. Counted by its own small budget, not by `default`.
     */
    get: operations['auth_listSessions'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/sessions/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * End one of the caller's sessions
     * @description Its access and refresh tokens stop working at once, its WebSockets close (4401) and its event streams end with an `error` event AUTHENTICATION_ERROR. Another user's session, an unknown or an ended one: 404.
     */
    delete: operations['auth_revokeSession'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/ws-ticket': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** A one-time ticket to open the WebSocket without a token in the URL */
    post: operations['wsTicket_issue'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/conversations': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The caller's conversations, newest activity first */
    get: operations['conversations_list'];
    put?: never;
    /** Start a conversation */
    post: operations['conversations_create'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/conversations/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A conversation with its messages, oldest first */
    get: operations['conversations_get'];
    /** Rename and/or archive a conversation */
    put: operations['conversations_update'];
    post?: never;
    /** Delete a conversation and all its messages */
    delete: operations['conversations_delete'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/conversations/{id}/archive': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Archive a conversation */
    post: operations['conversations_archive'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/conversations/{id}/messages': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A conversation's messages, a page at a time */
    get: operations['messages_list'];
    put?: never;
    /**
     * Send a message and get the whole reply
     * @description With `stream: true` the answer is the event stream of …/messages/stream instead.
     */
    post: operations['generation_send'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/conversations/{id}/messages/stream': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Send a message and stream the reply (Server-Sent Events)
     * @description Checks happen before the stream opens (error envelope); a failure after `start` is an `error` event that ends the stream.
     */
    post: operations['generation_stream'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/conversations/{id}/messages/{messageId}/stream': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Resume a reply's event stream
     * @description Replays the events after Last-Event-ID (or ?after=N), then follows live. Counted by the `resumes` budget (RATE_LIMIT_RESUMES per minute), shared with the WebSocket `resume` frame.
     */
    get: operations['generation_resume'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/conversations/{id}/unarchive': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Unarchive a conversation */
    post: operations['conversations_unarchive'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/files': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The user's files, newest first */
    get: operations['files_list'];
    put?: never;
    /**
     * Upload a file to attach to messages (multipart, one part `file`)
     * @description Not JSON: "Try it out" shows a file picker for the part `file`. The answer's `data.id` goes in `attachments` of a send (POST …/messages).
     */
    post: operations['files_upload'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/files/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A file's fields */
    get: operations['files_get'];
    put?: never;
    post?: never;
    /** Delete a file; messages that carried it show it as deleted */
    delete: operations['files_delete'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/files/{id}/content': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A file's bytes
     * @description With its Content-Type, `X-Content-Type-Options: nosniff`, and `Content-Disposition: attachment` for every kind but images.
     */
    get: operations['files_content'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/health': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Health of the service and its dependencies */
    get: operations['health_report'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/health/live': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness: the process is up */
    get: operations['health_live'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/health/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Readiness: the database answers now */
    get: operations['health_ready'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/info': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** What this deployment is and can do */
    get: operations['info_info'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/messages/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /** Edit a message's text (not while its reply is streaming) */
    put: operations['messages_update'];
    post?: never;
    /** Delete a message (not while it is streaming) */
    delete: operations['messages_delete'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/messages/{id}/regenerate': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Regenerate an assistant reply (a new sibling answering the same user message)
     * @description The model sees the branch from the root to the user message. The new reply becomes the current branch. With `stream: true` the answer is the event stream of …/regenerate/stream. Counted by the `messages` rate limit and the quotas as a send.
     */
    post: operations['generation_regenerate'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/messages/{id}/regenerate/stream': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Regenerate an assistant reply and stream the new one (Server-Sent Events)
     * @description Checks happen before the stream opens (error envelope); a failure after `start` is an `error` event that ends the stream.
     */
    post: operations['generation_regenerateStream'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/messages/{id}/stop': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Stop a reply being generated; the partial text is kept and billed */
    post: operations['generation_stop'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/metrics': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Prometheus metrics (text exposition format, no envelope)
     * @description With METRICS_TOKEN set, `Authorization: Bearer <METRICS_TOKEN>` is required.
     */
    get: operations['metrics_scrape[1]'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/models': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The models this deployment offers */
    get: operations['models_list'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/openai/chat/completions': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * A chat completion in OpenAI's shapes (streamed with `stream: true`)
     * @description OpenAI's `POST /v1/chat/completions`: the official OpenAI SDKs work with only `baseURL` and `apiKey` changed. Counted by the `messages` rate limit and the quotas like a chat send (reserved before the call, settled on the real usage). With `stream: true` the answer is `text/event-stream`: `data: {chat.completion.chunk}` events (the first with `delta.role`), the usage chunk when `stream_options.include_usage` is set, then `data: [DONE]`. A failure after the first chunk is one `data: {"error": {…}}` event and the stream ends without [DONE]. Closing the connection stops the upstream call.
     */
    post: operations['openAiCompat_create'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/openai/models': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The catalog's models in OpenAI's list shape
     * @description OpenAI's `GET /v1/models` shape: `{ object: "list", data: [{ id, object, created, owned_by }] }`.
     */
    get: operations['openAiCompat_models'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/users/me': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The caller, with quota limits and usage */
    get: operations['users_profile'];
    /**
     * Change username and/or e-mail
     * @description Any other field (is_vip, is_active, id…) is refused with 422.
     */
    put: operations['users_update'];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/users/me/change-password': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Change the password; other sessions end */
    post: operations['password_changePassword'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/users/me/quota': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Quota limits, usage and what is left */
    get: operations['users_quota'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/metrics': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Prometheus metrics (text exposition format, no envelope)
     * @description With METRICS_TOKEN set, `Authorization: Bearer <METRICS_TOKEN>` is required.
     */
    get: operations['metrics_scrape[0]'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    /** @description A user's API key as an administrator sees it. */
    AdminApiKey: {
      /** Format: date-time */
      created_at: string;
      /**
       * Format: date-time
       * @description When the key stops working; null: never.
       */
      expires_at: string | null;
      /** Format: uuid */
      id: string;
      /**
       * Format: date-time
       * @description Last accepted use, to the minute (written at most once a minute); null: never used.
       */
      last_used_at: string | null;
      /** @example nightly-report script */
      name: string;
      /**
       * @description The key's first characters, to tell keys apart.
       * @example sk-Xy3kQ9aB
       */
      prefix: string;
      /** Format: date-time */
      revoked_at: string | null;
    };
    AdminApiKeyList: {
      /** @description Every key of the user, revoked ones included, newest first. */
      api_keys: components['schemas']['AdminApiKey'][];
    };
    AdminUsageReport: {
      /** @enum {string} */
      currency: 'USD';
      /** @description Per day and model, oldest first. */
      days: components['schemas']['UsageDay'][];
      models: components['schemas']['UsageByModel'][];
      range: components['schemas']['UsageRange'];
      storage: components['schemas']['StorageReport'];
      totals: components['schemas']['UsageTotals'];
      /** @description Models used in the range that have no price (their cost is null). */
      unpriced_models: (string | null)[];
    };
    AdminUser: {
      /** Format: date-time */
      created_at: string;
      /** Format: email */
      email: string;
      /** Format: uuid */
      id: string;
      is_active: boolean;
      is_vip: boolean;
      /** @enum {string} */
      role: 'user' | 'admin';
      /** Format: date-time */
      updated_at: string;
      username: string;
    };
    AdminUserList: {
      pagination: components['schemas']['Pagination'];
      /** @description Newest first. */
      users: components['schemas']['AdminUser'][];
    };
    /** @description An API key of the caller (the key itself is never shown again). */
    ApiKey: {
      /** Format: date-time */
      created_at: string;
      /**
       * Format: date-time
       * @description When the key stops working; null: never.
       */
      expires_at: string | null;
      /** Format: uuid */
      id: string;
      /**
       * Format: date-time
       * @description Last accepted use, to the minute (written at most once a minute); null: never used.
       */
      last_used_at: string | null;
      /** @example nightly-report script */
      name: string;
      /**
       * @description The key's first characters, to tell keys apart.
       * @example sk-Xy3kQ9aB
       */
      prefix: string;
    };
    ApiKeyList: {
      /** @description Keys not revoked (expired ones included), newest first. */
      api_keys: components['schemas']['ApiKey'][];
    };
    /** @description Tokens and the user (register, login). */
    AuthResult: {
      /** @description JWT for `Authorization: Bearer …`. */
      access_token: string;
      /**
       * @description Access token lifetime in seconds.
       * @example 1800
       */
      expires_in: number;
      /** @description Works once: each refresh returns a new one. */
      refresh_token: string;
      /** @enum {string} */
      token_type: 'bearer';
      user: components['schemas']['User'];
    };
    ChangePasswordDto: {
      /**
       * Format: password
       * @description Must equal `new_password`.
       */
      confirm_password: string;
      /** Format: password */
      current_password: string;
      /** Format: password */
      new_password: string;
    };
    Conversation: {
      /** Format: date-time */
      created_at: string;
      /**
       * Format: uuid
       * @description The last message of the current branch (messages lists root → this one); null when empty.
       */
      current_message_id: string | null;
      /** Format: uuid */
      id: string;
      is_archived: boolean;
      last_message: components['schemas']['LastMessage'] | null;
      /** @description Every message, all branches. */
      message_count: number;
      /** @example gpt-3.5-turbo */
      model: string;
      system_message: string | null;
      title: string;
      /**
       * Format: date-time
       * @description Last activity.
       */
      updated_at: string;
    };
    /** @description A conversation with the messages of its current branch, oldest first. */
    ConversationDetail: {
      /** Format: date-time */
      created_at: string;
      /**
       * Format: uuid
       * @description The last message of the current branch (messages lists root → this one); null when empty.
       */
      current_message_id: string | null;
      /** Format: uuid */
      id: string;
      is_archived: boolean;
      last_message: components['schemas']['LastMessage'] | null;
      /** @description Every message, all branches. */
      message_count: number;
      messages: components['schemas']['Message'][];
      /** @example gpt-3.5-turbo */
      model: string;
      system_message: string | null;
      title: string;
      /**
       * Format: date-time
       * @description Last activity.
       */
      updated_at: string;
    };
    ConversationList: {
      /** @description Newest activity first. */
      conversations: components['schemas']['Conversation'][];
      pagination: components['schemas']['Pagination'];
    };
    CreateApiKeyDto: {
      /**
       * @description The key stops working this many days from now; without it, it never expires.
       * @example 90
       */
      expires_in_days?: number;
      /**
       * @description What the key is for (trimmed), shown in the list.
       * @example nightly-report script
       */
      name: string;
    };
    CreateConversationDto: {
      /**
       * @description One of GET /models (422 otherwise); default from the configuration.
       * @example gpt-3.5-turbo
       */
      model?: string;
      system_message?: string;
      /**
       * @description Trimmed; default "New conversation", which the first reply replaces with a short automatic title (unless AUTO_TITLE=false or the user renames it first).
       * @example Trip planning
       */
      title?: string;
    };
    /** @description A new API key, with the key itself: shown only here. */
    CreatedApiKey: {
      /** Format: date-time */
      created_at: string;
      /**
       * Format: date-time
       * @description When the key stops working; null: never.
       */
      expires_at: string | null;
      /** Format: uuid */
      id: string;
      /**
       * @description The key (`sk-` and 43 base64url characters: 32 random bytes). Send it as `Authorization: Bearer <key>`. Only its hash is stored: it cannot be shown again.
       * @example sk-Xy3kQ9aB…
       */
      key: string;
      /**
       * Format: date-time
       * @description Last accepted use, to the minute (written at most once a minute); null: never used.
       */
      last_used_at: string | null;
      /** @example nightly-report script */
      name: string;
      /**
       * @description The key's first characters, to tell keys apart.
       * @example sk-Xy3kQ9aB
       */
      prefix: string;
    };
    ErrorBody: {
      /**
       * @example VALIDATION_ERROR
       * @enum {string}
       */
      code:
        | 'VALIDATION_ERROR'
        | 'AUTHENTICATION_ERROR'
        | 'AUTHORIZATION_ERROR'
        | 'RESOURCE_NOT_FOUND'
        | 'QUOTA_EXCEEDED'
        | 'RATE_LIMIT_EXCEEDED'
        | 'OPENAI_API_ERROR'
        | 'DATABASE_ERROR'
        | 'SERVICE_UNAVAILABLE'
        | 'INTERNAL_SERVER_ERROR';
      /** @description What went wrong, when there is more to say than the code. Validation errors carry `field`/`issue` of the first invalid field and, with several, `fields`; QUOTA_EXCEEDED names the limit and when it resets; RATE_LIMIT_EXCEEDED carries `retry_after` seconds (also in the `Retry-After` header). */
      details?: {
        field?: string;
        fields?: components['schemas']['FieldIssue'][];
        issue?: string;
        retry_after?: number;
      } & {
        [key: string]: unknown;
      };
      /** @example Input validation failed */
      message: string;
    };
    /** @description Every error answer (API.md §1); the `X-Request-Id` header identifies the request. */
    ErrorEnvelope: {
      error: components['schemas']['ErrorBody'];
      /** @enum {boolean} */
      success: false;
      /** Format: date-time */
      timestamp: string;
    };
    /** @description One invalid field of a request. */
    FieldIssue: {
      /** @example username */
      field: string;
      /** @example Username already exists */
      issue: string;
    };
    File: {
      /**
       * @description Read from the file's bytes, not from its name or the part's header.
       * @example application/pdf
       */
      content_type: string;
      /** Format: date-time */
      created_at: string;
      /** @description As uploaded; shown, never used as a path. */
      filename: string;
      /** Format: uuid */
      id: string;
      /** @enum {string} */
      kind: 'image' | 'document' | 'text';
      /** @description Pages of a PDF; null otherwise. */
      page_count: number | null;
      sha256: string;
      /** @description Bytes. */
      size: number;
      /** @description Tokens the model is sent for it: a document's or text's extracted text, an image's tiles. */
      token_count: number;
    };
    FileList: {
      files: components['schemas']['File'][];
      pagination: components['schemas']['Pagination'];
    };
    ForgotPasswordDto: {
      /**
       * Format: email
       * @description Trimmed and lower-cased.
       * @example alice@example.com
       */
      email: string;
    };
    /** @description API.md §7 (no envelope). */
    HealthReport: {
      /** @example openai */
      llm_provider: string;
      /** @description Each provider the model catalog lists, by id, checked through its model list (cached briefly). A provider down or missing a model makes `status` degraded, never unhealthy. */
      providers?: {
        [key: string]: components['schemas']['ProviderHealth'];
      };
      services: components['schemas']['HealthServices'];
      /** @enum {string} */
      status: 'healthy' | 'degraded' | 'unhealthy';
      /** Format: date-time */
      timestamp: string;
      /** @description Seconds since the process started. */
      uptime: number;
      /** @example 1.0.0 */
      version: string;
    };
    /** @description When the model catalog lists providers, one more entry per provider: `provider:<id>` (healthy, or unhealthy when its model list does not answer); `openai` then sums them up. */
    HealthServices: {
      /** @enum {string} */
      database: 'healthy' | 'unhealthy' | 'not_configured';
      /** @enum {string} */
      openai: 'healthy' | 'unhealthy' | 'not_configured';
      /** @enum {string} */
      redis: 'healthy' | 'unhealthy' | 'not_configured';
    };
    /** @description API.md §7 (no envelope). */
    Info: {
      default_model: string;
      /** @enum {string} */
      environment: 'development' | 'production' | 'test';
      features: components['schemas']['InfoFeatures'];
      /** @example openai */
      llm_provider: string;
      /** @example ChatGPT Backend API */
      name: string;
      supported_models: string[];
      /** @example 1.0.0 */
      version: string;
    };
    InfoFeatures: {
      file_upload: boolean;
      idempotent_send: boolean;
      resume_stream: boolean;
      stop_generation: boolean;
      streaming: boolean;
      websocket: boolean;
    };
    LastMessage: {
      content: string;
      /** Format: date-time */
      created_at: string;
      /** @enum {string} */
      role: 'system' | 'user' | 'assistant';
    };
    Liveness: {
      /** @enum {string} */
      status: 'ok';
    };
    LoginDto: {
      /** Format: password */
      password: string;
      /**
       * @description The username or the e-mail address.
       * @example alice
       */
      username: string;
    };
    LogoutDto: {
      /** @description Also ends this refresh token's session (the access token's session ends anyway). */
      refresh_token?: string;
    };
    Message: {
      /** @description The files a user message carries, in order (empty for replies). */
      attachments: components['schemas']['MessageAttachment'][];
      content: string;
      /** Format: uuid */
      conversation_id: string;
      /** Format: date-time */
      created_at: string;
      /** Format: uuid */
      id: string;
      /** @description The model of an assistant reply. */
      model: string | null;
      /**
       * Format: uuid
       * @description The message this one follows in the conversation tree (a reply: its user message); null for a root.
       */
      parent_id: string | null;
      /** @enum {string} */
      role: 'system' | 'user' | 'assistant';
      /** @description How many messages have the same parent (this one included). */
      sibling_count: number;
      /** @description 1-based place, in creation order, among the messages with the same parent. */
      sibling_index: number;
      /**
       * @description streaming while a reply is generated; stopped keeps the partial text.
       * @enum {string}
       */
      status: 'streaming' | 'completed' | 'stopped' | 'failed';
      /** @description A reply's completion tokens; a user message's own token count. */
      tokens_used: number;
      /** Format: date-time */
      updated_at: string;
    };
    /** @description A file a message carries (API.md §10). */
    MessageAttachment: {
      /** @example application/pdf */
      content_type: string;
      /** @description The file was deleted since; the message keeps these fields. */
      deleted: boolean;
      filename: string;
      /**
       * Format: uuid
       * @description The file id (GET /files/{id}).
       */
      id: string;
      /** @enum {string} */
      kind: 'image' | 'document' | 'text';
      size: number;
    };
    MessageList: {
      messages: components['schemas']['Message'][];
      pagination: components['schemas']['Pagination'];
    };
    /** @description Price per 1,000 tokens. */
    ModelCost: {
      /** @example 0.001 */
      input: number;
      /** @example 0.002 */
      output: number;
    };
    ModelInfo: {
      /**
       * @example [
       *       "text",
       *       "code"
       *     ]
       */
      capabilities: string[];
      cost_per_1k_tokens: components['schemas']['ModelCost'];
      description: string;
      /** @example gpt-3.5-turbo */
      id: string;
      /** @example 4096 */
      max_tokens: number;
      /** @example GPT-3.5 Turbo */
      name: string;
    };
    ModelList: {
      models: components['schemas']['ModelInfo'][];
    };
    OpenAiAssistantMessage: {
      content: string;
      /** @enum {string} */
      role: 'assistant';
    };
    /** @description OpenAI's non-streamed chat completion (`stream` false or absent). */
    OpenAiChatCompletion: {
      choices: components['schemas']['OpenAiChoice'][];
      /** @description Unix seconds. */
      created: number;
      /** @example chatcmpl-3Qy… */
      id: string;
      model: string;
      /** @enum {string} */
      object: 'chat.completion';
      usage: components['schemas']['OpenAiUsage'];
    };
    /** @description OpenAI's chat completion request. Fields not listed are ignored. `n` other than 1, `tools`/`functions`/`tool_choice`, `audio` and non-text `modalities` are refused with 400. Wrong types are 400; numbers out of range 422. */
    OpenAiChatCompletionRequest: {
      /** @description Takes precedence over max_tokens. */
      max_completion_tokens?: number;
      /** @description Capped at the model's max_tokens and at what the user's token quota allows. */
      max_tokens?: number;
      messages: components['schemas']['OpenAiChatMessage'][];
      /**
       * @description A catalog model id (GET /openai/models); unknown → 404 `model_not_found`.
       * @example gpt-3.5-turbo
       */
      model: string;
      /**
       * @description Only 1 (400 otherwise).
       * @enum {integer}
       */
      n?: 1;
      stop?: string | string[];
      /** @description Answer as `text/event-stream` chunks. */
      stream?: boolean;
      /** @description With `include_usage`, a last chunk with empty `choices` carries the usage. */
      stream_options?: {
        include_usage?: boolean;
      };
      temperature?: number;
      top_p?: number;
      /** @description Accepted and ignored: the caller is the authenticated user. */
      user?: string;
    };
    OpenAiChatMessage: {
      content: string | components['schemas']['OpenAiContentPart'][];
      /**
       * @description `developer` is passed on as `system`. `tool` messages are refused (400).
       * @enum {string}
       */
      role: 'system' | 'developer' | 'user' | 'assistant';
    };
    OpenAiChoice: {
      /** @enum {string} */
      finish_reason: 'stop' | 'length' | 'content_filter';
      /** @example 0 */
      index: number;
      message: components['schemas']['OpenAiAssistantMessage'];
    };
    /** @description A part of a message: `text`, or `image_url` (user messages, vision models only). */
    OpenAiContentPart: {
      image_url?: {
        /** @description An https or data: URL. */
        url?: string;
      };
      text?: string;
      /** @enum {string} */
      type: 'text' | 'image_url';
    };
    /** @description OpenAI's error shape, answered by every route under /openai with the status of API.md §1 (no envelope). QUOTA_EXCEEDED answers 429 with `Retry-After` (seconds to the reset) and `x-should-retry: false`. */
    OpenAiError: {
      error: components['schemas']['OpenAiErrorBody'];
    };
    OpenAiErrorBody: {
      /**
       * @description e.g. invalid_request, invalid_value, unsupported_parameter, model_not_found, context_length_exceeded, invalid_api_key, insufficient_quota, rate_limit_exceeded, upstream_error, upstream_timeout.
       * @example model_not_found
       */
      code: string | null;
      message: string;
      /**
       * @description The request field at fault.
       * @example n
       */
      param: string | null;
      /**
       * @description invalid_request_error (400, 401, 404, 422), permission_error (403), insufficient_quota (429 quota), rate_limit_error (429 rate limit), upstream_error (502, 504), server_error (500, 503).
       * @example invalid_request_error
       */
      type: string;
    };
    OpenAiModel: {
      /** @description Unix seconds (when the catalog was loaded). */
      created: number;
      /** @example gpt-3.5-turbo */
      id: string;
      /** @enum {string} */
      object: 'model';
      /** @example system */
      owned_by: string;
    };
    /** @description The catalog in OpenAI's list shape. */
    OpenAiModelList: {
      data: components['schemas']['OpenAiModel'][];
      /** @enum {string} */
      object: 'list';
    };
    OpenAiUsage: {
      completion_tokens: number;
      prompt_tokens: number;
      total_tokens: number;
    };
    Pagination: {
      /** @example 1 */
      page: number;
      /** @example 3 */
      pages: number;
      /** @example 20 */
      size: number;
      /** @example 42 */
      total: number;
    };
    Profile: {
      /** Format: date-time */
      created_at: string;
      /**
       * Format: email
       * @example alice@example.com
       */
      email: string;
      /** Format: uuid */
      id: string;
      is_active: boolean;
      is_vip: boolean;
      quota: components['schemas']['UserQuota'];
      /** @enum {string} */
      role: 'user' | 'admin';
      /** Format: date-time */
      updated_at: string;
      /** @example alice */
      username: string;
    };
    /** @description One catalog provider (API.md §13). */
    ProviderHealth: {
      /** @description How long its model list took. */
      latency_ms: number;
      /** @description Upstream model names the catalog sends to it that its list does not have (empty while it is down). */
      missing_models: string[];
      /**
       * @description Why it is unhealthy.
       * @example connection_error
       */
      reason?: string;
      /** @enum {string} */
      status: 'healthy' | 'unhealthy';
      /** @description Its HTTP status, if it answered. */
      upstream_status?: number;
    };
    /** @description API.md §3: limits, usage and what is left today. */
    Quota: {
      daily_limit: components['schemas']['RequestsAndTokens'];
      monthly_limit: components['schemas']['RequestsAndTokens'];
      /** @description Today's remainder, also bounded by what is left of the month. */
      remaining_today: components['schemas']['RequestsAndTokens'];
      storage: components['schemas']['Storage'];
      usage_this_month: components['schemas']['RequestsAndTokens'];
      usage_today: components['schemas']['RequestsAndTokens'];
    };
    Readiness: {
      /**
       * @description Absent while draining (the database is not asked then).
       * @enum {string}
       */
      database?: 'up' | 'down';
      /** @description The instance is shutting down: send no new traffic. */
      draining: boolean;
      /** @enum {string} */
      status: 'ok' | 'unavailable';
    };
    RefreshDto: {
      refresh_token: string;
    };
    RegenerateMessageDto: {
      /** @description At most the model's max_tokens (422 otherwise). */
      max_tokens?: number;
      /** @description One of GET /models; overrides the conversation's model for this reply. */
      model?: string;
      /** @description On POST …/messages: answer with the event stream instead of the whole reply. */
      stream?: boolean;
      /** @example 0.7 */
      temperature?: number;
    };
    /** @description The new reply and the call’s usage. */
    RegenerateResult: {
      assistant_message: components['schemas']['Message'];
      usage: components['schemas']['Usage'];
    };
    RegisterDto: {
      /**
       * Format: password
       * @description Must equal `password`.
       */
      confirm_password: string;
      /**
       * Format: email
       * @description Trimmed and lower-cased.
       * @example alice@example.com
       */
      email: string;
      /** Format: password */
      password: string;
      /**
       * @description Letters (any script), digits, `_`, `.` and `-`; no `@`.
       * @example alice
       */
      username: string;
    };
    RequestsAndTokens: {
      requests: number;
      tokens: number;
    };
    ResetPasswordDto: {
      /**
       * Format: password
       * @description Must equal `new_password`.
       */
      confirm_password: string;
      /** Format: password */
      new_password: string;
      /** @description From the e-mail. */
      token: string;
    };
    SendMessageDto: {
      /** @description Ids of own files (POST /files) the model is given with this message: images as images, documents as their text. */
      attachments?: string[];
      /** @example Hello, world! */
      content: string;
      /** @description At most the model's max_tokens (422 otherwise). */
      max_tokens?: number;
      /** @description One of GET /models; overrides the conversation's model for this reply. */
      model?: string;
      /**
       * Format: uuid
       * @description The message the new one follows (API.md §11): a message of this conversation (404 otherwise), null for a new root; absent, the current branch is followed (current_message_id). An edit-and-resend names the edited message’s parent.
       */
      parent_id?: string | null;
      /**
       * @default user
       * @enum {string}
       */
      role?: 'user';
      /** @description On POST …/messages: answer with the event stream instead of the whole reply. */
      stream?: boolean;
      /** @example 0.7 */
      temperature?: number;
    };
    SendResult: {
      assistant_message: components['schemas']['Message'];
      usage: components['schemas']['Usage'];
      user_message: components['schemas']['Message'];
    };
    /** @description One signed-in device or client of the caller. */
    Session: {
      /**
       * Format: date-time
       * @description Login time.
       */
      created_at: string;
      /** @description The session of the token making this request. */
      current: boolean;
      /** Format: uuid */
      id: string;
      /** @description Client address of the login or of the latest refresh. */
      ip: string | null;
      /**
       * Format: date-time
       * @description Last refresh, or last use (written at most once per AUTH_SESSION_TOUCH_SECONDS).
       */
      last_used_at: string;
      /** @description User-Agent of the login or of the latest refresh. */
      user_agent: string | null;
    };
    SessionList: {
      /** @description Sessions not ended and not expired, most recently used first. */
      sessions: components['schemas']['Session'][];
    };
    /** @description Files stored against the tier limit (API.md §10). */
    Storage: {
      files: number;
      limit_bytes: number;
      used_bytes: number;
    };
    StorageHolder: {
      bytes: number;
      files: number;
      /** Format: uuid */
      user_id: string;
      username: string;
    };
    /** @description Files stored now, per user (API.md §10). */
    StorageReport: {
      total_bytes: number;
      total_files: number;
      /** @description Users storing at least one file. */
      user_count: number;
      /** @description The largest holders first, at most 100. */
      users: components['schemas']['StorageHolder'][];
    };
    /** @description A new access token and refresh token (refresh). */
    TokenPair: {
      /** @description JWT for `Authorization: Bearer …`. */
      access_token: string;
      /**
       * @description Access token lifetime in seconds.
       * @example 1800
       */
      expires_in: number;
      /** @description Works once: each refresh returns a new one. */
      refresh_token: string;
      /** @enum {string} */
      token_type: 'bearer';
    };
    UpdateConversationDto: {
      /**
       * Format: uuid
       * @description Switches branch: a message of this conversation (404 otherwise). The current branch then runs through it and on down the newest child at each level; current_message_id names that leaf.
       */
      current_message_id?: string;
      is_archived?: boolean;
      /**
       * @description Switches the model of later replies: one of GET /models (422 otherwise). The way on for a conversation whose model has left the catalog (its sends answer 422 until then).
       * @example gpt-4
       */
      model?: string;
      /** @description Trimmed. */
      title?: string;
    };
    UpdateMessageDto: {
      content: string;
    };
    UpdateUserAdminDto: {
      is_active?: boolean;
      is_vip?: boolean;
      /** @enum {string} */
      role?: 'user' | 'admin';
    };
    UpdateUserDto: {
      /**
       * Format: email
       * @description Trimmed and lower-cased.
       * @example alice@example.com
       */
      email?: string;
      /**
       * @description Letters (any script), digits, `_`, `.` and `-`; no `@`.
       * @example alice
       */
      username?: string;
    };
    UploadFileModel: {
      /**
       * Format: binary
       * @description PNG, JPEG, WebP or GIF images; PDF or DOCX documents; UTF-8 text (plain, Markdown, CSV, JSON, code). HTML and SVG are refused.
       */
      file: string;
    };
    /** @description The provider's token report for the whole call. */
    Usage: {
      completion_tokens: number;
      prompt_tokens: number;
      total_tokens: number;
    };
    UsageByModel: {
      completion_tokens: number;
      /** @description USD from the catalog's prices; null when the model has no price. */
      cost: number | null;
      model: string | null;
      prompt_tokens: number;
      /** @description Billed replies. */
      requests: number;
      total_tokens: number;
    };
    UsageDay: {
      completion_tokens: number;
      /** @description USD from the catalog's prices; null when the model has no price. */
      cost: number | null;
      /**
       * Format: date
       * @example 2024-01-31
       */
      date: string;
      model: string | null;
      prompt_tokens: number;
      /** @description Billed replies. */
      requests: number;
      total_tokens: number;
    };
    UsageRange: {
      /** Format: date */
      from: string;
      /** @example UTC */
      time_zone: string;
      /** Format: date */
      to: string;
    };
    UsageTotals: {
      completion_tokens: number;
      /** @description USD, leaving out unpriced models. */
      cost: number;
      prompt_tokens: number;
      requests: number;
      total_tokens: number;
    };
    User: {
      /** Format: date-time */
      created_at: string;
      /**
       * Format: email
       * @example alice@example.com
       */
      email: string;
      /** Format: uuid */
      id: string;
      is_active: boolean;
      is_vip: boolean;
      /** @enum {string} */
      role: 'user' | 'admin';
      /** @example alice */
      username: string;
    };
    /** @description The user's limits and today's usage. */
    UserQuota: {
      daily_requests: number;
      daily_tokens: number;
      monthly_requests: number;
      monthly_tokens: number;
      requests_used_today: number;
      storage: components['schemas']['Storage'];
      tokens_used_today: number;
    };
    UserUsageReport: {
      /** @enum {string} */
      currency: 'USD';
      /** @description Per day and model, oldest first. */
      days: components['schemas']['UsageDay'][];
      models: components['schemas']['UsageByModel'][];
      quota: components['schemas']['Quota'];
      range: components['schemas']['UsageRange'];
      totals: components['schemas']['UsageTotals'];
      /** @description Models used in the range that have no price (their cost is null). */
      unpriced_models: (string | null)[];
      user: components['schemas']['AdminUser'];
    };
    /** @description Open `ws://…/api/v1/ws/chat?ticket=<ticket>` with it: once, within `expires_in` seconds. */
    WsTicket: {
      /** @example 30 */
      expires_in: number;
      ticket: string;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: {
    /** @description The request id (echoed from the request when it is a sane token). */
    'X-Request-Id': string;
  };
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  admin_usage: {
    parameters: {
      query?: {
        /** @description First day (YYYY-MM-DD); default: 30 days before `to`. */
        from?: string;
        /** @description Last day, included; default: today (or 30 days after `from`). At most 366 days. */
        to?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['AdminUsageReport'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  admin_list: {
    parameters: {
      query?: {
        page?: number;
        size?: number;
        /** @description Part of the username or e-mail, case-insensitive. */
        search?: string;
        role?: 'user' | 'admin';
        is_active?: boolean;
        is_vip?: boolean;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['AdminUserList'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  admin_update: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description User id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['UpdateUserAdminDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['AdminUser'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  adminApiKeys_list: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description User id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['AdminApiKeyList'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  adminApiKeys_revoke: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description User id */
        id: string;
        /** @description API key id */
        keyId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  admin_userUsage: {
    parameters: {
      query?: {
        /** @description First day (YYYY-MM-DD); default: 30 days before `to`. */
        from?: string;
        /** @description Last day, included; default: today (or 30 days after `from`). At most 366 days. */
        to?: string;
      };
      header?: never;
      path: {
        /** @description User id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['UserUsageReport'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  apiKeys_list: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['ApiKeyList'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  apiKeys_create: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CreateApiKeyDto'];
      };
    };
    responses: {
      /** @description Created. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['CreatedApiKey'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  apiKeys_revoke: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description API key id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  auth_forgotPassword: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['ForgotPasswordDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  auth_login: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['LoginDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['AuthResult'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  auth_logout: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['LogoutDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  auth_refresh: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['RefreshDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['TokenPair'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  auth_register: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['RegisterDto'];
      };
    };
    responses: {
      /** @description Created. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['AuthResult'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  auth_resetPassword: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['ResetPasswordDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  auth_listSessions: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['SessionList'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  auth_revokeSession: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Session id (from GET /auth/sessions) */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  wsTicket_issue: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['WsTicket'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  conversations_list: {
    parameters: {
      query?: {
        page?: number;
        size?: number;
        /** @description false leaves archived conversations out; true includes them. */
        archived?: boolean;
        /** @description Matches the title and message text, case-insensitive. */
        search?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['ConversationList'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  conversations_create: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CreateConversationDto'];
      };
    };
    responses: {
      /** @description Created. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['Conversation'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  conversations_get: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Conversation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['ConversationDetail'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  conversations_update: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Conversation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['UpdateConversationDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['Conversation'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  conversations_delete: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Conversation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  conversations_archive: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Conversation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  messages_list: {
    parameters: {
      query?: {
        page?: number;
        size?: number;
        order?: 'asc' | 'desc';
        /** @description current: the current branch (root → current_message_id); all: every message of the tree. */
        branch?: 'current' | 'all';
      };
      header?: never;
      path: {
        /** @description Conversation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['MessageList'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  generation_send: {
    parameters: {
      query?: never;
      header?: {
        /** @description Printable ASCII, 1–200 characters. A retry with the same key and the same body answers with the first send's reply instead of starting another (400 when malformed; 422 when the key was used with another body or conversation). `stream` is not part of the body compared: a send retried as a stream is the same send. */
        'Idempotency-Key'?: string;
      };
      path: {
        /** @description Conversation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['SendMessageDto'];
      };
    };
    responses: {
      /** @description With `stream: true`: the reply as Server-Sent Events. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'text/event-stream': string;
        };
      };
      /** @description Created. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['SendResult'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED, QUOTA_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The model provider failed. Codes: OPENAI_API_ERROR. */
      502: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR, SERVICE_UNAVAILABLE. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The model provider timed out. Codes: OPENAI_API_ERROR. */
      504: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  generation_stream: {
    parameters: {
      query?: never;
      header?: {
        /** @description Printable ASCII, 1–200 characters. A retry with the same key and the same body answers with the first send's reply instead of starting another (400 when malformed; 422 when the key was used with another body or conversation). `stream` is not part of the body compared: a send retried as a stream is the same send. */
        'Idempotency-Key'?: string;
      };
      path: {
        /** @description Conversation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['SendMessageDto'];
      };
    };
    responses: {
      /** @description The reply as Server-Sent Events. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'text/event-stream': string;
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED, QUOTA_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR, SERVICE_UNAVAILABLE. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  generation_resume: {
    parameters: {
      query?: {
        /** @description The last event id the client has; the Last-Event-ID header wins when both are sent. */
        after?: number;
      };
      header?: {
        /** @description The last event id received. */
        'Last-Event-ID'?: string;
      };
      path: {
        /** @description Conversation id */
        id: string;
        /** @description Assistant message id (from the start event) */
        messageId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The events after the given one, then live until the end. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'text/event-stream': string;
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  conversations_unarchive: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Conversation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  files_list: {
    parameters: {
      query?: {
        page?: number;
        size?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['FileList'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  files_upload: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'multipart/form-data': components['schemas']['UploadFileModel'];
      };
    };
    responses: {
      /** @description Created. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['File'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The body or file is of a type this route does not accept. Codes: VALIDATION_ERROR. */
      415: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED, QUOTA_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR, SERVICE_UNAVAILABLE. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  files_get: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description File id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['File'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  files_delete: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description File id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  files_content: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description File id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The bytes, with the file's own Content-Type. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/octet-stream': string;
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
          'application/octet-stream': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
          'application/octet-stream': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  health_report: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The database answers. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['HealthReport'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database does not answer. */
      503: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['HealthReport'];
        };
      };
    };
  };
  health_live: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded (no envelope). */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Liveness'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  health_ready: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Ready. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Readiness'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database does not answer, or the instance is draining for shutdown. */
      503: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Readiness'];
        };
      };
    };
  };
  info_info: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded (no envelope). */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Info'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  messages_update: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Message id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['UpdateMessageDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['Message'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  messages_delete: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Message id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  generation_regenerate: {
    parameters: {
      query?: never;
      header?: {
        /** @description Printable ASCII, 1–200 characters. A retry with the same key and the same body answers with the first send's reply instead of starting another (400 when malformed; 422 when the key was used with another body or conversation). `stream` is not part of the body compared: a send retried as a stream is the same send. */
        'Idempotency-Key'?: string;
      };
      path: {
        /** @description Assistant message id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['RegenerateMessageDto'];
      };
    };
    responses: {
      /** @description With `stream: true`: the new reply as Server-Sent Events. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'text/event-stream': string;
        };
      };
      /** @description Created. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['RegenerateResult'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED, QUOTA_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The model provider failed. Codes: OPENAI_API_ERROR. */
      502: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR, SERVICE_UNAVAILABLE. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The model provider timed out. Codes: OPENAI_API_ERROR. */
      504: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  generation_regenerateStream: {
    parameters: {
      query?: never;
      header?: {
        /** @description Printable ASCII, 1–200 characters. A retry with the same key and the same body answers with the first send's reply instead of starting another (400 when malformed; 422 when the key was used with another body or conversation). `stream` is not part of the body compared: a send retried as a stream is the same send. */
        'Idempotency-Key'?: string;
      };
      path: {
        /** @description Assistant message id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['RegenerateMessageDto'];
      };
    };
    responses: {
      /** @description The new reply as Server-Sent Events. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'text/event-stream': string;
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED, QUOTA_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR, SERVICE_UNAVAILABLE. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  generation_stop: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Assistant message id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['Message'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  'metrics_scrape[1]': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The metrics. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'text/plain': string;
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  models_list: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['ModelList'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  openAiCompat_create: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['OpenAiChatCompletionRequest'];
      };
    };
    responses: {
      /** @description Succeeded (no envelope): JSON, or with `stream: true` an event stream. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiChatCompletion'];
          'text/event-stream': string;
        };
      };
      /** @description Malformed request (bad JSON, wrong types), or a feature not supported here: n > 1, tools, audio, images for a model without vision, a prompt past the context window. OpenAI's error shape. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description Missing, invalid, expired or revoked key (access token). OpenAI's error shape. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description The account is inactive. OpenAI's error shape. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description Unknown model (`code: model_not_found`). OpenAI's error shape. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description The request body is larger than the configured limit. OpenAI's error shape. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description A number out of its range (temperature, top_p, max_tokens…). OpenAI's error shape. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description The `messages` rate limit (`rate_limit_exceeded`, `Retry-After`) or a quota (`insufficient_quota`, `Retry-After` to the reset, `x-should-retry: false`). OpenAI's error shape. */
      429: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description Unexpected failure; no internals in the body. OpenAI's error shape. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description The model provider failed before the first token. OpenAI's error shape. */
      502: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description The database is unreachable, or the service is shutting down. OpenAI's error shape. */
      503: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description The model provider timed out before the first token. OpenAI's error shape. */
      504: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
    };
  };
  openAiCompat_models: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded (no envelope). */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiModelList'];
        };
      };
      /** @description Missing, invalid, expired or revoked key (access token). OpenAI's error shape. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description The account is inactive. OpenAI's error shape. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description The `messages` rate limit (`rate_limit_exceeded`, `Retry-After`) or a quota (`insufficient_quota`, `Retry-After` to the reset, `x-should-retry: false`). OpenAI's error shape. */
      429: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description Unexpected failure; no internals in the body. OpenAI's error shape. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
      /** @description The database is unreachable, or the service is shutting down. OpenAI's error shape. */
      503: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpenAiError'];
        };
      };
    };
  };
  users_profile: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['Profile'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  users_update: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['UpdateUserDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['Profile'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unknown id, or a resource of another user. Codes: RESOURCE_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  password_changePassword: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['ChangePasswordDto'];
      };
    };
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * @description Always null.
             * @enum {object|null}
             */
            data: never | null;
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value. Codes: VALIDATION_ERROR. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The request body is larger than the configured limit. Codes: VALIDATION_ERROR. */
      413: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model). Codes: VALIDATION_ERROR. */
      422: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  users_quota: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Succeeded. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            data: components['schemas']['Quota'];
            /** @example Operation succeeded */
            message: string;
            /** @enum {boolean} */
            success: true;
            /** Format: date-time */
            timestamp: string;
          };
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The account is inactive, or the action is not allowed for this role. Codes: AUTHORIZATION_ERROR. */
      403: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset). Codes: RATE_LIMIT_EXCEEDED. */
      429: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description The database is unreachable or failed, or the service is shutting down (`Retry-After`). Codes: DATABASE_ERROR. */
      503: {
        headers: {
          /** @description Requests allowed in the window of the budget that refused. */
          'RateLimit-Limit'?: number;
          /** @description Requests left in that window. */
          'RateLimit-Remaining'?: number;
          /** @description Seconds until that window resets. */
          'RateLimit-Reset'?: number;
          /** @description Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE). */
          'Retry-After'?: number;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
  'metrics_scrape[0]': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The metrics. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'text/plain': string;
        };
      };
      /** @description Missing, invalid, expired or revoked access token, or wrong credentials. Codes: AUTHENTICATION_ERROR. */
      401: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
      /** @description Unexpected failure; no internals in the body. Codes: INTERNAL_SERVER_ERROR. */
      500: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorEnvelope'];
        };
      };
    };
  };
}
