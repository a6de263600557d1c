import { countLongTextTokens } from '../../llm/tokenizer';
import { MARKUP_REFUSED, type Inspection, refuse, UNSUPPORTED } from './file-inspection';

/**
 * Text files: what file-type recognises nothing in (or recognises as XML). Such bytes are text
 * only when they are valid UTF-8 without NUL bytes and with few control characters; markup a
 * browser would render (HTML, XHTML, SVG) is refused whatever the file is called.
 */

/** Share of control characters (other than tab, line feed, carriage return, form feed) above
 * which the bytes are taken for binary: real text has next to none. */
const MAX_CONTROL_SHARE = 0.1;

/** Content types chosen by the name's extension; anything else is text/plain (code too). */
const TEXT_TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
};

/**
 * Elements whose appearance as the first tag makes a browser's sniffer (WHATWG MIME Sniffing,
 * "rules for identifying an unknown MIME type") take the bytes for HTML, plus svg and the
 * elements a page can run code or embed from.
 */
const HTML_FIRST_TAGS = new Set([
  'html',
  'head',
  'body',
  'script',
  'iframe',
  'h1',
  'div',
  'font',
  'table',
  'a',
  'style',
  'title',
  'b',
  'br',
  'p',
  'svg',
  'object',
  'embed',
  'frameset',
  'frame',
  'meta',
  'link',
  'base',
  'form',
  'img',
  'math',
]);

const MARKUP_NAMESPACES = ['http://www.w3.org/1999/xhtml', 'http://www.w3.org/2000/svg'];

export function inspectText(bytes: Buffer, filename: string): Inspection {
  if (bytes.includes(0)) return UNSUPPORTED;
  let text: string;
  try {
    // The decoder drops a leading BOM (ignoreBOM is false) and throws on any invalid sequence.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return UNSUPPORTED;
  }
  if (text.trim().length === 0) return refuse(422, 'issue.file_empty');
  if (controlShare(text) > MAX_CONTROL_SHARE) return UNSUPPORTED;
  if (looksLikeMarkup(text)) return MARKUP_REFUSED;
  return {
    ok: true,
    kind: 'text',
    contentType: textContentType(text, filename),
    text,
    tokenCount: countLongTextTokens(text),
    pageCount: null,
    image: null,
  };
}

function controlShare(text: string): number {
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const isControl =
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c) ||
      (code >= 0x7f && code <= 0x9f);
    if (isControl) controls++;
  }
  return controls / text.length;
}

/**
 * Whether a browser would render the text as HTML, XHTML or SVG: the first tag after white
 * space, comments, processing instructions and a doctype is an HTML or SVG element, the
 * doctype names html or svg, or an XML document declares the XHTML or SVG namespace.
 */
export function looksLikeMarkup(text: string): boolean {
  const head = text.slice(0, 64 * 1024);
  let at = 0;
  let sawXmlProlog = false;
  for (;;) {
    at = skipWhiteSpace(head, at);
    if (head.startsWith('<!--', at)) {
      const end = head.indexOf('-->', at + 4);
      if (end < 0) return false;
      at = end + 3;
    } else if (head.startsWith('<?', at)) {
      sawXmlProlog ||= /^<\?xml[\s?]/i.test(head.slice(at, at + 6));
      const end = head.indexOf('?>', at + 2);
      if (end < 0) return false;
      at = end + 2;
    } else if (/^<!doctype\s/i.test(head.slice(at, at + 10))) {
      const name = /^<!doctype\s+([^\s>[]+)/i.exec(head.slice(at, at + 200))?.[1]?.toLowerCase();
      if (name === 'html' || name === 'svg' || name?.endsWith(':svg')) return true;
      sawXmlProlog = true;
      const end = head.indexOf('>', at);
      if (end < 0) return false;
      at = end + 1;
    } else {
      break;
    }
  }
  const tag = /^<([A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)(?=[\s/>])/.exec(head.slice(at, at + 200));
  if (tag === null) return false;
  const name = tag[2].toLowerCase();
  if (tag[1] === undefined && HTML_FIRST_TAGS.has(name)) return true;
  // An XML document (a prolog, or a prefixed root) is rendered by its namespaces wherever they
  // appear, so any mention of XHTML's or SVG's refuses it.
  const xmlLike = sawXmlProlog || tag[1] !== undefined || /\sxmlns[:=]/.test(head);
  return xmlLike && MARKUP_NAMESPACES.some((namespace) => text.includes(namespace));
}

function skipWhiteSpace(text: string, from: number): number {
  let at = from;
  while (at < text.length && /\s/.test(text[at])) at++;
  return at;
}

function textContentType(text: string, filename: string): string {
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      JSON.parse(text);
      return 'application/json';
    } catch {
      // Not JSON: a type by the name, below.
    }
  }
  const dot = filename.lastIndexOf('.');
  const extension = dot < 0 ? '' : filename.slice(dot + 1).toLowerCase();
  return TEXT_TYPE_BY_EXTENSION[extension] ?? 'text/plain';
}
