import mammoth from 'mammoth';
import yauzl from 'yauzl';
import { countLongTextTokens } from '../../llm/tokenizer';
import { type Inspection, refuse, UNREADABLE } from './file-inspection';

export const DOCX_CONTENT_TYPE =
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

const ARCHIVE_BOMB = refuse(422, 'issue.file_archive_bomb');

interface ArchiveLimits {
  maxInflatedBytes: number;
  maxArchiveEntries: number;
}

/**
 * A DOCX is a zip: before mammoth inflates it, every entry is inflated here and its bytes
 * counted as they come (the sizes a zip declares can lie), the reading stopped at the first
 * byte over the limit. Only then is the text extracted.
 */
export async function inspectDocx(bytes: Buffer, limits: ArchiveLimits): Promise<Inspection> {
  const walk = await walkArchive(bytes, limits);
  if (walk !== 'within') return walk === 'bomb' ? ARCHIVE_BOMB : UNREADABLE;
  let text: string;
  try {
    text = (await mammoth.extractRawText({ buffer: bytes })).value.trim();
  } catch {
    return UNREADABLE;
  }
  if (text.length === 0) return refuse(422, 'issue.file_no_text');
  return {
    ok: true,
    kind: 'document',
    contentType: DOCX_CONTENT_TYPE,
    text,
    tokenCount: countLongTextTokens(text),
    pageCount: null,
    image: null,
  };
}

type Walk = 'within' | 'bomb' | 'unreadable';

function walkArchive(bytes: Buffer, limits: ArchiveLimits): Promise<Walk> {
  return new Promise((resolve) => {
    // Sizes are not checked against the declared ones (validateEntrySizes): the real bytes are
    // counted instead, so an entry that lies about its size meets the same limit.
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: false }, (error, zip) => {
      if (error) return resolve('unreadable');
      if (zip.entryCount > limits.maxArchiveEntries) {
        zip.close();
        return resolve('bomb');
      }
      let inflated = 0;
      let entries = 0;
      let settled = false;
      const finish = (walk: Walk): void => {
        if (settled) return;
        settled = true;
        zip.close();
        resolve(walk);
      };
      zip.on('error', () => finish('unreadable'));
      zip.on('end', () => finish('within'));
      zip.on('entry', (entry: yauzl.Entry) => {
        entries++;
        if (entries > limits.maxArchiveEntries) return finish('bomb');
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return finish('unreadable');
          stream.on('data', (chunk: Buffer) => {
            inflated += chunk.length;
            if (inflated > limits.maxInflatedBytes) {
              stream.destroy();
              finish('bomb');
            }
          });
          stream.on('error', () => finish('unreadable'));
          stream.on('end', () => {
            if (!settled) zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
