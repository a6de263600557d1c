import { AppError } from '../../src/common/errors/app-error';
import type {
  LlmEvent,
  LlmMessage,
  LlmRequest,
  LlmUsageEvent,
} from '../../src/modules/llm/llm-provider';
import { OpenAiProvider, OpenAiProviderOptions } from '../../src/modules/llm/openai.provider';
import { countChatTokens, countTextTokens } from '../../src/modules/llm/tokenizer';
import { FakeOpenAi, piecesOf, startFakeOpenAi } from '../support/fake-openai';
import { httpStatusOf } from '../../src/common/errors/error-codes';

const MESSAGES: LlmMessage[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'What is the capital of France?' },
];
const LONG_TEXT = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
/** Retry-After in milliseconds, so SDK retries do not wait their default half second. */
const QUICK_RETRY = { 'retry-after-ms': '5' };

interface Outcome {
  deltas: string[];
  text: string;
  usage?: LlmUsageEvent;
  events: LlmEvent[];
  error?: unknown;
}

/** Runs a stream to its end, keeping every event and the error it throws, if any. */
async function collect(
  stream: AsyncIterable<LlmEvent>,
  onDelta?: (count: number) => void | Promise<void>,
): Promise<Outcome> {
  const outcome: Outcome = { deltas: [], text: '', events: [] };
  try {
    for await (const event of stream) {
      outcome.events.push(event);
      if (event.type === 'delta') {
        outcome.deltas.push(event.text);
        outcome.text += event.text;
        await onDelta?.(outcome.deltas.length);
      } else {
        outcome.usage = event;
      }
    }
  } catch (error) {
    outcome.error = error;
  }
  return outcome;
}

