import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  createFileStorage,
  FileStorage,
  InvalidStorageKeyError,
  S3StorageOptions,
  storageKey,
  StorageNotFoundError,
  StorageUnavailableError,
  StoredObject,
} from '../../src/modules/files/storage/file-storage';
import { s3OptionsAt, startS3, TestS3 } from '../support/s3-server';

const MiB = 1024 * 1024;
// The SDK warns once per process that its 2027 releases will need Node 22; not this suite's news.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const aKey = (userId = randomUUID()) => storageKey(userId, randomUUID());

async function listAll(storage: FileStorage): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for await (const object of storage.list()) out.push(object);
  return out;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves to the error the call threw, and how long it took to throw it. */
async function failure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await call();
  } catch (error) {
    return { error, ms: Math.round(performance.now() - started) };
  }
  throw new Error('expected the call to fail');
}

function s3Options(s3: TestS3, overrides: Partial<S3StorageOptions> = {}): S3StorageOptions {
  return { ...s3.options, ...overrides };
}

/** An S3 storage pointed at `endpoint`, which is not s3rver (a test's own failing server). */
function storageAt(endpoint: string, overrides: Partial<S3StorageOptions> = {}): FileStorage {
  return createFileStorage({ dataDir: '/nonexistent', s3: s3OptionsAt(endpoint, overrides) });
}

/** Port 1 (tcpmux) is privileged and served by nothing: a connection is refused at once. */
const CLOSED_ENDPOINT = 'http://127.0.0.1:1';

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

interface Backend {
  storage: FileStorage;
  close: () => Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  [
    'local',
    () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'storage-test-'));
      const storage = createFileStorage({ dataDir });
      return Promise.resolve({
        storage,
        close: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
      });
    },
  ],
  [
    's3',
    async () => {
      const s3 = await startS3();
      const storage = createFileStorage({ dataDir: '/nonexistent', s3: s3Options(s3) });
      return {
        storage,
        close: async () => {
          await storage.close();
          await s3.close();
        },
      };
    },
  ],
];

