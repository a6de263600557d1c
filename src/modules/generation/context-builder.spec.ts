import { AppError } from '../../common/errors/app-error';
import { countTextTokens } from '../llm/tokenizer';
import {
  attachmentTokens,
  buildContext,
  ContextInput,
  historyFileIds,
  ModelAttachment,
  userContent,
} from './context-builder';

const doc = (id: string, text: string, filename = `${id}.txt`): ModelAttachment => ({
  id,
  filename,
  tokens: countTextTokens(text),
  text,
  image: null,
});
const image = (id: string, tokens = 255): ModelAttachment => ({
  id,
  filename: `${id}.png`,
  tokens,
  text: null,
  image: { data: Buffer.from([1, 2, 3]), type: 'image/png' },
});

const base = (over: Partial<ContextInput> = {}): ContextInput => ({
  systemMessage: null,
  history: [],
  newMessage: 'Hello',
  contextWindow: 8192,
  replyBudget: 1024,
  ...over,
});

function fieldOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return (error as AppError).details?.field;
  }
  return undefined;
}

describe('buildContext', () => {
  describe(userContent.name, () => {
    it('is the text alone when nothing is attached', () => {
      expect(userContent('Hi', [])).toBe('Hi');
    });

    it('puts each document after the text, named and delimited', () => {
      expect(userContent('Read', [doc('a', 'alpha'), doc('b', 'beta', 'b "x".md')])).toBe(
        'Read\n\n<file name="a.txt">\nalpha\n</file>\n\n<file name="b _x_.md">\nbeta\n</file>',
      );
    });

    it('gives images as image_url parts after one text part', () => {
      expect(userContent('Look', [image('i'), doc('d', 'notes')])).toEqual([
        { type: 'text', text: 'Look\n\n<file name="d.txt">\nnotes\n</file>' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AQID' } },
      ]);
    });

    it('leaves images out for a model without vision', () => {
      expect(userContent('Look', [image('i')], false)).toBe('Look');
    });
  });

  it('counts the attachments in the new message and in the prompt', () => {
    const plain = buildContext(base());
    const files = [doc('a', 'some words in a file'), image('i', 425)];
    const withFiles = buildContext(base({ newAttachments: files }));
    const added = attachmentTokens(files[0]) + attachmentTokens(files[1]);
    expect(withFiles.newMessageTokens).toBe(plain.newMessageTokens + added);
    expect(withFiles.promptTokens).toBe(plain.promptTokens + added);
    expect(attachmentTokens(files[1])).toBe(425);
    expect(attachmentTokens(files[0])).toBeGreaterThan(files[0].tokens);
  });

  it('refuses attachments that cannot fit with 422 on attachments, and too long a text on content', () => {
    const big = { ...doc('big', 'x'), tokens: 8000 };
    expect(fieldOf(() => buildContext(base({ newAttachments: [big] })))).toBe('attachments');
    const words = 'word '.repeat(8000);
    expect(fieldOf(() => buildContext(base({ newMessage: words })))).toBe('content');
  });

  it('gives earlier turns their files when their contents are known, in order', () => {
    const input = base({
      history: [
        { role: 'user', content: 'see', tokens: 50, fileIds: ['b', 'a'] },
        { role: 'assistant', content: 'seen', tokens: 2 },
      ],
      historyFiles: new Map([
        ['a', doc('a', 'AAA')],
        ['b', doc('b', 'BBB')],
      ]),
    });
    const built = buildContext(input);
    expect(built.messages[0]).toEqual({
      role: 'user',
      content: 'see\n\n<file name="b.txt">\nBBB\n</file>\n\n<file name="a.txt">\nAAA\n</file>',
    });
  });

  it('asks only for the files of the earlier turns that fit', () => {
    const input = base({
      contextWindow: 1200,
      replyBudget: 1000,
      history: [
        { role: 'user', content: 'old', tokens: 170, fileIds: ['old-file'] },
        { role: 'assistant', content: 'ok', tokens: 1 },
        { role: 'user', content: 'new', tokens: 20, fileIds: ['new-file'] },
        { role: 'assistant', content: 'ok', tokens: 1 },
      ],
    });
    expect(historyFileIds(input)).toEqual(['new-file']);
    expect(buildContext(input).dropped).toBe(1);
  });
});
