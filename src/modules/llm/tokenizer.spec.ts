import { encodeChat } from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import { countChatTokens, countLongTextTokens, countTextTokens } from './tokenizer';

describe(countTextTokens.name, () => {
  it('counts cl100k_base tokens', () => {
    expect(countTextTokens('')).toBe(0);
    expect(countTextTokens('Hello world')).toBe(2);
    expect(countTextTokens('Hello world, how are you?')).toBe(7);
  });

  it('counts Chinese text', () => {
    expect(countTextTokens('你好，世界')).toBeGreaterThan(2);
  });

  it('counts special-token markers as plain text instead of throwing', () => {
    expect(countTextTokens('before <|endoftext|> after')).toBeGreaterThan(3);
  });
});

describe(countChatTokens.name, () => {
  const chat = [
    { role: 'system' as const, content: 'You are a helpful assistant.' },
    { role: 'user' as const, content: 'What is the capital of France?' },
    { role: 'assistant' as const, content: 'Paris.' },
    { role: 'user' as const, content: '你呢？' },
  ];

  it('matches the chat encoding of gpt-4 (messages, framing and reply priming)', () => {
    expect(countChatTokens(chat)).toBe(encodeChat(chat, 'gpt-4').length);
  });

  it('counts an empty chat as the reply priming only', () => {
    expect(countChatTokens([])).toBe(3);
  });

  it('grows with each message by its content and framing', () => {
    const one = countChatTokens(chat.slice(0, 1));
    const two = countChatTokens(chat.slice(0, 2));
    expect(two - one).toBe(3 + countTextTokens('user') + countTextTokens(chat[1].content));
  });
});

describe(countLongTextTokens.name, () => {
  it('counts ordinary text exactly as countTextTokens', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `Line ${i}: the launch moved.`).join('\n');
    expect(countLongTextTokens(text)).toBe(countTextTokens(text));
  });

  it('counts a run longer than 1,024 characters in slices, within a few tokens of exact', () => {
    const text = `before ${'x'.repeat(5000)} after`;
    expect(Math.abs(countLongTextTokens(text) - countTextTokens(text))).toBeLessThanOrEqual(5);
  });

  it('counts a file of one 2 MiB run (quadratic for the tokenizer in one piece)', () => {
    const count = countLongTextTokens('b'.repeat(2 * 1024 * 1024));
    // cl100k_base has a token for four of this letter.
    expect(count).toBe((2 * 1024 * 1024) / 4);
  });
});