describe.each(backends)('FileStorage contract (%s)', (kind, make) => {
  let storage: FileStorage;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ storage, close } = await make());
  });
  afterAll(() => close());

  it('says which kind it is', () => {
    expect(storage.kind).toBe(kind);
  });

  it('gives back the same bytes by get and by open, 10 MiB included', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('héllo\n'), randomBytes(10 * MiB)]) {
      const key = aKey();
      await storage.put(key, bytes, 'application/octet-stream');
      expect((await storage.get(key)).equals(bytes)).toBe(true);
      const { stream, size } = await storage.open(key);
      expect(size).toBe(bytes.length);
      expect((await readAll(stream)).equals(bytes)).toBe(true);
    }
  });

  it('replaces an object on a second put', async () => {
    const key = aKey();
    await storage.put(key, Buffer.from('first version, longer'), 'text/plain');
    await storage.put(key, Buffer.from('second'), 'text/plain');
    expect((await storage.get(key)).toString()).toBe('second');
  });

  it('deletes, and deleting again (or what never was) is fine', async () => {
    const key = aKey();
    await storage.put(key, Buffer.from('x'), 'text/plain');
    await storage.delete(key);
    await expect(storage.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    await expect(storage.delete(key)).resolves.toBeUndefined();
    await expect(storage.delete(aKey())).resolves.toBeUndefined();
  });

  it('throws StorageNotFoundError from get and open of a missing key', async () => {
    const key = aKey();
    await expect(storage.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    await expect(storage.open(key)).rejects.toBeInstanceOf(StorageNotFoundError);
  });

  it('lists what was put, with sizes and times, and not what was deleted', async () => {
    const user = randomUUID();
    const keys = [aKey(user), aKey(user), aKey(user)];
    const before = Date.now();
    await Promise.all(keys.map((key, i) => storage.put(key, Buffer.alloc(i * 100), 'text/plain')));
    await storage.delete(keys[2]);
    const mine = (await listAll(storage)).filter((o) => o.key.startsWith(`${user}/`));
    expect(mine.sort((x, y) => x.size - y.size)).toEqual([
      { key: keys[0], size: 0, modifiedAt: expect.any(Date), temp: false },
      { key: keys[1], size: 100, modifiedAt: expect.any(Date), temp: false },
    ]);
    // S3 times have whole seconds.
    for (const o of mine) expect(o.modifiedAt.getTime()).toBeGreaterThan(before - 2_000);
  });

  it.each(['../x', '/etc/passwd', 'a/b', `${randomUUID()}/../${randomUUID()}`, randomUUID()])(
    'refuses the key %j in every method',
    async (key) => {
      const refused = { name: InvalidStorageKeyError.name };
      await expect(storage.put(key, Buffer.from('x'), 'text/plain')).rejects.toMatchObject(refused);
      await expect(storage.get(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(storage.open(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(storage.delete(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    },
  );

  it('reports itself reachable', async () => {
    const check = await storage.check();
    expect(check).toEqual({ ok: true, latencyMs: expect.any(Number) });
  });
});

describe('storageKey', () => {
  it.each(['../x', '..', '/etc/passwd', 'not-a-uuid', `${randomUUID()}/x`])(
    'refuses %j as an id',
    (bad) => {
      expect(() => storageKey(randomUUID(), bad)).toThrow(InvalidStorageKeyError);
      expect(() => storageKey(bad, randomUUID())).toThrow(InvalidStorageKeyError);
    },
  );
});

describe('LocalFileStorage', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'storage-test-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps files in DATA_DIR/files/<user>/<file>, creating the directory on first use', async () => {
    const storage = createFileStorage({ dataDir });
    expect(existsSync(join(dataDir, 'files'))).toBe(false);
    const key = aKey();
    await storage.put(key, Buffer.from('x'), 'text/plain');
    expect(existsSync(join(dataDir, 'files', key))).toBe(true);
  });

  it('lists a crashed write as a temp file, never returns it, and deletes it by its listed key', async () => {
    const storage = createFileStorage({ dataDir });
    const user = randomUUID();
    const kept = aKey(user);
    await storage.put(kept, Buffer.from('old bytes'), 'text/plain');
    // What a process killed between write and rename leaves: a temp beside the object, and
    // one for an object that never came to be.
    const crashedOver = `${kept}.${randomBytes(8).toString('hex')}.tmp`;
    const neverKey = aKey(user);
    const crashedNew = `${neverKey}.${randomBytes(8).toString('hex')}.tmp`;
    const dayAgo = new Date(Date.now() - 24 * 3600_000);
    for (const temp of [crashedOver, crashedNew]) {
      writeFileSync(join(dataDir, 'files', temp), 'half of the new byt');
      utimesSync(join(dataDir, 'files', temp), dayAgo, dayAgo);
    }
    // Files that are not this storage's are neither listed nor deletable.
    writeFileSync(join(dataDir, 'files', user, 'notes.txt'), 'x');
    await mkdir(join(dataDir, 'files', 'lost+found'));

    expect((await storage.get(kept)).toString()).toBe('old bytes');
    await expect(storage.get(neverKey)).rejects.toBeInstanceOf(StorageNotFoundError);
    await expect(storage.get(crashedNew)).rejects.toBeInstanceOf(InvalidStorageKeyError);

    const listed = await listAll(storage);
    const byKey = (x: { key: string }, y: { key: string }) => x.key.localeCompare(y.key);
    expect(listed.sort(byKey)).toEqual(
      [
        { key: kept, size: 9, modifiedAt: expect.any(Date), temp: false },
        { key: crashedOver, size: 19, modifiedAt: expect.any(Date), temp: true },
        { key: crashedNew, size: 19, modifiedAt: expect.any(Date), temp: true },
      ].sort(byKey),
    );
    // Their real mtime, so that the sweep can tell a day-old leftover from a put in progress.
    for (const temp of listed.filter((o) => o.temp)) {
      expect(Math.abs(temp.modifiedAt.getTime() - dayAgo.getTime())).toBeLessThan(1_000);
    }
    expect(listed.find((o) => o.key === kept)!.modifiedAt.getTime() - Date.now()).toBeGreaterThan(
      -60_000,
    );
    await expect(storage.delete(`${user}/notes.txt`)).rejects.toBeInstanceOf(
      InvalidStorageKeyError,
    );

    for (const o of listed.filter((o) => o.temp)) await storage.delete(o.key);
    expect((await listAll(storage)).map((o) => o.key)).toEqual([kept]);
    expect((await storage.get(kept)).toString()).toBe('old bytes');
  });

  it('never gives a reader part of an object while it is replaced', async () => {
    // Local only: s3rver (unlike S3, whose PUT is atomic) rewrites an object in place, and a
    // read that meets the write can get the new bytes cut at the old length. The app never
    // overwrites (a key is a new file id), so only this storage's own guarantee is tested.
    const storage = createFileStorage({ dataDir });
    const key = aKey();
    const a = Buffer.alloc(2 * MiB, 'a');
    const b = Buffer.alloc(3 * MiB, 'b');
    await storage.put(key, a, 'text/plain');
    const writes = Promise.all([1, 2, 3].map((i) => storage.put(key, i % 2 ? b : a, 'text/plain')));
    const reads = await Promise.all([1, 2, 3, 4, 5, 6].map(() => storage.get(key)));
    await writes;
    for (const read of reads) expect(read.equals(a) || read.equals(b)).toBe(true);
  });

  it('leaves no temp file behind after a put', async () => {
    const storage = createFileStorage({ dataDir });
    await Promise.all([1, 2, 3].map(() => storage.put(aKey(), randomBytes(1000), 'text/plain')));
    expect((await listAll(storage)).filter((o) => o.temp)).toEqual([]);
  });

  it('answers StorageUnavailableError, and check not ok, when the directory cannot be used', async () => {
    // DATA_DIR/files is a file: nothing can be created under it, even by root.
    writeFileSync(join(dataDir, 'files'), '');
    const storage = createFileStorage({ dataDir });
    await expect(storage.put(aKey(), Buffer.from('x'), 'text/plain')).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    await expect(storage.get(aKey())).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(listAll(storage)).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await storage.check()).toMatchObject({ ok: false, reason: expect.any(String) });
  });
});

describe('S3FileStorage', () => {
  it('lets two instances (two replicas) read and delete each other’s files', async () => {
    const s3 = await startS3();
    const [a, b] = [1, 2].map(() =>
      createFileStorage({ dataDir: '/nonexistent', s3: s3Options(s3) }),
    );
    try {
      const key = aKey();
      await a.put(key, Buffer.from('from a'), 'text/plain');
      expect((await b.get(key)).toString()).toBe('from a');
      await b.delete(key);
      await expect(a.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await s3.close();
    }
  });

  it('fails with StorageUnavailableError, quickly, against a closed port', async () => {
    const storage = storageAt(CLOSED_ENDPOINT);
    try {
      const { error, ms } = await failure(() => storage.get(aKey()));
      console.log(`S3 get against a closed port failed after ${ms} ms`);
      // Under Jest the SDK wraps Node's socket errors (another realm's Error) and drops their
      // code; run as a plain process, the message says ECONNREFUSED (bench/file-storage.ts).
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(ms).toBeLessThan(10_000);
      await expect(storage.put(aKey(), Buffer.from('x'), 'text/plain')).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      await expect(listAll(storage)).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(storage.delete(aKey())).rejects.toBeInstanceOf(StorageUnavailableError);
      const check = await storage.check();
      expect(check).toMatchObject({
        ok: false,
        reason: expect.stringContaining('S3 check failed'),
      });
    } finally {
      await storage.close();
    }
  });

  it('times out against a store that takes the connection and never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => void sockets.add(socket));
    const port = await listen(silent);
    const storage = storageAt(`http://127.0.0.1:${port}`, { requestTimeoutMs: 500 });
    try {
      const { error, ms } = await failure(() => storage.get(aKey()));
      console.log(`S3 get against a silent server (request timeout 500 ms) failed after ${ms} ms`);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(ms).toBeLessThan(10_000);
      const check = await storage.check();
      console.log(`S3 check against a silent server answered after ${check.latencyMs} ms`);
      expect(check).toMatchObject({ ok: false, reason: expect.any(String) });
      expect(check.latencyMs).toBeLessThan(5_000);
    } finally {
      await storage.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it.each([
    [503, 'SlowDown'],
    [500, 'InternalError'],
    [403, 'InvalidAccessKeyId'],
    // Not S3 at all (a wrong endpoint, a proxy): no file is "not found" there.
    [404, null],
  ])(
    'maps an HTTP %i (%s) to StorageUnavailableError without the store’s text',
    async (status, code) => {
      const secret = 'AKIAIOSFODNN7EXAMPLE-in-the-body';
      const failing = createHttpServer((req, res) => {
        req.resume();
        res.writeHead(status, { 'content-type': code ? 'application/xml' : 'text/plain' });
        res.end(
          code
            ? `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code>` +
                `<Message>${secret}</Message><RequestId>1</RequestId></Error>`
            : '',
        );
      });
      const port = await listen(failing);
      const storage = storageAt(`http://127.0.0.1:${port}`);
      try {
        for (const call of [
          () => storage.get(aKey()),
          () => storage.put(aKey(), Buffer.from('x'), 'text/plain'),
        ]) {
          const { error } = await failure(call);
          expect(error).toBeInstanceOf(StorageUnavailableError);
          expect((error as Error).message).toContain(`HTTP ${status}`);
          expect((error as Error).message).not.toContain(secret);
          expect((error as Error).cause).toBeDefined();
        }
      } finally {
        await storage.close();
        failing.closeAllConnections();
        await new Promise<void>((resolve) => failing.close(() => resolve()));
      }
    },
  );

  it('answers a missing bucket as unavailable, not as a missing file', async () => {
    const s3 = await startS3();
    const storage = createFileStorage({
      dataDir: '/nonexistent',
      s3: s3Options(s3, { bucket: 'no-such-bucket' }),
    });
    try {
      await expect(storage.get(aKey())).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(await storage.check()).toMatchObject({ ok: false });
    } finally {
      await storage.close();
      await s3.close();
    }
  });

  it('turns to StorageUnavailableError when the store stops mid-suite', async () => {
    const s3 = await startS3();
    const storage = createFileStorage({ dataDir: '/nonexistent', s3: s3Options(s3) });
    try {
      const key = aKey();
      await storage.put(key, Buffer.from('kept'), 'text/plain');
      expect((await storage.check()).ok).toBe(true);
      await s3.close();
      const { error, ms } = await failure(() => storage.get(key));
      console.log(`S3 get after the store stopped failed after ${ms} ms`);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      await expect(storage.put(aKey(), Buffer.from('x'), 'text/plain')).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      expect(await storage.check()).toMatchObject({ ok: false });
    } finally {
      await storage.close();
      await s3.close();
    }
  });
});
