import { Logger } from '@nestjs/common';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { AppError } from '../../common/errors/app-error';
import {
  LlmCheck,
  LlmEvent,
  LlmFinishReason,
  LlmMessage,
  LlmProvider,
  LlmRequest,
  LlmUsageEvent,
  textOf,
} from './llm-provider';
import { nodeHttpFetch } from './node-http-fetch';
import { countChatTokens, countTextTokens } from './tokenizer';

/** What the SDK passes on to its fetch with each request. */
type SdkFetchOptions = NonNullable<
  NonNullable<Parameters<OpenAI['chat']['completions']['create']>[1]>['fetchOptions']
>;

export { OPENAI_DEFAULT_BASE_URL } from './providers.config';

/**
 * What the SDK is given as its key when a provider has none (a local vLLM or Ollama): the SDK
 * insists on one, but with no key the Authorization header is removed and never sent.
 */
export const NO_API_KEY = 'no-key';

export interface OpenAiProviderOptions {
  /** Undefined: the server takes no key; no Authorization header is sent. */
  apiKey?: string;
  /** Any OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1. */
  baseURL: string;
  /** The SDK's per-attempt timeout: until the response headers arrive. */
  requestTimeoutMs: number;
  /** SDK retries of 429/5xx/connection failures; they happen before the first token only. */
  maxRetries: number;
  /** From sending the request (retries included) to the first streamed chunk. */
  firstTokenTimeoutMs: number;
  /** Longest silence between two chunks while we wait for the next one. */
  idleTimeoutMs: number;
  /** Extra headers on every request (e.g. a gateway's own key header). */
  headers?: Record<string, string>;
}

/** Why a request failed, in error details (`reason`); machine-readable, not wording. */
export type LlmFailureReason =
  | 'upstream_error'
  | 'connection_error'
  | 'request_timeout'
  | 'first_token_timeout'
  | 'idle_timeout'
  | 'malformed_stream'
  | 'incomplete_stream';

type Deadline = 'first_token' | 'idle';

/** Our own timers around the stream: the SDK's timeout does not cover a stalled body. */
class Watchdog {
  expired: Deadline | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onExpire: () => void) {}

  arm(deadline: Deadline, ms: number): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.expired = deadline;
      this.onExpire();
    }, ms);
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

class CallerAborted extends Error {}
class DeadlineExpired extends Error {}

/** Settles like `promise`, or rejects at once when `signal` aborts (SDK retry sleeps ignore it). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // The SDK's own promise still settles after an abort; nobody else listens to it.
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new CallerAborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CallerAborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * fetch for the SDK (over node:http, see nodeHttpFetch), re-raising failures as Errors of
 * this realm with their name and cause. The SDK recognises its own timeout by an `AbortError`
 * that is `instanceof Error`; an error from another realm (under Jest's vm) fails that check
 * and the timeout would be reported as a connection error.
 */
const realmSafeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
  try {
    return await nodeHttpFetch(input, init);
  } catch (error) {
    if (error instanceof Error) throw error;
    const { name, message, cause } = (error ?? {}) as {
      name?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    const copy = new Error(typeof message === 'string' ? message : String(error), { cause });
    if (typeof name === 'string') copy.name = name;
    throw copy;
  }
}) as unknown as typeof fetch;

function finishReasonOf(reason: string): LlmFinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
    case 'content_filter':
      return reason;
    default:
      return 'other';
  }
}

/** Maps anything the SDK or the transport throws to the contract's error; never leaks it raw. */
export function toProviderError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fail = (reason: LlmFailureReason, timedOut: boolean, upstreamStatus?: number) =>
    new AppError(
      'OPENAI_API_ERROR',
      timedOut ? 'error.openai_timeout' : 'error.openai',
      upstreamStatus === undefined ? { reason } : { reason, upstream_status: upstreamStatus },
      timedOut ? 'timeout' : undefined,
    );
  if (error instanceof APIConnectionTimeoutError) return fail('request_timeout', true);
  if (error instanceof APIConnectionError) return fail('connection_error', false);
  if (error instanceof APIError) {
    return typeof error.status === 'number'
      ? fail('upstream_error', false, error.status)
      : fail('upstream_error', false); // an `error` event inside the stream
  }
  if (error instanceof SyntaxError) return fail('malformed_stream', false);
  // A connection cut mid-body and other transport failures.
  return fail('connection_error', false);
}

