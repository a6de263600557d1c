import type { LlmEvent, LlmMessage, LlmUsageEvent } from './llm-provider';
import { OfflineProvider, offlineReplyTo } from './offline.provider';
import { countChatTokens, countTextTokens } from './tokenizer';

const MESSAGES: LlmMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'First question?' },
  { role: 'assistant', content: 'First answer.' },
  { role: 'user', content: 'How do I   reset my\npassword?' },
];

async function collect(stream: AsyncIterable<LlmEvent>, onDelta?: (n: number) => void) {
  const deltas: string[] = [];
  let usage: LlmUsageEvent | undefined;
  const events: LlmEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    if (event.type === 'delta') {
      deltas.push(event.text);
      onDelta?.(deltas.length);
    } else usage = event;
  }
  return { deltas, text: deltas.join(''), usage, events };
}

describe(OfflineProvider.name, () => {
  describe('stream', () => {
    it('labels itself and restates the last user question, word by word', async () => {
      const provider = new OfflineProvider({ tokenDelayMs: 0 });
      const out = await collect(provider.stream({ messages: MESSAGES, model: 'gpt-4' }));
      expect(out.text).toContain('offline development model');
      expect(out.text).toContain('"How do I reset my password?"');
      expect(out.text).not.toContain('First question');
      expect(out.text).toBe(offlineReplyTo({ messages: MESSAGES, model: 'gpt-4' }));
      expect(out.deltas.length).toBeGreaterThan(10);
      for (const delta of out.deltas) expect(delta.trim().split(/\s+/)).toHaveLength(1);
    });

    it("answers a title call with the question's first words, not the labelled reply", async () => {
      const provider = new OfflineProvider({ tokenDelayMs: 0 });
      const out = await collect(
        provider.stream({ messages: MESSAGES, model: 'gpt-4', purpose: 'title' }),
      );
      expect(out.text).toBe('How do I reset my password?');
      expect(out.usage).toMatchObject({ type: 'usage', finishReason: 'stop' });
      const long = await collect(
        provider.stream({
          messages: [{ role: 'user', content: 'one two three four five six seven eight' }],
          model: 'gpt-4',
          purpose: 'title',
        }),
      );
      expect(long.text).toBe('one two three four five six');
    });

    it('ends with tokenizer-counted usage', async () => {
      const provider = new OfflineProvider({ tokenDelayMs: 0 });
      const out = await collect(provider.stream({ messages: MESSAGES, model: 'offline-dev' }));
      expect(out.events.at(-1)).toEqual({
        type: 'usage',
        promptTokens: countChatTokens(MESSAGES),
        completionTokens: countTextTokens(out.text),
        usageSource: 'tokenizer',
        finishReason: 'stop',
      });
    });

    it('paces the words at the configured delay', async () => {
      const provider = new OfflineProvider({ tokenDelayMs: 15 });
      const started = Date.now();
      const out = await collect(provider.stream({ messages: MESSAGES, model: 'offline-dev' }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(out.deltas.length * 15 - 20);
    });

    it('stops at the abort signal and still reports usage', async () => {
      const provider = new OfflineProvider({ tokenDelayMs: 5 });
      const controller = new AbortController();
      const out = await collect(
        provider.stream({ messages: MESSAGES, model: 'offline-dev', signal: controller.signal }),
        (n) => n === 3 && controller.abort(),
      );
      expect(out.deltas).toHaveLength(3);
      expect(out.usage).toEqual({
        type: 'usage',
        promptTokens: countChatTokens(MESSAGES),
        completionTokens: countTextTokens(out.text),
        usageSource: 'tokenizer',
        finishReason: 'aborted',
      });
    });

    it('stops promptly when aborted during a long pause', async () => {
      const provider = new OfflineProvider({ tokenDelayMs: 5000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      const started = Date.now();
      const out = await collect(
        provider.stream({ messages: MESSAGES, model: 'offline-dev', signal: controller.signal }),
      );
      expect(Date.now() - started).toBeLessThan(1000);
      expect(out.deltas).toEqual([]);
      expect(out.usage?.finishReason).toBe('aborted');
    });

    it('answers nothing for an already aborted signal', async () => {
      const provider = new OfflineProvider({ tokenDelayMs: 0 });
      const controller = new AbortController();
      controller.abort();
      const out = await collect(
        provider.stream({ messages: MESSAGES, model: 'offline-dev', signal: controller.signal }),
      );
      expect(out.events).toEqual([
        {
          type: 'usage',
          promptTokens: 0,
          completionTokens: 0,
          usageSource: 'tokenizer',
          finishReason: 'aborted',
        },
      ]);
    });

    it('honours maxTokens', async () => {
      const provider = new OfflineProvider({ tokenDelayMs: 0 });
      const out = await collect(
        provider.stream({ messages: MESSAGES, model: 'offline-dev', maxTokens: 5 }),
      );
      expect(out.usage?.finishReason).toBe('length');
      expect(out.usage!.completionTokens).toBeLessThanOrEqual(5);
      expect(out.usage!.completionTokens).toBeGreaterThan(0);
    });

    it('says so when there is no user question', async () => {
      const provider = new OfflineProvider({ tokenDelayMs: 0 });
      const out = await collect(
        provider.stream({ messages: [{ role: 'system', content: 'x' }], model: 'offline-dev' }),
      );
      expect(out.text).toContain('offline development model');
      expect(out.text).toContain('no user question');
    });

    it('quotes at most 500 characters of a long question', () => {
      const text = offlineReplyTo({
        messages: [{ role: 'user', content: 'a'.repeat(2000) }],
        model: 'offline-dev',
      });
      expect(text).toContain(`"${'a'.repeat(500)}…"`);
      expect(text).not.toContain('a'.repeat(501));
    });
  });

  describe('check', () => {
    it('is always up', async () => {
      expect(await new OfflineProvider({ tokenDelayMs: 0 }).check()).toEqual({
        ok: true,
        latencyMs: 0,
      });
    });
  });
});
