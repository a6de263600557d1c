import { AppError } from '../../common/errors/app-error';
import type { MessageKey } from '../../common/i18n/messages';
import type { LlmContentPart, LlmMessage } from '../llm/llm-provider';

/** A chat completion request as this service runs it (API.md §12), read from OpenAI's body. */
export interface ChatCompletionRequest {
  /** A catalog model id (checked against the catalog by the service). */
  model: string;
  messages: LlmMessage[];
  temperature?: number;
  topP?: number;
  /** `max_completion_tokens`, else `max_tokens`; capped by the catalog later. */
  maxTokens?: number;
  stop?: string[];
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with the usage and no choices. */
  includeUsage: boolean;
  /** Some user message carries an `image_url` part (the model needs `vision`). */
  hasImages: boolean;
}

/** OpenAI's own limit on stop sequences. */
const MAX_STOP_SEQUENCES = 4;

type Body = Record<string, unknown>;

/**
 * A request this endpoint cannot read as a chat completion (wrong type, missing field):
 * 400, `param` the field. `openaiCode` is the OpenAI error code when a finer one applies.
 */
function malformed(
  field: string,
  issue: string,
  openaiCode?: string,
  key: MessageKey = 'error.bad_request',
): AppError {
  return new AppError(
    'VALIDATION_ERROR',
    key,
    { field, issue, ...(openaiCode ? { openai_code: openaiCode } : {}) },
    'malformed',
  );
}

/** A feature OpenAI has and this service does not offer (n > 1, tools, audio): 400. */
function unsupported(field: string, issue: string): AppError {
  return malformed(field, issue, 'unsupported_parameter', 'error.unsupported_request');
}

/** A well-formed value outside its range: 422, as for every other route (API.md §1). */
function outOfRange(field: string, issue: string): AppError {
  return new AppError('VALIDATION_ERROR', 'error.validation', { field, issue });
}

const isObject = (value: unknown): value is Body =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** null counts as absent, as OpenAI's API treats it. */
const given = (value: unknown): boolean => value !== undefined && value !== null;

function numberIn(body: Body, field: string, min: number, max: number): number | undefined {
  const value = body[field];
  if (!given(value)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw malformed(field, 'must be a number');
  }
  if (value < min || value > max) throw outOfRange(field, `must be between ${min} and ${max}`);
  return value;
}

function positiveInteger(body: Body, field: string): number | undefined {
  const value = body[field];
  if (!given(value)) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw malformed(field, 'must be an integer');
  }
  if (value < 1) throw outOfRange(field, 'must be at least 1');
  return value;
}

function booleanOf(body: Body, field: string): boolean {
  const value = body[field];
  if (!given(value)) return false;
  if (typeof value !== 'boolean') throw malformed(field, 'must be a boolean');
  return value;
}

function stopOf(value: unknown): string[] | undefined {
  if (!given(value)) return undefined;
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) {
    throw malformed('stop', 'must be a string or an array of strings');
  }
  if (value.length > MAX_STOP_SEQUENCES) {
    throw outOfRange('stop', `at most ${MAX_STOP_SEQUENCES} sequences`);
  }
  return value.length > 0 ? value : undefined;
}

/** OpenAI features this endpoint refuses rather than silently ignores: the answer would be wrong. */
function refuseUnsupported(body: Body): void {
  if (given(body.n) && body.n !== 1) {
    throw unsupported('n', 'only n = 1 is supported (one choice per request)');
  }
  for (const field of ['tools', 'functions'] as const) {
    const value = body[field];
    if (given(value) && !(Array.isArray(value) && value.length === 0)) {
      throw unsupported(field, 'tools and function calling are not supported');
    }
  }
  for (const field of ['tool_choice', 'function_call'] as const) {
    if (given(body[field]) && body[field] !== 'none') {
      throw unsupported(field, 'tools and function calling are not supported');
    }
  }
  if (given(body.audio)) throw unsupported('audio', 'audio output is not supported');
  const modalities = body.modalities;
  if (Array.isArray(modalities) && modalities.some((m) => m !== 'text')) {
    throw unsupported('modalities', 'only the text modality is supported');
  }
}

