import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import JSZip from 'jszip';
import sharp, { type Sharp } from 'sharp';

/**
 * Files for the file upload's tests, all made here in code: images through sharp, PDFs written
 * by hand (objects, content streams, a cross-reference table of computed offsets), DOCX and
 * zips through jszip, markup as text.
 */

const RED = { r: 200, g: 30, b: 30 };

function aBlankImage(width: number, height: number, alpha = false): Sharp {
  return sharp({
    create: {
      width,
      height,
      channels: alpha ? 4 : 3,
      background: alpha ? { ...RED, alpha: 0.5 } : RED,
    },
  });
}

export function aPng(width: number, height: number, options: { alpha?: boolean } = {}) {
  return aBlankImage(width, height, options.alpha).png().toBuffer();
}

export function aJpeg(width: number, height: number, options: { quality?: number } = {}) {
  return aBlankImage(width, height)
    .jpeg({ quality: options.quality ?? 90 })
    .toBuffer();
}

/** A JPEG of noise (which compresses badly): a big file for a given size. */
export function aNoisyJpeg(width: number, height: number): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

export function aWebp(width: number, height: number, options: { alpha?: boolean } = {}) {
  return aBlankImage(width, height, options.alpha).webp().toBuffer();
}

/** A GIF; with frames > 1, an animated one. */
export async function aGif(width: number, height: number, frames = 1): Promise<Buffer> {
  if (frames === 1) return aBlankImage(width, height).gif().toBuffer();
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, frame) =>
      sharp({
        create: { width, height, channels: 3, background: { r: frame * 40, g: 90, b: 160 } },
      })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(pages, { join: { animated: true } })
    .gif({ delay: 100 })
    .toBuffer();
}

/**
 * A PNG whose header says width × height but whose pixel data is a few bytes: refusing it by
 * its size shows the size was read without decoding.
 */
