import { randomBytes } from 'node:crypto';
import type { LlmFinishReason } from '../llm/llm-provider';
import type { ModelInfo } from '../llm/models.catalog';

/** The finish reasons OpenAI's clients know. */
export type OpenAiFinishReason = 'stop' | 'length' | 'content_filter';

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** How a completion ended: its text, why, and the usage billed. */
export interface CompletionOutcome {
  content: string;
  finishReason: OpenAiFinishReason;
  usage: OpenAiUsage;
}

/** What every answer of one completion repeats: its id, creation time (seconds) and model. */
export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export function completionMeta(model: string, now = Date.now()): CompletionMeta {
  return {
    id: `chatcmpl-${randomBytes(15).toString('base64url')}`,
    created: Math.floor(now / 1000),
    model,
  };
}

/** A provider's reason in OpenAI's words: an aborted or unknown end reads as `stop`. */
export function openAiFinishReason(reason: LlmFinishReason): OpenAiFinishReason {
  switch (reason) {
    case 'length':
    case 'content_filter':
      return reason;
    case 'stop':
    case 'aborted':
    case 'other':
      return 'stop';
  }
}

/** The non-streamed answer (`object: "chat.completion"`). */
export function chatCompletion(meta: CompletionMeta, outcome: CompletionOutcome) {
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: outcome.content },
        finish_reason: outcome.finishReason,
      },
    ],
    usage: outcome.usage,
  };
}

/** GET /models: the catalog in OpenAI's list shape (`created`: when this process loaded it). */
export function modelList(models: readonly ModelInfo[], created: number) {
  return {
    object: 'list' as const,
    data: models.map((m) => ({
      id: m.id,
      object: 'model' as const,
      created,
      owned_by: 'system',
    })),
  };
}

const frame = (json: string) => `data: ${json}\n\n`;

/**
 * The SSE frames of one streamed completion (`object: "chat.completion.chunk"`). The part of a
 * content chunk around its text is built once, so each chunk costs one JSON.stringify of
 * the text and a concatenation. With `includeUsage` every chunk carries `usage: null` and a
 * last chunk with empty `choices` carries the usage, as OpenAI's stream does.
 */
export class ChunkFrames {
  private readonly head: string;
  private readonly tail: string;

  constructor(
    meta: CompletionMeta,
    private readonly includeUsage: boolean,
  ) {
    this.head =
      `{"id":${JSON.stringify(meta.id)},"object":"chat.completion.chunk",` +
      `"created":${meta.created},"model":${JSON.stringify(meta.model)},"choices":`;
    this.tail = includeUsage ? ',"usage":null}' : '}';
  }

  /** The first chunk: the assistant role, empty content. */
  role(): string {
    return frame(
      `${this.head}[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]${this.tail}`,
    );
  }

  content(text: string): string {
    return frame(
      `${this.head}[{"index":0,"delta":{"content":${JSON.stringify(text)}},"finish_reason":null}]${this.tail}`,
    );
  }

  /** The chunk that ends the choice: an empty delta and the finish reason. */
  finish(reason: OpenAiFinishReason): string {
    return frame(`${this.head}[{"index":0,"delta":{},"finish_reason":"${reason}"}]${this.tail}`);
  }

  /** The usage chunk (only when asked for): no choices. */
  usage(usage: OpenAiUsage): string | null {
    if (!this.includeUsage) return null;
    return frame(`${this.head}[],"usage":${JSON.stringify(usage)}}`);
  }

  /** An error after the stream started: OpenAI's error object as an event, then the stream ends. */
  static error(body: unknown): string {
    return frame(JSON.stringify(body));
  }

  static readonly done = frame('[DONE]');
}
