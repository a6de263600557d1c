import type { ErrorCode, ErrorVariant } from '../../common/errors/error-codes';
import type { MessageKey } from '../../common/i18n/messages';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What a generation writes to its stream log; `seq` is given by the log (1, 2, …). */
export type GenerationEventBody =
  | { type: 'start'; message_id: string; conversation_id: string; user_message_id: string }
  | { type: 'content'; content: string }
  /** The conversation's automatic title, when it is ready before the reply's end (AutoTitles). */
  | { type: 'title'; title: string }
  | { type: 'end'; usage: Usage; stopped: boolean }
  | {
      type: 'error';
      error: {
        code: ErrorCode;
        messageKey: MessageKey;
        /** Refines the code (a timeout…); each transport maps code and variant, no HTTP status here. */
        variant?: ErrorVariant;
        details?: Record<string, unknown>;
      };
    };

export type GenerationEvent = GenerationEventBody & { seq: number };

/** Every event type (SSE `data.type`), listed for docs/asyncapi.yaml's drift test; kept complete by the compiler. */
export const GENERATION_EVENT_TYPES = [
  'start',
  'content',
  'title',
  'end',
  'error',
] as const satisfies readonly GenerationEventBody['type'][];
type UnlistedEvent = Exclude<GenerationEventBody['type'], (typeof GENERATION_EVENT_TYPES)[number]>;
export const GENERATION_EVENT_TYPES_COMPLETE: [UnlistedEvent] extends [never] ? true : never = true;

export function isTerminal(event: GenerationEventBody): boolean {
  return event.type === 'end' || event.type === 'error';
}
