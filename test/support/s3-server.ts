import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import {
  createFileStorage,
  type FileStorage,
  type S3StorageOptions,
} from '../../src/modules/files/storage/file-storage';

const REGION = 'us-east-1';
/** s3rver's own account; it accepts these and does not check V4 signatures. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  /** http://127.0.0.1:PORT, for S3_ENDPOINT (path-style addressing). */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The app's environment keys for this server, to spread into bootApp's env. */
  env: Record<string, string>;
  /** The storage's options for this server and bucket. */
  options: S3StorageOptions;
  /** Stops the server (cutting open connections) and removes its directory; safe to call twice. */
  close: () => Promise<void>;
}

/** Storage options for an S3 endpoint, with s3rver's credentials (for servers that are not s3rver too). */
export function s3OptionsAt(
  endpoint: string,
  overrides: Partial<S3StorageOptions> = {},
): S3StorageOptions {
  return {
    bucket: 'chat-files',
    endpoint,
    region: REGION,
    ...CREDENTIALS,
    forcePathStyle: true,
    ...overrides,
  };
}

/**
 * Starts s3rver (a local S3 look-alike kept on disk) on 127.0.0.1, a free port (or `port`, to
 * bring a stopped store back where the app looks for it), in a fresh directory, with one empty
 * bucket. s3rver accepts any credentials and does not check V4 signatures; it does not
 * understand the SDK's flexible checksums (see s3-file-storage.ts).
 */
export async function startS3(
  bucket = 'chat-files',
  options: { port?: number } = {},
): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const stopped = server.close();
      // Keep-alive sockets of the clients would otherwise hold the server open until they idle out.
      server.httpServer?.closeAllConnections();
      await stopped;
      rmSync(directory, { recursive: true, force: true });
    })();
    return closing;
  };

  return {
    endpoint,
    bucket,
    region: REGION,
    ...CREDENTIALS,
    env: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_REGION: REGION,
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    },
    options: s3OptionsAt(endpoint, { bucket }),
    close,
  };
}

/** An s3rver of the enclosing describe, and a storage on its bucket to look at what the app stored. */
export interface S3Fixture {
  /** Set once the describe's beforeAll has run. */
  s3: TestS3;
  storage: FileStorage;
  /** The bucket's object keys (`<user id>/<file id>`) under `prefix`, sorted. */
  keys: (prefix?: string) => Promise<string[]>;
}

/**
 * For the enclosing describe: starts s3rver before its tests (declare it before the app's hooks,
 * and hand the app `() => fixture.s3.env`) and stops it after.
 */
export function useS3(): S3Fixture {
  // The SDK warns once per process that its 2027 releases will need Node 22; not a suite's news.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const fixture = {
    keys: async (prefix = '') => {
      const keys: string[] = [];
      for await (const object of fixture.storage.list()) {
        if (object.key.startsWith(prefix)) keys.push(object.key);
      }
      return keys.sort();
    },
  } as S3Fixture;
  beforeAll(async () => {
    fixture.s3 = await startS3();
    fixture.storage = createFileStorage({ dataDir: '/nonexistent', s3: fixture.s3.options });
  });
  afterAll(async () => {
    await fixture.storage?.close();
    await fixture.s3?.close();
  });
  return fixture;
}
