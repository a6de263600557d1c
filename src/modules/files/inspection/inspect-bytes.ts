import { importEsm } from './esm';
import {
  type InspectLimits,
  type Inspection,
  MARKUP_REFUSED,
  UNREADABLE,
  UNSUPPORTED,
} from './file-inspection';
import { DOCX_CONTENT_TYPE, inspectDocx } from './inspect-docx';
import { inspectImage } from './inspect-image';
import { inspectPdf } from './inspect-pdf';
import { inspectText } from './inspect-text';

type FileTypeModule = typeof import('file-type');

const IMAGE_TYPES = new Set(['image/png', 'image/apng', 'image/jpeg', 'image/webp', 'image/gif']);
const MARKUP_TYPES = new Set(['image/svg+xml', 'text/html', 'application/xhtml+xml']);

let fileType: Promise<FileTypeModule> | undefined;

/**
 * The inspection itself, run in a worker thread. The type comes from the bytes (file-type's
 * magic numbers); the name only picks among safe text content types. Whatever a parser throws
 * ends as a refusal.
 */
export async function inspectBytes(
  bytes: Buffer,
  filename: string,
  limits: InspectLimits,
): Promise<Inspection> {
  try {
    fileType ??= importEsm<FileTypeModule>('file-type');
    const detected = await (await fileType).fileTypeFromBuffer(bytes);
    const mime = detected?.mime;
    // XML is text to this inspection (refused when it is SVG or XHTML), as is what file-type
    // takes for a text format of its own.
    if (mime === undefined || mime === 'application/xml' || mime.startsWith('text/')) {
      return MARKUP_TYPES.has(mime ?? '') ? MARKUP_REFUSED : inspectText(bytes, filename);
    }
    if (MARKUP_TYPES.has(mime)) return MARKUP_REFUSED;
    if (IMAGE_TYPES.has(mime)) return await inspectImage(bytes, mime, limits.maxImagePixels);
    if (mime === 'application/pdf') return await inspectPdf(bytes, limits);
    if (mime === DOCX_CONTENT_TYPE) return await inspectDocx(bytes, limits);
    return UNSUPPORTED;
  } catch {
    return UNREADABLE;
  }
}
