import { AppError } from '../../common/errors/app-error';

/** Why a start was turned away. */
export type ShedReason = 'queue_full' | 'wait_timeout';

export interface AdmissionOptions {
  /** Starts running at once. */
  concurrency: number;
  /** Starts waiting at most; one more is refused at once. */
  depth: number;
  /** Longest wait in the queue before a start is refused. */
  maxWaitMs: number;
}

/** What the gate reports to metrics. */
export interface AdmissionObserver {
  admitted(waitSeconds: number): void;
  shed(reason: ShedReason): void;
  queueDepth(depth: number): void;
}

interface Waiter {
  enqueuedAt: number;
  resolve: () => void;
  timer: NodeJS.Timeout;
}

/** Bounds of the Retry-After a refusal suggests. */
const MIN_RETRY_MS = 50;

/**
 * A bounded admission queue in front of generation starts (their database work). A burst is
 * admitted in order rather than piling onto the connection pool, where it would wait for the
 * statement timeout and fail with DATABASE_ERROR: past `depth` waiting starts, or after
 * `maxWaitMs` in the queue, a start is refused with 503 SERVICE_UNAVAILABLE and a Retry-After
 * (in seconds and milliseconds) estimated from how fast the queue is moving. A refused start
 * has done nothing: nothing stored, nothing counted, nothing billed.
 */
export class AdmissionGate {
  private active = 0;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 0;
  /** Moving average of how long one admitted start holds its place (ms). */
  private holdMs = 5;

  constructor(
    private readonly options: AdmissionOptions,
    private readonly observer?: AdmissionObserver,
  ) {}

  /** Starts running and waiting now. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.size };
  }

  /** Runs `work` once admitted; throws SERVICE_UNAVAILABLE without running it when shed. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.enter();
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.holdMs = 0.9 * this.holdMs + 0.1 * (performance.now() - started);
      this.leave();
    }
  }

  private enter(): Promise<void> {
    if (this.active < this.options.concurrency && this.waiting.size === 0) {
      this.active++;
      this.observer?.admitted(0);
      return Promise.resolve();
    }
    if (this.waiting.size >= this.options.depth) return Promise.reject(this.shed('queue_full'));
    return new Promise<void>((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        this.observer?.queueDepth(this.waiting.size);
        reject(this.shed('wait_timeout'));
      }, this.options.maxWaitMs);
      this.waiting.set(id, { enqueuedAt: performance.now(), resolve, timer });
      this.observer?.queueDepth(this.waiting.size);
    });
  }

  private leave(): void {
    this.active--;
    for (const [id, next] of this.waiting) {
      if (this.active >= this.options.concurrency) break;
      this.waiting.delete(id);
      clearTimeout(next.timer);
      this.active++;
      this.observer?.admitted((performance.now() - next.enqueuedAt) / 1000);
      next.resolve();
    }
    this.observer?.queueDepth(this.waiting.size);
  }

  private shed(reason: ShedReason): AppError {
    this.observer?.shed(reason);
    // Time for the starts now waiting to get through at the pace they are going.
    const drainMs = ((this.waiting.size + 1) / this.options.concurrency) * this.holdMs;
    const retryMs = Math.round(Math.min(this.options.maxWaitMs, Math.max(MIN_RETRY_MS, drainMs)));
    return new AppError('SERVICE_UNAVAILABLE', 'error.overloaded', {
      reason,
      retry_after: Math.max(1, Math.ceil(retryMs / 1000)),
      retry_after_ms: retryMs,
    });
  }
}
