import { AppError, fieldIssue } from '../../common/errors/app-error';
import type { LlmMessage } from '../llm/llm-provider';
import { countTextTokens, TOKENS_PER_MESSAGE, TOKENS_REPLY_PRIMING } from '../llm/tokenizer';

/** An earlier turn and its content's token count, as stored with the message (0: unknown). */
export interface CountedTurn extends LlmMessage {
  tokens: number;
}

export interface ContextInput {
  systemMessage: string | null;
  /** Earlier turns, oldest first. */
  history: CountedTurn[];
  newMessage: string;
  /** The model's context window, in tokens. */
  contextWindow: number;
  /** Tokens kept free for the reply. */
  replyBudget: number;
}

export interface BuiltContext {
  messages: LlmMessage[];
  promptTokens: number;
  /** Token count of the new message's content (stored with it). */
  newMessageTokens: number;
  /** Earlier turns left out because they did not fit. */
  dropped: number;
}

const roleTokens = new Map<string, number>();

/** Framing, role and content tokens of one message (OpenAI's cookbook counting). */
function messageTokens(role: string, contentTokens: number): number {
  let roleCost = roleTokens.get(role);
  if (roleCost === undefined) roleTokens.set(role, (roleCost = countTextTokens(role)));
  return TOKENS_PER_MESSAGE + roleCost + contentTokens;
}

/**
 * The messages the model sees: the system message, then as many earlier turns as fit
 * (newest kept first), then the new message, within the context window minus the reply
 * budget. The new message alone too large is a 422 on `content`. Earlier turns are counted
 * from the token counts stored with them, never tokenized again: only the system message and
 * the new text are.
 */
export function buildContext(input: ContextInput): BuiltContext {
  const head: LlmMessage[] = input.systemMessage
    ? [{ role: 'system', content: input.systemMessage }]
    : [];
  const tail: LlmMessage = { role: 'user', content: input.newMessage };
  const newMessageTokens = countTextTokens(input.newMessage);
  const budget = input.contextWindow - input.replyBudget;
  let used =
    TOKENS_REPLY_PRIMING +
    messageTokens('user', newMessageTokens) +
    (input.systemMessage ? messageTokens('system', countTextTokens(input.systemMessage)) : 0);
  if (used > budget) {
    throw AppError.validation([fieldIssue('content', 'issue.context_too_long')]);
  }
  const kept: LlmMessage[] = [];
  for (let i = input.history.length - 1; i >= 0; i--) {
    const turn = input.history[i];
    const stored = turn.tokens > 0 ? turn.tokens : countTextTokens(turn.content);
    const cost = messageTokens(turn.role, stored);
    if (used + cost > budget) break;
    used += cost;
    kept.push({ role: turn.role, content: turn.content });
  }
  kept.reverse();
  return {
    messages: [...head, ...kept, tail],
    promptTokens: used,
    newMessageTokens,
    dropped: input.history.length - kept.length,
  };
}