/**
 * The real provider, over the official `openai` SDK, against api.openai.com or any
 * OpenAI-compatible server. Streams with usage in the last chunk; retries (SDK) only before
 * the first token; our own first-token and idle deadlines abort a stalled stream (504).
 */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai' as const;
  private readonly client: OpenAI;
  private readonly logger = new Logger(OpenAiProvider.name);

  constructor(private readonly options: OpenAiProviderOptions) {
    const sdkLogger = new Logger('OpenAiSdk');
    this.client = new OpenAI({
      apiKey: options.apiKey ?? NO_API_KEY,
      baseURL: options.baseURL,
      // A null header is left out: without a key, no Authorization header that looks real.
      defaultHeaders: {
        ...options.headers,
        ...(options.apiKey === undefined ? { Authorization: null } : {}),
      },
      timeout: options.requestTimeoutMs,
      maxRetries: options.maxRetries,
      fetch: realmSafeFetch,
      logLevel: 'warn',
      logger: {
        error: (message: string) => sdkLogger.warn(message),
        warn: (message: string) => sdkLogger.warn(message),
        info: (message: string) => sdkLogger.debug(message),
        debug: (message: string) => sdkLogger.verbose(message),
      },
    });
  }

  async *stream(request: LlmRequest): AsyncGenerator<LlmEvent, void, undefined> {
    const { signal } = request;
    if (signal?.aborted) {
      yield usageOf(0, 0, 'tokenizer', 'aborted');
      return;
    }
    const upstream = new AbortController();
    const abortUpstream = () => upstream.abort();
    signal?.addEventListener('abort', abortUpstream, { once: true });
    const watchdog = new Watchdog(abortUpstream);
    // The first-token deadline runs from when the request leaves, not while it waits to.
    let ended = false;
    let dropped = false;
    const armFirstToken = () => watchdog.arm('first_token', this.options.firstTokenTimeoutMs);
    if (request.sendAfter === undefined) armFirstToken();
    else {
      void request.sendAfter.then((go) => {
        if (!go) dropped = true;
        else if (!ended) armFirstToken();
      });
    }

    let text = '';
    let usage: ChatCompletionChunk['usage'] | undefined;
    let finishReason: string | undefined;
    let completed = false;
    try {
      const chunks = await untilAborted(
        this.client.chat.completions.create(
          {
            model: request.model,
            messages: request.messages.map(toSdkMessage),
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
            ...(request.topP !== undefined ? { top_p: request.topP } : {}),
            ...(request.stop !== undefined ? { stop: request.stop } : {}),
            ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
            stream: true,
            stream_options: { include_usage: true },
          },
          {
            signal: upstream.signal,
            // Read by nodeHttpFetch: the built request waits for the caller's go.
            ...(request.sendAfter !== undefined
              ? { fetchOptions: { sendAfter: request.sendAfter } as SdkFetchOptions }
              : {}),
          },
        ),
        upstream.signal,
      );
      for await (const chunk of chunks) {
        // The deadline covers the upstream only, not the time our consumer takes per delta.
        watchdog.disarm();
        if (chunk.usage) usage = chunk.usage;
        for (const choice of chunk.choices ?? []) {
          if (choice.index !== 0) continue;
          const piece = choice.delta?.content;
          if (piece) {
            text += piece;
            yield { type: 'delta', text: piece };
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
        watchdog.arm('idle', this.options.idleTimeoutMs);
      }
      // An abort ends the SDK's loop quietly: a deadline's abort is reported by the catch below.
      if (watchdog.expired) throw new DeadlineExpired();
      if (finishReason !== undefined) completed = true;
      else if (!signal?.aborted) {
        throw new AppError('OPENAI_API_ERROR', 'error.openai', { reason: 'incomplete_stream' });
      }
    } catch (error) {
      if (watchdog.expired) {
        const reason: LlmFailureReason =
          watchdog.expired === 'first_token' ? 'first_token_timeout' : 'idle_timeout';
        this.logger.warn(`${request.model}: ${reason} after ${text.length} characters`);
        throw new AppError('OPENAI_API_ERROR', 'error.openai_timeout', { reason }, 'timeout');
      }
      if (!signal?.aborted) {
        const mapped = toProviderError(error);
        this.logger.warn(
          `${request.model}: ${JSON.stringify(mapped.details)} ${
            error instanceof Error ? `${error.name}: ${error.message}` : String(error)
          }`,
        );
        throw mapped;
      }
      // The caller's abort is not an error: end quietly and report usage below.
    } finally {
      ended = true;
      watchdog.disarm();
      signal?.removeEventListener('abort', abortUpstream);
      // Also reached when the consumer stops iterating early: close the upstream request.
      if (!completed) upstream.abort();
    }

    // Dropped before it was sent: nothing was asked of the model, nothing to report.
    if (dropped) return;
    const reason: LlmFinishReason = completed ? finishReasonOf(finishReason ?? 'stop') : 'aborted';
    if (usage) {
      yield usageOf(usage.prompt_tokens, usage.completion_tokens, 'provider', reason);
    } else {
      yield usageOf(countChatTokens(request.messages), countTextTokens(text), 'tokenizer', reason);
    }
  }

  /** Lists the models: authenticated, cheap, spends no tokens. */
  async check(options: { timeoutMs?: number } = {}): Promise<LlmCheck> {
    const { ok, latencyMs, reason, upstreamStatus } = await this.listModels(options);
    return {
      ok,
      latencyMs,
      ...(reason !== undefined ? { reason } : {}),
      ...(upstreamStatus !== undefined ? { upstreamStatus } : {}),
    };
  }

  /** The check, with the ids of the models the server lists when it answered. */
  async listModels(
    options: { timeoutMs?: number } = {},
  ): Promise<LlmCheck & { models?: string[] }> {
    const started = Date.now();
    try {
      const page = await this.client.models.list({
        timeout: options.timeoutMs ?? Math.min(this.options.requestTimeoutMs, 5000),
        maxRetries: 0,
      });
      // One page is what a server answers in one call; OpenAI-compatible servers send one.
      const models = page.data.map((m) => m.id);
      return { ok: true, latencyMs: Date.now() - started, models };
    } catch (error) {
      const mapped = toProviderError(error);
      const details = mapped.details as { reason: string; upstream_status?: number };
      return {
        ok: false,
        latencyMs: Date.now() - started,
        reason: details.reason,
        ...(details.upstream_status !== undefined
          ? { upstreamStatus: details.upstream_status }
          : {}),
      };
    }
  }
}

function usageOf(
  promptTokens: number,
  completionTokens: number,
  usageSource: LlmUsageEvent['usageSource'],
  finishReason: LlmFinishReason,
): LlmUsageEvent {
  return { type: 'usage', promptTokens, completionTokens, usageSource, finishReason };
}

/** A message in the SDK's shape: only user messages carry parts (images); others are text. */
function toSdkMessage(message: LlmMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content };
    case 'system':
      return { role: 'system', content: textOf(message.content) };
    case 'assistant':
      return { role: 'assistant', content: textOf(message.content) };
  }
}