/** One content part of a message (`at`: its path for `param`). */
function partOf(part: unknown, at: string, role: string): LlmContentPart {
  if (!isObject(part)) throw malformed(at, 'must be a content part object');
  switch (part.type) {
    case 'text':
      if (typeof part.text !== 'string') throw malformed(`${at}.text`, 'must be a string');
      return { type: 'text', text: part.text };
    case 'image_url': {
      if (role !== 'user') throw malformed(at, 'images are read in user messages only');
      const image = part.image_url;
      const url = isObject(image) ? image.url : image;
      if (typeof url !== 'string' || url === '') {
        throw malformed(`${at}.image_url.url`, 'must be a URL or a data URL');
      }
      return { type: 'image_url', image_url: { url } };
    }
    case 'input_audio':
      throw unsupported(at, 'audio input is not supported');
    default:
      throw unsupported(at, 'only text and image_url content parts are supported');
  }
}

/**
 * One message. `developer` is OpenAI's newer name for `system` and is passed on as one; tool
 * messages and assistant tool calls are refused (no tools here).
 */
function messageOf(message: unknown, i: number): { message: LlmMessage; images: boolean } {
  const at = `messages[${i}]`;
  if (!isObject(message)) throw malformed(at, 'must be a message object');
  const { role } = message;
  if (role === 'tool' || role === 'function') {
    throw unsupported(`${at}.role`, 'tools and function calling are not supported');
  }
  if (role !== 'system' && role !== 'developer' && role !== 'user' && role !== 'assistant') {
    throw malformed(`${at}.role`, 'must be one of system, developer, user, assistant');
  }
  if (given(message.tool_calls) || given(message.function_call)) {
    throw unsupported(`${at}.tool_calls`, 'tools and function calling are not supported');
  }
  if (given(message.audio)) throw unsupported(`${at}.audio`, 'audio is not supported');
  const mapped = role === 'developer' ? 'system' : role;
  const content = message.content;
  if (typeof content === 'string') return { message: { role: mapped, content }, images: false };
  if (content === null && role === 'assistant') {
    return { message: { role: mapped, content: '' }, images: false };
  }
  if (!Array.isArray(content)) {
    throw malformed(`${at}.content`, 'must be a string or an array of content parts');
  }
  const parts = content.map((part, j) => partOf(part, `${at}.content[${j}]`, role));
  const images = parts.some((p) => p.type === 'image_url');
  // Only a user message with images keeps its parts; any other is its text, as providers read it.
  if (images) return { message: { role: mapped, content: parts }, images };
  const text = parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
  return { message: { role: mapped, content: text }, images };
}

/**
 * Reads OpenAI's chat completion body. Fields it does not know are ignored, as OpenAI's clients
 * expect (they send extras); features it cannot honour (n > 1, tools, audio) are refused with
 * 400, as are wrong types; a well-formed number out of range is 422 (API.md §1).
 */
export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  if (!isObject(body)) throw malformed('request', 'the body must be a JSON object');
  refuseUnsupported(body);
  if (typeof body.model !== 'string' || body.model === '') {
    throw malformed('model', 'must be a model id (GET /models lists them)');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw malformed('messages', 'must be a non-empty array of messages');
  }
  const read = body.messages.map(messageOf);
  if (given(body.user) && typeof body.user !== 'string')
    throw malformed('user', 'must be a string');
  const streamOptions = body.stream_options;
  if (given(streamOptions) && !isObject(streamOptions)) {
    throw malformed('stream_options', 'must be an object');
  }
  const includeUsage = isObject(streamOptions) ? booleanOf(streamOptions, 'include_usage') : false;
  const maxTokens =
    positiveInteger(body, 'max_completion_tokens') ?? positiveInteger(body, 'max_tokens');
  const request: ChatCompletionRequest = {
    model: body.model,
    messages: read.map((r) => r.message),
    stream: booleanOf(body, 'stream'),
    includeUsage,
    hasImages: read.some((r) => r.images),
  };
  const temperature = numberIn(body, 'temperature', 0, 2);
  const topP = numberIn(body, 'top_p', 0, 1);
  const stop = stopOf(body.stop);
  if (temperature !== undefined) request.temperature = temperature;
  if (topP !== undefined) request.topP = topP;
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  if (stop !== undefined) request.stop = stop;
  return request;
}
