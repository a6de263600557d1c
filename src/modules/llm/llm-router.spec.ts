import { AppError } from '../../common/errors/app-error';
import type { LlmCheck, LlmEvent, LlmProvider, LlmRequest } from './llm-provider';
import { isFailoverError, LlmFailover, LlmRouter } from './llm-router';
import type { ResolvedRoute } from './providers.config';

/** A provider that answers from a script: per call, events to yield, then maybe an error. */
class ScriptedProvider implements LlmProvider {
  readonly name = 'openai' as const;
  readonly calls: LlmRequest[] = [];
  private readonly script: { text?: string[]; error?: AppError }[] = [];

  answer(step: { text?: string[]; error?: AppError }): this {
    this.script.push(step);
    return this;
  }

  async *stream(request: LlmRequest): AsyncGenerator<LlmEvent, void, undefined> {
    this.calls.push(request);
    if (request.sendAfter && !(await request.sendAfter)) return;
    const step = this.script.shift() ?? { text: ['ok'] };
    for (const text of step.text ?? []) yield { type: 'delta', text };
    if (step.error) throw step.error;
    yield {
      type: 'usage',
      promptTokens: 5,
      completionTokens: (step.text ?? []).length,
      usageSource: 'provider',
      finishReason: 'stop',
    };
  }

  check(): Promise<LlmCheck> {
    return Promise.resolve({ ok: true, latencyMs: 1 });
  }
}

const failure = (reason: string, upstreamStatus?: number) =>
  new AppError(
    'OPENAI_API_ERROR',
    'error.openai',
    upstreamStatus === undefined ? { reason } : { reason, upstream_status: upstreamStatus },
  );

