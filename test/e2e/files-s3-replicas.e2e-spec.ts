import { aConversation, bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, fakeOpenAiEnv, startFakeOpenAi } from '../support/fake-openai';
import {
  downloadFile,
  lastUserContent,
  postFile,
  sendWithFiles,
  uploadFile,
} from '../support/files';
import { useS3 } from '../support/s3-server';
import { TITLES_OFF } from '../support/titles';

/** Fits one upload of RACED_BYTES and not two. */
const STORAGE_LIMIT = 64 * 1024;
const RACED_BYTES = 40 * 1024;

/**
 * Two replicas (two Nest applications in this process) that share PostgreSQL, Redis and one
 * bucket, as two containers behind a load balancer would: a file uploaded on one is read,
 * attached and deleted on the other, and the storage quota is one across both. Runs only when
 * DATABASE_URL and REDIS_URL are set (jest.config.js runs *replica* files only then).
 */
describe('Files in S3 across replicas (PostgreSQL + Redis + S3)', () => {
  const bucket = useS3();
  let fake: FakeOpenAi;
  let a: TestApp;
  let b: TestApp;
  let alice: RegisteredUser;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    const env = {
      ...fakeOpenAiEnv(fake),
      ...TITLES_OFF,
      ...bucket.s3.env,
      QUOTA_NORMAL_STORAGE_BYTES: String(STORAGE_LIMIT),
      FILE_SWEEP_INTERVAL: '1h',
    };
    a = await bootApp(env);
    b = await bootApp(env);
    alice = await registerUser(a);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await fake?.close();
  });

  it('reads, attaches and deletes on one replica a file uploaded on the other', async () => {
    const bytes = Buffer.from('The password of the wifi is marmalade.\n');
    const file = await uploadFile(a, alice.accessToken, bytes, 'wifi.txt');
    expect(await bucket.keys(`${alice.id}/`)).toEqual([`${alice.id}/${file.id}`]);

    const meta = await b.api().get(`/api/v1/files/${file.id}`).set(bearer(alice.accessToken));
    expect(meta.status).toBe(200);
    expect(meta.body.data).toEqual(file);
    const content = await downloadFile(b, alice.accessToken, file.id);
    expect(content.status).toBe(200);
    expect(Buffer.compare(content.body as Buffer, bytes)).toBe(0);

    const conversation = await aConversation(b, alice);
    const sent = await sendWithFiles(b, alice.accessToken, conversation.id, 'What is it?', [
      file.id,
    ]);
    expect(sent.status).toBe(201);
    expect(JSON.stringify(lastUserContent(fake.chatRequests[0].body))).toContain('marmalade');

    const del = await b.api().delete(`/api/v1/files/${file.id}`).set(bearer(alice.accessToken));
    expect(del.status).toBe(200);
    for (const res of [
      await a.api().get(`/api/v1/files/${file.id}`).set(bearer(alice.accessToken)),
      await downloadFile(a, alice.accessToken, file.id),
    ]) {
      expect(res.status).toBe(404);
    }
    expect(await bucket.keys(`${alice.id}/`)).toEqual([]);
  });

  it('holds the storage quota across replicas: of two uploads at once that fit only alone, one is stored', async () => {
    const user = await registerUser(a);
    const chunk = Buffer.from(
      Array.from({ length: 10_000 }, (_, i) => `line ${i}`)
        .join('\n')
        .slice(0, RACED_BYTES),
    );
    const results = await Promise.all([
      postFile(a, user.accessToken, chunk, 'on-a.txt'),
      postFile(b, user.accessToken, chunk, 'on-b.txt'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 429]);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.body.error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { window: 'storage', limit: STORAGE_LIMIT },
    });
    const stored = results.find((r) => r.status === 201)!.body.data as { id: string };
    const [usage] = await a.sql<{ bytes: string; files: number }>(
      'SELECT bytes, files FROM storage_usage WHERE user_id = $1',
      [user.id],
    );
    expect({ bytes: Number(usage.bytes), files: usage.files }).toEqual({
      bytes: chunk.length,
      files: 1,
    });
    expect(Number(usage.bytes)).toBeLessThanOrEqual(STORAGE_LIMIT);
    // The refused upload's bytes, written before its row was refused, are removed again.
    expect(await bucket.keys(`${user.id}/`)).toEqual([`${user.id}/${stored.id}`]);
  });
});
