import { chooseTitle, cleanTitle, fallbackTitle, MAX_TITLE_CHARS } from './title-text';

const length = (text: string) => Array.from(text).length;

describe('title text', () => {
  describe(cleanTitle.name, () => {
    it.each([
      ['Trip to Lisbon', 'Trip to Lisbon'],
      ['  "Trip to Lisbon."  ', 'Trip to Lisbon'],
      ['“Reise nach Lissabon”', 'Reise nach Lissabon'],
      ['«Voyage à Lisbonne»', 'Voyage à Lisbonne'],
      ['「里斯本旅行」', '里斯本旅行'],
      ['**Trip to Lisbon**', 'Trip to Lisbon'],
      ['# Trip to Lisbon', 'Trip to Lisbon'],
      ['Title: Trip to Lisbon', 'Trip to Lisbon'],
      ['标题：里斯本旅行。', '里斯本旅行'],
      ['`Trip`   to\tLisbon', 'Trip to Lisbon'],
      ['<think>The user asks about Lisbon.\nA title…</think>\n\nTrip to Lisbon', 'Trip to Lisbon'],
      ['<thinking>\nhmm\n</thinking>"Trip to Lisbon"', 'Trip to Lisbon'],
      ['The user wants a title.</think>Trip to Lisbon', 'Trip to Lisbon'],
      ['<b>Trip</b> to Lisbon', 'Trip to Lisbon'],
      ['\n\nTrip to Lisbon\nThis title sums up the question.', 'Trip to Lisbon'],
      ['What is a monad?', 'What is a monad?'],
    ])('cleans %j to %j', (raw, title) => {
      expect(cleanTitle(raw)).toBe(title);
    });

    it.each([
      [''],
      ['   '],
      ['""'],
      ['...'],
      ['<think>I should answer with a title but I ran out of tokens'],
      ['<think>only reasoning</think>'],
      ['**  **'],
    ])('finds nothing usable in %j', (raw) => {
      expect(cleanTitle(raw)).toBe('');
    });

    it('cuts a long title at a word boundary, within the limit', () => {
      const raw =
        'A very long title that goes on and on about the many reasons for planning a trip to Lisbon';
      const title = cleanTitle(raw);
      expect(length(title)).toBeLessThanOrEqual(MAX_TITLE_CHARS);
      expect(raw.startsWith(title)).toBe(true);
      expect(raw[title.length]).toBe(' ');
    });

    it('cuts text without spaces at the limit, never inside a character', () => {
      const title = cleanTitle('旅'.repeat(70) + '😀'.repeat(10));
      expect(length(title)).toBe(MAX_TITLE_CHARS);
      expect(title).toBe('旅'.repeat(MAX_TITLE_CHARS));
      expect(cleanTitle('x' + '😀'.repeat(80))).toBe('x' + '😀'.repeat(MAX_TITLE_CHARS - 1));
    });
  });

  describe(fallbackTitle.name, () => {
    it('takes the first words of the message, whitespace collapsed', () => {
      expect(fallbackTitle('  How do I\n\nplan a trip   to Lisbon?  ')).toBe(
        'How do I plan a trip to Lisbon?',
      );
      const long = fallbackTitle(
        'Please explain in detail how the rules of the offside work in football and why',
      );
      expect(length(long)).toBeLessThanOrEqual(MAX_TITLE_CHARS);
      expect(long.startsWith('Please explain in detail how the rules')).toBe(true);
    });

    it('is empty for a message without words', () => {
      expect(fallbackTitle('?!')).toBe('');
    });
  });

  describe(chooseTitle.name, () => {
    it("prefers the model's title", () => {
      expect(chooseTitle('"Lisbon trip"', 'How do I plan a trip?')).toBe('Lisbon trip');
    });

    it("falls back to the message's first words when the answer is junk", () => {
      expect(chooseTitle('<think>…</think>', 'How do I plan a trip?')).toBe(
        'How do I plan a trip?',
      );
      expect(chooseTitle('', '  Plan   a trip ')).toBe('Plan a trip');
    });
  });
});
