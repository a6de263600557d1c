import { Injectable } from '@nestjs/common';
import type { RawData } from 'ws';
import { AppError } from '../../common/errors/app-error';
import { AppValidationPipe } from '../../common/pipes/validation';
import {
  CLIENT_FRAME_DTOS,
  CLIENT_FRAME_FIELDS,
  ClientFrame,
  isRequestId,
} from './dto/chat-frame.dto';
import { CLIENT_FRAME_TYPES, ClientFrameType } from './ws-events';

const isClientFrameType = (type: unknown): type is ClientFrameType =>
  (CLIENT_FRAME_TYPES as readonly unknown[]).includes(type);

/** The request id a frame's answers echo, or undefined when it has none fit to echo. */
export function requestIdOf(body: Record<string, unknown>): string | undefined {
  return isRequestId(body.request_id) ? body.request_id : undefined;
}

/**
 * Client frames in, typed frames out: JSON parsed, then validated like an HTTP body by the
 * project's AppValidationPipe against the DTO class of the frame's `type`, so a bad field is
 * the same VALIDATION_ERROR (422, per-field details) as over REST.
 */
@Injectable()
export class ChatFrameValidator {
  private readonly pipe = new AppValidationPipe();

  /** The frame's JSON object; anything else (not JSON, an array, a number…) is a malformed frame. */
  parse(raw: RawData | string): Record<string, unknown> {
    let body: unknown;
    try {
      body = JSON.parse(
        typeof raw === 'string' ? raw : Buffer.from(raw as Buffer).toString('utf8'),
      );
    } catch {
      throw malformed();
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed();
    return body as Record<string, unknown>;
  }

  /** The frame as an instance of its type's DTO; an unknown `type` is refused with field `type`. */
  async validate(body: Record<string, unknown>): Promise<ClientFrame> {
    const { type } = body;
    if (!isClientFrameType(type)) {
      throw new AppError(
        'VALIDATION_ERROR',
        'error.ws_unknown_type',
        { field: 'type' },
        'malformed',
      );
    }
    const fields = CLIENT_FRAME_FIELDS[type];
    const read =
      fields === 'all'
        ? body
        : Object.fromEntries(
            (fields as readonly string[])
              .filter((f) => Object.hasOwn(body, f))
              .map((f) => [f, body[f]]),
          );
    return (await this.pipe.transform(read, {
      type: 'body',
      metatype: CLIENT_FRAME_DTOS[type],
    })) as ClientFrame;
  }
}

function malformed(): AppError {
  return new AppError('VALIDATION_ERROR', 'error.ws_malformed_frame', undefined, 'malformed');
}
