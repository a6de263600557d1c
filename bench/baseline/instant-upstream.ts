import { createServer, IncomingMessage, ServerResponse } from 'node:http';

/**
 * An OpenAI-compatible upstream that answers at once (its own process, so it takes no CPU
 * from the load generator): POST /v1/chat/completions (whole or streamed), GET /v1/models.
 */
const TEXT = 'Hello from the instant bench model.';
let counter = 0;

function chat(req: IncomingMessage, res: ServerResponse, raw: string): void {
  let body: { model?: string; stream?: boolean } = {};
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    // treated as a non-streaming request
  }
  const id = `chatcmpl-bench-${++counter}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? 'gpt-3.5-turbo';
  const usage = { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27 };
  if (body.stream) {
    const chunk = (choices: unknown[], u: unknown = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, usage: u })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.end(
      chunk([{ index: 0, delta: { role: 'assistant', content: TEXT }, finish_reason: null }]) +
        chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]) +
        chunk([], usage) +
        'data: [DONE]\n\n',
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: TEXT, refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage,
    }),
  );
}

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (p: Buffer) => parts.push(p));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      chat(req, res, Buffer.concat(parts).toString('utf8'));
    } else if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo'].map((m) => ({
            id: m,
            object: 'model',
            created: 0,
            owned_by: 'bench',
          })),
        }),
      );
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found"}}');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('READY'));
process.on('SIGTERM', () => process.exit(0));
