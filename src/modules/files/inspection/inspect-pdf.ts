import { countTextTokens } from '../../llm/tokenizer';
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

/** The page count is checked before any page is read: a PDF of too many pages costs nothing. */
export async function inspectPdf(bytes: Buffer, maxPages: number): Promise<Inspection> {
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
    if (pageCount > maxPages) return refuse(422, 'issue.file_too_many_pages');
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
      tokenCount: countTextTokens(text),
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
