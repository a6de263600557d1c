import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { AppConfig } from '../../config/app-config';
import { ConversationUpdates } from '../conversations/conversation-updates';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { LLM_PROVIDER, LlmMessage, LlmProvider } from '../llm/llm-provider';
import { llmFailureStatus, MetricsService } from '../metrics/metrics.service';
import { GenerationRunners } from './generation-runner';
import { chooseTitle, MAX_TITLE_CHARS } from './title-text';

/** What the title model is told; the user's message follows as the user turn. */
export const TITLE_PROMPT =
  `You name conversations. Answer with a title for the conversation that begins with the ` +
  `user's message below: at most ${MAX_TITLE_CHARS} characters, in the language of that ` +
  `message, without quotes, final punctuation or anything else. Do not answer the message.`;
/** Room for a short title, not for an essay (a model that thinks first may use it all: then the fallback). */
export const TITLE_MAX_TOKENS = 48;
/** A title call still running after this is given up (the default title stays). */
export const TITLE_TIMEOUT_MS = 20_000;
/** Of a long first message, the title model reads the start only. */
const TITLE_INPUT_CHARS = 2_000;

/** The first send into a conversation created without a title. */
export interface TitleJob {
  userId: string;
  conversationId: string;
  /** The reply being generated: a title ready before its end is one of its events. */
  generationId: string;
  /** The conversation's model (used unless TITLE_MODEL is set). */
  model: string;
  /** The user's first message. */
  message: string;
}

interface Pending {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Names conversations created without a title (API.md §11): from the first send, beside the
 * reply (never in its way), one short call to the model, outside the user's quota, cleaned
 * (title-text.ts). One conditional UPDATE stores it unless the user renamed the conversation
 * meanwhile; then it is told to readers of the reply's stream if the reply has not ended
 * (SSE `title`), and to every socket of the user (WebSocket `conversation_updated`, through
 * the bus). Any failure leaves the default title and logs a warning.
 */
@Injectable()
export class AutoTitles implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AutoTitles.name);
  private readonly pending = new Set<Pending>();
  /** See TITLE_TIMEOUT_MS (tests shorten it). */
  timeoutMs = TITLE_TIMEOUT_MS;

  constructor(
    private readonly config: AppConfig,
    @Inject(LLM_PROVIDER) private readonly provider: LlmProvider,
    private readonly conversations: ConversationsRepository,
    private readonly updates: ConversationUpdates,
    private readonly runners: GenerationRunners,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownService,
  ) {}

  /** Titles being made now. */
  get running(): number {
    return this.pending.size;
  }

  /** Starts naming the conversation in the background (nothing when AUTO_TITLE=false). */
  start(job: TitleJob): void {
    if (!this.config.env.AUTO_TITLE) return;
    const controller = new AbortController();
    const entry: Pending = {
      controller,
      done: this.run(job, controller.signal)
        .catch((error: unknown) => {
          this.logger.warn(`title of conversation ${job.conversationId} not set: ${reason(error)}`);
        })
        .finally(() => this.pending.delete(entry)),
    };
    this.pending.add(entry);
  }

  /** Titles still being made: waited for within the shutdown grace, then given up. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.pending.size === 0) return;
    const all = Promise.all([...this.pending].map((p) => p.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      all,
      new Promise((resolve) => (timer = setTimeout(resolve, this.shutdown.graceMs))),
    ]);
    clearTimeout(timer);
    for (const p of this.pending) p.controller.abort();
    await all;
  }

  private async run(job: TitleJob, stop: AbortSignal): Promise<void> {
    const model = this.config.env.TITLE_MODEL ?? job.model;
    const answer = await this.ask(model, job.message, stop);
    if (answer === null) return;
    const title = chooseTitle(answer, job.message);
    if (!title) return;
    if (!(await this.conversations.setAutoTitle(job.conversationId, title))) return;
    await this.runners.aside(job.generationId, { type: 'title', title });
    await this.updates.publish(job.userId, job.conversationId, { title });
  }

  /** The model's answer (possibly junk, cleaned by the caller); null when the call failed. */
  private async ask(model: string, message: string, stop: AbortSignal): Promise<string | null> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([stop, deadline]);
    const messages: LlmMessage[] = [
      { role: 'system', content: TITLE_PROMPT },
      { role: 'user', content: message.slice(0, TITLE_INPUT_CHARS) },
    ];
    let text = '';
    try {
      let usage = { promptTokens: 0, completionTokens: 0 };
      for await (const event of this.provider.stream({
        messages,
        model,
        maxTokens: TITLE_MAX_TOKENS,
        signal,
        purpose: 'title',
      })) {
        if (event.type === 'delta') text += event.text;
        else usage = event;
      }
      // An abort ends the provider's stream quietly: the call did not answer in time.
      if (signal.aborted) {
        this.metrics.titleCalled(model, deadline.aborted ? 'timeout' : 'stopped');
        if (deadline.aborted) this.logger.warn(`title call to ${model} timed out`);
        return null;
      }
      this.metrics.titleCalled(model, usage);
      return text;
    } catch (error) {
      this.metrics.titleCalled(model, llmFailureStatus(error));
      this.logger.warn(`title call to ${model} failed: ${reason(error)}`);
      return null;
    }
  }
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const details = (error as { details?: unknown }).details;
    return details === undefined ? error.message : `${error.message} ${JSON.stringify(details)}`;
  }
  return String(error);
}
