import { Equals, IsInt, IsString, IsUUID, Min, ValidateBy, ValidateIf } from 'class-validator';
import { codePointLength } from '../../../common/validation/text';
import { RegenerateMessageDto, SendMessageDto } from '../../generation/dto/send-message.dto';
import type { ClientFrameType } from '../ws-events';

/**
 * What a frame's `request_id` may be to be echoed back (and, on chat_message, kept as the
 * idempotency key): a string of 1 to 200 characters (code points, as the key's column counts)
 * without U+0000. Any other value is not
 * echoed; on chat_message it is refused.
 */
export function isRequestId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    codePointLength(value) <= 200 &&
    !value.includes('\u0000')
  );
}

function IsRequestId(): PropertyDecorator {
  return ValidateBy({
    name: 'isRequestId',
    validator: {
      validate: isRequestId,
      defaultMessage: () => 'request_id must be a string of 1 to 200 characters without U+0000',
    },
  });
}

/** `ping`: answered with `pong`. */
export class PingFrameDto {
  @Equals('ping')
  type!: 'ping';
}

/**
 * `chat_message`: starts a reply like POST /conversations/{conversation_id}/messages, with the
 * REST body's rules (unknown fields are refused as there).
 */
export class ChatMessageFrameDto extends SendMessageDto {
  @Equals('chat_message')
  type!: 'chat_message';

  // Reported first, then conversation_id, then the REST body's fields.
  @ValidateIf((frame: ChatMessageFrameDto) => frame.request_id !== undefined)
  @IsRequestId()
  request_id?: string;

  @IsUUID()
  conversation_id!: string;
}

/**
 * `regenerate`: a new reply to the same user message as assistant message `message_id`, like
 * POST /messages/{message_id}/regenerate (its body's rules; unknown fields refused), streamed
 * like chat_message's.
 */
export class RegenerateFrameDto extends RegenerateMessageDto {
  @Equals('regenerate')
  type!: 'regenerate';

  @ValidateIf((frame: RegenerateFrameDto) => frame.request_id !== undefined)
  @IsRequestId()
  request_id?: string;

  @IsUUID()
  message_id!: string;
}

/** `stop`: stops a reply being generated. */
export class StopFrameDto {
  @Equals('stop')
  type!: 'stop';

  @IsUUID()
  message_id!: string;
}

/** `resume`: the reply's frames after `after` (0 when absent), then the live ones. */
export class ResumeFrameDto {
  @Equals('resume')
  type!: 'resume';

  // Absent means 0; null is no number (IsOptional would let it through). Checked, and so
  // reported, before message_id.
  @ValidateIf((frame: ResumeFrameDto) => frame.after !== undefined)
  @IsInt()
  @Min(0)
  after?: number;

  @IsUUID()
  message_id!: string;
}

/** `auth`: a fresh access token of the same user keeps the socket open past the old one's expiry. */
export class AuthFrameDto {
  @Equals('auth')
  type!: 'auth';

  @IsString()
  token!: string;
}

/** The DTO class of each client frame type. */
export const CLIENT_FRAME_DTOS = {
  ping: PingFrameDto,
  chat_message: ChatMessageFrameDto,
  regenerate: RegenerateFrameDto,
  stop: StopFrameDto,
  resume: ResumeFrameDto,
  auth: AuthFrameDto,
} as const satisfies { [K in ClientFrameType]: new () => { type: K } };

/** A validated client frame; `type` tells which. */
export type ClientFrame = InstanceType<(typeof CLIENT_FRAME_DTOS)[ClientFrameType]>;

type FrameOf<K extends ClientFrameType> = InstanceType<(typeof CLIENT_FRAME_DTOS)[K]>;

/**
 * The fields each frame type reads; the others are ignored (docs/asyncapi.yaml lets a client
 * add any). chat_message and regenerate read every field: they refuse unknown ones like the
 * REST bodies.
 */
export const CLIENT_FRAME_FIELDS: {
  [K in ClientFrameType]: readonly (keyof FrameOf<K>)[] | 'all';
} = {
  ping: ['type'],
  chat_message: 'all',
  regenerate: 'all',
  stop: ['type', 'message_id'],
  resume: ['type', 'message_id', 'after'],
  auth: ['type', 'token'],
};
