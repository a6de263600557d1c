import type { FileRecord } from '../files.repository';
import type { FileKind } from '../file.entity';

/** A file as the API shows it (API.md §10). */
export interface FileResponse {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  kind: FileKind;
  token_count: number;
  page_count: number | null;
  created_at: string;
}

export function toFileResponse(f: FileRecord): FileResponse {
  return {
    id: f.id,
    filename: f.filename,
    content_type: f.contentType,
    size: f.size,
    sha256: f.sha256,
    kind: f.kind,
    token_count: f.tokenCount,
    page_count: f.pageCount,
    created_at: f.createdAt.toISOString(),
  };
}