async function drain(stream: AsyncIterable<LlmEvent>): Promise<LlmEvent[]> {
  const events: LlmEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe(LlmRouter.name, () => {
  let a: ScriptedProvider;
  let b: ScriptedProvider;
  let failovers: LlmFailover[];
  let router: LlmRouter;
  const routes = new Map<string, ResolvedRoute>([
    ['big', { provider: 'a', upstream_model: 'big-v2', fallbacks: ['small', 'tiny'] }],
    ['small', { provider: 'b', upstream_model: 'small-q4', fallbacks: [] }],
    ['tiny', { provider: 'a', upstream_model: 'tiny', fallbacks: [] }],
  ]);
  const maxTokens: Record<string, number> = { big: 4000, small: 500, tiny: 100 };

  beforeEach(() => {
    a = new ScriptedProvider();
    b = new ScriptedProvider();
    failovers = [];
    router = new LlmRouter({
      name: 'openai',
      providers: new Map([
        ['a', a],
        ['b', b],
      ]),
      routes,
      defaultProvider: 'a',
      maxTokensOf: (model) => maxTokens[model],
      onFailover: (f) => failovers.push(f),
    });
  });

  describe('stream', () => {
    it('sends a model without fallbacks to its provider under its upstream name, its stream as it is', async () => {
      const events = await drain(router.stream({ model: 'small', messages: [], maxTokens: 50 }));
      expect(b.calls.map((c) => [c.model, c.maxTokens])).toEqual([['small-q4', 50]]);
      expect(a.calls).toHaveLength(0);
      // The requested model served: nothing is added to (nor copied for) each chunk.
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.model === undefined)).toBe(true);
    });

    it('names the serving model on every event of a model with fallbacks', async () => {
      const events = await drain(router.stream({ model: 'big', messages: [], maxTokens: 50 }));
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.model === 'big')).toBe(true);
    });

    it('sends an id outside the catalog to the default provider as it is', async () => {
      await drain(router.stream({ model: 'unlisted', messages: [] }));
      expect(a.calls.map((c) => c.model)).toEqual(['unlisted']);
    });

    it.each<[string, AppError]>([
      ['a refused connection', failure('connection_error')],
      ['a 500', failure('upstream_error', 500)],
      ['a 429', failure('upstream_error', 429)],
      ['a first-token timeout', failure('first_token_timeout')],
      ['a request timeout', failure('request_timeout')],
    ])('passes to the next fallback after %s before the first token', async (_, error) => {
      a.answer({ error });
      const events = await drain(router.stream({ model: 'big', messages: [], maxTokens: 3000 }));
      // The fallback's own provider, name, and max_tokens capped to its own.
      expect(b.calls.map((c) => [c.model, c.maxTokens])).toEqual([['small-q4', 500]]);
      expect(events.at(-1)).toMatchObject({ type: 'usage', model: 'small' });
      expect(failovers).toEqual([
        { from: 'big', to: 'small', reason: (error.details as { reason: string }).reason },
      ]);
    });

    it('tries the fallbacks in order, on to the last', async () => {
      a.answer({ error: failure('connection_error') }).answer({ text: ['x'] });
      b.answer({ error: failure('upstream_error', 503) });
      const events = await drain(router.stream({ model: 'big', messages: [], maxTokens: 3000 }));
      expect(a.calls.map((c) => [c.model, c.maxTokens])).toEqual([
        ['big-v2', 3000],
        ['tiny', 100],
      ]);
      expect(events).toContainEqual({ type: 'delta', text: 'x', model: 'tiny' });
      expect(failovers.map((f) => `${f.from}>${f.to}`)).toEqual(['big>small', 'small>tiny']);
    });

    it('throws the last error when every model failed', async () => {
      a.answer({ error: failure('connection_error') }).answer({
        error: failure('connection_error'),
      });
      b.answer({ error: failure('upstream_error', 502) });
      await expect(drain(router.stream({ model: 'big', messages: [] }))).rejects.toMatchObject({
        details: { reason: 'connection_error' },
      });
      expect(a.calls).toHaveLength(2);
    });

    it('does not switch once a delta was yielded', async () => {
      a.answer({ text: ['partial'], error: failure('upstream_error', 500) });
      const seen: LlmEvent[] = [];
      await expect(
        (async () => {
          for await (const e of router.stream({ model: 'big', messages: [] })) seen.push(e);
        })(),
      ).rejects.toMatchObject({ details: { upstream_status: 500 } });
      expect(seen).toEqual([{ type: 'delta', text: 'partial', model: 'big' }]);
      expect(b.calls).toHaveLength(0);
      expect(failovers).toEqual([]);
    });

    it('does not switch on a 400 or a 401', async () => {
      a.answer({ error: failure('upstream_error', 400) });
      await expect(drain(router.stream({ model: 'big', messages: [] }))).rejects.toBeInstanceOf(
        AppError,
      );
      expect(b.calls).toHaveLength(0);
    });

    it('does not switch after the caller aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      a.answer({ error: failure('connection_error') });
      await expect(
        drain(router.stream({ model: 'big', messages: [], signal: controller.signal })),
      ).rejects.toBeInstanceOf(AppError);
      expect(b.calls).toHaveLength(0);
    });

    it('gates only the first attempt with sendAfter', async () => {
      a.answer({ error: failure('connection_error') });
      const events = await drain(
        router.stream({ model: 'big', messages: [], sendAfter: Promise.resolve(true) }),
      );
      expect(a.calls[0].sendAfter).toBeDefined();
      expect(b.calls[0].sendAfter).toBeUndefined();
      expect(events.at(-1)).toMatchObject({ type: 'usage', model: 'small' });
    });

    it('ends without events when the gated first attempt is dropped', async () => {
      const events = await drain(
        router.stream({ model: 'big', messages: [], sendAfter: Promise.resolve(false) }),
      );
      expect(events).toEqual([]);
      expect(b.calls).toHaveLength(0);
    });
  });

  describe(isFailoverError.name, () => {
    it('is false for errors that are not the provider’s', () => {
      expect(isFailoverError(new Error('x'))).toBe(false);
      expect(isFailoverError(failure('malformed_stream'))).toBe(false);
      expect(isFailoverError(failure('upstream_error'))).toBe(false);
    });
  });
});
