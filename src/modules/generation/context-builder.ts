import { AppError, fieldIssue } from '../../common/errors/app-error';
import type { LlmContentPart, LlmMessage } from '../llm/llm-provider';
import { countTextTokens, TOKENS_PER_MESSAGE, TOKENS_REPLY_PRIMING } from '../llm/tokenizer';

/**
 * A file as the model is given it: a document's or text's extracted text, or an image's copy
 * for the model. `tokens` is its token count stored at upload (an image's from its size).
 */
export interface ModelAttachment {
  id: string;
  filename: string;
  tokens: number;
  text: string | null;
  image: { data: Buffer; type: string } | null;
}

/** An earlier turn and its content's token count, as stored with the message (0: unknown). */
export interface CountedTurn {
  role: 'user' | 'assistant';
  content: string;
  /** Stored with the message: its text's tokens and its attachments'. */
  tokens: number;
  /** Ids of the files a user message carried, in order. */
  fileIds?: string[];
}

export interface ContextInput {
  systemMessage: string | null;
  /** Earlier turns, oldest first. */
  history: CountedTurn[];
  newMessage: string;
  /** Files attached to the new message, in order. */
  newAttachments?: ModelAttachment[];
  /** Contents of the files of earlier turns (by id); a file not here is left out. */
  historyFiles?: ReadonlyMap<string, ModelAttachment>;
  /** Whether the model reads images; when not, earlier turns' images are left out. */
  vision?: boolean;
  /** The model's context window, in tokens. */
  contextWindow: number;
  /** Tokens kept free for the reply. */
  replyBudget: number;
}

export interface BuiltContext {
  messages: LlmMessage[];
  promptTokens: number;
  /** Token count of the new message's content and attachments (stored with it). */
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

/** A document inside the user message, delimited and named by its file name. */
function documentBlock(filename: string, text: string): string {
  const name = filename.replace(/["<>\r\n]/g, '_');
  return `<file name="${name}">\n${text}\n</file>`;
}

/** Tokens an attachment adds to its message: its content, and a document's delimiters. */
export function attachmentTokens(file: ModelAttachment): number {
  return file.text === null
    ? file.tokens
    : file.tokens + countTextTokens(documentBlock(file.filename, ''));
}

/**
 * A user message's content: its text followed by each document's text (named, delimited), as
 * one string; with images, that text then each image as an `image_url` part (a data URL).
 */
export function userContent(
  text: string,
  files: readonly ModelAttachment[],
  vision = true,
): string | LlmContentPart[] {
  if (files.length === 0) return text;
  const documents = files.flatMap((f) =>
    f.text === null ? [] : [documentBlock(f.filename, f.text)],
  );
  const body = [text, ...documents].join('\n\n');
  const images = vision ? files.filter((f) => f.image !== null) : [];
  if (images.length === 0) return body;
  return [
    { type: 'text', text: body },
    ...images.map((f): LlmContentPart => ({
      type: 'image_url',
      image_url: { url: `data:${f.image!.type};base64,${f.image!.data.toString('base64')}` },
    })),
  ];
}

interface Selection {
  kept: CountedTurn[];
  used: number;
  newMessageTokens: number;
}

/** Which earlier turns fit (newest kept first), after the system message and the new one. */
function select(input: ContextInput): Selection {
  const textTokens = countTextTokens(input.newMessage);
  const filesTokens = (input.newAttachments ?? []).reduce((n, f) => n + attachmentTokens(f), 0);
  const newMessageTokens = textTokens + filesTokens;
  const budget = input.contextWindow - input.replyBudget;
  const fixed =
    TOKENS_REPLY_PRIMING +
    (input.systemMessage ? messageTokens('system', countTextTokens(input.systemMessage)) : 0);
  if (fixed + messageTokens('user', textTokens) > budget) {
    throw AppError.validation([fieldIssue('content', 'issue.context_too_long')]);
  }
  let used = fixed + messageTokens('user', newMessageTokens);
  if (used > budget) {
    throw AppError.validation([fieldIssue('attachments', 'issue.attachments_too_long')]);
  }
  const kept: CountedTurn[] = [];
  for (let i = input.history.length - 1; i >= 0; i--) {
    const turn = input.history[i];
    const stored = turn.tokens > 0 ? turn.tokens : countTextTokens(turn.content);
    const cost = messageTokens(turn.role, stored);
    if (used + cost > budget) break;
    used += cost;
    kept.push(turn);
  }
  kept.reverse();
  return { kept, used, newMessageTokens };
}

/** The files of the earlier turns that will be in the context (their contents are needed). */
export function historyFileIds(input: ContextInput): string[] {
  return select(input).kept.flatMap((turn) => turn.fileIds ?? []);
}

/**
 * The messages the model sees: the system message, then as many earlier turns as fit
 * (newest kept first), then the new message with its attachments, within the context window
 * minus the reply budget. The new message's text alone too large is a 422 on `content`; with
 * its attachments, on `attachments`. Earlier turns are counted from the token counts stored
 * with them (attachments included), never tokenized again: only the system message and the
 * new text are.
 */
export function buildContext(input: ContextInput): BuiltContext {
  const { kept, used, newMessageTokens } = select(input);
  const head: LlmMessage[] = input.systemMessage
    ? [{ role: 'system', content: input.systemMessage }]
    : [];
  const files = input.historyFiles;
  const earlier = kept.map((turn): LlmMessage => {
    if (!turn.fileIds?.length || !files) return { role: turn.role, content: turn.content };
    const attached = turn.fileIds.flatMap((id) => files.get(id) ?? []);
    return { role: turn.role, content: userContent(turn.content, attached, input.vision) };
  });
  const tail: LlmMessage = {
    role: 'user',
    content: userContent(input.newMessage, input.newAttachments ?? []),
  };
  return {
    messages: [...head, ...earlier, tail],
    promptTokens: used,
    newMessageTokens,
    dropped: input.history.length - kept.length,
  };
}
