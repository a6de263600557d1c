import type { EventBus } from '../../redis/event-bus';
import type { HealthService } from '../health/health.service';
import type { LlmEvent, LlmProvider, LlmRequest } from '../llm/llm-provider';
import { countTextTokens } from '../llm/tokenizer';
import { MetricsService } from '../metrics/metrics.service';
import type { QuotaService, Reservation } from '../quota/quota.service';
import type { GenerationEventBody } from './generation-events';
import { CompletionMeter, GenerationRunners, overrunAllowance } from './generation-runner';
import type { SendRepository } from './send.repository';
import { MemoryStreamLog } from './stream-log';

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

describe(GenerationRunners.name, () => {
  /** A provider that records each request and, once the request is let go, streams "Hi there". */
  class RecordingProvider implements Pick<LlmProvider, 'stream'> {
    readonly requests: LlmRequest[] = [];
    /** Requests that left (their gate said yes, or they had none). */
    sent = 0;

    async *stream(request: LlmRequest): AsyncGenerator<LlmEvent> {
      this.requests.push(request);
      if (request.sendAfter !== undefined && !(await request.sendAfter)) return;
      if (request.signal?.aborted) return;
      this.sent += 1;
      yield { type: 'delta', text: 'Hi ' };
      yield { type: 'delta', text: 'there' };
      yield {
        type: 'usage',
        promptTokens: 5,
        completionTokens: 2,
        usageSource: 'provider',
        finishReason: 'stop',
      };
    }
  }

  function setup() {
    const provider = new RecordingProvider();
    const log = new MemoryStreamLog(60_000);
    const closed: { id: string; content: string }[] = [];
    const sends = {
      close: (id: string, outcome: { content: string }) => {
        closed.push({ id, content: outcome.content });
        return Promise.resolve({ message: { id, content: outcome.content }, closed: true });
      },
    } as unknown as SendRepository;
    const quota = {
      settlement: (r: Reservation, used: { requests: number; tokens: number }) => ({ r, used }),
    } as unknown as QuotaService;
    const health = { databaseUp: () => Promise.resolve(true) } as unknown as HealthService;
    const bus = { subscribe: () => () => undefined } as unknown as EventBus;
    const runners = new GenerationRunners(
      sends,
      quota,
      provider as unknown as LlmProvider,
      log,
      bus,
      new MetricsService(health),
    );
    return { runners, provider, closed, log };
  }

  const reservation: Reservation = {
    userId: 'u',
    day: '2026-12-07',
    month: '2026-12-01',
    grantedTokens: 2000,
    maxCompletionTokens: 1024,
  };
  const call = { messages: [{ role: 'user' as const, content: 'Hello' }], model: 'm' };
  const start = (id: string): GenerationEventBody => ({
    type: 'start',
    message_id: id,
    conversation_id: 'c',
    user_message_id: 'u1',
  });

  describe('prepare + launch', () => {
    it('builds the request at once and sends that same request once launched', async () => {
      const t = setup();
      const prepared = t.runners.prepare({ ...call, maxTokens: 1024 });
      await new Promise((resolve) => setImmediate(resolve));
      expect(t.provider.requests).toHaveLength(1);
      expect(t.provider.sent).toBe(0);

      const reply = t.runners.launch(
        'g1',
        start('g1'),
        { ...call, maxTokens: 1024, reservation },
        prepared,
      );
      await reply;
      expect(t.provider.requests).toHaveLength(1);
      expect(t.provider.sent).toBe(1);
      expect(t.closed).toEqual([{ id: 'g1', content: 'Hi there' }]);
    });

    it('drops the prepared request and builds another when the reservation allows a smaller reply', async () => {
      const t = setup();
      const prepared = t.runners.prepare({ ...call, maxTokens: 1024 });
      await t.runners.launch('g2', start('g2'), { ...call, maxTokens: 256, reservation }, prepared);
      expect(t.provider.requests.map((r) => r.maxTokens)).toEqual([1024, 256]);
      expect(t.provider.requests[0].signal?.aborted).toBe(true);
      expect(t.provider.sent).toBe(1);
      expect(t.closed).toEqual([{ id: 'g2', content: 'Hi there' }]);
    });
  });

  describe('prepare + cancel', () => {
    it('never sends a cancelled request', async () => {
      const t = setup();
      const prepared = t.runners.prepare({ ...call, maxTokens: 1024 });
      prepared.cancel();
      await expect(prepared.first).resolves.toEqual({ done: true, value: undefined });
      expect(t.provider.sent).toBe(0);
      expect(t.runners.size).toBe(0);
    });
  });
});
