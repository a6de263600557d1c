import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3FileStorage, mapS3Error } from './s3-file-storage';
import { StorageNotFoundError, StorageUnavailableError } from './storage-errors';
import { storageKey } from './storage-key';

const USER = '0b6c58f5-7b8e-4a57-9c39-7f2a3c1d9e10';
const KEY = storageKey(USER, 'f47ac10b-58cc-4372-a567-0e02b2c3d479');
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const serviceError = (name: string, status: number, fault: 'client' | 'server') =>
  new S3ServiceException({ name, $fault: fault, message: `echo ${SECRET}`, ...metadata(status) });
const networkError = (code: string) =>
  Object.assign(new Error(`connect ${code} 10.0.0.1:9000 ${SECRET}`), { code });

describe(mapS3Error.name, () => {
  it('maps a missing object to StorageNotFoundError, keeping the original as cause', () => {
    const missing = new NoSuchKey({
      message: 'The specified key does not exist.',
      ...metadata(404),
    });
    const mapped = mapS3Error('get', KEY, missing);
    expect(mapped).toBeInstanceOf(StorageNotFoundError);
    expect(mapped.cause).toBe(missing);
  });

  it('maps a missing bucket, a bare 404 (a wrong endpoint), and a 404 of a bucket operation, to StorageUnavailableError', () => {
    const bucket = new NoSuchBucket({ message: 'no bucket', ...metadata(404) });
    expect(mapS3Error('get', KEY, bucket)).toBeInstanceOf(StorageUnavailableError);
    // What the SDK makes of a 404 with no S3 error in its body.
    expect(mapS3Error('get', KEY, serviceError('NotFound', 404, 'client'))).toBeInstanceOf(
      StorageUnavailableError,
    );
    expect(mapS3Error('check', null, serviceError('NotFound', 404, 'client'))).toBeInstanceOf(
      StorageUnavailableError,
    );
  });

  it.each([
    ['a 503', serviceError('ServiceUnavailable', 503, 'server'), 'ServiceUnavailable HTTP 503'],
    ['a 500 without a code', serviceError('Unknown', 500, 'server'), 'Unknown HTTP 500'],
    ['refused credentials', serviceError('InvalidAccessKeyId', 403, 'client'), 'HTTP 403'],
    ['a refused connection', networkError('ECONNREFUSED'), 'Error ECONNREFUSED'],
    ['an unknown host', networkError('ENOTFOUND'), 'Error ENOTFOUND'],
    [
      'a timeout',
      Object.assign(new Error(`timed out ${SECRET}`), { name: 'TimeoutError' }),
      'TimeoutError',
    ],
    ['an abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'AbortError'],
    ['something not an Error', `thrown string ${SECRET}`, 'unknown error'],
  ])('maps %s to StorageUnavailableError without the original text', (_label, error, detail) => {
    const mapped = mapS3Error('put', KEY, error);
    expect(mapped).toBeInstanceOf(StorageUnavailableError);
    expect(mapped.message).toContain(detail);
    expect(mapped.message).not.toContain(SECRET);
    expect(mapped.cause).toBe(error);
  });

  it('passes the storage errors through unchanged', () => {
    const unavailable = new StorageUnavailableError('short read');
    expect(mapS3Error('get', KEY, unavailable)).toBe(unavailable);
  });
});

/** Answers each command by its class; records what was sent. */
class FakeS3 {
  readonly sent: object[] = [];
  constructor(private readonly answer: (command: object) => unknown) {}
  send(command: object): Promise<unknown> {
    this.sent.push(command);
    return Promise.resolve().then(() => this.answer(command));
  }
  destroy(): void {}
}

const options = { bucket: 'files', region: 'us-east-1', forcePathStyle: true };
const storageOn = (fake: FakeS3) => new S3FileStorage(options, fake as unknown as S3Client);

describe(S3FileStorage.name, () => {
  describe('put', () => {
    it('sends the bytes with their length, type and MD5, so the store can check what it got', async () => {
      const fake = new FakeS3(() => ({}));
      const bytes = Buffer.from('hello');
      await storageOn(fake).put(KEY, bytes, 'text/plain');
      const [command] = fake.sent as PutObjectCommand[];
      expect(command).toBeInstanceOf(PutObjectCommand);
      expect(command.input).toMatchObject({
        Bucket: 'files',
        Key: KEY,
        Body: bytes,
        ContentType: 'text/plain',
        ContentLength: 5,
        ContentMD5: createHash('md5').update(bytes).digest('base64'),
      });
    });
  });

  describe('get', () => {
    it('refuses a body shorter than its announced length', async () => {
      const fake = new FakeS3(() => ({
        Body: Readable.from([Buffer.from('hel')]),
        ContentLength: 5,
      }));
      await expect(storageOn(fake).get(KEY)).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it('maps an error in the middle of the body', async () => {
      const body = new Readable({
        read() {
          this.destroy(Object.assign(new Error(`reset ${SECRET}`), { code: 'ECONNRESET' }));
        },
      });
      const fake = new FakeS3(() => ({ Body: body, ContentLength: 5 }));
      const error = await storageOn(fake)
        .get(KEY)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toContain('ECONNRESET');
      expect((error as Error).message).not.toContain(SECRET);
      expect((fake.sent[0] as GetObjectCommand).input).toEqual({ Bucket: 'files', Key: KEY });
    });
  });

  describe('list', () => {
    it('follows continuation tokens and skips keys it could not have written', async () => {
      const other = storageKey(USER, '9b2f4d1e-3c5a-4b6d-8e7f-0a1b2c3d4e5f');
      const when = new Date('2026-01-02T03:04:05Z');
      const pages: Record<string, unknown> = {
        first: {
          Contents: [{ Key: KEY, Size: 5, LastModified: when }, { Key: 'backups/db.tar' }],
          IsTruncated: true,
          NextContinuationToken: 'second',
        },
        second: { Contents: [{ Key: other, Size: 7, LastModified: when }], IsTruncated: false },
      };
      const fake = new FakeS3(
        (command) => pages[(command as ListObjectsV2Command).input.ContinuationToken ?? 'first'],
      );
      const listed = [];
      for await (const object of storageOn(fake).list()) listed.push(object);
      expect(listed).toEqual([
        { key: KEY, size: 5, modifiedAt: when, temp: false },
        { key: other, size: 7, modifiedAt: when, temp: false },
      ]);
      expect(fake.sent).toHaveLength(2);
    });
  });

  describe('check', () => {
    it('answers not ok with the mapped reason, without throwing', async () => {
      const fake = new FakeS3(() => {
        throw serviceError('AccessDenied', 403, 'client');
      });
      const check = await storageOn(fake).check();
      expect(check).toMatchObject({ ok: false, reason: 'S3 check failed: AccessDenied HTTP 403' });
      expect(check.latencyMs).toBeGreaterThanOrEqual(0);
    });
  });
});
