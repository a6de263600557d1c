import { constants, inflateSync } from 'node:zlib';
import { countLongTextTokens } from '../../llm/tokenizer';
import { importEsm } from './esm';
import { type Inspection, refuse, UNREADABLE } from './file-inspection';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfDocument = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;

/**
 * pdfjs-dist, its legacy build (the one made for Node). It would start a worker of its own, or
 * import one by URL; the inspection already runs in a worker thread, so its worker's message
 * handler is loaded here and handed over through globalThis.pdfjsWorker, which pdfjs uses in
 * place of a worker ("fake worker"), with nothing fetched.
 */
let pdfjs: Promise<PdfJs> | undefined;

function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= (async () => {
    const handler = await importEsm<{ WorkerMessageHandler: unknown }>(
      'pdfjs-dist/legacy/build/pdf.worker.mjs',
    );
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = handler;
    return importEsm<PdfJs>('pdfjs-dist/legacy/build/pdf.mjs');
  })();
  return pdfjs;
}

interface PdfLimits {
  maxPdfPages: number;
  maxInflatedBytes: number;
}

/**
 * The page count is checked before any page is read: a PDF of too many pages costs nothing.
 * Before pdfjs reads anything, the streams it would inflate are inflated here and counted
 * (see inflatesPast): pdfjs keeps what it inflates in ArrayBuffers, which the worker's heap
 * limit does not bound, so a small PDF of a Flate bomb could take gigabytes of the process.
 */
export async function inspectPdf(bytes: Buffer, limits: PdfLimits): Promise<Inspection> {
  if (inflatesPast(bytes, limits.maxInflatedBytes)) return refuse(422, 'issue.file_archive_bomb');
  const { getDocument, VerbosityLevel } = await loadPdfJs();
  const task = getDocument({
    // pdfjs may take over (detach) the array it is given: it gets a copy.
    data: new Uint8Array(bytes),
    verbosity: VerbosityLevel.ERRORS,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWorkerFetch: false,
    useWasm: false,
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    enableXfa: false,
    disableAutoFetch: true,
    disableStream: true,
    disableRange: true,
  });
  let document: PdfDocument;
  try {
    document = await task.promise;
  } catch (error) {
    await task.destroy().catch(() => undefined);
    return isPasswordError(error) ? refuse(422, 'issue.file_encrypted') : UNREADABLE;
  }
  try {
    const pageCount = document.numPages;
    if (pageCount > limits.maxPdfPages) return refuse(422, 'issue.file_too_many_pages');
    const pages: string[] = [];
    for (let number = 1; number <= pageCount; number++) {
      pages.push(await pageText(document, number));
    }
    const text = pages.join('\n\n').trim();
    if (text.length === 0) return refuse(422, 'issue.file_no_text');
    return {
      ok: true,
      kind: 'document',
      contentType: 'application/pdf',
      text,
      tokenCount: countLongTextTokens(text),
      pageCount,
      image: null,
    };
  } catch {
    return UNREADABLE;
  } finally {
    await document.destroy().catch(() => undefined);
  }
}

async function pageText(document: PdfDocument, number: number): Promise<string> {
  const page = await document.getPage(number);
  try {
    const content = await page.getTextContent();
    let text = '';
    for (const item of content.items) {
      if (!('str' in item)) continue;
      // pdfjs puts the spaces it infers from the glyphs' positions in the strings themselves.
      text += item.hasEOL ? `${item.str}\n` : item.str;
    }
    return text.trim();
  } finally {
    page.cleanup();
  }
}

function isPasswordError(error: unknown): boolean {
  return error instanceof Error && error.name === 'PasswordException';
}

const STREAM_START = /\bstream\r?\n/g;
/** How far before `stream` its dictionary is looked for. */
const DICTIONARY_REACH = 4096;

/**
 * Whether the Flate streams of a PDF, images aside, inflate to more than `max` bytes in all.
 * A scan of the bytes, not a parse: each `stream` keyword's dictionary is the text back to the
 * `obj` before it; its data runs for its direct /Length, else up to `endstream`. Images are
 * left out, as extracting text never decodes them. Streams that fail to inflate (encrypted,
 * other filters first, damaged) are left to pdfjs. Not covered: Flate behind another filter,
 * LZW, and streams of an encrypted PDF that opens without a password.
 */
export function inflatesPast(bytes: Buffer, max: number): boolean {
  const text = bytes.toString('latin1');
  let total = 0;
  for (const match of text.matchAll(STREAM_START)) {
    const start = match.index + match[0].length;
    const before = text.slice(Math.max(0, match.index - DICTIONARY_REACH), match.index);
    const dictionary = before.slice(before.lastIndexOf(' obj') + 1);
    if (!/\/FlateDecode\b/.test(dictionary) || /\/Subtype\s*\/Image\b/.test(dictionary)) continue;
    const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dictionary);
    const end = length ? start + Number(length[1]) : text.indexOf('endstream', start);
    if (end < start) continue;
    try {
      total += inflateSync(bytes.subarray(start, end), {
        maxOutputLength: max - total + 1,
        finishFlush: constants.Z_SYNC_FLUSH,
      }).length;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return true;
      continue;
    }
    if (total > max) return true;
  }
  return false;
}
