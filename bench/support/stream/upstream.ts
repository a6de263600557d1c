/**
 * A local OpenAI-compatible upstream for the streaming benchmarks, run as its own process
 * (`node -r ts-node/register/transpile-only bench/support/stream/upstream.ts`); it prints
 * `PORT <n>` once listening.
 *
 * POST /v1/chat/completions with `stream: true` streams content chunks on a fixed schedule.
 * The last user message may say `chunks=N interval=MS` (defaults 30 and 10). Chunk i (from 0)
 * is due at receive time + (i + 1) × interval; its content is `[i|recv|sent]` where `recv` is
 * when the request was read and `sent` when the chunk was written, both in microseconds of
 * the machine's monotonic clock (process.hrtime, CLOCK_MONOTONIC, shared by every process on
 * the box) — so a client on the same machine computes each chunk's delay on arrival.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface Job {
  chunks: number;
  interval: number;
}

function jobOf(body: Record<string, unknown>): Job {
  const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  const last = messages.at(-1);
  const text = typeof last?.content === 'string' ? last.content : '';
  const chunks = /chunks=(\d+)/.exec(text);
  const interval = /interval=(\d+)/.exec(text);
  return {
    chunks: chunks ? Number(chunks[1]) : 30,
    interval: interval ? Number(interval[1]) : 10,
  };
}

function stream(res: ServerResponse, body: Record<string, unknown>, recv: number): void {
  const { chunks, interval } = jobOf(body);
  const model = typeof body.model === 'string' ? body.model : 'bench';
  const includeUsage =
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const id = `chatcmpl-bench-${recv}`;
  const created = Math.floor(Date.now() / 1000);
  const head = `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":`;
  const tail = includeUsage ? ',"usage":null}' : '}';
  res.socket?.setNoDelay(true);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.write(
    `data: ${head}[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]${tail}\n\n`,
  );
  const startMs = recv / 1000;
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  res.on('close', () => clearTimeout(timer));
  const next = () => {
    if (res.destroyed) return;
    if (i < chunks) {
      const content = `[${i}|${recv}|${nowUs()}]`;
      res.write(
        `data: ${head}[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]${tail}\n\n`,
      );
      i += 1;
      timer = setTimeout(next, Math.max(0, startMs + (i + 1) * interval - nowUs() / 1000));
      return;
    }
    res.write(`data: ${head}[{"index":0,"delta":{},"finish_reason":"stop"}]${tail}\n\n`);
    if (includeUsage) {
      const usage = { prompt_tokens: 20, completion_tokens: chunks, total_tokens: 20 + chunks };
      res.write(`data: ${head}[],"usage":${JSON.stringify(usage)}}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  };
  timer = setTimeout(next, Math.max(0, startMs + interval - nowUs() / 1000));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        object: 'list',
        data: ['gpt-3.5-turbo', 'gpt-4'].map((m) => ({ id: m, object: 'model', owned_by: 'b' })),
      }),
    );
    return;
  }
  if (req.method !== 'POST' || path !== '/v1/chat/completions') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (p: Buffer) => parts.push(p));
  req.on('end', () => {
    const recv = nowUs();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
    } catch {
      // an empty body streams the defaults
    }
    if (body.stream === true) {
      stream(res, body, recv);
      return;
    }
    const { chunks } = jobOf(body);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-bench-${recv}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'bench',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: `[0|${recv}|${nowUs()}]` },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 20, completion_tokens: chunks, total_tokens: 20 + chunks },
      }),
    );
  });
}

if (require.main === module) {
  const server = createServer({ keepAliveTimeout: 60_000, noDelay: true }, handle);
  server.maxConnections = 100_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}
