import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { TestApp } from './app';
import { bearer } from '../factories';

/** A file as POST /files and GET /files/{id} answer it (API.md §10). */
export interface FileData {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  kind: 'image' | 'document' | 'text';
  token_count: number;
  page_count: number | null;
  created_at: string;
}

/** POST /files with one part `file` (the response, whatever it is). */
export function postFile(
  t: Pick<TestApp, 'api'>,
  token: string,
  bytes: Buffer,
  filename: string,
  contentType = 'application/octet-stream',
) {
  return t
    .api()
    .post('/api/v1/files')
    .set(bearer(token))
    .attach('file', bytes, { filename, contentType });
}

/** Uploads a file that must be accepted; its fields. */
export async function uploadFile(
  t: Pick<TestApp, 'api'>,
  token: string,
  bytes: Buffer,
  filename: string,
): Promise<FileData> {
  const res = await postFile(t, token, bytes, filename);
  if (res.status !== 201) {
    throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.data as FileData;
}

/** Every object under a local file storage (DATA_DIR/files), as `<user>/<file>` keys. */
export function storedObjects(dataDir: string): string[] {
  const root = join(dataDir, 'files');
  const keys: string[] = [];
  const walk = (dir: string, prefix: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
      else keys.push(`${prefix}${name}`);
    }
  };
  walk(root, '');
  return keys.sort();
}

/** The multipart framing around one part `file`: what goes before its bytes and after them. */
export function multipartFraming(
  filename: string,
  contentType = 'application/octet-stream',
): { contentType: string; head: Buffer; tail: Buffer } {
  const boundary = `----chat-test-${randomBytes(8).toString('hex')}`;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    head: Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
        `Content-Type: ${contentType}\r\n\r\n`,
    ),
    tail: Buffer.from(`\r\n--${boundary}--\r\n`),
  };
}

export interface RawUploadOptions {
  filename?: string;
  /** The file's bytes, in the pieces they are written in (a generator may go on for ever). */
  file: Iterable<Buffer> | AsyncIterable<Buffer>;
  /**
   * The file's length, declared in Content-Length with the framing around it (it may lie);
   * 'chunked' (the default): chunked transfer encoding, no Content-Length.
   */
  length?: number | 'chunked';
  /**
   * Bytes of the file after which the client stops writing and drops the connection (the
   * multipart head before them is sent whole).
   */
  cutAfter?: number;
}

export interface RawUploadResult {
  /** The answer's status; undefined when none arrived (a cut upload, a connection reset). */
  status?: number;
  body?: any;
  /** Body bytes the client handed to its socket before it stopped (an answer, an error or the end). */
  written: number;
  /** The client's own error (ECONNRESET, EPIPE…) when it came before an answer. */
  error?: string;
}

/**
 * POST /files over a bare http.request, for what supertest and fetch cannot do: write the
 * body at the pace the socket takes it and stop as soon as the server answers or closes (an
 * early 413), send it chunked with no Content-Length, or cut it short.
 */
export function rawUpload(
  url: string,
  token: string,
  options: RawUploadOptions,
): Promise<RawUploadResult> {
  const framing = multipartFraming(options.filename ?? 'upload.bin');
  const length = options.length ?? 'chunked';
  const cut = framing.head.length + (options.cutAfter ?? Infinity);
  const req = request(`${url}/api/v1/files`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': framing.contentType,
      ...(length === 'chunked'
        ? { 'transfer-encoding': 'chunked' }
        : { 'content-length': String(framing.head.length + length + framing.tail.length) }),
    },
  });
  let written = 0;
  let stopped = false;
  let wake: () => void = () => undefined;
  const stop = () => {
    stopped = true;
    wake();
  };
  const result = new Promise<RawUploadResult>((resolve) => {
    let settled = false;
    const settle = (outcome: Omit<RawUploadResult, 'written'>) => {
      if (settled) return;
      settled = true;
      stop();
      resolve({ ...outcome, written });
    };
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      stop();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: kept as text.
        }
        settle({ status: res.statusCode, body });
      };
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    // After an answer began, its own end settles the result.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!answered) settle({ error: error.code ?? error.message });
    });
    req.on('close', () => {
      if (!answered) settle({ error: 'closed' });
    });
  });

  /** Until `register`'s callback is called, or the client stops (an answer, an error). */
  const until = (register: (done: () => void) => void) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (stopped) resolve();
      else register(resolve);
    });
  /** Writes what of `chunk` comes before the cut, at the socket's pace; false once stopped. */
  const write = async (chunk: Buffer): Promise<boolean> => {
    if (stopped) return false;
    const piece = chunk.length > cut - written ? chunk.subarray(0, cut - written) : chunk;
    written += piece.length;
    if (!req.write(piece)) await until((done) => req.once('drain', done));
    if (written < cut) return !stopped;
    // Out of the socket, then gone without the rest of the body.
    await until((done) => req.write(Buffer.alloc(0), done));
    req.destroy();
    return false;
  };
  void (async () => {
    if (!(await write(framing.head))) return;
    for await (const piece of options.file) if (!(await write(piece))) return;
    if (await write(framing.tail)) req.end();
  })().catch(() => req.destroy());
  return result;
}

/** GET /files/{id}/content with the body kept as the bytes received, whatever the type. */
export function downloadFile(t: Pick<TestApp, 'api'>, token: string, id: string) {
  return t
    .api()
    .get(`/api/v1/files/${id}/content`)
    .set(bearer(token))
    .buffer(true)
    .parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

/** POST a message with attachments to a conversation (the response, whatever it is). */
export function sendWithFiles(
  t: Pick<TestApp, 'api'>,
  token: string,
  conversationId: string,
  content: string,
  attachments: string[],
) {
  return t
    .api()
    .post(`/api/v1/conversations/${conversationId}/messages`)
    .set(bearer(token))
    .send({ content, attachments });
}

/** The content of the last message of a chat request the fake model received (the user's turn). */
export function lastUserContent(body: Record<string, unknown> | null): unknown {
  const messages = (body?.messages ?? []) as { role: string; content: unknown }[];
  return messages.at(-1)?.content;
}
