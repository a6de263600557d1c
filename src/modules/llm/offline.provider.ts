import {
  LlmCheck,
  LlmEvent,
  LlmFinishReason,
  LlmProvider,
  LlmRequest,
  textOf,
} from './llm-provider';
import { countChatTokens, countTextTokens } from './tokenizer';

export interface OfflineProviderOptions {
  /** Pause before each word, in ms; 0 yields them without waiting on a timer. */
  tokenDelayMs: number;
}

/** Longest stretch of the question restated in the reply. */
const MAX_QUOTE_CHARS = 500;

/** Resolves after `ms`, or early (false) when the signal aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Words of the question an offline title keeps. */
const TITLE_WORDS = 6;

/** The last user message's text, whitespace collapsed. */
function lastQuestion(request: Pick<LlmRequest, 'messages'>): string {
  const last = [...request.messages].reverse().find((m) => m.role === 'user');
  return (last ? textOf(last.content) : '').replace(/\s+/g, ' ').trim();
}

/** The development title: the question's first words (a title call sends the question last). */
export function offlineTitleOf(request: Pick<LlmRequest, 'messages'>): string {
  return lastQuestion(request).split(' ').slice(0, TITLE_WORDS).join(' ');
}

/** The development reply: labelled as such, restating the last user message. */
export function offlineReplyTo(request: Pick<LlmRequest, 'messages' | 'model'>): string {
  const question = lastQuestion(request);
  const quoted =
    question.length > MAX_QUOTE_CHARS ? `${question.slice(0, MAX_QUOTE_CHARS)}…` : question;
  const restated = quoted
    ? `You asked: "${quoted}"`
    : 'There was no user question in this conversation.';
  return (
    `[Offline development model] This reply comes from the offline development model ` +
    `(requested model: ${request.model}), not from a real AI; no request left this server. ` +
    `${restated} Set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible ` +
    `server) to get real answers.`
  );
}

/**
 * A provider for development without an API key or network: streams a clearly labelled
 * reply word by word, honours the abort signal and maxTokens, and counts usage with the
 * tokenizer. It answers any model id.
 */
export class OfflineProvider implements LlmProvider {
  readonly name = 'offline' as const;

  constructor(private readonly options: OfflineProviderOptions) {}

  async *stream(request: LlmRequest): AsyncGenerator<LlmEvent, void, undefined> {
    const { signal } = request;
    if (request.sendAfter !== undefined && !(await request.sendAfter)) return;
    const answer = request.purpose === 'title' ? offlineTitleOf(request) : offlineReplyTo(request);
    const words = answer.match(/\S+\s*/g) ?? [];
    let text = '';
    let finishReason: LlmFinishReason = 'stop';
    const abortedAtStart = signal?.aborted === true;
    if (abortedAtStart) {
      finishReason = 'aborted';
    } else {
      for (const word of words) {
        const proceed =
          this.options.tokenDelayMs > 0
            ? await pause(this.options.tokenDelayMs, signal)
            : await new Promise<boolean>((resolve) =>
                setImmediate(() => resolve(!signal?.aborted)),
              );
        if (!proceed || signal?.aborted) {
          finishReason = 'aborted';
          break;
        }
        if (request.maxTokens !== undefined && countTextTokens(text + word) > request.maxTokens) {
          finishReason = 'length';
          break;
        }
        text += word;
        yield { type: 'delta', text: word };
      }
    }
    yield {
      type: 'usage',
      // A request cancelled before it started is not counted, as with the real provider.
      promptTokens: abortedAtStart ? 0 : countChatTokens(request.messages),
      completionTokens: countTextTokens(text),
      usageSource: 'tokenizer',
      finishReason,
    };
  }

  check(): Promise<LlmCheck> {
    return Promise.resolve({ ok: true, latencyMs: 0 });
  }
}
