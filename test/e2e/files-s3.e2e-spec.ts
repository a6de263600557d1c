import { randomUUID } from 'node:crypto';
import { FilesSweeper } from '../../src/modules/files/files-sweeper';
import { storageKey } from '../../src/modules/files/storage/file-storage';
import { aConversation, bearer, registerUser, RegisteredUser } from '../factories';
import { useFakeApp } from '../support/fake-app';
import { aPdf, aPng } from '../support/file-fixtures';
import {
  downloadFile,
  FileData,
  lastUserContent,
  sendWithFiles,
  storedObjects,
  uploadFile,
} from '../support/files';
import { usePrivateDatabase } from '../support/private-database';
import { useS3 } from '../support/s3-server';
import { TITLES_OFF } from '../support/titles';

/**
 * The files of API.md §10 kept in an S3-compatible bucket (S3_BUCKET set) rather than under
 * DATA_DIR: the same routes and lifecycle as files.e2e-spec.ts and files-sweep.e2e-spec.ts,
 * with the bucket (a local s3rver) as the place the bytes must and must not be.
 */
describe('Files in S3 (API.md §10)', () => {
  const bucket = useS3();
  // The sweeps and their job lease are database-wide: this suite's apps alone take part.
  const database = usePrivateDatabase();
  const ctx = useFakeApp(
    () => ({
      ...database.env(),
      ...TITLES_OFF,
      ...bucket.s3.env,
      // The sweeps are run by the tests themselves.
      FILE_SWEEP_INTERVAL: '1h',
      FILE_ORPHAN_AGE: '1s',
      FILE_UNATTACHED_TTL: '1h',
    }),
    { reset: true },
  );
  const sweep = () => ctx.t.app.get(FilesSweeper).sweep();
  let alice: RegisteredUser;

  beforeAll(async () => {
    alice = await registerUser(ctx.t);
  });

  describe('upload, download, send, delete', () => {
    const text = Buffer.from('The secret word is pomegranate.\n');
    const pdf = aPdf(['First page about apples', 'Second page about pears']);
    let png: Buffer;
    let files: { text: FileData; pdf: FileData; png: FileData };
    /** The conversation the send test attaches all three in. */
    let conversationId: string;

    beforeAll(async () => {
      png = await aPng(40, 30);
      files = {
        text: await uploadFile(ctx.t, alice.accessToken, text, 'secret.txt'),
        pdf: await uploadFile(ctx.t, alice.accessToken, pdf, 'fruit.pdf'),
        png: await uploadFile(ctx.t, alice.accessToken, png, 'chart.png'),
      };
    });

    it('stores each upload in the bucket as <user id>/<file id>, and nothing under DATA_DIR', async () => {
      expect(files.text).toMatchObject({ kind: 'text', size: text.length });
      expect(files.pdf).toMatchObject({ kind: 'document', page_count: 2, size: pdf.length });
      expect(files.png).toMatchObject({ kind: 'image', content_type: 'image/png' });
      expect(await bucket.keys(`${alice.id}/`)).toEqual(
        [files.text, files.pdf, files.png].map((f) => `${alice.id}/${f.id}`).sort(),
      );
      expect(storedObjects(ctx.t.dataDir)).toEqual([]);
    });

    it('serves the identical bytes with nosniff, as an attachment for all but images', async () => {
      const cases = [
        [files.text, text, /^text\/plain/, /^attachment; filename="secret.txt"/],
        [files.pdf, pdf, /^application\/pdf/, /^attachment; filename="fruit.pdf"/],
        [files.png, png, /^image\/png$/, /^inline/],
      ] as const;
      for (const [file, bytes, type, disposition] of cases) {
        const res = await downloadFile(ctx.t, alice.accessToken, file.id);
        expect(res.status).toBe(200);
        expect(Buffer.compare(res.body as Buffer, bytes)).toBe(0);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['content-type']).toMatch(type);
        expect(res.headers['content-disposition']).toMatch(disposition);
      }
    });

    it('gives the model the documents’ text and the image as a data URL read from the bucket', async () => {
      const conversation = await aConversation(ctx.t, alice, { model: 'gpt-4-turbo' });
      conversationId = conversation.id;
      const res = await sendWithFiles(ctx.t, alice.accessToken, conversation.id, 'Read these', [
        files.text.id,
        files.pdf.id,
        files.png.id,
      ]);
      expect(res.status).toBe(201);
      const content = lastUserContent(ctx.fake.chatRequests[0].body) as {
        type: string;
        text?: string;
        image_url?: { url: string };
      }[];
      expect(content.map((part) => part.type)).toEqual(['text', 'image_url']);
      expect(content[0].text).toContain(
        '<file name="secret.txt">\nThe secret word is pomegranate.',
      );
      expect(content[0].text).toContain('<file name="fruit.pdf">');
      expect(content[0].text).toContain('First page about apples');
      expect(content[0].text).toContain('Second page about pears');
      expect(content[1].image_url!.url).toMatch(/^data:image\/(png|jpeg);base64,[A-Za-z0-9+/=]+$/);
    });

    it('deletes the object with the row; the message shows the attachment deleted', async () => {
      const del = await ctx.t
        .api()
        .delete(`/api/v1/files/${files.text.id}`)
        .set(bearer(alice.accessToken));
      expect(del.status).toBe(200);
      expect(await bucket.keys(`${alice.id}/`)).not.toContain(`${alice.id}/${files.text.id}`);
      expect((await downloadFile(ctx.t, alice.accessToken, files.text.id)).status).toBe(404);
      const list = await ctx.t
        .api()
        .get(`/api/v1/conversations/${conversationId}/messages?order=asc`)
        .set(bearer(alice.accessToken));
      const attachments = list.body.data.messages[0].attachments as {
        id: string;
        deleted: boolean;
      }[];
      expect(attachments.map((a) => [a.id, a.deleted])).toEqual([
        [files.text.id, true],
        [files.pdf.id, false],
        [files.png.id, false],
      ]);
    });
  });

  it('deleting a conversation deletes the objects of the files used only there', async () => {
    const user = await registerUser(ctx.t);
    const only = await uploadFile(ctx.t, user.accessToken, Buffer.from('only here'), 'only.txt');
    const shared = await uploadFile(ctx.t, user.accessToken, Buffer.from('used twice'), 's.txt');
    const [a, b] = [await aConversation(ctx.t, user), await aConversation(ctx.t, user)];
    expect(
      (await sendWithFiles(ctx.t, user.accessToken, a.id, 'see', [only.id, shared.id])).status,
    ).toBe(201);
    expect((await sendWithFiles(ctx.t, user.accessToken, b.id, 'see', [shared.id])).status).toBe(
      201,
    );
    await ctx.t
      .api()
      .delete(`/api/v1/conversations/${a.id}`)
      .set(bearer(user.accessToken))
      .expect(200);
    expect(await bucket.keys(`${user.id}/`)).toEqual([`${user.id}/${shared.id}`]);
  });

  describe('sweeps', () => {
    it('deletes an object without a row once FILE_ORPHAN_AGE has passed, and keeps those with rows', async () => {
      const user = await registerUser(ctx.t);
      const file = await uploadFile(ctx.t, user.accessToken, Buffer.from('has a row'), 'row.txt');
      // Bytes whose row was never written (a crash between the two writes).
      const orphanKey = storageKey(user.id, randomUUID());
      await bucket.storage.put(orphanKey, Buffer.from('orphan'), 'text/plain');
      expect(await bucket.keys(`${user.id}/`)).toContain(orphanKey);
      // s3rver's LastModified has whole seconds: just over FILE_ORPHAN_AGE (1 s) and one more.
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const swept = await sweep();
      expect(swept?.orphanedBytes).toBe(1);
      expect(await bucket.keys(`${user.id}/`)).toEqual([`${user.id}/${file.id}`]);
      expect((await downloadFile(ctx.t, user.accessToken, file.id)).status).toBe(200);
    });

    it('deletes an upload never attached once FILE_UNATTACHED_TTL has passed, row and object', async () => {
      const user = await registerUser(ctx.t);
      const loose = await uploadFile(ctx.t, user.accessToken, Buffer.from('never used'), 'l.txt');
      const kept = await uploadFile(ctx.t, user.accessToken, Buffer.from('attached'), 'k.txt');
      const conversation = await aConversation(ctx.t, user);
      expect(
        (await sendWithFiles(ctx.t, user.accessToken, conversation.id, 'see', [kept.id])).status,
      ).toBe(201);
      await ctx.t.sql(
        `UPDATE files SET created_at = now() - interval '2 hours' WHERE user_id = $1`,
        [user.id],
      );
      const swept = await sweep();
      expect(swept?.unattached).toBe(1);
      expect(await bucket.keys(`${user.id}/`)).toEqual([`${user.id}/${kept.id}`]);
      expect(
        (await ctx.t.sql<{ id: string }>('SELECT id FROM files WHERE user_id = $1', [user.id])).map(
          (r) => r.id,
        ),
      ).toEqual([kept.id]);
      expect(
        (await ctx.t.api().get(`/api/v1/files/${loose.id}`).set(bearer(user.accessToken))).status,
      ).toBe(404);
    });
  });
});
