import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FileStorage, StorageCheck, StoredObject } from './file-storage';
import { StorageNotFoundError, StorageUnavailableError } from './storage-errors';
import { assertDeletableKey, assertObjectKey, isObjectKey } from './storage-key';

export interface S3StorageOptions {
  bucket: string;
  /** Any S3-compatible service (MinIO, Ceph…); unset: AWS. */
  endpoint?: string;
  region: string;
  /** Both or neither; neither: the SDK's default chain (AWS_* variables, instance role…). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `http://host/bucket/key` rather than `http://bucket.host/key`: what most non-AWS stores need. */
  forcePathStyle: boolean;
  /** Bound on one request until its answer starts, and on a stalled transfer. Default 30 s. */
  requestTimeoutMs?: number;
}

/** An unreachable host fails fast; a reachable one still has the request timeout to answer. */
const CONNECT_TIMEOUT_MS = 2_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const CHECK_TIMEOUT_MS = 2_000;

export function createS3Client(options: S3StorageOptions): S3Client {
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials:
      options.accessKeyId && options.secretAccessKey
        ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
        : undefined,
    // The SDK's default (since 2025) sends a streamed body aws-chunked with a CRC32 trailer,
    // which stores that do not know it keep as the object's bytes (s3rver stores the chunk
    // framing: 11 bytes put, 52 read back). Puts carry a Content-MD5 instead, which every
    // S3-compatible store understands.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout,
      throwOnRequestTimeout: true,
      // After the answer's headers, a download that stops moving for this long fails too.
      socketTimeout: requestTimeout,
    },
  });
}

/** Files as objects `<user id>/<file id>` in one bucket, which every replica reads. */
export class S3FileStorage implements FileStorage {
  readonly kind = 's3';
  private readonly bucket: string;

  constructor(
    options: S3StorageOptions,
    private readonly client: S3Client = createS3Client(options),
  ) {
    this.bucket = options.bucket;
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    assertObjectKey(key);
    await this.send('put', key, async () => {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ContentLength: bytes.length,
          ContentMD5: createHash('md5').update(bytes).digest('base64'),
        }),
      );
    });
  }

  async get(key: string): Promise<Buffer> {
    assertObjectKey(key);
    return this.send('get', key, async () => {
      const { stream, size } = await this.getObject(key);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      if (bytes.length !== size) {
        throw new StorageUnavailableError(`S3 get ended after ${bytes.length} of ${size} bytes`);
      }
      return bytes;
    });
  }

  async open(key: string): Promise<{ stream: Readable; size: number }> {
    assertObjectKey(key);
    return this.send('open', key, () => this.getObject(key));
  }

  async delete(key: string): Promise<void> {
    assertDeletableKey(key);
    await this.send('delete', null, async () => {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    });
  }

  async *list(): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.send('list', null, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || !isObjectKey(object.Key)) continue;
        yield {
          key: object.Key,
          size: object.Size ?? 0,
          modifiedAt: object.LastModified ?? new Date(0),
          temp: false,
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async check(): Promise<StorageCheck> {
    const started = performance.now();
    try {
      await this.send('check', null, () =>
        this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
          abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
        }),
      );
      return { ok: true, latencyMs: elapsed(started) };
    } catch (error) {
      return {
        ok: false,
        latencyMs: elapsed(started),
        reason: error instanceof Error ? error.message : 'unknown error',
      };
    }
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }

  private async getObject(key: string): Promise<{ stream: Readable; size: number }> {
    const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!(answer.Body instanceof Readable) || answer.ContentLength === undefined) {
      throw new StorageUnavailableError('S3 get answered without a body or its length');
    }
    return { stream: answer.Body, size: answer.ContentLength };
  }

  private async send<T>(operation: string, key: string | null, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw mapS3Error(operation, key, error);
    }
  }
}

/**
 * Maps whatever the SDK or the network threw to one of the two storage errors. Only S3's own
 * NoSuchKey, for an operation on an object (`key`), means the file is gone: a bare 404 comes as
 * well from a missing bucket or from whatever answers at a wrong endpoint (a proxy, a web
 * server), and reading those as "deleted" would hide a configuration fault behind 404s. The
 * message is built from the error's name, code and status only; the store's text stays in `cause`.
 */
export function mapS3Error(operation: string, key: string | null, error: unknown): Error {
  if (error instanceof StorageNotFoundError || error instanceof StorageUnavailableError) {
    return error;
  }
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  // Duck-typed: errors from Node's own sockets need not be instances of this realm's Error.
  const ownName = (error as { name?: unknown } | null)?.name;
  const name = typeof ownName === 'string' ? ownName : 'unknown error';
  if (key !== null && name === 'NoSuchKey') {
    return new StorageNotFoundError(`no stored file ${key}`, { cause: error });
  }
  const code = (error as { code?: unknown } | null)?.code;
  const detail = [
    name,
    typeof code === 'string' && code !== name ? code : null,
    status !== undefined ? `HTTP ${status}` : null,
  ]
    .filter((part) => part !== null)
    .join(' ');
  return new StorageUnavailableError(`S3 ${operation} failed: ${detail}`, { cause: error });
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