function expectProviderError(error: unknown, status: number, details: Record<string, unknown>) {
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe('OPENAI_API_ERROR');
  expect(httpStatusOf(appError.code, appError.variant)).toBe(status);
  expect(appError.details).toEqual(details);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe(OpenAiProvider.name, () => {
  let fake: FakeOpenAi;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake.close();
  });

  const provider = (overrides: Partial<OpenAiProviderOptions> = {}) =>
    new OpenAiProvider({
      apiKey: 'sk-test-key',
      baseURL: fake.baseURL,
      requestTimeoutMs: 5000,
      maxRetries: 2,
      firstTokenTimeoutMs: 5000,
      idleTimeoutMs: 5000,
      ...overrides,
    });
  const request = (overrides: Partial<LlmRequest> = {}): LlmRequest => ({
    messages: MESSAGES,
    model: 'gpt-3.5-turbo',
    ...overrides,
  });

  describe('stream', () => {
    it('streams the deltas in order, then the provider-reported usage', async () => {
      fake.script({ text: 'Paris is the capital of France.', chunkIntervalMs: 2 });
      const out = await collect(provider().stream(request({ temperature: 0.2, maxTokens: 100 })));
      expect(out.error).toBeUndefined();
      expect(out.deltas).toEqual(piecesOf('Paris is the capital of France.'));
      expect(out.text).toBe('Paris is the capital of France.');
      expect(out.events.at(-1)).toEqual({
        type: 'usage',
        promptTokens: 42,
        completionTokens: out.deltas.length,
        usageSource: 'provider',
        finishReason: 'stop',
      });
      expect(out.events.filter((e) => e.type === 'usage')).toHaveLength(1);

      const [sent] = fake.chatRequests;
      expect(sent.headers.authorization).toBe('Bearer sk-test-key');
      expect(sent.body).toMatchObject({
        model: 'gpt-3.5-turbo',
        messages: MESSAGES,
        temperature: 0.2,
        max_tokens: 100,
        stream: true,
        stream_options: { include_usage: true },
      });
    });

    it('leaves temperature and max_tokens to the provider when not given', async () => {
      await collect(provider().stream(request()));
      const body = fake.chatRequests[0].body!;
      expect(body).not.toHaveProperty('temperature');
      expect(body).not.toHaveProperty('max_tokens');
    });

    it('counts usage with the tokenizer when the server reports none', async () => {
      fake.script({ text: 'Paris, of course.', usage: false });
      const out = await collect(provider().stream(request()));
      expect(out.usage).toEqual({
        type: 'usage',
        promptTokens: countChatTokens(MESSAGES),
        completionTokens: countTextTokens('Paris, of course.'),
        usageSource: 'tokenizer',
        finishReason: 'stop',
      });
      expect(out.usage!.promptTokens).toBeGreaterThan(10);
    });

    it('reports a reply cut by max_tokens as finishReason length', async () => {
      fake.script({ text: 'Paris', finishReason: 'length' });
      const out = await collect(provider().stream(request({ maxTokens: 1 })));
      expect(out.usage?.finishReason).toBe('length');
    });
  });

  describe('retries', () => {
    it.each([429, 500, 503])(
      'retries %i before the first token and then streams',
      async (status) => {
        fake.script({ status, headers: QUICK_RETRY }, { status, headers: QUICK_RETRY });
        const out = await collect(provider({ maxRetries: 2 }).stream(request()));
        expect(out.error).toBeUndefined();
        expect(out.text).toBe('Hello from the fake model.');
        expect(fake.chatRequests).toHaveLength(3);
      },
    );

    it('gives up after LLM_MAX_RETRIES with 502 and the upstream status', async () => {
      fake.setDefault({ status: 429, headers: QUICK_RETRY });
      const out = await collect(provider({ maxRetries: 1 }).stream(request()));
      expectProviderError(out.error, 502, { reason: 'upstream_error', upstream_status: 429 });
      expect(out.deltas).toEqual([]);
      expect(fake.chatRequests).toHaveLength(2);
    });

    it('does not retry a 4xx other than 429 and passes its status on', async () => {
      fake.setDefault({ status: 401 });
      const out = await collect(provider({ maxRetries: 2 }).stream(request()));
      expectProviderError(out.error, 502, { reason: 'upstream_error', upstream_status: 401 });
      expect(fake.chatRequests).toHaveLength(1);
    });

    it('does not retry once the stream has started', async () => {
      fake.script({ cutAfterChunks: 3 });
      const out = await collect(provider({ maxRetries: 2 }).stream(request()));
      expectProviderError(out.error, 502, { reason: 'connection_error' });
      expect(out.deltas.length).toBeGreaterThan(0);
      expect(fake.chatRequests).toHaveLength(1);
    });
  });

  describe('timeouts', () => {
    it('answers 504 when headers come but no chunk within the first-token timeout', async () => {
      fake.script({ stallAfterChunks: 0 });
      const started = Date.now();
      const out = await collect(provider({ firstTokenTimeoutMs: 200 }).stream(request()));
      expectProviderError(out.error, 504, { reason: 'first_token_timeout' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await fake.waitForClientClose(fake.chatRequests[0])).toBe(true);
    });

    it('counts the first-token timeout from the request, across retries', async () => {
      fake.setDefault({ status: 500, headers: { 'retry-after-ms': '150' } });
      const out = await collect(
        provider({ firstTokenTimeoutMs: 250, maxRetries: 5 }).stream(request()),
      );
      expectProviderError(out.error, 504, { reason: 'first_token_timeout' });
      expect(fake.chatRequests.length).toBeLessThan(4);
    });

    it('answers 504 when the server never sends headers (per-attempt timeout, retried)', async () => {
      fake.setDefault({ stallBeforeHeaders: true });
      const out = await collect(
        provider({ requestTimeoutMs: 150, maxRetries: 1, firstTokenTimeoutMs: 5000 }).stream(
          request(),
        ),
      );
      expectProviderError(out.error, 504, { reason: 'request_timeout' });
      expect(fake.chatRequests).toHaveLength(2);
    });

    it('answers 504 when the stream stalls between chunks, after the deltas already sent', async () => {
      fake.script({ text: LONG_TEXT, stallAfterChunks: 4 });
      const out = await collect(provider({ idleTimeoutMs: 200 }).stream(request()));
      expectProviderError(out.error, 504, { reason: 'idle_timeout' });
      // The role chunk, then three words.
      expect(out.deltas).toEqual(piecesOf(LONG_TEXT).slice(0, 3));
      expect(out.usage).toBeUndefined();
      expect(await fake.waitForClientClose(fake.chatRequests[0])).toBe(true);
    });

    it('does not count a slow consumer against the idle timeout', async () => {
      fake.script({ text: 'one two three' });
      const out = await collect(provider({ idleTimeoutMs: 150 }).stream(request()), () =>
        sleep(250),
      );
      expect(out.error).toBeUndefined();
      expect(out.text).toBe('one two three');
      expect(out.usage?.finishReason).toBe('stop');
    });
  });

  describe('abort', () => {
    it('ends quietly mid-stream, closes the upstream request and counts usage itself', async () => {
      fake.script({ text: LONG_TEXT, chunkIntervalMs: 10 });
      const controller = new AbortController();
      const out = await collect(provider().stream(request({ signal: controller.signal })), (n) => {
        if (n === 3) controller.abort();
      });
      expect(out.error).toBeUndefined();
      expect(out.deltas).toEqual(piecesOf(LONG_TEXT).slice(0, 3));
      expect(out.events.at(-1)).toEqual({
        type: 'usage',
        promptTokens: countChatTokens(MESSAGES),
        completionTokens: countTextTokens(out.text),
        usageSource: 'tokenizer',
        finishReason: 'aborted',
      });
      const [sent] = fake.chatRequests;
      expect(await fake.waitForClientClose(sent)).toBe(true);
      expect(sent.finished).toBe(false);
    });

    it('ends quietly when aborted before the first chunk', async () => {
      fake.script({ stallAfterChunks: 0 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const out = await collect(provider().stream(request({ signal: controller.signal })));
      expect(out.error).toBeUndefined();
      expect(out.deltas).toEqual([]);
      expect(out.usage).toMatchObject({ completionTokens: 0, finishReason: 'aborted' });
      expect(await fake.waitForClientClose(fake.chatRequests[0])).toBe(true);
    });

    it('ends at once when aborted during a retry wait', async () => {
      // The SDK's own retry sleep is not abortable and outlives the test: keep it short.
      fake.setDefault({ status: 429, headers: { 'retry-after-ms': '800' } });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const started = Date.now();
      const out = await collect(provider().stream(request({ signal: controller.signal })));
      expect(Date.now() - started).toBeLessThan(500);
      expect(out.error).toBeUndefined();
      expect(out.usage?.finishReason).toBe('aborted');
      expect(fake.chatRequests).toHaveLength(1);
    });

    it('sends nothing when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      const out = await collect(provider().stream(request({ signal: controller.signal })));
      expect(out.events).toEqual([
        {
          type: 'usage',
          promptTokens: 0,
          completionTokens: 0,
          usageSource: 'tokenizer',
          finishReason: 'aborted',
        },
      ]);
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('closes the upstream request when the consumer stops iterating', async () => {
      fake.script({ text: LONG_TEXT, chunkIntervalMs: 10 });
      let seen = 0;
      for await (const event of provider().stream(request())) {
        if (event.type === 'delta' && ++seen === 2) break;
      }
      expect(await fake.waitForClientClose(fake.chatRequests[0])).toBe(true);
    });
  });

  describe('malformed upstream answers', () => {
    it('maps a non-JSON SSE event to 502 after the good deltas', async () => {
      fake.script({ text: 'alpha beta gamma', garbageAfterChunks: 2 });
      const out = await collect(provider().stream(request()));
      expectProviderError(out.error, 502, { reason: 'malformed_stream' });
      expect(out.deltas).toEqual(['alpha ']);
    });

    it('maps an error event inside the stream to 502', async () => {
      fake.script({ errorEventAfterChunks: 2 });
      const out = await collect(provider().stream(request()));
      expectProviderError(out.error, 502, { reason: 'upstream_error' });
    });

    it('maps a connection cut mid-stream to 502', async () => {
      fake.script({ text: LONG_TEXT, cutAfterChunks: 5 });
      const out = await collect(provider().stream(request()));
      expectProviderError(out.error, 502, { reason: 'connection_error' });
      expect(out.deltas).toHaveLength(4);
    });

    it('maps a stream that ends without a finish reason to 502', async () => {
      fake.script({ finishReason: null, usage: false });
      const out = await collect(provider().stream(request()));
      expectProviderError(out.error, 502, { reason: 'incomplete_stream' });
    });

    it('maps an unreachable server to 502', async () => {
      const closed = await startFakeOpenAi();
      await closed.close();
      const out = await collect(
        provider({ baseURL: closed.baseURL, maxRetries: 0 }).stream(request()),
      );
      expectProviderError(out.error, 502, { reason: 'connection_error' });
    });

    it('never throws anything but an AppError', async () => {
      for (const reply of [{ garbageAfterChunks: 0 }, { cutAfterChunks: 0 }, { status: 418 }]) {
        fake.script(reply);
        const out = await collect(provider({ maxRetries: 0 }).stream(request()));
        expect(out.error).toBeInstanceOf(AppError);
      }
    });
  });

  describe('check', () => {
    it('lists the models and spends no tokens', async () => {
      const result = await provider().check();
      expect(result.ok).toBe(true);
      expect(result.latencyMs).toBeGreaterThanOrEqual(0);
      expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
    });

    it('reports the upstream status when the server refuses', async () => {
      fake.setModelsStatus(401);
      expect(await provider().check()).toMatchObject({
        ok: false,
        upstreamStatus: 401,
        reason: 'upstream_error',
      });
      expect(fake.requests).toHaveLength(1);
    });

    it('reports an unreachable server', async () => {
      const closed = await startFakeOpenAi();
      await closed.close();
      expect(await provider({ baseURL: closed.baseURL }).check()).toMatchObject({
        ok: false,
        reason: 'connection_error',
      });
    });
  });
});
