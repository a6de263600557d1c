import {
  createServer,
  IncomingHttpHeaders,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * How the fake answers one chat completion request. Everything is optional: the default
 * streams "Hello from the fake model." in word-sized chunks with a final usage chunk.
 */
export interface FakeReply {
  /** The assistant's text, streamed in word-sized pieces (or returned whole when not streaming). */
  text?: string;
  /** Delay before each SSE event after the headers, in ms. */
  chunkIntervalMs?: number;
  /** Answer with this HTTP status and an OpenAI-style error body instead of a completion. */
  status?: number;
  /** Extra response headers (e.g. `retry-after-ms` to make SDK retries quick). */
  headers?: Record<string, string>;
  /** Usage reported in the final chunk (when the client asked for it); `false` omits it. */
  usage?: { prompt_tokens: number; completion_tokens: number } | false;
  finishReason?: string | null;
  /** Accept the request and never answer it (no status line, no headers). */
  stallBeforeHeaders?: boolean;
  /** Send this many SSE events (0: headers only), then nothing more, connection kept open. */
  stallAfterChunks?: number;
  /** Send this many SSE events, then destroy the socket mid-stream. */
  cutAfterChunks?: number;
  /** Send this many good SSE events, then a `data:` line that is not JSON. */
  garbageAfterChunks?: number;
  /** Send an `{"error": …}` SSE event after this many good events. */
  errorEventAfterChunks?: number;
  /** Omit the `data: [DONE]` terminator. */
  omitDone?: boolean;
  /**
   * Answer only once this settles (nothing is sent before): orders events without timing. A
   * function is called when the request arrives.
   */
  holdUntil?: Promise<unknown> | (() => Promise<unknown>);
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | null;
  /** The client closed the connection before the response was complete. */
  closedByClient: boolean;
  /** The response was completely written. */
  finished: boolean;
  /** The fake itself dropped the connection (`cutAfterChunks`). */
  cutByServer: boolean;
}

export interface FakeOpenAi {
  /** Base URL for the SDK: http://127.0.0.1:PORT/v1 */
  baseURL: string;
  requests: RecordedRequest[];
  /** Chat completion requests only. */
  readonly chatRequests: RecordedRequest[];
  /** Queues replies: each chat request takes the next one; afterwards the default applies. */
  script: (...replies: FakeReply[]) => void;
  /** The reply used once the script is exhausted. */
  setDefault: (reply: FakeReply) => void;
  /**
   * Requests whose body matches take their replies from this lane, in order (its last reply
   * answers every later one), not from the script: a kind of request (e.g. a title call)
   * scripted apart from the replies. Lanes are checked in the order they were added.
   */
  scriptWhen: (match: (body: Record<string, unknown>) => boolean, ...replies: FakeReply[]) => void;
  /** The status GET /v1/models answers with (200 by default). */
  setModelsStatus: (status: number) => void;
  /** The model ids GET /v1/models lists (gpt-4, gpt-4-turbo, gpt-3.5-turbo by default). */
  setModels: (ids: string[]) => void;
  /** Resolves once the client has closed the connection of the given request (or after `ms`). */
  waitForClientClose: (request: RecordedRequest, ms?: number) => Promise<boolean>;
  /** Forgets recorded requests and the script; restores defaults. */
  reset: () => void;
  close: () => Promise<void>;
}

const DEFAULT_REPLY: FakeReply = { text: 'Hello from the fake model.' };
const DEFAULT_MODEL_IDS = ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo'];

/** Word-sized pieces that join back to the text (spaces stay with the preceding word). */
export function piecesOf(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A local OpenAI-compatible server (POST /v1/chat/completions, GET /v1/models), scriptable per
 * test, for the real `openai` SDK to talk to. It records every request and whether the client
 * hung up before the answer was complete (proof that an abort reached the upstream).
 */
export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  let queue: FakeReply[] = [];
  let lanes: { match: (body: Record<string, unknown>) => boolean; replies: FakeReply[] }[] = [];
  let fallback: FakeReply = DEFAULT_REPLY;
  let modelsStatus = 200;
  let modelIds = DEFAULT_MODEL_IDS;
  const requests: RecordedRequest[] = [];
  const closeWaiters = new Map<RecordedRequest, (() => void)[]>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let counter = 0;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const sendError = (res: ServerResponse, reply: FakeReply, status: number) => {
    res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
    res.end(
      JSON.stringify({
        error: {
          message: `fake upstream error ${status}`,
          type: status === 429 ? 'rate_limit_exceeded' : 'server_error',
          code: null,
          param: null,
        },
      }),
    );
  };

  const streamReply = (
    res: ServerResponse,
    record: RecordedRequest,
    reply: FakeReply,
    model: string,
    includeUsage: boolean,
  ) => {
    const id = `chatcmpl-fake-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const pieces = piecesOf(reply.text ?? DEFAULT_REPLY.text!);
    const chunk = (choices: unknown[], usage?: unknown) =>
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_fake',
        choices,
        ...(includeUsage ? { usage: usage ?? null } : {}),
      });
    const events: string[] = [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
      ...pieces.map((content) => chunk([{ index: 0, delta: { content }, finish_reason: null }])),
      chunk([
        {
          index: 0,
          delta: {},
          finish_reason: reply.finishReason === undefined ? 'stop' : reply.finishReason,
        },
      ]),
    ];
    if (includeUsage && reply.usage !== false) {
      const usage = reply.usage ?? { prompt_tokens: 42, completion_tokens: pieces.length };
      events.push(
        chunk([], { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens }),
      );
    }
    const inject = (after: number | undefined, event: string) => {
      if (after !== undefined) events.splice(Math.min(after, events.length), events.length, event);
    };
    inject(reply.garbageAfterChunks, 'this is { not json');
    inject(
      reply.errorEventAfterChunks,
      JSON.stringify({ error: { message: 'fake error event', type: 'server_error' } }),
    );
    const stopAt = reply.stallAfterChunks ?? reply.cutAfterChunks;
    if (!reply.omitDone && stopAt === undefined) events.push('[DONE]');

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...reply.headers,
    });
    res.flushHeaders();
    const interval = reply.chunkIntervalMs ?? 0;
    let sent = 0;
    const next = () => {
      if (record.closedByClient || res.destroyed) return;
      if (stopAt !== undefined && sent >= stopAt) {
        // Stalled: keep the connection open and silent. Cut: drop it without ending the body.
        if (reply.cutAfterChunks !== undefined) {
          record.cutByServer = true;
          res.socket?.destroy();
        }
        return;
      }
      if (sent >= events.length) {
        res.end();
        return;
      }
      res.write(`data: ${events[sent]}\n\n`);
      sent += 1;
      later(interval, next);
    };
    later(interval, next);
  };

  const handleChat = async (req: IncomingMessage, res: ServerResponse, record: RecordedRequest) => {
    const raw = await readBody(req);
    try {
      record.body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      record.body = null;
    }
    const lane = lanes.find((l) => l.match(record.body ?? {}));
    const reply =
      (lane && (lane.replies.length > 1 ? lane.replies.shift() : lane.replies[0])) ??
      queue.shift() ??
      fallback;
    if (reply.holdUntil) {
      await (typeof reply.holdUntil === 'function' ? reply.holdUntil() : reply.holdUntil);
    }
    if (reply.stallBeforeHeaders) return;
    if (reply.status && reply.status !== 200) {
      sendError(res, reply, reply.status);
      return;
    }
    const body = record.body ?? {};
    const model = typeof body.model === 'string' ? body.model : 'unknown';
    if (body.stream === true) {
      const options = body.stream_options as { include_usage?: boolean } | undefined;
      streamReply(res, record, reply, model, options?.include_usage === true);
      return;
    }
    const text = reply.text ?? DEFAULT_REPLY.text!;
    const usage =
      reply.usage === false
        ? undefined
        : (reply.usage ?? {
            prompt_tokens: 42,
            completion_tokens: piecesOf(text).length,
          });
    res.writeHead(200, { 'content-type': 'application/json', ...reply.headers });
    res.end(
      JSON.stringify({
        id: `chatcmpl-fake-${++counter}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: text, refusal: null },
            finish_reason: reply.finishReason === undefined ? 'stop' : reply.finishReason,
            logprobs: null,
          },
        ],
        ...(usage
          ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }
          : {}),
      }),
    );
  };

  const handleModels = (res: ServerResponse) => {
    if (modelsStatus !== 200) {
      sendError(res, {}, modelsStatus);
      return;
    }
    const created = Math.floor(Date.now() / 1000);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        object: 'list',
        data: modelIds.map((id) => ({
          id,
          object: 'model',
          created,
          owned_by: 'fake',
        })),
      }),
    );
  };

  const server: Server = createServer((req, res) => {
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0],
      headers: req.headers,
      body: null,
      closedByClient: false,
      finished: false,
      cutByServer: false,
    };
    requests.push(record);
    res.on('finish', () => {
      record.finished = true;
    });
    res.on('close', () => {
      if (!record.finished && !record.cutByServer) {
        record.closedByClient = true;
        for (const wake of closeWaiters.get(record) ?? []) wake();
        closeWaiters.delete(record);
      }
    });
    if (record.method === 'POST' && record.path === '/v1/chat/completions') {
      handleChat(req, res, record).catch(() => res.destroy());
    } else if (record.method === 'GET' && record.path === '/v1/models') {
      handleModels(res);
    } else {
      sendError(res, {}, 404);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    get chatRequests() {
      return requests.filter((r) => r.path === '/v1/chat/completions');
    },
    script: (...replies) => {
      queue.push(...replies);
    },
    setDefault: (reply) => {
      fallback = reply;
    },
    scriptWhen: (match, ...replies) => {
      lanes.push({ match, replies });
    },
    setModelsStatus: (status) => {
      modelsStatus = status;
    },
    setModels: (ids) => {
      modelIds = [...ids];
    },
    waitForClientClose: (request, ms = 2000) =>
      new Promise<boolean>((resolve) => {
        if (request.closedByClient) return resolve(true);
        const timer = setTimeout(() => resolve(request.closedByClient), ms);
        const waiters = closeWaiters.get(request) ?? [];
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
        closeWaiters.set(request, waiters);
      }),
    reset: () => {
      queue = [];
      lanes = [];
      fallback = DEFAULT_REPLY;
      modelsStatus = 200;
      modelIds = DEFAULT_MODEL_IDS;
      requests.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The environment that points an app's openai provider at a fake server: no SDK retries,
 * generous timeouts (a suite testing timeouts sets its own) and the built-in model catalog.
 */
export function fakeOpenAiEnv(
  fake: FakeOpenAi,
  apiKey = 'sk-e2e',
): Record<string, string | undefined> {
  return {
    OPENAI_API_KEY: apiKey,
    OPENAI_BASE_URL: fake.baseURL,
    LLM_PROVIDER: 'openai',
    LLM_MAX_RETRIES: '0',
    LLM_REQUEST_TIMEOUT_MS: '10000',
    LLM_FIRST_TOKEN_TIMEOUT_MS: '10000',
    LLM_IDLE_TIMEOUT_MS: '10000',
    MODELS_FILE: undefined,
    MODELS_JSON: undefined,
    DEFAULT_MODEL: undefined,
  };
}
