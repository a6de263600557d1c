/**
 * What the inspection of an uploaded file answers (API.md §10). The type of a file is read
 * from its bytes only; the name merely picks among safe text content types.
 */

export type FileKind = 'image' | 'document' | 'text';

export type FileIssueKey =
  | 'issue.file_type_unsupported'
  | 'issue.file_markup_refused'
  | 'issue.file_empty'
  | 'issue.file_no_text'
  | 'issue.file_encrypted'
  | 'issue.file_too_many_pages'
  | 'issue.file_archive_bomb'
  | 'issue.file_image_too_large'
  | 'issue.file_unreadable';

export interface InspectLimits {
  /** A PDF with more pages is refused before any text is extracted. */
  maxPdfPages: number;
  /** An image of more pixels (width × height, read from its header) is refused undecoded. */
  maxImagePixels: number;
  /**
   * Total bytes a DOCX may inflate to, counted while inflating (declared sizes can lie); also
   * the bound on what the Flate streams of a PDF (images aside) inflate to.
   */
  maxInflatedBytes: number;
  /** Entries a DOCX's zip may hold. */
  maxArchiveEntries: number;
  /** Time a worker may spend on one file; past it the worker is killed. */
  timeoutMs: number;
  /** JS heap (old generation) of a worker; past it the worker dies. */
  memoryMb: number;
  /** Worker threads. */
  threads: number;
  /** Files waiting for a worker; one more is refused with InspectorBusyError. */
  maxQueue: number;
}

export const DEFAULT_INSPECT_LIMITS: Readonly<InspectLimits> = {
  maxPdfPages: 500,
  maxImagePixels: 40_000_000,
  maxInflatedBytes: 100 * 1024 * 1024,
  maxArchiveEntries: 5000,
  timeoutMs: 20_000,
  memoryMb: 256,
  threads: 2,
  maxQueue: 16,
};

export interface InspectedImage {
  /** The image's own size, upright (EXIF orientation applied); not the model copy's. */
  width: number;
  height: number;
  /**
   * The copy the model is sent: scaled as OpenAI's high detail does (within 2048×2048, then the
   * shorter side at most 768), never upscaled; a PNG when the image has alpha or is a GIF (its
   * first frame), else a JPEG. tokenCount is counted on this copy's size.
   */
  model: Buffer;
  modelContentType: string;
}

export type Inspection =
  | {
      ok: true;
      kind: FileKind;
      contentType: string;
      text: string | null;
      tokenCount: number;
      pageCount: number | null;
      image: InspectedImage | null;
    }
  | { ok: false; status: 415 | 422; issue: FileIssueKey };

export type Refusal = Extract<Inspection, { ok: false }>;

export function refuse(status: 415 | 422, issue: FileIssueKey): Refusal {
  return { ok: false, status, issue };
}

export const UNREADABLE: Refusal = refuse(422, 'issue.file_unreadable');
export const UNSUPPORTED: Refusal = refuse(415, 'issue.file_type_unsupported');
export const MARKUP_REFUSED: Refusal = refuse(415, 'issue.file_markup_refused');
