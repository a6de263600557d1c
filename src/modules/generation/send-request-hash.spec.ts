import type { SendMessageDto } from './dto/send-message.dto';
import { regenerateRequestHash, sendRequestHash } from './send-request-hash';

const body = (b: Partial<SendMessageDto> & Record<string, unknown>) => b as SendMessageDto;

describe(sendRequestHash.name, () => {
  const base = body({ content: 'hello', temperature: 0.5, max_tokens: 100, model: 'gpt-4' });

  it('is a SHA-256 in hex', () => {
    expect(sendRequestHash(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores field order, an explicit default role, and how the answer is delivered', () => {
    const same = [
      body({ model: 'gpt-4', max_tokens: 100, temperature: 0.5, content: 'hello' }),
      body({ ...base, role: 'user' }),
      body({ ...base, stream: true }),
      body({ ...base, stream: false }),
      // A WebSocket chat_message carries its own fields besides the body.
      body({ ...base, type: 'chat_message', request_id: 'r-1', conversation_id: 'c-1' }),
    ];
    for (const b of same) expect(sendRequestHash(b)).toBe(sendRequestHash(base));
  });

  it.each<[string, Partial<SendMessageDto>]>([
    ['content', { content: 'hello!' }],
    ['content with a trailing space', { content: 'hello ' }],
    ['temperature', { temperature: 0.6 }],
    ['max_tokens', { max_tokens: 101 }],
    ['model', { model: 'gpt-3.5-turbo' }],
    ['an absent model', { model: undefined }],
    ['an absent temperature', { temperature: undefined }],
    ['a parent', { parent_id: '7d0f6a52-6c3b-4f0e-9b1e-3f1f5b7f2a10' }],
    ['a new root (parent_id: null)', { parent_id: null }],
  ])('changes with %s', (_what, change) => {
    expect(sendRequestHash(body({ ...base, ...change }))).not.toBe(sendRequestHash(base));
  });

  it('reads a parent id in any case as the same id', () => {
    const lower = body({ content: 'x', parent_id: '7d0f6a52-6c3b-4f0e-9b1e-3f1f5b7f2a10' });
    const upper = body({ content: 'x', parent_id: '7D0F6A52-6C3B-4F0E-9B1E-3F1F5B7F2A10' });
    expect(sendRequestHash(upper)).toBe(sendRequestHash(lower));
  });

  it('cannot be confused by text that looks like the next field', () => {
    const a = body({ content: 'a","user', model: 'b' });
    const b = body({ content: 'a', model: 'user","b' });
    expect(sendRequestHash(a)).not.toBe(sendRequestHash(b));
  });
});

describe(regenerateRequestHash.name, () => {
  const id = '7d0f6a52-6c3b-4f0e-9b1e-3f1f5b7f2a10';

  it('names the message and the call settings, not how the answer is delivered', () => {
    const hash = regenerateRequestHash(id, { temperature: 0.5 });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(regenerateRequestHash(id, { temperature: 0.5, stream: true })).toBe(hash);
    expect(regenerateRequestHash(id, { temperature: 0.6 })).not.toBe(hash);
    expect(regenerateRequestHash(id.replace('7d', '8d'), { temperature: 0.5 })).not.toBe(hash);
  });

  it('is never a send’s hash', () => {
    expect(regenerateRequestHash(id, {})).not.toBe(
      sendRequestHash(body({ content: 'regenerate', model: id })),
    );
  });
});
