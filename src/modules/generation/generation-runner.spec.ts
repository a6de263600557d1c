import { countTextTokens } from '../llm/tokenizer';
import { CompletionMeter, overrunAllowance } from './generation-runner';

describe(CompletionMeter.name, () => {
  const feed = (meter: CompletionMeter, chunks: string[]) => {
    let content = '';
    for (const [i, chunk] of chunks.entries()) {
      content += chunk;
      if (meter.add(chunk, content)) return { cutAt: i, content };
    }
    return { cutAt: -1, content };
  };

  it('counts nothing while the bytes alone cannot pass the limit', () => {
    const meter = new CompletionMeter(100);
    expect(
      feed(
        meter,
        Array.from({ length: 20 }, () => 'abcd '),
      ).cutAt,
    ).toBe(-1);
    expect(meter.counted).toBeUndefined();
  });

  it('cuts once the text is past the limit, by an exact count', () => {
    const meter = new CompletionMeter(50);
    const { cutAt, content } = feed(
      meter,
      Array.from({ length: 500 }, (_, i) => `w${i} `),
    );
    expect(cutAt).toBeGreaterThan(0);
    expect(countTextTokens(content)).toBeGreaterThan(50);
    expect(meter.counted).toBe(countTextTokens(content));
    // One chunk too many, not more: the text one chunk earlier was within the limit.
    expect(countTextTokens(content.slice(0, content.lastIndexOf('w')))).toBeLessThanOrEqual(50);
  });

  it('does not cut a reply that stays within the limit though its chunks split tokens', () => {
    const text = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const limit = countTextTokens(text);
    // Two-character chunks: counted one by one they overestimate; the exact count decides.
    const chunks = text.match(/.{1,2}/gs) ?? [];
    expect(feed(new CompletionMeter(limit), chunks).cutAt).toBe(-1);
  });
});

describe(overrunAllowance.name, () => {
  it('allows at least 16 tokens and a quarter past max_tokens', () => {
    expect(overrunAllowance(10)).toBe(16);
    expect(overrunAllowance(1000)).toBe(250);
  });
});
