import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileStorage, StorageCheck, StoredObject } from './file-storage';
import { StorageNotFoundError, StorageUnavailableError } from './storage-errors';
import { assertDeletableKey, assertObjectKey, isObjectKey, isTempKey } from './storage-key';

/**
 * Files in `<dataDir>/files/<user id>/<file id>`. A put writes `<file id>.<16 hex>.tmp` in the
 * same directory, fsyncs it, renames it over the object and fsyncs the directory: a reader sees
 * the old bytes or the new, and a crash leaves at worst a temp file, which `list` reports
 * (`temp: true`, its real mtime) so the orphan sweep can delete it once it is old.
 */
export class LocalFileStorage implements FileStorage {
  readonly kind = 'local';
  readonly root: string;

  constructor(dataDir: string) {
    this.root = resolve(dataDir, 'files');
  }

  async put(key: string, bytes: Buffer, _contentType: string): Promise<void> {
    assertObjectKey(key);
    const target = this.path(key);
    const dir = join(target, '..');
    const temp = `${target}.${randomBytes(8).toString('hex')}.tmp`;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      await syncDirectory(dir);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw unavailable('put', error);
    }
  }

  async get(key: string): Promise<Buffer> {
    assertObjectKey(key);
    try {
      return await readFile(this.path(key));
    } catch (error) {
      throw mapFsError('get', key, error);
    }
  }

  async open(key: string): Promise<{ stream: Readable; size: number }> {
    assertObjectKey(key);
    try {
      // Size and bytes from one descriptor: a put renaming over the file meanwhile changes neither.
      const handle = await open(this.path(key), 'r');
      try {
        const { size } = await handle.stat();
        return { stream: handle.createReadStream(), size };
      } catch (error) {
        await handle.close();
        throw error;
      }
    } catch (error) {
      throw mapFsError('open', key, error);
    }
  }

  async delete(key: string): Promise<void> {
    assertDeletableKey(key);
    try {
      await unlink(this.path(key));
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return;
      throw unavailable('delete', error);
    }
  }

  async *list(): AsyncIterable<StoredObject> {
    for (const user of await this.entries(this.root)) {
      if (!user.isDirectory()) continue;
      for (const name of (await this.entries(join(this.root, user.name))).map((e) => e.name)) {
        const key = `${user.name}/${name}`;
        const temp = isTempKey(key);
        if (!temp && !isObjectKey(key)) continue;
        const stats = await lstat(this.path(key)).catch((error: unknown) => {
          // Deleted or renamed since the directory was read: not there any more.
          if (codeOf(error) === 'ENOENT') return null;
          throw unavailable('list', error);
        });
        if (stats?.isFile()) {
          yield { key, size: stats.size, modifiedAt: new Date(stats.mtimeMs), temp };
        }
      }
    }
  }

  async check(): Promise<StorageCheck> {
    const started = performance.now();
    try {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      await access(this.root, constants.W_OK);
      return { ok: true, latencyMs: elapsed(started) };
    } catch (error) {
      return { ok: false, latencyMs: elapsed(started), reason: describeFsError(error) };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Keys are checked before they get here, so the path stays under the root by construction. */
  private path(key: string): string {
    return join(this.root, key);
  }

  private async entries(dir: string) {
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return [];
      throw unavailable('list', error);
    }
  }
}

/** Makes a rename durable: without it a power cut can lose the directory entry. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function mapFsError(operation: string, key: string, error: unknown): Error {
  if (codeOf(error) === 'ENOENT') {
    return new StorageNotFoundError(`no stored file ${key}`, { cause: error });
  }
  return unavailable(operation, error);
}

function unavailable(operation: string, error: unknown): StorageUnavailableError {
  return new StorageUnavailableError(
    `local storage ${operation} failed: ${describeFsError(error)}`,
    {
      cause: error,
    },
  );
}

function describeFsError(error: unknown): string {
  return codeOf(error) ?? (error instanceof Error ? error.name : 'unknown error');
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
