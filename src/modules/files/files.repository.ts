import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FileKind } from './file.entity';

/** A file's fields as the API shows them, and who owns it. */
export interface FileRecord {
  id: string;
  userId: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  kind: FileKind;
  tokenCount: number;
  pageCount: number | null;
  createdAt: Date;
}

/** What a send needs of an attached file: the text of a document, the model's copy of an image. */
export interface FileContent extends FileRecord {
  text: string | null;
  modelImage: Buffer | null;
  modelImageType: string | null;
}

export interface NewFile extends Omit<FileRecord, 'createdAt'> {
  text: string | null;
  modelImage: Buffer | null;
  modelImageType: string | null;
}

export interface StorageUsage {
  bytes: number;
  files: number;
}

/** A deleted file row: where its bytes were. */
export interface RemovedFile {
  id: string;
  userId: string;
}

const RECORD_COLUMNS = `f.id, f.user_id, f.filename, f.content_type, f.size, f.sha256, f.kind,
  f.token_count, f.page_count, f.created_at`;

interface RecordRow {
  id: string;
  user_id: string;
  filename: string;
  content_type: string;
  size: string | number;
  sha256: string;
  kind: FileKind;
  token_count: number;
  page_count: number | null;
  created_at: Date | string;
}

function recordOf(row: RecordRow): FileRecord {
  return {
    id: row.id,
    userId: row.user_id,
    filename: row.filename,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    kind: row.kind,
    tokenCount: row.token_count,
    pageCount: row.page_count,
    createdAt: new Date(row.created_at),
  };
}

/**
 * The SQL that gives back the storage of the files deleted by CTE `deleted` (columns
 * `user_id`, `size`): one UPDATE per owner, in the statement that deleted the rows, so usage
 * and rows never drift apart.
 */
export function releaseStorageSql(deleted: string): string {
  return `UPDATE storage_usage s SET bytes = s.bytes - r.bytes, files = s.files - r.files
            FROM (SELECT user_id, sum(size) AS bytes, count(*)::int AS files
                    FROM ${deleted} GROUP BY user_id) r
           WHERE s.user_id = r.user_id`;
}

/**
 * File rows and the storage they count (API.md §10). Every statement that adds or removes a
 * row changes `storage_usage` in the same statement; the quota is checked by the same
 * conditional write, so concurrent uploads cannot pass the limit together.
 */
