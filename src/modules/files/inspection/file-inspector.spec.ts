import fc from 'fast-check';
import sharp, { type Metadata } from 'sharp';
import {
  aDocx,
  aDocxOfEntries,
  aGif,
  aJpeg,
  anHtml,
  anOdt,
  anSvg,
  anXlsx,
  aPdf,
  aPdfBomb,
  aPng,
  aPngClaiming,
  aWebp,
  aZip,
  aZipBomb,
  truncated,
} from '../../../../test/support/file-fixtures';
import { DEFAULT_INSPECT_LIMITS, type InspectLimits, type Inspection } from './file-inspection';
import { FileInspector, InspectorBusyError } from './file-inspector';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** Small limits, so that each one is met by a small fixture. */
const LIMITS: InspectLimits = {
  ...DEFAULT_INSPECT_LIMITS,
  maxPdfPages: 5,
  maxImagePixels: 4_000_000,
  maxInflatedBytes: 1024 * 1024,
  maxArchiveEntries: 50,
};

const refused = (status: 415 | 422, issue: string) => ({ ok: false, status, issue });

function sizeOf(image: Buffer): Promise<Metadata> {
  return sharp(image).metadata();
}

describe(FileInspector.name, () => {
  let inspector: FileInspector;

  beforeAll(() => {
    inspector = new FileInspector(LIMITS);
  });

  afterAll(() => inspector.close());

  describe('images', () => {
    it.each([
      ['PNG', () => aPng(640, 480), 'image/png'],
      ['JPEG', () => aJpeg(640, 480), 'image/jpeg'],
      ['WebP', () => aWebp(640, 480), 'image/webp'],
      ['GIF', () => aGif(640, 480), 'image/gif'],
    ])('reads a %s by its bytes, whatever its name', async (_, make, contentType) => {
      const inspection = await inspector.inspect(await make(), 'upload.pdf');
      expect(inspection).toEqual({
        ok: true,
        kind: 'image',
        contentType,
        text: null,
        tokenCount: 85 + 170 * 2 * 1,
        pageCount: null,
        image: {
          width: 640,
          height: 480,
          model: expect.any(Buffer),
          modelContentType: contentType === 'image/gif' ? 'image/png' : 'image/jpeg',
        },
      });
    });

    it('scales the model copy as high detail does: fit in 2048, shorter side 768', async () => {
      const inspection = await inspector.inspect(await aPng(3000, 1000), 'wide.png');
      if (!inspection.ok || !inspection.image) throw new Error('expected an image');
      expect(await sizeOf(inspection.image.model)).toMatchObject({
        format: 'jpeg',
        width: 2048,
        height: 683,
      });
      expect(inspection.tokenCount).toBe(85 + 170 * 4 * 2);
    });

    it('never upscales a small image', async () => {
      const inspection = await inspector.inspect(await aJpeg(100, 50), 'small.jpg');
      if (!inspection.ok || !inspection.image) throw new Error('expected an image');
      expect(await sizeOf(inspection.image.model)).toMatchObject({ width: 100, height: 50 });
      expect(inspection.tokenCount).toBe(255);
    });

    it('keeps transparency: an image with alpha becomes a PNG', async () => {
      const inspection = await inspector.inspect(await aWebp(300, 200, { alpha: true }), 'a.webp');
      expect(inspection).toMatchObject({ ok: true, image: { modelContentType: 'image/png' } });
    });

    it("takes an animated GIF's first frame, as a PNG", async () => {
      const inspection = await inspector.inspect(await aGif(200, 100, 3), 'moving.gif');
      if (!inspection.ok || !inspection.image) throw new Error('expected an image');
      const model = await sizeOf(inspection.image.model);
      expect(model).toMatchObject({ format: 'png', width: 200, height: 100 });
      expect(model.pages ?? 1).toBe(1);
    });

    it('turns a JPEG upright by its EXIF orientation', async () => {
      const sideways = await sharp(await aJpeg(400, 200))
        .withMetadata({ orientation: 6 })
        .toBuffer();
      const inspection = await inspector.inspect(sideways, 'phone.jpg');
      if (!inspection.ok || !inspection.image) throw new Error('expected an image');
      expect(inspection.image).toMatchObject({ width: 200, height: 400 });
      expect(await sizeOf(inspection.image.model)).toMatchObject({ width: 200, height: 400 });
    });

    it('refuses an image over the pixel cap', async () => {
      expect(await inspector.inspect(await aPng(2001, 2000), 'big.png')).toEqual(
        refused(422, 'issue.file_image_too_large'),
      );
    });

    it('refuses by its header an image too large to decode (its pixels are not there)', async () => {
      expect(await inspector.inspect(aPngClaiming(100_000, 100_000), 'huge.png')).toEqual(
        refused(422, 'issue.file_image_too_large'),
      );
    });

    it('refuses a truncated image as unreadable', async () => {
      expect(await inspector.inspect(truncated(await aPng(300, 300), 0.1), 'cut.png')).toEqual(
        refused(422, 'issue.file_unreadable'),
      );
    });

    it('refuses other image formats', async () => {
      const tiff = await sharp(await aPng(10, 10))
        .tiff()
        .toBuffer();
      expect(await inspector.inspect(tiff, 'a.png')).toEqual(
        refused(415, 'issue.file_type_unsupported'),
      );
    });

    it('refuses SVG whatever its name', async () => {
      expect(await inspector.inspect(anSvg(), 'logo.png')).toEqual(
        refused(415, 'issue.file_markup_refused'),
      );
    });
  });

  describe('PDF', () => {
    it('extracts the text of every page and counts the pages', async () => {
      const pdf = aPdf(['First page (one)', 'Second page\nwith two lines']);
      expect(await inspector.inspect(pdf, 'notes.txt')).toEqual({
        ok: true,
        kind: 'document',
        contentType: 'application/pdf',
        text: expect.stringMatching(/^First page \(one\)\s+Second page\s+with two lines$/),
        tokenCount: expect.any(Number),
        pageCount: 2,
        image: null,
      });
    });

    it('reads deflated content streams', async () => {
      const pdf = aPdf(['Deflated words'], { compressed: true });
      expect(await inspector.inspect(pdf, 'a.pdf')).toMatchObject({
        ok: true,
        text: 'Deflated words',
        pageCount: 1,
      });
    });

    it('refuses a PDF whose streams inflate past the cap, before pdfjs reads it', async () => {
      expect(await inspector.inspect(aPdfBomb(2 * LIMITS.maxInflatedBytes), 'a.pdf')).toEqual(
        refused(422, 'issue.file_archive_bomb'),
      );
    });

    it('refuses a PDF over the page cap', async () => {
      const pages = Array.from({ length: 6 }, (_, n) => `Page ${n}`);
      expect(await inspector.inspect(aPdf(pages), 'long.pdf')).toEqual(
        refused(422, 'issue.file_too_many_pages'),
      );
    });

    it('refuses a PDF that needs a password', async () => {
      expect(await inspector.inspect(aPdf(['secret'], { encrypted: true }), 'a.pdf')).toEqual(
        refused(422, 'issue.file_encrypted'),
      );
    });

    it('refuses a PDF without text, as a scan has none', async () => {
      expect(await inspector.inspect(aPdf(['', '']), 'scan.pdf')).toEqual(
        refused(422, 'issue.file_no_text'),
      );
    });

    it('refuses a truncated PDF as unreadable', async () => {
      expect(await inspector.inspect(truncated(aPdf(['Hello', 'World'])), 'cut.pdf')).toEqual(
        refused(422, 'issue.file_unreadable'),
      );
    });
  });

  describe('DOCX', () => {
    it('extracts the text', async () => {
      expect(await inspector.inspect(await aDocx(['Hello', 'World']), 'a.bin')).toEqual({
        ok: true,
        kind: 'document',
        contentType: DOCX,
        text: 'Hello\n\nWorld',
        tokenCount: 3,
        pageCount: null,
        image: null,
      });
    });

    it('refuses a DOCX without text', async () => {
      expect(await inspector.inspect(await aDocx([]), 'empty.docx')).toEqual(
        refused(422, 'issue.file_no_text'),
      );
    });

    it('refuses a truncated DOCX as unreadable', async () => {
      expect(await inspector.inspect(truncated(await aDocx(['Hello'])), 'cut.docx')).toEqual(
        refused(422, 'issue.file_unreadable'),
      );
    });

    it('refuses a DOCX whose entries inflate past the cap', async () => {
      const bomb = await aZipBomb({ inflatedBytes: 2 * LIMITS.maxInflatedBytes });
      expect(await inspector.inspect(bomb, 'bomb.docx')).toEqual(
        refused(422, 'issue.file_archive_bomb'),
      );
    });

    it('counts the inflated bytes, not the sizes the zip declares', async () => {
      const bomb = await aZipBomb({ inflatedBytes: 2 * LIMITS.maxInflatedBytes, lying: true });
      expect(await inspector.inspect(bomb, 'bomb.docx')).toEqual(
        refused(422, 'issue.file_archive_bomb'),
      );
    });

    it('refuses a DOCX of too many entries', async () => {
      const docx = await aDocxOfEntries(LIMITS.maxArchiveEntries + 1);
      expect(await inspector.inspect(docx, 'parts.docx')).toEqual(
        refused(422, 'issue.file_archive_bomb'),
      );
    });

    it.each([
      ['a zip', () => aZip({ 'a.txt': 'hello' })],
      ['an XLSX', anXlsx],
      ['an ODT', anOdt],
    ])('refuses %s named .docx', async (_, make) => {
      expect(await inspector.inspect(await make(), 'a.docx')).toEqual(
        refused(415, 'issue.file_type_unsupported'),
      );
    });
  });

  describe('text', () => {
    it('reads UTF-8 text, typed by a safe extension', async () => {
      expect(await inspector.inspect(Buffer.from('# Title\n\nbody'), 'README.md')).toEqual({
        ok: true,
        kind: 'text',
        contentType: 'text/markdown',
        text: '# Title\n\nbody',
        tokenCount: expect.any(Number),
        pageCount: null,
        image: null,
      });
    });

    it('reads JSON as JSON whatever its name', async () => {
      expect(await inspector.inspect(Buffer.from('{"a": 1}'), 'a.txt')).toMatchObject({
        ok: true,
        contentType: 'application/json',
      });
    });

    it('reads text named .png as text', async () => {
      expect(await inspector.inspect(Buffer.from('just words'), 'photo.png')).toMatchObject({
        ok: true,
        kind: 'text',
        contentType: 'text/plain',
      });
    });

    it('refuses HTML named .txt', async () => {
      expect(await inspector.inspect(anHtml(), 'notes.txt')).toEqual(
        refused(415, 'issue.file_markup_refused'),
      );
    });

    it('refuses XHTML', async () => {
      const xhtml = '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"></html>';
      expect(await inspector.inspect(Buffer.from(xhtml), 'a.xml')).toEqual(
        refused(415, 'issue.file_markup_refused'),
      );
    });

    it('refuses invalid UTF-8', async () => {
      expect(await inspector.inspect(Buffer.from([0x61, 0xc3, 0x28, 0x62]), 'a.txt')).toEqual(
        refused(415, 'issue.file_type_unsupported'),
      );
    });

    it('refuses an empty file', async () => {
      expect(await inspector.inspect(Buffer.alloc(0), 'a.txt')).toEqual(
        refused(422, 'issue.file_empty'),
      );
    });
  });

  describe('other types', () => {
    it.each([
      ['an MP4', Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex')],
      ['a gzip', Buffer.from('1f8b0800000000000003030000000000000000', 'hex')],
      ['an ELF binary', Buffer.concat([Buffer.from('7f454c46020101', 'hex'), Buffer.alloc(64)])],
    ])('refuses %s', async (_, bytes) => {
      expect(await inspector.inspect(bytes, 'a.txt')).toEqual(
        refused(415, 'issue.file_type_unsupported'),
      );
    });
  });

  describe('robustness', () => {
    const MAGIC = {
      png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      jpeg: [0xff, 0xd8, 0xff, 0xe0],
      gif: [...Buffer.from('GIF89a')],
      webp: [...Buffer.from('RIFF'), 0x40, 0, 0, 0, ...Buffer.from('WEBPVP8 ')],
      pdf: [...Buffer.from('%PDF-1.7\n')],
      zip: [0x50, 0x4b, 0x03, 0x04],
    };

    function expectAnswer(inspection: Inspection): void {
      if (inspection.ok) return;
      expect([415, 422]).toContain(inspection.status);
      expect(inspection.issue).toMatch(/^issue\.file_/);
    }

    it('answers random bytes behind valid magic numbers with a result or a refusal', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...Object.values(MAGIC)),
          fc.uint8Array({ maxLength: 4096 }),
          async (magic, rest) => {
            expectAnswer(await inspector.inspect(Buffer.from([...magic, ...rest]), 'f.bin'));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('answers every truncation of valid files with a result or a refusal', async () => {
      const files = [
        await aPng(120, 80),
        await aJpeg(120, 80),
        await aGif(120, 80, 2),
        await aWebp(120, 80),
        aPdf(['Some text', 'More text']),
        aPdf(['Some text', 'More text'], { compressed: true }),
        await aDocx(['Some text']),
      ];
      for (const file of files) {
        for (let fraction = 0.05; fraction < 1; fraction += 0.1) {
          expectAnswer(await inspector.inspect(truncated(file, fraction), 'f.bin'));
        }
      }
      expect(await inspector.inspect(Buffer.from('still here'), 'a.txt')).toMatchObject({
        ok: true,
      });
    });
  });

  describe('the worker pool', () => {
    it('moves bytes that own their memory to the worker when asked', async () => {
      const png = await aPng(64, 64);
      const owned = Buffer.from(new Uint8Array(png).buffer);
      expect(await inspector.inspect(owned, 'a.png', { transfer: true })).toMatchObject({
        ok: true,
      });
      expect(owned.buffer.byteLength).toBe(0);
    });

    it('copies bytes that share their memory, even when asked to move them', async () => {
      const pooled = Buffer.from('some pooled words');
      expect(await inspector.inspect(pooled, 'a.txt', { transfer: true })).toMatchObject({
        ok: true,
      });
      expect(pooled.toString()).toBe('some pooled words');
    });

    describe('bounds', () => {
      let bounded: FileInspector;

      beforeAll(async () => {
        // The time limit also covers starting a fresh worker after a kill (ts-node compiles the
        // worker from source in tests): 1.5 s was too little on a loaded machine.
        bounded = new FileInspector({ ...LIMITS, threads: 1, maxQueue: 1, timeoutMs: 4000 });
        // A worker is up and idle: the next file is taken at once.
        await bounded.inspect(Buffer.from('warm up'), 'a.txt');
      });

      afterAll(() => bounded.close());

      // Test hooks of the worker module, run through the private runInWorker.
      const run = (name: 'spinForever' | 'fillHeap') => bounded['runInWorker'](name, null);

      it('kills a worker stuck past the timeout, and answers afterwards', async () => {
        expect(await run('spinForever')).toEqual(refused(422, 'issue.file_unreadable'));
        expect(await bounded.inspect(await aPng(10, 10), 'a.png')).toMatchObject({ ok: true });
      });

      it('refuses one file more than the queue holds', async () => {
        const running = run('spinForever');
        const queued = run('spinForever');
        await expect(bounded.inspect(Buffer.from('one more'), 'a.txt')).rejects.toBeInstanceOf(
          InspectorBusyError,
        );
        expect(await running).toEqual(refused(422, 'issue.file_unreadable'));
        expect(await queued).toEqual(refused(422, 'issue.file_unreadable'));
        expect(await bounded.inspect(Buffer.from('free again'), 'a.txt')).toMatchObject({
          ok: true,
        });
      });
    });

    it('kills a worker past its memory limit, and answers afterwards', async () => {
      // Not much lower: from sources a worker also holds TypeScript's compiler (ts-node).
      const small = new FileInspector({ ...LIMITS, threads: 1, memoryMb: 128 });
      try {
        const filling = small['runInWorker']('fillHeap', null);
        expect(await filling).toEqual(refused(422, 'issue.file_unreadable'));
        expect(await small.inspect(Buffer.from('after'), 'a.txt')).toMatchObject({ ok: true });
      } finally {
        await small.close();
      }
    });
  });
});
