import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { AppError } from '../errors/app-error';

/** What a refused request is told to wait before retrying (by then it reaches another replica). */
export const DRAIN_RETRY_AFTER_SECONDS = 5;

/**
 * Whether this process is draining: set at once on SIGTERM (main.ts), and at the latest when
 * the application starts closing. While draining, readiness answers 503 and no new
 * generation starts; everything else is still served until the server closes.
 */
@Injectable()
export class ShutdownService implements OnModuleDestroy {
  private readonly logger = new Logger(ShutdownService.name);
  private drainingSince: number | null = null;

  constructor(private readonly config: AppConfig) {}

  get draining(): boolean {
    return this.drainingSince !== null;
  }

  /** How long running generations may go on once draining (SHUTDOWN_GRACE_MS). */
  get graceMs(): number {
    return this.config.env.SHUTDOWN_GRACE_MS;
  }

  beginDrain(reason = 'shutdown'): void {
    if (this.drainingSince !== null) return;
    this.drainingSince = Date.now();
    this.logger.log(
      { reason, grace_ms: this.graceMs },
      `draining (${reason}): readiness is 503, no new generations`,
    );
  }

  /** Throws SERVICE_UNAVAILABLE (503, Retry-After) while draining. */
  assertAccepting(): void {
    if (this.draining) {
      throw new AppError('SERVICE_UNAVAILABLE', 'error.shutting_down', {
        retry_after: DRAIN_RETRY_AFTER_SECONDS,
      });
    }
  }

  /** Closing without a signal (tests, app.close()) drains too: the first hook Nest runs. */
  onModuleDestroy(): void {
    this.beginDrain('application closing');
  }
}
