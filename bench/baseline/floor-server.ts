/**
 * The floor of this machine (issue 12): the least work that produces the service's contract
 * for the routes the bench drives, with node:http + ws and nothing else — no database, no
 * Redis, no framework, no logging, no metrics, no validation layer, no tokenizer. Every
 * figure of the service is read beside this one: what the service adds above it is what its
 * stack costs.
 *
 *   GET  /api/v1/info                                 the service's /info JSON (INFO_JSON, or a copy of its shape)
 *   POST /api/v1/conversations/:id/messages/stream    SSE: start, content…, end (as src/modules/generation/sse.ts writes them)
 *   POST /api/v1/conversations/:id/messages           201 with the send-result envelope (`stream: true`: the SSE above)
 *   WS   /api/v1/ws/chat?token=…                      chat_message → message_start, message_content…, message_end
 *
 * Like the service, every request checks the bearer token (HS256 with node:crypto: algorithm,
 * signature, expiry, `typ` access, `sid` a UUID, `sub`), and every reply is streamed from the
 * upstream (`UPSTREAM_URL`, OpenAI-compatible) with the body the service sends: model,
 * messages (the conversation's earlier turns, then the new one), max_tokens, `stream: true`
 * and `stream_options.include_usage`. Conversations and messages live in memory; an unknown
 * conversation id is taken as a new, empty conversation (there is no ownership to check).
 * A user message's `tokens_used` is an estimate (characters / 4), not a tokenizer count.
 *
 * Env: PORT (0: any), JWT_SECRET, UPSTREAM_URL (…/v1), INFO_JSON (optional). Prints
 * `PORT <n>` then `READY` once listening on 127.0.0.1.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, IncomingMessage, request, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

const SECRET = process.env.JWT_SECRET ?? '';
const UPSTREAM = (process.env.UPSTREAM_URL ?? 'http://127.0.0.1:1/v1').replace(/\/$/, '');
const MODEL = 'gpt-3.5-turbo';
/** As the service: DEFAULT_REPLY_TOKENS when the request names none; 200 earlier turns at most. */
const MAX_TOKENS = 1024;
const CONTEXT_MESSAGES = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INFO = process.env.INFO_JSON
  ? JSON.stringify(JSON.parse(process.env.INFO_JSON))
  : JSON.stringify({
      name: 'ChatGPT Backend API',
      version: '1.0.0',
      environment: 'production',
      supported_models: ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo'],
      default_model: MODEL,
      llm_provider: 'openai',
      features: {
        websocket: true,
        streaming: true,
        file_upload: false,
        stop_generation: true,
        resume_stream: true,
        idempotent_send: true,
      },
    });

interface Claims {
  sub: string;
  sid: string;
}

/** The access-token checks the service makes before it reads the session (which the floor has not got). */
function verify(token: string | undefined): Claims | null {
  if (!token) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const head = JSON.parse(Buffer.from(parts[0], 'base64url').toString()) as { alg?: unknown };
    if (head.alg !== 'HS256') return null;
    const expected = createHmac('sha256', SECRET).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const c = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as Record<string, unknown>;
    if (typeof c.exp !== 'number' || c.exp * 1000 <= Date.now()) return null;
    if (c.typ !== 'access' || typeof c.sub !== 'string') return null;
    if (typeof c.sid !== 'string' || !UUID.test(c.sid)) return null;
    return { sub: c.sub, sid: c.sid };
  } catch {
    return null;
  }
}

