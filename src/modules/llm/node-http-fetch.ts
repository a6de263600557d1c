import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * The subset of the fetch API the openai SDK uses, over node:http(s) with keep-alive agents
 * instead of the global fetch (undici's WHATWG implementation). The SDK reads `status`, `ok`,
 * `headers`, `json()`/`text()` and, for streams, iterates `body` — any async iterable of bytes
 * will do, and a Node response is one. Measured on this project's machine: about half the
 * CPU per streamed completion of the global fetch (docs/PERFORMANCE.md, "per start"), which
 * every generation pays. Aborting the signal destroys the request and its response, as fetch
 * does. Only what the SDK sends is supported: string or Buffer bodies.
 */
export interface NodeFetchResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: Headers;
  body: IncomingMessage;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' }),
};

function headersOf(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('This operation was aborted');
  error.name = 'AbortError';
  return error;
}

export function nodeHttpFetch(
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<NodeFetchResponse> {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const agent = agents[url.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new TypeError(`unsupported protocol ${url.protocol}`));
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string' && !Buffer.isBuffer(body)) {
    return Promise.reject(new TypeError('only string or Buffer request bodies are supported'));
  }
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: init.method ?? 'GET', headers, agent, signal },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        resolve({
          ok: status >= 200 && status < 300,
          status,
          statusText: res.statusMessage ?? '',
          url: url.toString(),
          headers: headersOf(res.headers),
          body: res,
          text: () => readText(res),
          json: async () => JSON.parse(await readText(res)) as unknown,
        });
      },
    );
    req.on('error', (error: Error) =>
      reject(
        signal?.aborted ? abortError(signal) : new TypeError('fetch failed', { cause: error }),
      ),
    );
    req.end(body ?? undefined);
  });
}
