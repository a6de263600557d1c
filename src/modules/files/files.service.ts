import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { Pagination, paginationOf } from '../../common/http/pagination';
import { AppConfig } from '../../config/app-config';
import type { AuthUser } from '../auth/auth-user';
import { MetricsService } from '../metrics/metrics.service';
import { FileResponse, toFileResponse } from './dto/file.response';
import type { FileKind } from './file.entity';
import { FileRecord, FilesRepository, RemovedFile } from './files.repository';
import { FileInspector, InspectorBusyError } from './inspection/file-inspector';
import type { Inspection } from './inspection/file-inspection';
import {
  FILE_STORAGE,
  FileStorage,
  StorageNotFoundError,
  StorageUnavailableError,
  storageKey,
} from './storage/file-storage';
import { readUpload, UploadedPart } from './upload-reader';

/** A client that sends nothing for this long during an upload is dropped. */
const UPLOAD_IDLE_MS = 30_000;
/** Multipart framing allowed around the file when the declared length is checked up front. */
const MULTIPART_OVERHEAD = 64 * 1024;

export function storageUnavailable(): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'error.storage_unavailable', {
    reason: 'storage_unavailable',
    retry_after: 5,
  });
}

/** Bytes a user of this tier may store. */
export function storageLimitOf(env: AppConfig['env'], user: { isVip: boolean }): number {
  return user.isVip ? env.QUOTA_VIP_STORAGE_BYTES : env.QUOTA_NORMAL_STORAGE_BYTES;
}

/**
 * Uploads, reads and deletes of a user's files (API.md §10). An upload is read into memory as
 * it streams (refused past FILE_MAX_BYTES while it arrives), inspected in a worker thread
 * (type from the bytes, text, the model's image copy), written to the file storage, and only
 * then given a row — counted against the storage quota in the same statement. A failure at any
 * step leaves no row; bytes left by a crash between the two writes are swept (FilesSweeper).
 */
@Injectable()
export class FilesService implements OnModuleDestroy {
  private readonly logger = new Logger(FilesService.name);
  private uploading = 0;