interface Message {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: 'user' | 'assistant';
  content: string;
  status: 'completed' | 'failed';
  model: string | null;
  tokens_used: number;
  created_at: string;
  updated_at: string;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

const conversations = new Map<string, Message[]>();

/** What one generation writes, in the order it writes it (the stream log's events). */
interface Sink {
  start(ids: { messageId: string; userMessageId: string }): void;
  content(text: string): void;
  end(usage: Usage): void;
  error(code: string, message: string): void;
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

/**
 * Stores the user message, streams the reply from the upstream into `sink`, then stores the
 * reply. Resolves to both messages and the usage (null on a failure, already told to `sink`).
 */
function generate(
  conversationId: string,
  content: string,
  sink: Sink,
): Promise<{ user: Message; assistant: Message; usage: Usage } | null> {
  const history = conversations.get(conversationId) ?? [];
  conversations.set(conversationId, history);
  const now = new Date().toISOString();
  const user: Message = {
    id: randomUUID(),
    conversation_id: conversationId,
    parent_id: history.at(-1)?.id ?? null,
    role: 'user',
    content,
    status: 'completed',
    model: MODEL,
    tokens_used: Math.ceil(content.length / 4),
    created_at: now,
    updated_at: now,
  };
  const assistantId = randomUUID();
  sink.start({ messageId: assistantId, userMessageId: user.id });
  const body = JSON.stringify({
    model: MODEL,
    messages: [
      ...history.slice(-CONTEXT_MESSAGES).map((m) => ({ role: m.role, content: m.content })),
      { role: 'user', content },
    ],
    max_tokens: MAX_TOKENS,
    stream: true,
    stream_options: { include_usage: true },
  });
  history.push(user);
  return new Promise((resolve) => {
    let text = '';
    let usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      sink.error('OPENAI_API_ERROR', `The model provider failed (${why})`);
      resolve(null);
    };
    const req = request(
      `${UPSTREAM}/chat/completions`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: 'Bearer bench-key',
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return fail(`HTTP ${res.statusCode}`);
        }
        res.setEncoding('utf8');
        let carry = '';
        res.on('data', (chunk: string) => {
          const events = (carry + chunk).split('\n\n');
          carry = events.pop() ?? '';
          for (const event of events) {
            if (!event.startsWith('data: ')) continue;
            const data = event.slice(6);
            if (data === '[DONE]') continue;
            let parsed: { choices?: { delta?: { content?: string } }[]; usage?: Usage | null };
            try {
              parsed = JSON.parse(data) as typeof parsed;
            } catch {
              res.destroy();
              return fail('malformed stream');
            }
            const delta = parsed.choices?.[0]?.delta?.content;
            if (delta) {
              text += delta;
              sink.content(delta);
            }
            if (parsed.usage) usage = parsed.usage;
          }
        });
        res.on('error', (e) => fail(e.message));
        res.on('close', () => fail('upstream closed the stream'));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          const at = new Date().toISOString();
          const assistant: Message = {
            id: assistantId,
            conversation_id: conversationId,
            parent_id: user.id,
            role: 'assistant',
            content: text,
            status: 'completed',
            model: MODEL,
            tokens_used: usage.completion_tokens,
            created_at: now,
            updated_at: at,
          };
          history.push(assistant);
          sink.end(usage);
          resolve({ user, assistant, usage });
        });
      },
    );
    req.on('error', (e) => fail(e.message));
    req.end(body);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, {
    success: false,
    error: { code, message },
    timestamp: new Date().toISOString(),
  });
}

/** The SSE stream of one generation, as src/modules/generation/sse.ts writes it. */
function sseSink(res: ServerResponse, conversationId: string): Sink {
  let seq = 0;
  const write = (event: Record<string, unknown>) =>
    res.write(`id: ${++seq}\ndata: ${JSON.stringify(event)}\n\n`);
  return {
    start: ({ messageId, userMessageId }) => {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': randomUUID(),
      });
      write({
        type: 'start',
        message_id: messageId,
        conversation_id: conversationId,
        user_message_id: userMessageId,
      });
    },
    content: (content) => write({ type: 'content', content }),
    end: (usage) => {
      write({ type: 'end', usage, stopped: false });
      res.end();
    },
    error: (code, message) => {
      write({ type: 'error', error: { code, message } });
      res.end();
    },
  };
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
        resolve(
          typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : null,
        );
      } catch {
        resolve(null);
      }
    });
  });
}

const SEND = /^\/api\/v1\/conversations\/([^/]+)\/messages(\/stream)?$/;

