import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { AppError } from '../../common/errors/app-error';
import type { AppConfig } from '../../config/app-config';
import type { AuthUser } from '../auth/auth-user';
import type { MetricsService } from '../metrics/metrics.service';
import type { FileRecord, FilesRepository, NewFile } from './files.repository';
import { FilesService } from './files.service';
import type { Inspection } from './inspection/file-inspection';
import { FileInspector, InspectorBusyError } from './inspection/file-inspector';
import { FileStorage, StorageNotFoundError, StorageUnavailableError } from './storage/file-storage';

const USER = { id: '6b801e8b-9a03-4415-97db-79e3ceb66a6b', isVip: false } as AuthUser;
const TEXT: Inspection = {
  ok: true,
  kind: 'text',
  contentType: 'text/plain',
  text: 'hello',
  tokenCount: 1,
  pageCount: null,
  image: null,
};

/** A multipart request carrying `body` as its one part `file`. */
function upload(body: string, filename = 'a.txt') {
  const boundary = 'b0undary';
  const payload = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n${body}\r\n--${boundary}--\r\n`,
  );
  const req = Object.assign(Readable.from([payload]), {
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(payload.length),
    },
    complete: true,
  }) as unknown as IncomingMessage;
  const res = { setHeader: jest.fn(), once: jest.fn() } as unknown as ServerResponse;
  return { req, res };
}

function setup(options: { inspection?: Inspection; busy?: boolean; uploads?: number } = {}) {
  const objects = new Map<string, Buffer>();
  const rows: NewFile[] = [];
  let quotaLeft = 1000;
  let putFails: Error | null = null;
  let deleteFails = false;
  const storage: Partial<FileStorage> = {
    put: (key, bytes) => {
      if (putFails) return Promise.reject(putFails);
      objects.set(key, bytes);
      return Promise.resolve();
    },
    open: (key) =>
      objects.has(key)
        ? Promise.resolve({ stream: Readable.from([objects.get(key)!]), size: 1 })
        : Promise.reject(new StorageNotFoundError(key)),
    delete: (key) => {
      if (deleteFails) return Promise.reject(new StorageUnavailableError('down'));
      objects.delete(key);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const record = (f: NewFile): FileRecord => ({ ...f, createdAt: new Date() });
  const repo: Partial<FilesRepository> = {
    usage: () => Promise.resolve({ bytes: 1000 - quotaLeft, files: rows.length }),
    insert: (file) => {
      if (file.size > quotaLeft) return Promise.resolve(null);
      quotaLeft -= file.size;
      rows.push(file);
      return Promise.resolve(record(file));
    },
    findOwned: (id, userId) => {
      const row = rows.find((r) => r.id === id && r.userId === userId);
      return Promise.resolve(row ? record(row) : null);
    },
    deleteOwned: (id, userId) => {
      const at = rows.findIndex((r) => r.id === id && r.userId === userId);
      if (at < 0) return Promise.resolve(null);
      rows.splice(at, 1);
      return Promise.resolve({ id, userId });
    },
    totalBytes: () => Promise.resolve(0),
  };
  const inspector = {
    inspect: jest.fn(() =>
      options.busy
        ? Promise.reject(new InspectorBusyError())
        : Promise.resolve(options.inspection ?? TEXT),
    ),
    close: () => Promise.resolve(),
  };
  const metrics = { fileUploaded: jest.fn(), storedBytesFrom: jest.fn() };
  const env = {
    FILE_MAX_BYTES: 100,
    FILE_MAX_CONCURRENT_UPLOADS: options.uploads ?? 4,
    QUOTA_NORMAL_STORAGE_BYTES: 1000,
    QUOTA_VIP_STORAGE_BYTES: 5000,
  };
  const service = new FilesService(
    repo as FilesRepository,
    storage as FileStorage,
    inspector as unknown as FileInspector,
    { env } as unknown as AppConfig,
    metrics as unknown as MetricsService,
  );
  return {
    service,
    objects,
    rows,
    metrics,
    inspector,
    setQuotaLeft: (n: number) => (quotaLeft = n),
    failPut: (error: Error) => (putFails = error),
    failDelete: () => (deleteFails = true),
  };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe(FilesService.name, () => {
  describe('upload', () => {
    it('writes the bytes, then the row, and answers the fields', async () => {
      const s = setup();
      const { req, res } = upload('hello');
      const file = await s.service.upload(USER, req, res);
      expect(file).toMatchObject({ filename: 'a.txt', kind: 'text', size: 5, token_count: 1 });
      expect([...s.objects.keys()]).toEqual([`${USER.id}/${file.id}`]);
      expect(s.rows.map((r) => r.id)).toEqual([file.id]);
      expect(s.metrics.fileUploaded).toHaveBeenCalledWith('text', 'stored', 5);
    });

    it('removes the bytes again when the storage quota refuses the row (429 storage)', async () => {
      const s = setup();
      s.setQuotaLeft(3);
      const { req, res } = upload('hello');
      const error = await refusal(s.service.upload(USER, req, res));
      expect(error.code).toBe('QUOTA_EXCEEDED');
      expect(error.details).toMatchObject({ window: 'storage', limit: 1000 });
      expect(s.objects.size).toBe(0);
      expect(s.metrics.fileUploaded).toHaveBeenCalledWith('text', 'quota');
    });

    it('stores nothing for a file the inspection refuses', async () => {
      const s = setup({
        inspection: { ok: false, status: 415, issue: 'issue.file_markup_refused' },
      });
      const { req, res } = upload('<html></html>', 'x.txt');
      const error = await refusal(s.service.upload(USER, req, res));
      expect(error.variant).toBe('unsupported_media');
      expect(error.details).toMatchObject({ field: 'file' });
      expect(s.objects.size + s.rows.length).toBe(0);
    });

    it('answers 503 when the inspection queue is full, and when the store is unavailable', async () => {
      const busy = setup({ busy: true });
      const first = upload('hello');
      expect((await refusal(busy.service.upload(USER, first.req, first.res))).code).toBe(
        'SERVICE_UNAVAILABLE',
      );
      const down = setup();
      down.failPut(new StorageUnavailableError('connect ECONNREFUSED'));
      const second = upload('hello');
      const error = await refusal(down.service.upload(USER, second.req, second.res));
      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.details).toMatchObject({ reason: 'storage_unavailable' });
      expect(down.rows).toHaveLength(0);
    });

    it('refuses past FILE_MAX_CONCURRENT_UPLOADS without reading the body', async () => {
      const s = setup({ uploads: 0 });
      const { req, res } = upload('hello');
      const error = await refusal(s.service.upload(USER, req, res));
      expect(error.details).toMatchObject({ reason: 'uploads_busy' });
      expect(s.inspector.inspect).not.toHaveBeenCalled();
    });

    it('refuses a body larger than what is left of the quota before reading it', async () => {
      const s = setup();
      s.setQuotaLeft(0);
      const { req, res } = upload('hello');
      expect((await refusal(s.service.upload(USER, req, res))).code).toBe('QUOTA_EXCEEDED');
      expect(s.inspector.inspect).not.toHaveBeenCalled();
    });
  });

  describe('delete', () => {
    it('deletes the row, then the bytes; a failure to delete the bytes is left to the sweep', async () => {
      const s = setup();
      const a = upload('one');
      const file = await s.service.upload(USER, a.req, a.res);
      s.failDelete();
      await expect(s.service.delete(USER, file.id)).resolves.toBeNull();
      expect(s.rows).toHaveLength(0);
      expect(s.objects.size).toBe(1);
    });

    it("answers 404 for another user's file", async () => {
      const s = setup();
      const a = upload('one');
      const file = await s.service.upload(USER, a.req, a.res);
      const other = { id: '00000000-0000-4000-8000-000000000009', isVip: false } as AuthUser;
      expect((await refusal(s.service.delete(other, file.id))).code).toBe('RESOURCE_NOT_FOUND');
      expect((await refusal(s.service.open(other, file.id))).code).toBe('RESOURCE_NOT_FOUND');
    });
  });

  describe('open', () => {
    it('answers 404 when the bytes are gone under a row (deleted meanwhile)', async () => {
      const s = setup();
      const a = upload('one');
      const file = await s.service.upload(USER, a.req, a.res);
      s.objects.clear();
      expect((await refusal(s.service.open(USER, file.id))).code).toBe('RESOURCE_NOT_FOUND');
    });
  });
});
