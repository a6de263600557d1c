import { Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError } from '../../common/errors/app-error';
import { toAppError } from '../../common/errors/to-app-error';
import { toOpenAiError } from '../../common/filters/openai-error';
import { REQUEST_ID_HEADER, type RequestContext } from '../../common/http/request-context';
import { t } from '../../common/i18n/messages';
import { writeRateLimitHeaders } from '../../common/throttling/rate-limit-headers';
import type { CompletionSink } from './chat-completions.service';
import {
  chatCompletion,
  ChunkFrames,
  type CompletionMeta,
  type CompletionOutcome,
} from './chat-response';

const logger = new Logger('OpenAiCompat');

/** Runs a completion into a sink, stopping when `signal` aborts. */
export type CompletionRun = (
  sink: CompletionSink,
  signal: AbortSignal,
) => Promise<CompletionOutcome>;

/** Aborts once the client has gone (the response closed before it was complete). */
function clientGone(res: Response): AbortSignal {
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}

/** True once `res` has handed its buffer to the kernel; false when the client left. */
function drained(res: Response, gone: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      res.off('drain', finish);
      gone.removeEventListener('abort', finish);
      resolve();
    };
    res.once('drain', finish);
    gone.addEventListener('abort', finish, { once: true });
  });
}

/** The non-streamed answer: the whole completion as one `chat.completion` object. */
export async function answerCompletion(
  res: Response,
  meta: CompletionMeta,
  run: CompletionRun,
): Promise<void> {
  const gone = clientGone(res);
  const outcome = await run(
    { admitted: (state) => writeRateLimitHeaders(res, state), text: () => undefined },
    gone,
  );
  if (gone.aborted) return;
  res.status(200).json(chatCompletion(meta, outcome));
}

/**
 * The streamed answer: `chat.completion.chunk` events, then `data: [DONE]`. The headers leave
 * with the first piece of text, so a failure before it (quota, provider down) is still an
 * HTTP error with its status; a failure after it is an `data: {"error": …}` event in OpenAI's
 * shape, and the stream ends there (no [DONE]). The client leaving stops the upstream call.
 */
export async function streamCompletion(
  res: Response,
  context: RequestContext,
  meta: CompletionMeta,
  includeUsage: boolean,
  run: CompletionRun,
): Promise<void> {
  const gone = clientGone(res);
  const frames = new ChunkFrames(meta, includeUsage);
  let started = false;
  // Chunks that arrive in one turn of the event loop leave in one write (corked until its end).
  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const start = () => {
    started = true;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.setHeader(REQUEST_ID_HEADER, context.requestId);
    res.write(frames.role());
  };
  const sink: CompletionSink = {
    admitted: (state) => writeRateLimitHeaders(res, state),
    text: (piece) => {
      if (!corked) {
        corked = true;
        res.cork();
        setImmediate(uncork);
      }
      if (!started) start();
      if (!res.write(frames.content(piece)) && !gone.aborted) return drained(res, gone);
    },
  };
  try {
    const outcome = await run(sink, gone);
    if (gone.aborted) return;
    if (!started) start();
    res.write(frames.finish(outcome.finishReason));
    const usage = frames.usage(outcome.usage);
    if (usage) res.write(usage);
    res.end(ChunkFrames.done);
  } catch (error) {
    // Not started: the exception filter answers with the status, in OpenAI's shape.
    if (!started) throw error;
    const appError = toAppError(error) ?? new AppError('INTERNAL_SERVER_ERROR', 'error.internal');
    if (appError.code === 'INTERNAL_SERVER_ERROR') {
      logger.error(`request ${context.requestId}: stream failed: ${String(error)}`);
    }
    if (!gone.aborted) {
      res.end(ChunkFrames.error(toOpenAiError(appError, t(appError.messageKey, context.lang))));
    }
  }
}