async function send(req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) {
  const auth = req.headers.authorization;
  if (!verify(auth?.startsWith('Bearer ') ? auth.slice(7) : undefined)) {
    req.resume();
    return sendError(res, 401, 'AUTHENTICATION_ERROR', 'Invalid or expired token');
  }
  const conversationId = match[1].toLowerCase();
  const body = await readJson(req);
  if (!UUID.test(conversationId) || typeof body?.content !== 'string' || !body.content) {
    return sendError(res, 400, 'VALIDATION_ERROR', 'Input validation failed');
  }
  if (match[2] || body.stream === true) {
    await generate(conversationId, body.content, sseSink(res, conversationId));
    return;
  }
  let failure = '';
  const quiet: Sink = {
    start: () => undefined,
    content: () => undefined,
    end: () => undefined,
    error: (_code, message) => (failure = message),
  };
  const result = await generate(conversationId, body.content, quiet);
  if (!result) return sendError(res, 502, 'OPENAI_API_ERROR', failure);
  sendJson(res, 201, {
    success: true,
    data: { user_message: result.user, assistant_message: result.assistant, usage: result.usage },
    message: 'Message sent',
    timestamp: new Date().toISOString(),
  });
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/api/v1/info') {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(INFO),
    });
    res.end(INFO);
    return;
  }
  const match = req.method === 'POST' ? SEND.exec(path) : null;
  if (match) {
    send(req, res, match).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', String(error));
      else res.destroy();
    });
    return;
  }
  req.resume();
  sendError(res, 404, 'RESOURCE_NOT_FOUND', 'Route not found');
});
server.maxConnections = 100_000;

type Upgrade = IncomingMessage & { claims?: Claims };

const wss = new WebSocketServer({
  server,
  path: '/api/v1/ws/chat',
  maxPayload: 64 * 1024,
  // The handshake is refused (401) without a valid token, as the service's verifyClient does.
  verifyClient: (info: { req: IncomingMessage }) => {
    const token = new URL(info.req.url ?? '/', 'http://localhost').searchParams.get('token');
    const claims = verify(token ?? undefined);
    if (claims) (info.req as Upgrade).claims = claims;
    return claims !== null;
  },
});

function frame(ws: WebSocket, body: Record<string, unknown>): void {
  if (ws.readyState === WebSocket.OPEN)
    ws.send(JSON.stringify({ ...body, timestamp: new Date().toISOString() }));
}

wss.on('connection', (ws) => {
  ws.on('message', (raw: Buffer) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return frame(ws, {
        type: 'error',
        error: { code: 'VALIDATION_ERROR', message: 'Malformed frame' },
      });
    }
    const requestId = typeof message.request_id === 'string' ? message.request_id : undefined;
    if (message.type === 'ping') return frame(ws, { type: 'pong' });
    const conversationId =
      typeof message.conversation_id === 'string' ? message.conversation_id.toLowerCase() : '';
    if (
      message.type !== 'chat_message' ||
      !UUID.test(conversationId) ||
      typeof message.content !== 'string' ||
      !message.content
    ) {
      return frame(ws, {
        type: 'error',
        error: { code: 'VALIDATION_ERROR', message: 'Input validation failed' },
        ...(requestId ? { request_id: requestId } : {}),
      });
    }
    let messageId = '';
    let seq = 0;
    const base = () => ({ conversation_id: conversationId, message_id: messageId, seq: ++seq });
    void generate(conversationId, message.content, {
      start: (ids) => {
        messageId = ids.messageId;
        frame(ws, {
          type: 'message_start',
          ...base(),
          user_message_id: ids.userMessageId,
          ...(requestId ? { request_id: requestId } : {}),
        });
      },
      content: (content) => frame(ws, { type: 'message_content', ...base(), content }),
      end: (usage) => frame(ws, { type: 'message_end', ...base(), usage, stopped: false }),
      error: (code, text) =>
        frame(ws, {
          type: 'error',
          ...base(),
          error: { code, message: text },
          ...(requestId ? { request_id: requestId } : {}),
        }),
    });
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\nREADY\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
