import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { SessionsRepository } from './sessions.repository';

/** Most sessions remembered; past it the map is emptied (the worst case is one early write each). */
const MAX_ENTRIES = 50_000;

/**
 * Keeps `sessions.last_used_at` roughly current without a write per request: a session's use is
 * written at most once per AUTH_SESSION_TOUCH_SECONDS per process, in the background (never
 * awaited by the request), and the UPDATE itself skips a row written within the interval (by
 * another replica, a refresh or the login).
 */
@Injectable()
export class SessionActivity {
  private readonly logger = new Logger(SessionActivity.name);
  private readonly lastWrite = new Map<string, number>();
  private readonly intervalMs: number;

  constructor(
    config: AppConfig,
    private readonly sessions: SessionsRepository,
  ) {
    this.intervalMs = config.env.AUTH_SESSION_TOUCH_SECONDS * 1000;
  }

  /** A request or frame of this session was accepted. */
  used(sessionId: string): void {
    const now = Date.now();
    const last = this.lastWrite.get(sessionId);
    if (last !== undefined && now - last < this.intervalMs) return;
    if (this.lastWrite.size >= MAX_ENTRIES) this.lastWrite.clear();
    this.lastWrite.set(sessionId, now);
    this.sessions.touch(sessionId, this.intervalMs / 1000).catch((error: unknown) => {
      // Only a timestamp: a failure here must never fail the request that used the session.
      this.logger.debug(`last_used_at not written: ${String(error)}`);
    });
  }
}
