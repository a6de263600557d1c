import { createHash } from 'node:crypto';
import { aConversation, bearer, fetchQuota, RegisteredUser, registerUser } from '../factories';
import { useFakeApp } from '../support/fake-app';
import { aDocx, anHtml, anSvg, aPdf, aPng } from '../support/file-fixtures';
import {
  downloadFile,
  FileData,
  lastUserContent,
  postFile,
  storedObjects,
  uploadFile,
} from '../support/files';
import { Scrape } from '../support/prometheus-text';
import { readSse } from '../support/sse';
import { chatWsUrl, connectWs } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

const MAX_BYTES = 256 * 1024;
const STORAGE_LIMIT = 600 * 1024;

describe('Files (API.md §10)', () => {
  const ctx = useFakeApp(
    {
      ...TITLES_OFF,
      FILE_MAX_BYTES: String(MAX_BYTES),
      QUOTA_NORMAL_STORAGE_BYTES: String(STORAGE_LIMIT),
      // The sweeps are run by the tests themselves.
      FILE_SWEEP_INTERVAL: '1h',
    },
    { reset: true },
  );
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const api = () => ctx.t.api();

  beforeAll(async () => {
    alice = await registerUser(ctx.t);
    bob = await registerUser(ctx.t);
  });

  const rowsOf = (user: RegisteredUser) =>
    ctx.t.sql<{ id: string }>('SELECT id FROM files WHERE user_id = $1', [user.id]);

  describe('POST /files', () => {
    it('stores a text file and answers its fields, with the type read from the bytes', async () => {
      const bytes = Buffer.from('# Notes\n\nThe launch is on Tuesday.\n');
      const res = await postFile(ctx.t, alice.accessToken, bytes, 'notes.md', 'text/html');
      expect(res.status).toBe(201);
      const file = res.body.data as FileData;
      expect(file).toEqual({
        id: expect.any(String),
        filename: 'notes.md',
        content_type: 'text/markdown',
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        kind: 'text',
        token_count: expect.any(Number),
        page_count: null,
        created_at: expect.any(String),
      });
      expect(file.token_count).toBeGreaterThan(3);
      expect(storedObjects(ctx.t.dataDir)).toContain(`${alice.id}/${file.id}`);
    });

    it('reads the pages and text of a PDF and the text of a DOCX', async () => {
      const pdf = await uploadFile(
        ctx.t,
        alice.accessToken,
        aPdf(['First page about apples', 'Second page about pears']),
        'fruit.pdf',
      );
      expect(pdf).toMatchObject({
        kind: 'document',
        content_type: 'application/pdf',
        page_count: 2,
      });
      const docx = await uploadFile(
        ctx.t,
        alice.accessToken,
        await aDocx(['Quarterly report', 'Revenue grew.']),
        'report.docx',
      );
      expect(docx).toMatchObject({ kind: 'document', page_count: null });
      expect(docx.token_count).toBeGreaterThan(2);
    });

    it('takes an image whatever its name says, and refuses HTML and SVG whatever theirs say', async () => {
      const png = await uploadFile(ctx.t, alice.accessToken, await aPng(40, 30), 'photo.txt');
      expect(png).toMatchObject({ kind: 'image', content_type: 'image/png' });
      expect(png.token_count).toBeGreaterThan(0);
      for (const [bytes, name] of [
        [anHtml(), 'page.txt'],
        [anSvg(), 'logo.png'],
      ] as const) {
        const res = await postFile(ctx.t, alice.accessToken, bytes, name, 'image/png');
        expect(res.status).toBe(415);
        expect(res.body.error).toMatchObject({
          code: 'VALIDATION_ERROR',
          details: { field: 'file' },
        });
      }
    });

    it('refuses a body over FILE_MAX_BYTES with 413, stores nothing and leaves no temp file', async () => {
      const before = storedObjects(ctx.t.dataDir);
      const rowsBefore = (await rowsOf(alice)).length;
      const res = await postFile(
        ctx.t,
        alice.accessToken,
        Buffer.alloc(MAX_BYTES + 1, 'a'),
        'big.txt',
      );
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(storedObjects(ctx.t.dataDir)).toEqual(before);
      expect((await rowsOf(alice)).length).toBe(rowsBefore);
    });

    it('refuses an empty file, a file without text and a body without a file part', async () => {
      expect((await postFile(ctx.t, alice.accessToken, Buffer.alloc(0), 'empty.txt')).status).toBe(
        422,
      );
      const scanned = await postFile(ctx.t, alice.accessToken, aPdf(['']), 'scan.pdf');
      expect(scanned.status).toBe(422);
      expect(scanned.body.error.details.field).toBe('file');
      const noPart = await api()
        .post('/api/v1/files')
        .set(bearer(alice.accessToken))
        .field('other', 'x');
      expect(noPart.status).toBe(422);
      const json = await api()
        .post('/api/v1/files')
        .set(bearer(alice.accessToken))
        .send({ file: 'x' });
      expect(json.status).toBe(415);
    });

    it('refuses an upload past the storage quota with 429 on the storage window', async () => {
      const user = await registerUser(ctx.t);
      const chunk = Buffer.from(
        Array.from({ length: 40_000 }, (_, i) => `line ${i}`)
          .join('\n')
          .slice(0, MAX_BYTES - 1024),
      );
      await uploadFile(ctx.t, user.accessToken, chunk, 'one.txt');
      await uploadFile(ctx.t, user.accessToken, chunk, 'two.txt');
      const res = await postFile(ctx.t, user.accessToken, chunk, 'three.txt');
      expect(res.status).toBe(429);
      expect(res.body.error).toMatchObject({
        code: 'QUOTA_EXCEEDED',
        details: { window: 'storage', limit: STORAGE_LIMIT },
      });
      const quota = await fetchQuota(ctx.t, user);
      expect((quota as unknown as { storage: unknown }).storage).toEqual({
        limit_bytes: STORAGE_LIMIT,
        used_bytes: chunk.length * 2,
        files: 2,
      });
      const me = await api().get('/api/v1/users/me').set(bearer(user.accessToken));
      expect(me.body.data.quota.storage.used_bytes).toBe(chunk.length * 2);
    });
  });

  describe('reading and deleting', () => {
    let file: FileData;
    const body = Buffer.from('name,amount\nalpha,1\nbeta,2\n');

    beforeAll(async () => {
      file = await uploadFile(ctx.t, alice.accessToken, body, 'data.csv');
    });

    it('lists own files newest first, paginated', async () => {
      const newer = await uploadFile(ctx.t, alice.accessToken, Buffer.from('later'), 'later.txt');
      const res = await api().get('/api/v1/files?page=1&size=2').set(bearer(alice.accessToken));
      expect(res.status).toBe(200);
      expect(res.body.data.files[0].id).toBe(newer.id);
      expect(res.body.data.files[1].id).toBe(file.id);
      expect(res.body.data.pagination).toMatchObject({ page: 1, size: 2 });
      expect(res.body.data.pagination.total).toBeGreaterThanOrEqual(2);
      const others = await api().get('/api/v1/files').set(bearer(bob.accessToken));
      const theirs = others.body.data.files as FileData[];
      expect(theirs.map((f) => f.id)).not.toContain(file.id);
    });

    it('serves the bytes with nosniff, and as an attachment for every kind but images', async () => {
      const res = await downloadFile(ctx.t, alice.accessToken, file.id);
      expect(res.status).toBe(200);
      expect(Buffer.compare(res.body as Buffer, body)).toBe(0);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="data.csv"/);
      const png = await uploadFile(ctx.t, alice.accessToken, await aPng(8, 8), 'dot.png');
      const image = await api()
        .get(`/api/v1/files/${png.id}/content`)
        .set(bearer(alice.accessToken));
      expect(image.headers['content-type']).toBe('image/png');
      expect(image.headers['content-disposition']).toMatch(/^inline/);
      expect(image.headers['x-content-type-options']).toBe('nosniff');
    });

    it("answers 404 for another user's file on every route", async () => {
      for (const path of [`/api/v1/files/${file.id}`, `/api/v1/files/${file.id}/content`]) {
        const res = await api().get(path).set(bearer(bob.accessToken));
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('RESOURCE_NOT_FOUND');
      }
      expect(
        (await api().delete(`/api/v1/files/${file.id}`).set(bearer(bob.accessToken))).status,
      ).toBe(404);
      const conversation = await aConversation(ctx.t, bob);
      const send = await api()
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(bearer(bob.accessToken))
        .send({ content: 'What is in it?', attachments: [file.id] });
      expect(send.status).toBe(404);
      expect(ctx.fake.chatRequests).toHaveLength(0);
    });

    it('deletes the row and the bytes; the messages that carried it show it deleted', async () => {
      const doomed = await uploadFile(
        ctx.t,
        alice.accessToken,
        Buffer.from('short-lived'),
        'tmp.txt',
      );
      const conversation = await aConversation(ctx.t, alice);
      const sent = await api()
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(bearer(alice.accessToken))
        .send({ content: 'Read this', attachments: [doomed.id] });
      expect(sent.status).toBe(201);
      const del = await api().delete(`/api/v1/files/${doomed.id}`).set(bearer(alice.accessToken));
      expect(del.status).toBe(200);
      expect(del.body.data).toBeNull();
      expect(storedObjects(ctx.t.dataDir)).not.toContain(`${alice.id}/${doomed.id}`);
      expect(
        (await api().get(`/api/v1/files/${doomed.id}`).set(bearer(alice.accessToken))).status,
      ).toBe(404);
      const list = await api()
        .get(`/api/v1/conversations/${conversation.id}/messages?order=asc`)
        .set(bearer(alice.accessToken));
      expect(list.body.data.messages[0].attachments).toEqual([
        {
          id: doomed.id,
          filename: 'tmp.txt',
          content_type: 'text/plain',
          size: 11,
          kind: 'text',
          deleted: true,
        },
      ]);
      expect(list.body.data.messages[1].attachments).toEqual([]);
    });
  });

  describe('attachments on a send', () => {
    let doc: FileData;
    let image: FileData;

    beforeAll(async () => {
      doc = await uploadFile(
        ctx.t,
        alice.accessToken,
        Buffer.from('The secret word is pomegranate.'),
        'secret.txt',
      );
      image = await uploadFile(ctx.t, alice.accessToken, await aPng(64, 48), 'chart.png');
    });

    it('gives the model the document as named text and the image as an image_url part', async () => {
      const conversation = await aConversation(ctx.t, alice, { model: 'gpt-4-turbo' });
      const res = await api()
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(bearer(alice.accessToken))
        .send({ content: 'What is the secret word?', attachments: [doc.id, image.id] });
      expect(res.status).toBe(201);
      const content = lastUserContent(ctx.fake.chatRequests[0].body) as {
        type: string;
        text?: string;
        image_url?: { url: string };
      }[];
      expect(content).toHaveLength(2);
      expect(content[0].type).toBe('text');
      expect(content[0].text).toBe(
        'What is the secret word?\n\n<file name="secret.txt">\nThe secret word is pomegranate.\n</file>',
      );
      expect(content[1].type).toBe('image_url');
      expect(content[1].image_url!.url).toMatch(/^data:image\/(png|jpeg);base64,[A-Za-z0-9+/=]+$/);
      const user = res.body.data.user_message;
      expect(user.attachments).toEqual([
        {
          id: doc.id,
          filename: 'secret.txt',
          content_type: 'text/plain',
          size: doc.size,
          kind: 'text',
          deleted: false,
        },
        {
          id: image.id,
          filename: 'chart.png',
          content_type: 'image/png',
          size: image.size,
          kind: 'image',
          deleted: false,
        },
      ]);
      // The message's own count covers its text and both files.
      expect(user.tokens_used).toBeGreaterThanOrEqual(doc.token_count + image.token_count + 5);
    });

    it('gives the model the earlier turns’ files again on the next send', async () => {
      const conversation = await aConversation(ctx.t, alice);
      await api()
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(bearer(alice.accessToken))
        .send({ content: 'Remember this file.', attachments: [doc.id] })
        .expect(201);
      await api()
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(bearer(alice.accessToken))
        .send({ content: 'What was the word?' })
        .expect(201);
      const messages = ctx.fake.chatRequests[1].body!.messages as {
        role: string;
        content: string;
      }[];
      expect(messages[0]).toEqual({
        role: 'user',
        content:
          'Remember this file.\n\n<file name="secret.txt">\nThe secret word is pomegranate.\n</file>',
      });
      expect(messages.at(-1)).toEqual({ role: 'user', content: 'What was the word?' });
    });

    it('refuses an image for a model without vision before anything is stored or billed', async () => {
      const conversation = await aConversation(ctx.t, alice, { model: 'gpt-3.5-turbo' });
      const before = await fetchQuota(ctx.t, alice);
      const res = await api()
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(bearer(alice.accessToken))
        .send({ content: 'Describe it', attachments: [image.id] });
      expect(res.status).toBe(422);
      expect(res.body.error.details.field).toBe('attachments');
      expect(await fetchQuota(ctx.t, alice)).toEqual(before);
      const [{ n }] = await ctx.t.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
        [conversation.id],
      );
      expect(n).toBe(0);
      expect(ctx.fake.chatRequests).toHaveLength(0);
    });

    it('refuses more than 10 attachments, duplicates and ids that are not UUIDs', async () => {
      const conversation = await aConversation(ctx.t, alice);
      const send = (attachments: unknown) =>
        api()
          .post(`/api/v1/conversations/${conversation.id}/messages`)
          .set(bearer(alice.accessToken))
          .send({ content: 'x', attachments });
      expect((await send(Array.from({ length: 11 }, () => doc.id))).status).toBe(422);
      expect((await send([doc.id, doc.id])).status).toBe(422);
      expect((await send(['not-a-uuid'])).status).toBe(422);
    });

    it('refuses attachments that cannot fit the context window with 422 on attachments', async () => {
      const big = await uploadFile(
        ctx.t,
        alice.accessToken,
        Buffer.from(Array.from({ length: 20_000 }, (_, i) => `w${i % 97}`).join(' ')),
        'big.txt',
      );
      const conversation = await aConversation(ctx.t, alice, { model: 'gpt-4' });
      const res = await api()
        .post(`/api/v1/conversations/${conversation.id}/messages`)
        .set(bearer(alice.accessToken))
        .send({ content: 'Summarise', attachments: [big.id] });
      expect(res.status).toBe(422);
      expect(res.body.error.details.field).toBe('attachments');
    });

    it('takes attachments over SSE and over WebSocket', async () => {
      const conversation = await aConversation(ctx.t, alice);
      const sse = await readSse(
        `${ctx.t.url}/api/v1/conversations/${conversation.id}/messages/stream`,
        {
          method: 'POST',
          headers: bearer(alice.accessToken),
          body: { content: 'Over SSE', attachments: [doc.id] },
        },
      );
      expect(sse.events.at(-1)?.type).toBe('end');
      const ws = await connectWs(
        chatWsUrl(ctx.t.url, `?token=${encodeURIComponent(alice.accessToken)}`),
      );
      ws.send({
        type: 'chat_message',
        conversation_id: conversation.id,
        content: 'Over WebSocket',
        request_id: 'r1',
        attachments: [doc.id],
      });
      await ws.waitFor((f) => f.type === 'message_end', { what: 'message_end' });
      ws.send({
        type: 'chat_message',
        conversation_id: conversation.id,
        content: 'Not mine',
        request_id: 'r2',
        attachments: [(await uploadFile(ctx.t, bob.accessToken, Buffer.from('bob'), 'b.txt')).id],
      });
      const refused = await ws.waitFor((f) => f.type === 'error' && f.request_id === 'r2', {
        what: 'the refusal',
      });
      expect(refused.error.code).toBe('RESOURCE_NOT_FOUND');
      ws.ws.close();
      const texts = ctx.fake.chatRequests.map((r) => JSON.stringify(lastUserContent(r.body)));
      expect(texts.filter((x) => x.includes('pomegranate'))).toHaveLength(2);
      const list = await api()
        .get(`/api/v1/conversations/${conversation.id}/messages?order=asc`)
        .set(bearer(alice.accessToken));
      const messages = list.body.data.messages as { role: string; attachments: { id: string }[] }[];
      const users = messages.filter((m) => m.role === 'user');
      expect(users.map((m) => m.attachments.map((a) => a.id))).toEqual([[doc.id], [doc.id]]);
    });
  });

  describe('lifecycle', () => {
    it('deleting a conversation deletes the files used only there', async () => {
      const only = await uploadFile(ctx.t, alice.accessToken, Buffer.from('only here'), 'only.txt');
      const shared = await uploadFile(
        ctx.t,
        alice.accessToken,
        Buffer.from('used twice'),
        'shared.txt',
      );
      const [a, b] = [await aConversation(ctx.t, alice), await aConversation(ctx.t, alice)];
      const send = (conversationId: string, attachments: string[]) =>
        api()
          .post(`/api/v1/conversations/${conversationId}/messages`)
          .set(bearer(alice.accessToken))
          .send({ content: 'see attached', attachments })
          .expect(201);
      await send(a.id, [only.id, shared.id]);
      await send(b.id, [shared.id]);
      const usageBefore = (
        (await fetchQuota(ctx.t, alice)) as unknown as { storage: { used_bytes: number } }
      ).storage;
      await api()
        .delete(`/api/v1/conversations/${a.id}`)
        .set(bearer(alice.accessToken))
        .expect(200);
      const ids = (await rowsOf(alice)).map((r) => r.id);
      expect(ids).not.toContain(only.id);
      expect(ids).toContain(shared.id);
      expect(storedObjects(ctx.t.dataDir)).not.toContain(`${alice.id}/${only.id}`);
      expect(storedObjects(ctx.t.dataDir)).toContain(`${alice.id}/${shared.id}`);
      const usageAfter = (
        (await fetchQuota(ctx.t, alice)) as unknown as { storage: { used_bytes: number } }
      ).storage;
      expect(usageBefore.used_bytes - usageAfter.used_bytes).toBe(only.size);
    });
  });

  it("shows each user's storage in the admin usage report", async () => {
    const admin = await registerUser(ctx.t);
    await ctx.t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const holder = await registerUser(ctx.t);
    const stored = await uploadFile(ctx.t, holder.accessToken, Buffer.from('kept bytes'), 'k.txt');
    const res = await api().get('/api/v1/admin/usage').set(bearer(admin.accessToken));
    expect(res.status).toBe(200);
    const storage = res.body.data.storage as {
      total_bytes: number;
      user_count: number;
      users: { user_id: string; username: string; bytes: number; files: number }[];
    };
    expect(storage.users).toContainEqual({
      user_id: holder.id,
      username: holder.username,
      bytes: stored.size,
      files: 1,
    });
    const [{ bytes }] = await ctx.t.sql<{ bytes: string }>(
      'SELECT sum(size)::text AS bytes FROM files',
    );
    expect(storage.total_bytes).toBe(Number(bytes));
  });

  it('counts uploads by kind and outcome, and the bytes stored, with no per-user label', async () => {
    const scrape = async () => new Scrape((await api().get('/metrics')).text);
    const before = await scrape();
    const stored = before.value('file_uploads_total', { kind: 'text', outcome: 'stored' });
    const file = await uploadFile(ctx.t, alice.accessToken, Buffer.from('counted'), 'c.txt');
    await postFile(ctx.t, alice.accessToken, anHtml(), 'x.txt');
    const after = await scrape();
    expect(after.value('file_uploads_total', { kind: 'text', outcome: 'stored' })).toBe(stored + 1);
    expect(after.value('file_uploads_total', { outcome: 'unsupported' })).toBeGreaterThanOrEqual(1);
    const [{ bytes }] = await ctx.t.sql<{ bytes: string }>(
      'SELECT sum(bytes)::text AS bytes FROM storage_usage',
    );
    expect(after.value('file_stored_bytes')).toBe(Number(bytes));
    expect(after.value('file_upload_bytes_total')).toBeGreaterThanOrEqual(file.size);
    expect(after.text).not.toContain(alice.id);
  });

  it('/info says file_upload: true', async () => {
    const res = await api().get('/api/v1/info');
    expect(res.body.features.file_upload).toBe(true);
  });
});