@Injectable()
export class FilesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Counts the file against the user's storage and inserts its row, in one statement; null
   * (nothing written) when it would take the user past `limitBytes`.
   */
  async insert(file: NewFile, limitBytes: number): Promise<FileRecord | null> {
    const rows = await this.dataSource.query<RecordRow[]>(
      `WITH u AS (
         INSERT INTO storage_usage AS s (user_id, bytes, files)
         SELECT $2::uuid, $5::bigint, 1 WHERE $5::bigint <= $13::bigint
         ON CONFLICT (user_id) DO UPDATE SET bytes = s.bytes + EXCLUDED.bytes, files = s.files + 1
          WHERE s.bytes + EXCLUDED.bytes <= $13::bigint
         RETURNING s.bytes),
       f AS (
         INSERT INTO files (id, user_id, filename, content_type, size, sha256, kind, token_count,
                            page_count, text, model_image, model_image_type)
         SELECT $1::uuid, $2::uuid, $3::varchar, $4::varchar, $5::bigint, $6::char(64),
                $7::varchar, $8::int, $9::int, $10::text, $11::bytea, $12::varchar FROM u
         RETURNING *)
       SELECT ${RECORD_COLUMNS} FROM f`,
      [
        file.id,
        file.userId,
        file.filename,
        file.contentType,
        file.size,
        file.sha256,
        file.kind,
        file.tokenCount,
        file.pageCount,
        file.text,
        file.modelImage,
        file.modelImageType,
        limitBytes,
      ],
    );
    return rows[0] ? recordOf(rows[0]) : null;
  }

  async findOwned(id: string, userId: string): Promise<FileRecord | null> {
    const rows = await this.dataSource.query<RecordRow[]>(
      `SELECT ${RECORD_COLUMNS} FROM files f WHERE f.id = $1 AND f.user_id = $2`,
      [id, userId],
    );
    return rows[0] ? recordOf(rows[0]) : null;
  }

  /** A page of the user's files, newest first. */
  async listOwned(
    userId: string,
    page: number,
    size: number,
  ): Promise<{ items: FileRecord[]; total: number }> {
    const rows = await this.dataSource.query<(RecordRow & { total: string | number })[]>(
      `SELECT ${RECORD_COLUMNS}, count(*) OVER () AS total FROM files f
        WHERE f.user_id = $1 ORDER BY f.created_at DESC, f.id DESC LIMIT $2 OFFSET $3`,
      [userId, size, (page - 1) * size],
    );
    if (rows.length === 0 && page > 1) {
      return { items: [], total: (await this.usage(userId)).files };
    }
    return { items: rows.map(recordOf), total: rows[0] ? Number(rows[0].total) : 0 };
  }

  /**
   * What sends need of the user's files `ids` (another user's are simply not found): the
   * rows that exist, in no particular order.
   */
  async contentOwned(userId: string, ids: readonly string[]): Promise<FileContent[]> {
    if (ids.length === 0) return [];
    const rows = await this.dataSource.query<
      (RecordRow & {
        text: string | null;
        model_image: Buffer | null;
        model_image_type: string | null;
      })[]
    >(
      `SELECT ${RECORD_COLUMNS}, f.text, f.model_image, f.model_image_type FROM files f
        WHERE f.user_id = $1 AND f.id = ANY($2::uuid[])`,
      [userId, ids],
    );
    return rows.map((row) => ({
      ...recordOf(row),
      text: row.text,
      modelImage: row.model_image,
      modelImageType: row.model_image_type,
    }));
  }

  /** Deletes an owned file's row and gives its storage back; null when it was not the user's. */
  async deleteOwned(id: string, userId: string): Promise<RemovedFile | null> {
    const rows = await this.dataSource.query<{ id: string; user_id: string }[]>(
      `WITH d AS (DELETE FROM files WHERE id = $1 AND user_id = $2 RETURNING id, user_id, size),
       s AS (${releaseStorageSql('d')})
       SELECT id, user_id FROM d`,
      [id, userId],
    );
    return rows[0] ? { id: rows[0].id, userId: rows[0].user_id } : null;
  }

  /**
   * Deletes files uploaded before `olderThan` that no message carries (at most `limit` per
   * call), with their storage.
   */
  async deleteUnattached(olderThan: Date, limit: number): Promise<RemovedFile[]> {
    const rows = await this.dataSource.query<{ id: string; user_id: string }[]>(
      `WITH c AS (SELECT f.id FROM files f
                   WHERE f.created_at < $1
                     AND NOT EXISTS (SELECT 1 FROM message_attachments ma WHERE ma.file_id = f.id)
                   ORDER BY f.created_at LIMIT $2 FOR UPDATE SKIP LOCKED),
       d AS (DELETE FROM files WHERE id IN (SELECT id FROM c) RETURNING id, user_id, size),
       s AS (${releaseStorageSql('d')})
       SELECT id, user_id FROM d`,
      [olderThan, limit],
    );
    return rows.map((r) => ({ id: r.id, userId: r.user_id }));
  }

  /** Which of these ids still have a row (the orphan sweep keeps their bytes). */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM files WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  async usage(userId: string): Promise<StorageUsage> {
    const rows = await this.dataSource.query<{ bytes: string | number; files: number }[]>(
      `SELECT bytes, files FROM storage_usage WHERE user_id = $1`,
      [userId],
    );
    return rows[0]
      ? { bytes: Number(rows[0].bytes), files: rows[0].files }
      : { bytes: 0, files: 0 };
  }

  /** Bytes stored by everyone (the metrics gauge). */
  async totalBytes(): Promise<number> {
    const rows = await this.dataSource.query<{ bytes: string | number | null }[]>(
      `SELECT sum(bytes) AS bytes FROM storage_usage`,
    );
    return Number(rows[0]?.bytes ?? 0);
  }

  /**
   * Takes or renews the named job lease for `holder` until `ttlMs` from now (the database's
   * clock); false when another holder's lease is still running.
   */
  async takeJobLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const rows = await this.dataSource.query<{ name: string }[]>(
      `INSERT INTO job_leases AS j (name, holder, expires_at)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE j.expires_at < now() OR j.holder = EXCLUDED.holder
       RETURNING j.name`,
      [name, holder, ttlMs],
    );
    return rows.length > 0;
  }

  /** Gives up a job lease this holder has, so another replica can take it at once. */
  async releaseJobLease(name: string, holder: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM job_leases WHERE name = $1 AND holder = $2`, [
      name,
      holder,
    ]);
  }
}
