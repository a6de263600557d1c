import type { Readable } from 'node:stream';
import { LocalFileStorage } from './local-file-storage';
import { S3FileStorage, type S3StorageOptions } from './s3-file-storage';

export {
  InvalidStorageKeyError,
  StorageNotFoundError,
  StorageUnavailableError,
} from './storage-errors';
export { isTempKey, storageKey } from './storage-key';
export type { S3StorageOptions } from './s3-file-storage';

export const FILE_STORAGE = Symbol('FileStorage');

export interface StoredObject {
  key: string;
  size: number;
  modifiedAt: Date;
  /**
   * A local write that never finished (the process died between writing and renaming). Its key
   * (`<uuid>/<uuid>.<hex>.tmp`) matches no file row, `get`/`open` refuse it and `delete` removes
   * it. A put in progress is one too, for the seconds it lasts: delete only old ones. S3: false.
   */
  temp: boolean;
}

export interface StorageCheck {
  ok: boolean;
  latencyMs: number;
  reason?: string;
}

/**
 * Where the bytes of uploaded files live, by opaque key (`storageKey(userId, fileId)`). Every
 * method throws StorageUnavailableError when the store cannot answer, and InvalidStorageKeyError
 * for a key it did not make.
 */
export interface FileStorage {
  readonly kind: 'local' | 's3';
  /** Stores the whole object, replacing any before it; a reader sees the old or the new, never part. */
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The whole object (files are ≤ 20 MiB); StorageNotFoundError when there is none. */
  get(key: string): Promise<Buffer>;
  /**
   * The object as a stream, for downloads; StorageNotFoundError when there is none. The stream
   * holds a file descriptor or a connection until it ends: destroy it when the client goes away.
   * A store failing mid-transfer is an error on the stream (its headers are already sent).
   */
  open(key: string): Promise<{ stream: Readable; size: number }>;
  /** Removes the object; a missing one is fine. Also takes a temp file's key from `list`. */
  delete(key: string): Promise<void>;
  /** Every object this storage could have written (other keys in the store are skipped), temp files included. */
  list(): AsyncIterable<StoredObject>;
  /** A cheap, bounded (~2 s) reachability check; never throws. */
  check(): Promise<StorageCheck>;
  /** Releases connections (S3's keep-alive sockets); the storage is not used after. */
  close(): Promise<void>;
}

export interface FileStorageOptions {
  /** The app's DATA_DIR; local storage keeps files in `<dataDir>/files`. */
  dataDir: string;
  /** When set (S3_BUCKET), files live in this bucket instead, shared by every replica. */
  s3?: S3StorageOptions;
}

export function createFileStorage(options: FileStorageOptions): FileStorage {
  return options.s3 ? new S3FileStorage(options.s3) : new LocalFileStorage(options.dataDir);
}
