import { t } from '../../../common/i18n/messages';
import {
  type FileIssueKey,
  MARKUP_REFUSED,
  refuse,
  type Refusal,
  UNSUPPORTED,
} from './file-inspection';
import { imageTokens, modelSize } from './inspect-image';
import { inspectText, looksLikeMarkup } from './inspect-text';

const text = (value: string): Buffer => Buffer.from(value, 'utf8');

describe(inspectText.name, () => {
  it.each([
    ['notes.txt', 'plain words', 'text/plain'],
    ['README.md', '# Title\n\nSome *markdown*.', 'text/markdown'],
    ['notes.MARKDOWN', '- a list', 'text/markdown'],
    ['table.csv', 'a,b\n1,2\n', 'text/csv'],
    ['main.ts', 'export const a = 1 < 2;\n', 'text/plain'],
    ['data.txt', '{"a": [1, 2]}', 'application/json'],
    ['data.csv', ' [1, 2, 3] ', 'application/json'],
    ['broken.json', '{"a": ', 'text/plain'],
    ['no-extension', 'words', 'text/plain'],
    ['picture.png', 'words named as a picture', 'text/plain'],
  ])('reads %s as %s', (filename, content, contentType) => {
    expect(inspectText(text(content), filename)).toEqual({
      ok: true,
      kind: 'text',
      contentType,
      text: content,
      tokenCount: expect.any(Number),
      pageCount: null,
      image: null,
    });
  });

  it('counts cl100k tokens and drops a BOM', () => {
    const inspection = inspectText(text('\ufeffhello world'), 'a.txt');
    expect(inspection).toMatchObject({ ok: true, text: 'hello world', tokenCount: 2 });
  });

  it.each<[string, Buffer, Refusal]>([
    ['empty', Buffer.alloc(0), refuse(422, 'issue.file_empty')],
    ['white space only', text(' \n\t\r\n  '), refuse(422, 'issue.file_empty')],
    ['a BOM only', text('\ufeff'), refuse(422, 'issue.file_empty')],
    ['invalid UTF-8', Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x21]), UNSUPPORTED],
    ['a lone continuation byte', Buffer.from([0x61, 0x80, 0x62]), UNSUPPORTED],
    ['UTF-16', Buffer.from('\ufeffhello', 'utf16le'), UNSUPPORTED],
    ['a NUL byte', text('hello\u0000world'), UNSUPPORTED],
    ['mostly control characters', text('\u0001\u0002\u0003\u0004abc\u0005\u0006'), UNSUPPORTED],
    ['HTML named .txt', text('<!doctype html><p>hi'), MARKUP_REFUSED],
  ])('refuses %s', (_, bytes, refusal) => {
    expect(inspectText(bytes, 'a.txt')).toEqual(refusal);
  });
});

describe(looksLikeMarkup.name, () => {
  it.each([
    '<!DOCTYPE html><title>x</title>',
    '<html><body>x</body></html>',
    '  \n<HEAD><title>x',
    '<body onload="x()">',
    '<script>alert(1)</script>',
    '<iframe src="https://example.com"></iframe>',
    '<div align="center">x</div>',
    '<p>text',
    '<a href="x">y</a>',
    '<br/>',
    '<!-- a comment -->\n<html>',
    '<!-- one --><!-- two -->  <script>',
    '<svg width="1"/>',
    '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
    '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x"><svg/>',
    '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    '<x:svg xmlns:x="http://www.w3.org/2000/svg"/>',
    '<root xmlns:h="http://www.w3.org/1999/xhtml"><h:script>alert(1)</h:script></root>',
  ])('takes %p for markup', (content) => {
    expect(looksLikeMarkup(content)).toBe(true);
  });

  it.each([
    'plain text',
    '# Markdown\n\n<p> appears later, not first',
    '<!-- a comment -->\n# Markdown',
    'a < b && c > d',
    '<alice> hello',
    '<?xml version="1.0"?><config><item>1</item></config>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0"></project>',
    '{"html": "<html>"}',
    '<!-- never closed',
  ])('takes %p for text', (content) => {
    expect(looksLikeMarkup(content)).toBe(false);
  });
});

describe(modelSize.name, () => {
  it.each([
    [100, 100, 100, 100],
    [768, 768, 768, 768],
    [1024, 1024, 768, 768],
    [4000, 3000, 1024, 768],
    [3000, 1000, 2048, 683],
    [1000, 3000, 683, 2048],
    [10000, 10, 2048, 2],
    [1, 1, 1, 1],
  ])('scales %i×%i to %i×%i', (width, height, scaledWidth, scaledHeight) => {
    expect(modelSize(width, height)).toEqual({ width: scaledWidth, height: scaledHeight });
  });
});

describe(imageTokens.name, () => {
  it.each([
    [512, 512, 255],
    [768, 768, 765],
    [1024, 768, 765],
    [2048, 683, 1445],
  ])('counts %i×%i as %i tokens', (width, height, tokens) => {
    expect(imageTokens(width, height)).toBe(tokens);
  });
});

describe('file issue texts', () => {
  const keys: FileIssueKey[] = [
    'issue.file_type_unsupported',
    'issue.file_markup_refused',
    'issue.file_empty',
    'issue.file_no_text',
    'issue.file_encrypted',
    'issue.file_too_many_pages',
    'issue.file_archive_bomb',
    'issue.file_image_too_large',
    'issue.file_unreadable',
  ];

  it.each(keys)('%s has an English and a Chinese text', (key) => {
    expect(t(key, 'en')).toMatch(/\w/);
    expect(t(key, 'zh')).toMatch(/[\u4e00-\u9fff]/);
  });
});
