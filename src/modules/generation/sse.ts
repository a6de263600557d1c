import type { Response } from 'express';
import { REQUEST_ID_HEADER } from '../../common/http/request-context';
import { Lang, t } from '../../common/i18n/messages';
import type { GenerationEvent } from './generation-events';

/** The contract's frame of an event (API.md §5): what SSE and WebSocket clients receive. */
export function publicEvent(event: GenerationEvent, lang: Lang): Record<string, unknown> {
  switch (event.type) {
    case 'start':
      return {
        type: 'start',
        message_id: event.message_id,
        conversation_id: event.conversation_id,
        user_message_id: event.user_message_id,
      };
    case 'content':
      return { type: 'content', content: event.content };
    case 'title':
      return { type: 'title', title: event.title };
    case 'end':
      return { type: 'end', usage: event.usage, stopped: event.stopped };
    case 'error':
      return {
        type: 'error',
        error: { code: event.error.code, message: t(event.error.messageKey, lang) },
      };
  }
}

/**
 * Frames that read the same in every language (all but `error`), serialized once per event and
 * shared by every reader of it: the memory log hands each reader the same event object.
 */
const sharedFrames = new WeakMap<GenerationEvent, string>();

/** An event as one SSE frame (`id:` = event number). */
export function sseFrame(event: GenerationEvent, lang: Lang): string {
  if (event.type === 'error') return frameText(event, lang);
  let text = sharedFrames.get(event);
  if (text === undefined) sharedFrames.set(event, (text = frameText(event, lang)));
  return text;
}

function frameText(event: GenerationEvent, lang: Lang): string {
  return `id: ${event.seq}\ndata: ${JSON.stringify(publicEvent(event, lang))}\n\n`;
}

/**
 * Writes to `res` that go out together: the first write of a turn of the event loop corks the
 * socket and the end of the turn (setImmediate) uncorks it, so the headers and every event
 * that arrive in one turn cost one system call, not one each. `null` only corks.
 */
function coalescing(res: Response): (text: string | null) => boolean {
  let corked = false;
  return (text) => {
    if (!corked) {
      corked = true;
      res.cork();
      setImmediate(() => {
        corked = false;
        res.uncork();
      });
    }
    return text === null ? true : res.write(text);
  };
}

/** How long a client may leave written events unread before its stream is dropped (it can resume). */
const SLOW_READER_MS = 60_000;

/** True once `res` has handed its buffer to the kernel; false when the client left or took longer than `ms`. */
function drained(res: Response, gone: AbortSignal, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      gone.removeEventListener('abort', onGone);
      resolve(ok);
    };
    const onDrain = () => finish(true);
    const onGone = () => finish(false);
    const timer = setTimeout(() => finish(false), ms);
    res.once('drain', onDrain);
    gone.addEventListener('abort', onGone, { once: true });
  });
}

/**
 * The last frame of a stream whose session ended (logout, revoked, deactivated): no `id:`, so a
 * client that signs in again resumes after the last event it really got.
 */
export function sessionEndedFrame(lang: Lang): string {
  const error = { code: 'AUTHENTICATION_ERROR', message: t('error.session_ended', lang) };
  return `data: ${JSON.stringify({ type: 'error', error })}\n\n`;
}

/**
 * Writes generation events as Server-Sent Events (`id:` = event number, so a client can
 * resume with Last-Event-ID), with heartbeat comments, until the terminal event, the
 * client going away, or `sessionEnded` (then an `error` event AUTHENTICATION_ERROR ends the
 * stream). The generation itself goes on either way. A client that does not read
 * holds up only its own reader (the log keeps every event), not the process's memory; one
 * that has read nothing for SLOW_READER_MS is dropped and may resume with Last-Event-ID.
 */
export async function streamSse(
  res: Response,
  options: { requestId: string; lang: Lang; heartbeatMs: number; sessionEnded?: AbortSignal },
  events: (signal: AbortSignal) => Promise<AsyncIterable<GenerationEvent>>,
): Promise<void> {
  const { requestId, lang, heartbeatMs, sessionEnded } = options;
  // `stop` ends this reader: the client left, or its session ended.
  const stop = new AbortController();
  let clientGone = false;
  res.on('close', () => {
    clientGone = true;
    stop.abort();
  });
  const onSessionEnded = () => stop.abort();
  if (sessionEnded?.aborted) stop.abort();
  else sessionEnded?.addEventListener('abort', onSessionEnded, { once: true });
  let iterable: AsyncIterable<GenerationEvent>;
  try {
    iterable = await events(stop.signal);
  } catch (error) {
    sessionEnded?.removeEventListener('abort', onSessionEnded);
    throw error;
  }
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.setHeader(REQUEST_ID_HEADER, requestId);
  const write = coalescing(res);
  // Corked with the events already in the log (a send's start): one write for all of them.
  write(null);
  res.flushHeaders();
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
  let terminal = false;
  try {
    for await (const event of iterable) {
      if (stop.signal.aborted) break;
      terminal = event.type === 'end' || event.type === 'error';
      const flushed = write(sseFrame(event, lang));
      if (!flushed && !(await drained(res, stop.signal, SLOW_READER_MS))) {
        res.destroy();
        break;
      }
    }
    if (sessionEnded?.aborted && !terminal && !clientGone && !res.destroyed)
      write(sessionEndedFrame(lang));
  } finally {
    clearInterval(heartbeat);
    sessionEnded?.removeEventListener('abort', onSessionEnded);
    res.end();
  }
}

/** Last-Event-ID header or ?after=N: the last event the client has; 0 when none. */
export function resumePoint(lastEventId: string | undefined, after: number | undefined): number {
  const fromHeader =
    lastEventId !== undefined && /^\d+$/.test(lastEventId.trim())
      ? Number(lastEventId.trim())
      : undefined;
  return fromHeader ?? after ?? 0;
}
