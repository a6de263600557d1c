import { Logger } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import type { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import type { ConversationUpdates } from '../conversations/conversation-updates';
import type { ConversationsRepository } from '../conversations/conversations.repository';
import type { LlmEvent, LlmProvider, LlmRequest } from '../llm/llm-provider';
import type { MetricsService } from '../metrics/metrics.service';
import { AutoTitles, TITLE_MAX_TOKENS, TITLE_PROMPT, TitleJob } from './auto-titles';
import type { GenerationEventBody } from './generation-events';
import type { GenerationRunners } from './generation-runner';

const JOB: TitleJob = {
  userId: 'user-1',
  conversationId: 'conv-1',
  generationId: 'reply-1',
  model: 'gpt-4',
  message: 'How do I plan a trip to Lisbon?',
};
const USAGE = {
  type: 'usage',
  promptTokens: 30,
  completionTokens: 4,
  usageSource: 'provider',
  finishReason: 'stop',
} as const;

/** A provider that streams `answer` (or fails with `error`), or waits for the abort when `hang`. */
function fakeProvider(behaviour: { answer?: string[]; error?: Error; hang?: boolean }) {
  const requests: LlmRequest[] = [];
  const provider: LlmProvider = {
    name: 'openai',
    check: () => Promise.resolve({ ok: true, latencyMs: 0 }),
    async *stream(request: LlmRequest): AsyncGenerator<LlmEvent> {
      requests.push(request);
      if (behaviour.error) throw behaviour.error;
      if (behaviour.hang) {
        await new Promise((resolve) =>
          request.signal?.addEventListener('abort', resolve, { once: true }),
        );
        yield { ...USAGE, promptTokens: 0, completionTokens: 0, finishReason: 'aborted' };
        return;
      }
      for (const text of behaviour.answer ?? []) yield { type: 'delta', text };
      yield USAGE;
    },
  };
  return { provider, requests };
}

/** AutoTitles with typed fakes for the provider, the store, the reply's log, the bus and metrics. */
function setup(
  behaviour: Parameters<typeof fakeProvider>[0],
  options: { env?: Record<string, string>; stored?: boolean } = {},
) {
  const config = new AppConfig(validateEnv({ JWT_SECRET: 'x'.repeat(40), ...options.env }));
  const { provider, requests } = fakeProvider(behaviour);
  const conversations = {
    setAutoTitle: jest.fn((_id: string, _title: string) => Promise.resolve(options.stored ?? true)),
  };
  const updates = {
    publish: jest.fn((_userId: string, _id: string, _change: { title?: string }) =>
      Promise.resolve(),
    ),
  };
  const runners = {
    aside: jest.fn((_id: string, _body: GenerationEventBody) => Promise.resolve(true)),
  };
  const metrics = { titleCalled: jest.fn() };
  const shutdown = { graceMs: 0 };
  const titles = new AutoTitles(
    config,
    provider,
    conversations as unknown as ConversationsRepository,
    updates as unknown as ConversationUpdates,
    runners as unknown as GenerationRunners,
    metrics as unknown as MetricsService,
    shutdown as unknown as ShutdownService,
  );
  const settled = async () => {
    while (titles.running > 0) await new Promise((resolve) => setImmediate(resolve));
  };
  return { titles, requests, conversations, updates, runners, metrics, settled };
}

describe(AutoTitles.name, () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  describe('start', () => {
    it("stores the cleaned title, adds it to the reply's events and tells the user's sockets", async () => {
      const s = setup({ answer: ['<think>a trip</think>', '**"Lisbon', ' trip."**'] });

      s.titles.start(JOB);
      await s.settled();

      expect(s.requests).toEqual([
        expect.objectContaining({
          model: 'gpt-4',
          maxTokens: TITLE_MAX_TOKENS,
          purpose: 'title',
          messages: [
            { role: 'system', content: TITLE_PROMPT },
            { role: 'user', content: JOB.message },
          ],
        }),
      ]);
      expect(s.conversations.setAutoTitle).toHaveBeenCalledWith('conv-1', 'Lisbon trip');
      expect(s.runners.aside).toHaveBeenCalledWith('reply-1', {
        type: 'title',
        title: 'Lisbon trip',
      });
      expect(s.updates.publish).toHaveBeenCalledWith('user-1', 'conv-1', { title: 'Lisbon trip' });
      expect(s.metrics.titleCalled).toHaveBeenCalledWith('gpt-4', USAGE);
      expect(warn).not.toHaveBeenCalled();
    });

    it('asks TITLE_MODEL when it is set', async () => {
      const s = setup({ answer: ['Lisbon'] }, { env: { TITLE_MODEL: 'small-model' } });

      s.titles.start(JOB);
      await s.settled();

      expect(s.requests.map((r) => r.model)).toEqual(['small-model']);
      expect(s.metrics.titleCalled).toHaveBeenCalledWith('small-model', USAGE);
    });

    it('does nothing with AUTO_TITLE=false', async () => {
      const s = setup({ answer: ['Lisbon'] }, { env: { AUTO_TITLE: 'false' } });

      s.titles.start(JOB);
      await s.settled();

      expect(s.requests).toEqual([]);
      expect(s.conversations.setAutoTitle).not.toHaveBeenCalled();
    });

    it("falls back to the message's first words when the answer is junk", async () => {
      const s = setup({ answer: ['<think>', 'no room left for the title'] });

      s.titles.start(JOB);
      await s.settled();

      expect(s.conversations.setAutoTitle).toHaveBeenCalledWith('conv-1', JOB.message);
    });

    it('tells nobody when the conversation was renamed meanwhile', async () => {
      const s = setup({ answer: ['Lisbon'] }, { stored: false });

      s.titles.start(JOB);
      await s.settled();

      expect(s.conversations.setAutoTitle).toHaveBeenCalled();
      expect(s.runners.aside).not.toHaveBeenCalled();
      expect(s.updates.publish).not.toHaveBeenCalled();
    });

    it('keeps the default title and warns when the call fails', async () => {
      const s = setup({
        error: new AppError('OPENAI_API_ERROR', 'error.openai', { reason: 'upstream_error' }),
      });

      s.titles.start(JOB);
      await s.settled();

      expect(s.conversations.setAutoTitle).not.toHaveBeenCalled();
      expect(s.updates.publish).not.toHaveBeenCalled();
      expect(s.metrics.titleCalled).toHaveBeenCalledWith('gpt-4', 'upstream_error');
      expect(warn).toHaveBeenCalled();
    });

    it('gives up a call that does not answer in time', async () => {
      const s = setup({ hang: true });
      s.titles.timeoutMs = 10;

      s.titles.start(JOB);
      await s.settled();

      expect(s.conversations.setAutoTitle).not.toHaveBeenCalled();
      expect(s.metrics.titleCalled).toHaveBeenCalledWith('gpt-4', 'timeout');
      expect(warn).toHaveBeenCalled();
    });

    it('warns, and does not throw, when storing the title fails', async () => {
      const s = setup({ answer: ['Lisbon'] });
      s.conversations.setAutoTitle.mockRejectedValueOnce(new Error('database away'));

      s.titles.start(JOB);
      await s.settled();

      expect(s.updates.publish).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('database away'));
    });
  });

  describe('beforeApplicationShutdown', () => {
    it('stops the titles still being made once the grace is over', async () => {
      const s = setup({ hang: true });

      s.titles.start(JOB);
      await s.titles.beforeApplicationShutdown();

      expect(s.titles.running).toBe(0);
      expect(s.metrics.titleCalled).toHaveBeenCalledWith('gpt-4', 'stopped');
      expect(s.conversations.setAutoTitle).not.toHaveBeenCalled();
    });
  });
});
