import type { IncomingMessage } from 'node:http';
import pino, { Bindings, ChildLoggerOptions, DestinationStream, Logger, LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import type { Env } from '../../config/env';
import { redactDeep, redactText, REDACTED, sanitizeUrl } from './redact';

export type LogOutput = 'json' | 'pretty';

/** LOG_FORMAT when set; otherwise pretty for a developer at a terminal, JSON for everything else. */
export function logOutputOf(
  env: Pick<Env, 'LOG_FORMAT' | 'NODE_ENV'>,
  isTty = process.stdout.isTTY === true,
): LogOutput {
  if (env.LOG_FORMAT) return env.LOG_FORMAT;
  return env.NODE_ENV === 'development' && isTty ? 'pretty' : 'json';
}

/** A request as any log line may show it: method and redacted URL, never headers or body. */
export function serializeRequest(req: IncomingMessage & { originalUrl?: string }): {
  method?: string;
  url: string;
} {
  return { method: req.method, url: sanitizeUrl(req.originalUrl ?? req.url) };
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return redactDeep(error);
  const out = pino.stdSerializers.err(error);
  out.message = redactText(out.message);
  if (out.stack) out.stack = redactText(out.stack);
  return out;
}

/** Well-known places of credentials, for objects that bypass our serializers. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

/**
 * The process's root logger. Every line passes through redaction: string arguments (the
 * message) by redactText, the merged object and child bindings by redactDeep, errors by
 * their serializer. Writes are synchronous so the last lines before an exit are not lost.
 */
export function createRootLogger(
  env: Pick<Env, 'LOG_LEVEL' | 'LOG_FORMAT' | 'NODE_ENV'>,
  destination?: DestinationStream,
): Logger {
  const output = logOutputOf(env);
  const options: LoggerOptions = {
    level: env.LOG_LEVEL,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: serializeError, error: serializeError, req: serializeRequest },
    formatters: {
      // pino-pretty reads numeric levels; JSON consumers prefer the label.
      ...(output === 'json' ? { level: (label: string) => ({ level: label }) } : {}),
      log: (object) => redactDeep(object) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const redacted = (args as unknown[]).map((a) =>
          typeof a === 'string' ? redactText(a) : a,
        );
        method.apply(this, redacted as Parameters<typeof method>);
      },
    },
  };
  const stream =
    destination ??
    (output === 'pretty'
      ? pinoPretty({
          colorize: true,
          sync: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        })
      : pino.destination({ dest: 1, sync: true }));
  const logger = pino(options, stream);
  // pino applies no formatter to child bindings; every child (of any depth) inherits this.
  type Child = (this: Logger, bindings: Bindings, options?: ChildLoggerOptions) => Logger;
  const child = Reflect.get(logger, 'child') as unknown as Child;
  const redactingChild: Child = function (bindings, childOptions) {
    return child.call(this, redactDeep(bindings) as Bindings, childOptions);
  };
  Reflect.set(logger, 'child', redactingChild);
  return logger;
}