  constructor(
    private readonly files: FilesRepository,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
    private readonly inspector: FileInspector,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    metrics.storedBytesFrom(() => this.files.totalBytes());
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.inspector.close(), this.storage.close()]);
  }

  async upload(actor: AuthUser, req: IncomingMessage, res: ServerResponse): Promise<FileResponse> {
    const env = this.config.env;
    if (this.uploading >= env.FILE_MAX_CONCURRENT_UPLOADS) {
      this.metrics.fileUploaded('unknown', 'busy');
      res.setHeader('Connection', 'close');
      throw new AppError('SERVICE_UNAVAILABLE', 'error.overloaded', {
        reason: 'uploads_busy',
        retry_after: 1,
        retry_after_ms: 1000,
      });
    }
    this.uploading++;
    let kind: FileKind | 'unknown' = 'unknown';
    try {
      const limit = storageLimitOf(env, actor);
      // A body that cannot fit what is left of the quota is refused before it is read.
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared <= env.FILE_MAX_BYTES + MULTIPART_OVERHEAD) {
        const usage = await this.files.usage(actor.id);
        if (usage.bytes + Math.max(1, declared - MULTIPART_OVERHEAD) > limit) {
          res.setHeader('Connection', 'close');
          throw storageQuotaExceeded(limit, usage.bytes);
        }
      }
      const part = await readUpload(req, res, {
        maxBytes: env.FILE_MAX_BYTES,
        idleMs: UPLOAD_IDLE_MS,
      });
      if (part.bytes.length === 0) {
        throw AppError.validation([fieldIssue('file', 'issue.file_empty')]);
      }
      const inspection = await this.inspect(part);
      kind = inspection.kind;
      const record = await this.store(actor, part, inspection, limit);
      this.metrics.fileUploaded(kind, 'stored', record.size);
      return toFileResponse(record);
    } catch (error) {
      this.metrics.fileUploaded(kind, uploadOutcome(error));
      throw error;
    } finally {
      this.uploading--;
    }
  }

  async list(
    actor: AuthUser,
    page: number,
    size: number,
  ): Promise<{ files: FileResponse[]; pagination: Pagination }> {
    const { items, total } = await this.files.listOwned(actor.id, page, size);
    return { files: items.map(toFileResponse), pagination: paginationOf(page, size, total) };
  }

  async get(actor: AuthUser, id: string): Promise<FileResponse> {
    return toFileResponse(await this.owned(actor, id));
  }

  /** The bytes of an owned file, to stream to the client. */
  async open(actor: AuthUser, id: string): Promise<{ file: FileRecord; stream: Readable }> {
    const file = await this.owned(actor, id);
    try {
      const { stream } = await this.storage.open(storageKey(file.userId, file.id));
      return { file, stream };
    } catch (error) {
      // Deleted between the row read and the open: gone, like any deleted file.
      if (error instanceof StorageNotFoundError) throw AppError.notFound();
      if (error instanceof StorageUnavailableError) throw storageUnavailable();
      throw error;
    }
  }

  async delete(actor: AuthUser, id: string): Promise<null> {
    const removed = await this.files.deleteOwned(id, actor.id);
    if (!removed) throw AppError.notFound();
    await this.removeBytes([removed]);
    return null;
  }

  /**
   * Deletes the bytes of files whose rows are gone. A failure is logged, not thrown: the row
   * is already deleted, and the orphan sweep removes what is left.
   */
  async removeBytes(files: readonly RemovedFile[]): Promise<void> {
    await Promise.all(
      files.map(async (f) => {
        try {
          await this.storage.delete(storageKey(f.userId, f.id));
        } catch (error) {
          this.logger.warn(
            `bytes of deleted file ${f.id} not removed (the orphan sweep will): ${String(error)}`,
          );
        }
      }),
    );
  }

  private async owned(actor: AuthUser, id: string): Promise<FileRecord> {
    const file = await this.files.findOwned(id, actor.id);
    if (!file) throw AppError.notFound();
    return file;
  }

  /** Type, text and image copy, from a worker thread; refusals as the contract's errors. */
  private async inspect(part: UploadedPart): Promise<Extract<Inspection, { ok: true }>> {
    let inspection: Inspection;
    try {
      inspection = await this.inspector.inspect(part.bytes, part.filename);
    } catch (error) {
      if (error instanceof InspectorBusyError) {
        throw new AppError('SERVICE_UNAVAILABLE', 'error.overloaded', {
          reason: 'uploads_busy',
          retry_after: 1,
          retry_after_ms: 1000,
        });
      }
      throw error;
    }
    if (!inspection.ok) {
      throw new AppError(
        'VALIDATION_ERROR',
        'error.validation',
        { ...fieldIssue('file', inspection.issue) },
        inspection.status === 415 ? 'unsupported_media' : undefined,
      );
    }
    return inspection;
  }

  /** Bytes first, then the row with the quota; the bytes are removed again if the row is not written. */
  private async store(
    actor: AuthUser,
    part: UploadedPart,
    inspection: Extract<Inspection, { ok: true }>,
    limit: number,
  ): Promise<FileRecord> {
    const id = randomUUID();
    const key = storageKey(actor.id, id);
    try {
      await this.storage.put(key, part.bytes, inspection.contentType);
    } catch (error) {
      if (error instanceof StorageUnavailableError) throw storageUnavailable();
      throw error;
    }
    let record: FileRecord | null;
    try {
      record = await this.files.insert(
        {
          id,
          userId: actor.id,
          filename: part.filename,
          contentType: inspection.contentType,
          size: part.bytes.length,
          sha256: part.sha256,
          kind: inspection.kind,
          tokenCount: inspection.tokenCount,
          pageCount: inspection.pageCount,
          text: inspection.text,
          modelImage: inspection.image?.model ?? null,
          modelImageType: inspection.image?.modelContentType ?? null,
        },
        limit,
      );
    } catch (error) {
      await this.removeBytes([{ id, userId: actor.id }]);
      throw error;
    }
    if (!record) {
      await this.removeBytes([{ id, userId: actor.id }]);
      const usage = await this.files.usage(actor.id);
      throw storageQuotaExceeded(limit, usage.bytes);
    }
    return record;
  }
}

/** 429 naming the storage window (API.md §10). */
function storageQuotaExceeded(limit: number, used: number): AppError {
  return new AppError('QUOTA_EXCEEDED', 'error.quota', {
    window: 'storage',
    limit,
    used,
  });
}

/** The metrics label of a refused upload. */
function uploadOutcome(error: unknown): string {
  if (!(error instanceof AppError)) return 'error';
  switch (error.code) {
    case 'VALIDATION_ERROR':
      return error.variant === 'too_large'
        ? 'too_large'
        : error.variant === 'unsupported_media'
          ? 'unsupported'
          : error.variant === 'malformed'
            ? 'malformed'
            : 'refused';
    case 'QUOTA_EXCEEDED':
      return 'quota';
    case 'SERVICE_UNAVAILABLE':
      return error.details?.reason === 'uploads_busy' ? 'busy' : 'unavailable';
    case 'RATE_LIMIT_EXCEEDED':
      return 'rate_limited';
    case 'DATABASE_ERROR':
      return 'unavailable';
    case 'AUTHENTICATION_ERROR':
    case 'AUTHORIZATION_ERROR':
    case 'RESOURCE_NOT_FOUND':
    case 'OPENAI_API_ERROR':
    case 'INTERNAL_SERVER_ERROR':
      return 'error';
  }
}
