/** Longest automatic title, in characters (code points). */
export const MAX_TITLE_CHARS = 60;

/** Reasoning blocks some models put before (or instead of) their answer. */
const REASONING_BLOCK =
  /<(think|thinking|thought|reasoning|reflection|analysis)\b[^>]*>[\s\S]*?(<\/\1\s*>|$)/gi;
/** A closing tag whose opening one the model left out (the answer follows it). */
const DANGLING_CLOSE = /^[\s\S]*<\/(think|thinking|thought|reasoning|reflection|analysis)\s*>/i;
const TAG = /<\/?[a-z][^>]*>/gi;
/** A label before the title itself, as models write it in several languages. */
const LABEL = /^(title|titre|titel|título|titolo|заголовок|标题|標題|タイトル|제목)\s*[:：]\s*/i;
const QUOTES = `"'\`“”‘’«»„‟‹›「」『』`;
const EDGE_QUOTES = new RegExp(`^[${QUOTES}]+|[${QUOTES}]+$`, 'g');
const TRAILING_PUNCTUATION = /[\s.。,，;；:：、]+$/;
const HAS_WORD = /[\p{L}\p{N}]/u;

/**
 * A model's answer to the title prompt as a title: reasoning blocks and markup removed, the
 * first line that says something, without label, quotes, markdown or trailing punctuation,
 * whitespace collapsed, at most MAX_TITLE_CHARS (cut on a word boundary). '' when nothing
 * usable is left (an empty answer, only reasoning, only punctuation).
 */
export function cleanTitle(raw: string): string {
  const text = raw.replace(REASONING_BLOCK, ' ').replace(DANGLING_CLOSE, ' ').replace(TAG, ' ');
  for (const line of text.split(/\r?\n/)) {
    const title = tidy(line);
    if (HAS_WORD.test(title)) return title;
  }
  return '';
}

/** The first words of the user's message, as a title (the fallback); '' when it has none. */
export function fallbackTitle(message: string): string {
  const title = tidy(message.replace(/\s+/g, ' '));
  return HAS_WORD.test(title) ? title : '';
}

/** The title to store: the model's answer cleaned, else the user's first words; '' when neither. */
export function chooseTitle(raw: string, message: string): string {
  return cleanTitle(raw) || fallbackTitle(message);
}

function tidy(line: string): string {
  let text = line
    .replace(/^\s*(#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)+/, '')
    .replace(/(\*\*|__|\*|`|~~)/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(LABEL, '');
  for (let before = ''; before !== text;) {
    before = text;
    text = text.replace(EDGE_QUOTES, '').replace(TRAILING_PUNCTUATION, '').trim();
  }
  return shorten(text, MAX_TITLE_CHARS);
}

/**
 * At most `max` code points: cut at the last space that keeps at least half of them, else
 * (one long word, or a script written without spaces) at `max` itself.
 */
function shorten(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const head = chars.slice(0, max + 1).join('');
  const space = head.lastIndexOf(' ');
  const cut = space >= Math.floor(max / 2) ? head.slice(0, space) : chars.slice(0, max).join('');
  return cut.replace(TRAILING_PUNCTUATION, '').trim();
}
