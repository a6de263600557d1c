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

/** RequestInit with a gate: the request is sent only once `sendAfter` resolves true. */
export interface GatedRequestInit extends RequestInit {
  sendAfter?: Promise<boolean>;
}

export function nodeHttpFetch(
  input: string | URL | Request,
  init: GatedRequestInit = {},
): Promise<NodeFetchResponse> {
  const { sendAfter, ...rest } = init;
  let prepared: Prepared;
  try {
    prepared = prepare(input, rest);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
  }
  if (sendAfter === undefined) return send(prepared, rest.signal ?? undefined);
  // The request (the SDK's body and headers, and its URL and headers here) is built while the
  // caller's own work goes on; it leaves once that is done.
  return sendAfter.then((go) => {
    if (!go && !rest.signal?.aborted) return Promise.reject(dropped());
    return send(prepared, rest.signal ?? undefined);
  });
}

function dropped(): Error {
  const error = new Error('The request was dropped before it was sent');
  error.name = 'AbortError';
  return error;
}

interface Prepared {
  url: URL;
  agent: http.Agent;
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

function prepare(input: string | URL | Request, init: RequestInit): Prepared {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const agent = agents[url.protocol as keyof typeof agents];
  if (!agent) throw new TypeError(`unsupported protocol ${url.protocol}`);
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
    throw new TypeError('only string or Buffer request bodies are supported');
  }
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  return { url, agent, method: init.method ?? 'GET', headers, body };
}

function send(
  { url, agent, method, headers, body }: Prepared,
  signal: AbortSignal | undefined,
): Promise<NodeFetchResponse> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent, signal }, (res: IncomingMessage) => {
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
    });
    req.on('error', (error: Error) =>
      reject(
        signal?.aborted ? abortError(signal) : new TypeError('fetch failed', { cause: error }),
      ),
    );
    req.end(body ?? undefined);
  });
}
