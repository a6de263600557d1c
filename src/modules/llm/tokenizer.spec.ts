import { encodeChat } from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import { countChatTokens, countTextTokens } from './tokenizer';

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
