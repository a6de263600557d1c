import { createHash } from 'node:crypto';
import type { RegenerateMessageDto, SendMessageDto } from './dto/send-message.dto';

/**
 * The hash an Idempotency-Key keeps of the send it names: SHA-256 (hex) of the send's
 * canonical body — the fields that decide what is sent (content, role, model, temperature,
 * max_tokens, attachments, parent_id), in a fixed order, absent ones as null, `role` at its default. Not in it: how
 * the answer is delivered (`stream`, the SSE route or a WebSocket frame, the frame's own
 * `type`/`request_id`), and the conversation (checked on its own). So a send retried as a
 * stream, or over the other route, is the same send; one with other text is not.
 */
export function sendRequestHash(dto: SendMessageDto): string {
  const canonical = [
    dto.content,
    dto.role ?? 'user',
    dto.model ?? null,
    dto.temperature ?? null,
    dto.max_tokens ?? null,
    // Only when there are any: keys stored before attachments existed hash as they did.
    ...(dto.attachments?.length ? [dto.attachments] : []),
    // Only when named (null, a new root, included): a send following the current branch
    // hashes as before trees existed.
    ...(dto.parent_id !== undefined ? [{ parent_id: dto.parent_id?.toLowerCase() ?? null }] : []),
  ];
  return sha256Of(canonical);
}

/**
 * A regeneration's hash, as a send's: the message regenerated and the fields that decide the
 * call (model, temperature, max_tokens), never equal to a send's (its first item says what it is).
 */
export function regenerateRequestHash(messageId: string, dto: RegenerateMessageDto): string {
  return sha256Of([
    'regenerate',
    messageId,
    dto.model ?? null,
    dto.temperature ?? null,
    dto.max_tokens ?? null,
  ]);
}

function sha256Of(canonical: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
