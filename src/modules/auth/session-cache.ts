import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { EVENT_BUS, type BusEvents, type EventBus } from '../../redis/event-bus';
import { endsSession } from './session-ended';
import type { ActiveSession } from './sessions.repository';

/** Most sessions kept; the oldest entry goes first past it. */
const MAX_ENTRIES = 50_000;

interface Entry {
  session: ActiveSession;
  expiresAt: number;
}

/**
 * Live sessions recently checked by this process, so an authenticated request does not read
 * the database every time. An entry lives AUTH_SESSION_CACHE_MS at most; the event bus drops
 * it at once (on every replica) when the session is revoked or its user deactivated or
 * changed, so a revocation stops a session within the bus's delivery time; the lifetime only
 * bounds a change the bus missed. Only live sessions are kept: a refusal is read every time.
 *
 * A read that started before an invalidation of its user must not put back what the
 * invalidation removed: each user has an epoch, bumped by every invalidation, and a read only
 * stores its answer when the epoch it began under is still current.
 */
@Injectable()
export class SessionCache implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly epochs = new Map<string, number>();
  /** Bumped by clear(): a read under way then stores nothing either. */
  private cleared = 0;
  private readonly ttlMs: number;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    config: AppConfig,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {
    this.ttlMs = config.env.AUTH_SESSION_CACHE_MS;
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      this.bus.subscribe('session.revoked', (e) => this.revoked(e)),
      this.bus.subscribe('user.updated', (e) => this.forgetUser(e.userId)),
    );
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe) stop();
  }

  /**
   * The session from the cache, or from `read` (stored when live and nothing invalidated the
   * user meanwhile).
   */
  async get(
    userId: string,
    sessionId: string,
    read: () => Promise<ActiveSession | null>,
  ): Promise<ActiveSession | null> {
    if (this.ttlMs === 0) return read();
    const hit = this.entries.get(sessionId);
    if (hit && hit.expiresAt > Date.now() && hit.session.userId === userId) return hit.session;
    const epoch = this.epochs.get(userId) ?? 0;
    const cleared = this.cleared;
    const session = await read();
    const unchanged = (this.epochs.get(userId) ?? 0) === epoch && this.cleared === cleared;
    if (session && session.userId === userId && unchanged) {
      this.store(session);
    }
    return session;
  }

  /** Forgets everything (tests that change users or sessions in SQL, behind the service). */
  clear(): void {
    this.entries.clear();
    this.byUser.clear();
    this.cleared++;
  }

  /** Entries held now (metrics, tests). */
  get size(): number {
    return this.entries.size;
  }

  private store(session: ActiveSession): void {
    this.entries.delete(session.sessionId);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.drop(oldest);
    }
    this.entries.set(session.sessionId, { session, expiresAt: Date.now() + this.ttlMs });
    let sessions = this.byUser.get(session.userId);
    if (!sessions) this.byUser.set(session.userId, (sessions = new Set()));
    sessions.add(session.sessionId);
  }

  private revoked(e: BusEvents['session.revoked']): void {
    this.bump(e.userId);
    const sessions = this.byUser.get(e.userId);
    if (!sessions) return;
    for (const sessionId of [...sessions]) {
      if (endsSession(e, { userId: e.userId, sessionId })) this.drop(sessionId);
    }
  }

  private forgetUser(userId: string): void {
    this.bump(userId);
    for (const sessionId of [...(this.byUser.get(userId) ?? [])]) this.drop(sessionId);
  }

  private bump(userId: string): void {
    this.epochs.set(userId, (this.epochs.get(userId) ?? 0) + 1);
    // Epochs matter only to reads in flight; a bounded map is enough (a reset epoch can only
    // make a read in flight store an entry that expires within the lifetime).
    if (this.epochs.size > MAX_ENTRIES) this.epochs.clear();
  }

  private drop(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    const sessions = this.byUser.get(entry.session.userId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.byUser.delete(entry.session.userId);
  }
}
