import { AppError, fieldIssue } from '../../common/errors/app-error';
import type { LlmMessage } from '../llm/llm-provider';
import { countChatTokens, TOKENS_PER_MESSAGE } from '../llm/tokenizer';
import { countTextTokens } from '../llm/tokenizer';

export interface ContextInput {
  systemMessage: string | null;
  /** Earlier turns, oldest first. */
  history: LlmMessage[];
  newMessage: string;
  /** The model's context window, in tokens. */
  contextWindow: number;
  /** Tokens kept free for the reply. */
  replyBudget: number;
}

export interface BuiltContext {
  messages: LlmMessage[];
  promptTokens: number;
  /** Earlier turns left out because they did not fit. */
  dropped: number;
}

/**
 * The messages the model sees: the system message, then as many earlier turns as fit
 * (newest kept first), then the new message, within the context window minus the reply
 * budget. The new message alone too large is a 422 on `content`.
 */
export function buildContext(input: ContextInput): BuiltContext {
  const head: LlmMessage[] = input.systemMessage
    ? [{ role: 'system', content: input.systemMessage }]
    : [];
  const tail: LlmMessage = { role: 'user', content: input.newMessage };
  const budget = input.contextWindow - input.replyBudget;
  const fixed = countChatTokens([...head, tail]);
  if (fixed > budget) {
    throw AppError.validation([fieldIssue('content', 'issue.context_too_long')], 422);
  }
  let used = fixed;
  const kept: LlmMessage[] = [];
  for (let i = input.history.length - 1; i >= 0; i--) {
    const cost = countTextTokens(input.history[i].content) + TOKENS_PER_MESSAGE;
    if (used + cost > budget) break;
    used += cost;
    kept.unshift(input.history[i]);
  }
  const messages = [...head, ...kept, tail];
  return {
    messages,
    promptTokens: countChatTokens(messages),
    dropped: input.history.length - kept.length,
  };
}
