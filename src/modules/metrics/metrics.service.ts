import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AppError } from '../../common/errors/app-error';
import { HealthService } from '../health/health.service';
import { processMetricsRegistry } from './process-metrics';

/** How one model call ended (a small fixed set, so the label stays bounded). */
export type LlmCallStatus = 'ok' | 'stopped' | 'timeout' | 'upstream_error' | 'internal_error';

/**
 * What a model call is for: a reply, a conversation's automatic title, or a call through the
 * OpenAI-compatible endpoint (`compat`, API.md §12).
 */
export type LlmCallPurpose = 'reply' | 'title' | 'compat';

const QUOTA_WINDOWS = [
  'daily_requests',
  'monthly_requests',
  'daily_tokens',
  'monthly_tokens',
] as const;
export type QuotaWindowLabel = (typeof QUOTA_WINDOWS)[number];

/** The endpoint label of requests no route matched (404s, body-parser errors, CORS preflights). */
export const UNMATCHED_ENDPOINT = 'unmatched';

/** Measures one generation: started when created, ended by exactly one of `finished`/`failed`. */
export interface GenerationMeter {
  /** The first non-empty piece of text arrived (time to first token). */
  firstToken(): void;
  /** The stream ended normally (`stopped`: the caller aborted it); usage as the provider reported it. */
  finished(usage: { promptTokens: number; completionTokens: number }, stopped: boolean): void;
  /** The generation failed; a no-op after `finished` (a failure while storing is not the model's). */
  failed(error: unknown): void;
  /** The catalog model that serves the reply (a fallback's): labels what is recorded from now on. */
  served(model: string): void;
}

export function llmFailureStatus(error: unknown): LlmCallStatus {
  if (error instanceof AppError && error.code === 'OPENAI_API_ERROR') {
    return error.variant === 'timeout' ? 'timeout' : 'upstream_error';
  }
  return 'internal_error';
}

