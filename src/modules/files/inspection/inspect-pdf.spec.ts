import { deflateSync } from 'node:zlib';
import { aPdf, aPdfBomb } from '../../../../test/support/file-fixtures';
import { inflatesPast } from './inspect-pdf';

function aStreamObject(dictionary: string, data: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`5 0 obj\n<< ${dictionary} /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream\nendobj\n', 'latin1'),
  ]);
}

describe(inflatesPast.name, () => {
  const spaces = deflateSync(Buffer.alloc(4096, 0x20));

  it('counts what the Flate streams inflate to', () => {
    expect(inflatesPast(aPdfBomb(4096), 4000)).toBe(true);
    expect(inflatesPast(aPdfBomb(4096), 10_000)).toBe(false);
  });

  it('sums the streams', () => {
    const two = Buffer.concat([
      aStreamObject('/Filter /FlateDecode', spaces),
      aStreamObject('/Filter /FlateDecode', spaces),
    ]);
    expect(inflatesPast(two, 6000)).toBe(true);
    expect(inflatesPast(two, 9000)).toBe(false);
  });

  it('leaves out images, which extracting text never decodes', () => {
    const image = aStreamObject('/Type /XObject /Subtype /Image /Filter /FlateDecode', spaces);
    expect(inflatesPast(image, 100)).toBe(false);
  });

  it('leaves streams it cannot inflate to pdfjs', () => {
    const garbage = aStreamObject('/Filter /FlateDecode', Buffer.from('not deflated at all'));
    expect(inflatesPast(garbage, 100)).toBe(false);
    expect(inflatesPast(aPdf(['plain, not deflated']), 10)).toBe(false);
  });

  it('finds the end of a stream whose length is a reference', () => {
    const referenced = Buffer.concat([
      Buffer.from('5 0 obj\n<< /Filter /FlateDecode /Length 6 0 R >>\nstream\n', 'latin1'),
      spaces,
      Buffer.from('\nendstream\nendobj\n', 'latin1'),
    ]);
    expect(inflatesPast(referenced, 4000)).toBe(true);
  });
});
