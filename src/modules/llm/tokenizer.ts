// The cjs/ path: tsconfig's node10 resolution ignores the package's exports map.
import { countTokens as countCl100k } from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import { LlmMessage, textOf } from './llm-provider';

/**
 * Token counting for when a provider reports no usage (aborted streams, servers that omit
 * it) and for the offline model. It uses cl100k_base, the encoding of the catalog's default
 * models (gpt-3.5-turbo, gpt-4, gpt-4-turbo); for other models it is an approximation.
 * The encoding ships inside gpt-tokenizer, so nothing is fetched at run time.
 */

/** Special-token markers in user text are counted as plain text, never rejected. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Framing tokens per message (<|start|>{role}\n … <|end|>\n), as in OpenAI's cookbook. */
export const TOKENS_PER_MESSAGE = 3;
/**
 * Tokens of an image when nothing better is known: OpenAI's cost of one low-detail image (the
 * upload's own count, from its size, is what sends use).
 */
export const IMAGE_TOKENS_FLOOR = 85;

/** Every reply is primed with <|start|>assistant<|message|>. */
export const TOKENS_REPLY_PRIMING = 3;

export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countCl100k(text, PLAIN_TEXT);
}

/** Longest run without whitespace that countLongTextTokens counts in one piece (see there). */
const MAX_RUN = 1024;

/** ASCII whitespace: where the tokenizer's pre-tokens end. */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * Tokens of a long text (an uploaded document), in time linear in its length. Byte-pair
 * merging is quadratic in the length of one pre-token, so a file made of one long run without
 * whitespace (a 250 KiB line of one letter took over 20 s; long CJK lines are such runs too)
 * has each run longer than 1,024 characters counted in slices of that length, and the text
 * around them as it is. A slice's edges can merge differently than the whole run would, so
 * such a file's count may be a few tokens off; ordinary text, whose runs are short, is
 * counted exactly.
 */
export function countLongTextTokens(text: string): number {
  let total = 0;
  let from = 0;
  let runStart = 0;
  for (let i = 0; i <= text.length; i++) {
    const end = i === text.length || isSpace(text.charCodeAt(i));
    if (!end) continue;
    if (i - runStart > MAX_RUN) {
      total += countTextTokens(text.slice(from, runStart));
      for (let at = runStart; at < i; at += MAX_RUN) {
        total += countTextTokens(text.slice(at, Math.min(i, at + MAX_RUN)));
      }
      from = i;
    }
    runStart = i + 1;
  }
  return total + countTextTokens(text.slice(from));
}

/**
 * Prompt tokens of a chat request: per message its framing, role and content, plus the
 * reply priming — the counting of OpenAI's cookbook for gpt-3.5-turbo/gpt-4, which matches
 * the usage those models report.
 */
export function countChatTokens(messages: readonly LlmMessage[]): number {
  let total = TOKENS_REPLY_PRIMING;
  for (const message of messages) {
    const images =
      typeof message.content === 'string'
        ? 0
        : message.content.filter((part) => part.type === 'image_url').length;
    total +=
      TOKENS_PER_MESSAGE +
      countTextTokens(message.role) +
      countTextTokens(textOf(message.content)) +
      images * IMAGE_TOKENS_FLOOR;
  }
  return total;
}
