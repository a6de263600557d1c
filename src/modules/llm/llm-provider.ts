/** Who produces replies: a real OpenAI-compatible server, or the offline development model. */
export const LLM_PROVIDER_NAMES = ['openai', 'offline'] as const;
export type LlmProviderName = (typeof LLM_PROVIDER_NAMES)[number];

/** Injection token of the active {@link LlmProvider}. */
export const LLM_PROVIDER = Symbol('LlmProvider');

export type LlmRole = 'system' | 'user' | 'assistant';

/** A piece of a message with several parts: text, or an image as a (data) URL. */
export type LlmContentPart =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface LlmMessage {
  role: LlmRole;
  /** Text, or parts when a user message carries images (only then: every provider reads text). */
  content: string | LlmContentPart[];
}

/** The text of a message's content, its parts' texts joined. */
export function textOf(content: LlmMessage['content']): string {
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

export interface LlmRequest {
  messages: LlmMessage[];
  /** Model id as sent upstream (already validated against the catalog by the caller). */
  model: string;
  temperature?: number;
  /** Nucleus sampling, passed on as `top_p` when set. */
  topP?: number;
  /** Up to 4 sequences where the provider stops, passed on as `stop` when set. */
  stop?: string[];
  /** Cap on completion tokens (see ModelsCatalog.capMaxTokens). */
  maxTokens?: number;
  /** What the call is for (default `reply`): the offline model answers a `title` call with one. */
  purpose?: 'reply' | 'title';
  /**
   * The caller's cancellation. Aborting is not an error: the stream stops, the upstream
   * request is closed, and the final usage event is still delivered.
   */
  signal?: AbortSignal;
  /**
   * When given, the request is built at once but leaves only once this resolves: true sends
   * it, false drops it unsent (the caller aborts `signal` first; the stream then ends at once,
   * without a usage event: nothing was asked of the model). Lets the caller build the request
   * while its own database work is still under way.
   */
  sendAfter?: Promise<boolean>;
}

/** A piece of the reply's text, in order. */
export interface LlmDeltaEvent {
  type: 'delta';
  text: string;
  /** The catalog model that streams it (set by LlmRouter: a fallback's when one served). */
  model?: string;
}

/**
 * Why the reply ended: `stop` (complete), `length` (hit maxTokens), `content_filter`,
 * `aborted` (the caller's signal), `other` (anything else the provider reported).
 */
export type LlmFinishReason = 'stop' | 'length' | 'content_filter' | 'aborted' | 'other';

/**
 * Always the last event of a stream that did not throw. `usageSource` says whether the
 * counts are the provider's own or were counted with the tokenizer (the provider reported
 * none, e.g. after an abort or from a server that omits usage).
 */
export interface LlmUsageEvent {
  type: 'usage';
  promptTokens: number;
  completionTokens: number;
  usageSource: 'provider' | 'tokenizer';
  finishReason: LlmFinishReason;
  /** The catalog model that served the reply (set by LlmRouter: a fallback's when one served). */
  model?: string;
}

export type LlmEvent = LlmDeltaEvent | LlmUsageEvent;

/** Result of a cheap liveness probe (spends no tokens). */
export interface LlmCheck {
  ok: boolean;
  latencyMs: number;
  /** HTTP status of the provider's answer, when there was one. */
  upstreamStatus?: number;
  /** Short machine-readable reason when not ok (`timeout`, `connection`, `upstream_error`). */
  reason?: string;
}

/**
 * A chat model provider. `stream` yields text deltas then exactly one usage event; failures
 * are thrown as `AppError('OPENAI_API_ERROR')` (502, or 504 on a timeout), possibly after
 * some deltas. Breaking out of the iteration closes the upstream request.
 */
export interface LlmProvider {
  readonly name: LlmProviderName;
  stream(request: LlmRequest): AsyncIterable<LlmEvent>;
  check(options?: { timeoutMs?: number }): Promise<LlmCheck>;
}