export function aPngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function pdfString(text: string): string {
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

/** One page's content stream: each line of the text shown in Helvetica from the top. */
function pageContent(text: string): string {
  if (text.length === 0) return '';
  const lines = text.split('\n').map((line) => `${pdfString(line)} Tj T*`);
  return ['BT', '/F1 12 Tf', '14 TL', '72 720 Td', ...lines, 'ET'].join('\n');
}

interface PdfOptions {
  /** An /Encrypt dictionary (standard handler, RC4 40-bit) whose user password is not empty,
   * so that no reader opens it without one. */
  encrypted?: boolean;
  /** Content streams deflated (/FlateDecode), as most PDFs have them. */
  compressed?: boolean;
  /** White space after each page's text, in its (then deflated) content stream: a Flate bomb. */
  padding?: number;
}

/** A PDF of one page a string (ASCII): a page of '' has no text at all, as a scan has none. */
export function aPdf(pages: string[], options: PdfOptions = {}): Buffer {
  const objects: string[] = [];
  const add = (body: string): number => objects.push(body);
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(''); // the page tree, written once the pages' numbers are known
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const compressed = options.compressed === true || options.padding !== undefined;
  const kids = pages.map((text) => {
    let content = Buffer.concat([
      Buffer.from(pageContent(text), 'latin1'),
      Buffer.alloc(options.padding ?? 0, 0x20),
    ]);
    if (compressed) content = deflateSync(content);
    const filter = compressed ? ' /Filter /FlateDecode' : '';
    const stream = add(
      `<< /Length ${content.length}${filter} >>\nstream\n${content.toString('latin1')}\nendstream`,
    );
    return add(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${stream} 0 R >>`,
    );
  });
  objects[1] = `<< /Type /Pages /Kids [${kids.map((n) => `${n} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  let encrypt = '';
  if (options.encrypted === true) {
    const hex = (): string => randomBytes(32).toString('hex');
    const number = add(
      `<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <${hex()}> /U <${hex()}> >>`,
    );
    encrypt = ` /Encrypt ${number} 0 R`;
  }
  let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets = objects.map((body, index) => {
    const offset = Buffer.byteLength(pdf, 'latin1');
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  const id = randomBytes(16).toString('hex');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /ID [<${id}> <${id}>]${encrypt} >>\n`;
  pdf += `startxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** A one-page PDF whose content stream, a few KiB deflated, inflates to `inflatedBytes`. */
export function aPdfBomb(inflatedBytes = 101 * 1024 * 1024): Buffer {
  return aPdf(['Nothing to see.'], { padding: inflatedBytes });
}

/** A PDF of `pages` pages of text, about `bytes` long in all. */
export function aBigPdf(bytes: number, pages = 200): Buffer {
  const line = 'The quick brown fox jumps over the lazy dog, again and again.';
  const linesPerPage = Math.max(1, Math.ceil(bytes / pages / (line.length + 8)));
  const page = Array.from({ length: linesPerPage }, (_, n) => `${n} ${line}`).join('\n');
  return aPdf(Array.from({ length: pages }, () => page));
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;

const PACKAGE_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function documentXml(paragraphs: string[]): string {
  const body = paragraphs
    .map((text) => `<w:p><w:r><w:t xml:space="preserve">${escapeXml(text)}</w:t></w:r></w:p>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`;
}

/** A zip of these entries (deflated), or a DOCX when they are the parts of one. */
export async function aZip(entries: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, data] of Object.entries(entries)) zip.file(name, data);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

function docxParts(paragraphs: string[]): Record<string, string | Buffer> {
  return {
    '[Content_Types].xml': CONTENT_TYPES,
    '_rels/.rels': PACKAGE_RELS,
    'word/document.xml': documentXml(paragraphs),
  };
}

/** A DOCX of one paragraph a string; [] or [''] has no text. */
export function aDocx(paragraphs: string[]): Promise<Buffer> {
  return aZip(docxParts(paragraphs));
}

/**
 * A DOCX with an entry of `inflatedBytes` zeros (a few hundred KiB deflated). `lying`: every
 * size the zip declares for its entries is 1 KiB, so only counting the inflated bytes finds it.
 */
export async function aZipBomb(
  options: { inflatedBytes?: number; lying?: boolean } = {},
): Promise<Buffer> {
  const zeros = Buffer.alloc(options.inflatedBytes ?? 101 * 1024 * 1024);
  const zip = await aZip({ ...docxParts(['Nothing to see.']), 'word/media/zeros.bin': zeros });
  if (options.lying === true) declareSizes(zip, 1024);
  return zip;
}

/** A DOCX of more entries than the default 5000 allowed (each one small). */
export function aDocxOfEntries(count: number): Promise<Buffer> {
  const entries: Record<string, string> = {};
  for (let n = 0; n < count; n++) entries[`word/media/e${n}.txt`] = 'x';
  return aZip({ ...docxParts(['Many parts.']), ...entries });
}

/** Overwrites the uncompressed size of every entry, in local and central headers alike. */
function declareSizes(zip: Buffer, size: number): void {
  for (let at = 0; at + 30 <= zip.length; at++) {
    const signature = zip.readUInt32LE(at);
    if (signature === 0x04034b50) zip.writeUInt32LE(size, at + 22);
    else if (signature === 0x02014b50) zip.writeUInt32LE(size, at + 24);
  }
}

export function anSvg(): Buffer {
  return Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>\n',
  );
}

export function anHtml(): Buffer {
  return Buffer.from(
    '\ufeff  <!-- a page -->\n<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n',
  );
}

/** The first `fraction` of the bytes, as an upload cut short would leave them. */
export function truncated(bytes: Buffer, fraction = 0.5): Buffer {
  return bytes.subarray(0, Math.floor(bytes.length * fraction));
}

/** An Excel workbook's zip (no sheet in it): an office file other than DOCX. */
export function anXlsx(): Promise<Buffer> {
  const types = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`;
  return aZip({ '[Content_Types].xml': types, 'xl/workbook.xml': '<workbook/>' });
}

/** An OpenDocument text's zip: another office format than DOCX. */
export function anOdt(): Promise<Buffer> {
  return aZip({ mimetype: 'application/vnd.oasis.opendocument.text', 'content.xml': '<x/>' });
}
