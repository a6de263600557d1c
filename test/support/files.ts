import { readdirSync, statSync } from 'node:fs';
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
