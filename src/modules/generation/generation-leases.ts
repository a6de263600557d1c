import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { countTextTokens } from '../llm/tokenizer';
import type { MessageStatus } from '../messages/message.entity';
import { MetricsService } from '../metrics/metrics.service';
import { GenerationLeasesRepository, OrphanLease } from './generation-leases.repository';
import { GenerationRunners } from './generation-runner';
import { SendRepository } from './send.repository';
import { STREAM_LOG, StreamLog } from './stream-log';

/** Orphans closed per sweep (the next sweep takes the rest). */
const SWEEP_BATCH = 50;

/**
 * Owners and leases of running replies. This process renews its owner lease every third of
 * GENERATION_LEASE_MS; each reply it opens carries a lease naming it (written by the send's
 * own statement). Every replica sweeps as often for replies whose owner's lease expired — a
 * process killed mid-reply — and closes them: the text streamed so far is stored (from the
 * shared log, or from this process's checkpoint when the log is not shared), status
 * `failed`, the quota settled to what was produced (the rest released), and the log ended
 * with an `error` event so every follower ends. Two sweepers racing, or a sweeper racing a
 * late owner, close a reply once: the closing statement takes the lease.
 */
@Injectable()
export class GenerationLeases implements OnApplicationBootstrap {
  private readonly logger = new Logger('GenerationLeases');
  /** This process's owner id, named by the leases of the replies it opens. */
  readonly owner = `${hostname().slice(0, 32)}-${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly ttlMs: number;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;
  private ticking?: Promise<void>;

  constructor(
    private readonly repo: GenerationLeasesRepository,
    private readonly runners: GenerationRunners,
    private readonly sends: SendRepository,
    @Inject(STREAM_LOG) private readonly log: StreamLog,
    private readonly metrics: MetricsService,
    config: AppConfig,
  ) {
    this.ttlMs = config.env.GENERATION_LEASE_MS;
  }

  /** The owner lease exists before the first send; replies a lost process left are swept at once. */
  async onApplicationBootstrap(): Promise<void> {
    await this.tick();
  }

  /** Stops renewing and ends this process's lease (after the drain: nothing is left to run). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.repo.release(this.owner).catch(() => undefined);
  }

  /** Closes reply `messageId` now if its owner is gone (a stop of a stranded reply); true when it was. */
  async closeIfOrphaned(messageId: string): Promise<boolean> {
    const [orphan] = await this.repo.orphans(
      this.owner,
      this.runners.ids(),
      this.ttlMs,
      1,
      messageId,
    );
    if (!orphan) return false;
    await this.close(orphan);
    return true;
  }

  /** Renews, checkpoints (unshared log only), sweeps; then schedules the next tick. */
  private tick(): Promise<void> {
    this.ticking = this.work().finally(() => {
      this.ticking = undefined;
      if (this.stopped) return;
      // A little jitter so that replicas do not sweep in step.
      const next = (this.ttlMs / 3) * (0.9 + 0.2 * Math.random());
      this.timer = setTimeout(() => void this.tick(), next);
      this.timer.unref();
    });
    return this.ticking;
  }

  private async work(): Promise<void> {
    try {
      await this.repo.renew(this.owner, this.ttlMs);
      if (!this.log.shared) await this.repo.checkpoint(this.runners.progress());
      await this.sweep();
      if (this.failing) this.logger.log('generation leases: the database answers again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        this.logger.warn(`generation leases: renewal or sweep failed: ${String(error)}`);
      }
      this.failing = true;
    }
  }

  private async sweep(): Promise<void> {
    const orphans = await this.repo.orphans(
      this.owner,
      this.runners.ids(),
      this.ttlMs,
      SWEEP_BATCH,
    );
    for (const orphan of orphans) await this.close(orphan);
  }

  /** Closes one orphan (see the class comment); nothing when another closed it first. */
  private async close(orphan: OrphanLease): Promise<void> {
    const id = orphan.messageId;
    const tail = this.log.shared ? await this.log.orphan?.(id).catch(() => null) : null;
    const content =
      tail && tail.content.length >= orphan.content.length ? tail.content : orphan.content;
    const produced = content.length > 0;
    const completion = countTextTokens(content);
    const status: MessageStatus = 'failed';
    const closed = await this.sends.close(
      id,
      {
        content,
        status,
        tokensUsed: produced ? completion : 0,
        promptTokens: produced ? orphan.promptTokens : null,
        completionTokens: produced ? completion : null,
      },
      {
        userId: orphan.userId,
        day: orphan.day,
        month: orphan.month,
        granted: orphan.granted,
        requests: produced ? 1 : 0,
        tokens: produced ? Math.min(orphan.granted, orphan.promptTokens + completion) : 0,
      },
    );
    if (closed && !closed.closed) return;
    this.metrics.generationOrphaned();
    this.logger.warn(
      `closed reply ${id} of a lost process (${content.length} characters kept, ${produced ? 'billed what was produced' : 'not billed'})`,
    );
    if (tail && !tail.ended) {
      await this.log
        .endOrphan?.(id, {
          type: 'error',
          seq: tail.lastSeq + 1,
          error: { code: 'OPENAI_API_ERROR', messageKey: 'error.generation_interrupted' },
        })
        .catch((error: unknown) =>
          this.logger.warn(`could not end the log of reply ${id}: ${String(error)}`),
        );
    }
  }
}