/**
 * The application's metrics, in a registry of its own: several apps booted in one process
 * (tests) neither collide nor mix values. Process metrics (CPU, memory, event loop…) are
 * process-wide and collected once, and each scrape serves both. No label ever carries a user,
 * an id or a raw path.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'endpoint', 'status'] as const,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to the end of its response (streams included).',
    labelNames: ['method', 'endpoint'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly llmRequests = new Counter({
    name: 'openai_requests_total',
    help: 'Calls to the model provider, by model, purpose (reply, title, compat) and outcome (ok, stopped, timeout, upstream_error, internal_error).',
    labelNames: ['model', 'purpose', 'status'] as const,
    registers: [this.registry],
  });

  private readonly llmTokens = new Counter({
    name: 'openai_tokens_total',
    help: 'Tokens used by completed or stopped calls as the provider reported them, by model, purpose (reply, title, compat) and kind (prompt, completion).',
    labelNames: ['model', 'purpose', 'kind'] as const,
    registers: [this.registry],
  });

  private readonly ttft = new Histogram({
    name: 'openai_time_to_first_token_seconds',
    help: 'Time from starting a generation to its first piece of text.',
    labelNames: ['model'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60],
    registers: [this.registry],
  });

  private readonly generationDuration = new Histogram({
    name: 'openai_generation_duration_seconds',
    help: 'Duration of generations that ended without error (ok or stopped), from start to the last piece.',
    labelNames: ['model'] as const,
    buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });

  private readonly activeGenerations = new Gauge({
    name: 'active_generations',
    help: 'Generations streaming from the model provider in this process now.',
    registers: [this.registry],
  });

  private readonly wsConnections = new Gauge({
    name: 'ws_connections',
    help: 'Authenticated WebSocket connections open on this process.',
    registers: [this.registry],
  });

  private readonly quotaRejections = new Counter({
    name: 'quota_rejections_total',
    help: 'Sends refused with QUOTA_EXCEEDED, by the window named in the answer.',
    labelNames: ['window'] as const,
    registers: [this.registry],
  });

  private readonly rateLimitRejections = new Counter({
    name: 'rate_limit_rejections_total',
    help: 'Requests refused with RATE_LIMIT_EXCEEDED, by limit group.',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });

  private readonly admissionQueue = new Gauge({
    name: 'generation_admission_queue_depth',
    help: 'Generation starts waiting for admission in this process now.',
    registers: [this.registry],
  });

  private readonly admissionWait = new Histogram({
    name: 'generation_admission_wait_seconds',
    help: 'Time a generation start waited in the admission queue before it ran.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly admissionSheds = new Counter({
    name: 'generation_admission_shed_total',
    help: 'Generation starts refused with 503 by the admission queue, by reason (queue_full, wait_timeout).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly orphansClosed = new Counter({
    name: 'generation_orphans_closed_total',
    help: 'Replies of a lost process (its lease expired) closed by the sweeper of this process.',
    registers: [this.registry],
  });

  private readonly overruns = new Counter({
    name: 'generation_overruns_total',
    help: 'Replies cut because the provider streamed past the reserved max_tokens.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  private readonly failovers = new Counter({
    name: 'llm_failovers_total',
    help: 'Calls passed to a fallback model because the model asked for failed before its first token.',
    labelNames: ['from', 'to'] as const,
    registers: [this.registry],
  });

  private readonly fileUploads = new Counter({
    name: 'file_uploads_total',
    help: 'Uploads answered, by the kind read from their bytes (unknown when refused before) and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly fileUploadBytes = new Counter({
    name: 'file_upload_bytes_total',
    help: 'Bytes of the uploads that were stored.',
    registers: [this.registry],
  });

  private readonly filesSwept = new Counter({
    name: 'files_swept_total',
    help: 'Files deleted by the sweeper of this process: unattached uploads, and stored bytes without a row.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private storedBytes: (() => Promise<number>) | null = null;

  constructor(health: HealthService) {
    for (const reason of ['unattached', 'orphaned_bytes']) this.filesSwept.inc({ reason }, 0);
    const source = () => this.storedBytes;
    new Gauge({
      name: 'file_stored_bytes',
      help: 'Bytes of all stored files (every user and replica), read at scrape time.',
      registers: [this.registry],
      async collect() {
        const read = source();
        if (read) this.set(await read());
      },
    });
    this.orphansClosed.inc(0);
    for (const reason of ['queue_full', 'wait_timeout']) this.admissionSheds.inc({ reason }, 0);
    // Known windows start at 0, so rate() over them works before the first rejection.
    for (const window of QUOTA_WINDOWS) this.quotaRejections.inc({ window }, 0);
    // Asked at each scrape (bounded by the health check's timeout), so it is never stale.
    new Gauge({
      name: 'database_up',
      help: '1 when the database answered a ping at scrape time, else 0.',
      registers: [this.registry],
      async collect() {
        this.set((await health.databaseUp()) ? 1 : 0);
      },
    });
  }

  /** Prometheus text of this app's metrics followed by the process metrics. */
  async scrape(): Promise<string> {
    const [app, process] = await Promise.all([
      this.registry.metrics(),
      processMetricsRegistry().metrics(),
    ]);
    return `${app}\n${process}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  httpRequest(method: string, endpoint: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, endpoint, status: String(status) });
    this.httpDuration.observe({ method, endpoint }, seconds);
  }

  generationStarted(
    requested: string,
    purpose: Exclude<LlmCallPurpose, 'title'> = 'reply',
  ): GenerationMeter {
    let model = requested;
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    let sawToken = false;
    let ended = false;
    this.activeGenerations.inc();
    const end = (status: LlmCallStatus) => {
      ended = true;
      this.activeGenerations.dec();
      this.llmRequests.inc({ model, purpose, status });
    };
    return {
      firstToken: () => {
        if (sawToken || ended) return;
        sawToken = true;
        this.ttft.observe({ model }, elapsed());
      },
      finished: (usage, stopped) => {
        if (ended) return;
        end(stopped ? 'stopped' : 'ok');
        this.generationDuration.observe({ model }, elapsed());
        this.tokensUsed(model, purpose, usage);
      },
      failed: (error) => {
        if (!ended) end(llmFailureStatus(error));
      },
      served: (served) => {
        model = served;
      },
    };
  }

  /**
   * One automatic-title call ended (AutoTitles): with its usage when it answered, else how it
   * failed. Not a generation: no gauge, no latency histograms.
   */
  titleCalled(
    model: string,
    outcome: { promptTokens: number; completionTokens: number } | LlmCallStatus,
  ): void {
    if (typeof outcome === 'string') {
      this.llmRequests.inc({ model, purpose: 'title', status: outcome });
      return;
    }
    this.llmRequests.inc({ model, purpose: 'title', status: 'ok' });
    this.tokensUsed(model, 'title', outcome);
  }

  private tokensUsed(
    model: string,
    purpose: LlmCallPurpose,
    usage: { promptTokens: number; completionTokens: number },
  ): void {
    this.llmTokens.inc({ model, purpose, kind: 'prompt' }, usage.promptTokens);
    this.llmTokens.inc({ model, purpose, kind: 'completion' }, usage.completionTokens);
  }

  wsConnected(): void {
    this.wsConnections.inc();
  }

  wsDisconnected(): void {
    this.wsConnections.dec();
  }

  quotaRejected(window: QuotaWindowLabel): void {
    this.quotaRejections.inc({ window });
  }

  /** The admission queue's reports (AdmissionGate). */
  readonly admission = {
    admitted: (waitSeconds: number) => this.admissionWait.observe(waitSeconds),
    shed: (reason: string) => this.admissionSheds.inc({ reason }),
    queueDepth: (depth: number) => this.admissionQueue.set(depth),
  };

  /** A reply of a lost process closed by the sweeper (GenerationLeases). */
  generationOrphaned(): void {
    this.orphansClosed.inc();
  }

  /** A reply cut at its reserved max_tokens: the provider ignored the limit. */
  generationOverran(model: string): void {
    this.overruns.inc({ model });
  }

  /** A model call passed from `from` to its fallback `to` (LlmRouter). */
  llmFailover(from: string, to: string): void {
    this.failovers.inc({ from, to });
  }

  /** An upload answered: `kind` as read from its bytes, `outcome` stored or why refused. */
  fileUploaded(kind: string, outcome: string, bytes = 0): void {
    this.fileUploads.inc({ kind, outcome });
    if (bytes > 0) this.fileUploadBytes.inc(bytes);
  }

  filesSweptAway(reason: 'unattached' | 'orphaned_bytes', count: number): void {
    if (count > 0) this.filesSwept.inc({ reason }, count);
  }

  /** Where the gauge of stored bytes reads its figure (the files module, from the database). */
  storedBytesFrom(read: () => Promise<number>): void {
    this.storedBytes = read;
  }

  rateLimitRejected(group: string): void {
    this.rateLimitRejections.inc({ group });
  }
}
