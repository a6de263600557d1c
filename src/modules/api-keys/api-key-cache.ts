import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { EVENT_BUS, type BusEvents, type EventBus } from '../../redis/event-bus';
import type { ResolvedApiKey } from './api-keys.repository';

/** Most keys kept; the oldest entry goes first past it. */
const MAX_ENTRIES = 50_000;

interface Entry {
  key: ResolvedApiKey;
  hash: string;
  expiresAt: number;
}

/**
 * Unrevoked keys recently checked by this process, by hash, so a request with a key does not
 * read the database every time (the same bargain as SessionCache, with the same lifetime,
 * AUTH_SESSION_CACHE_MS). The event bus drops entries at once on every replica: a revoked
 * key's id arrives as a `session.revoked` session id (a key stands for a session of its own,
 * so its sockets and streams end as a session's do), and `user.updated` (deactivation, role,
 * tier, name) drops all of that user's keys. The lifetime only bounds a change the bus missed.
 * A key's own expiry is checked on every use by the verifier, cached or not.
 *
 * A read that began before an invalidation must not put back what it removed; a read by hash
 * does not know its user until it returns, so any invalidation meanwhile (a rare event) makes
 * it store nothing.
 */
@Injectable()
export class ApiKeyCache implements OnModuleInit, OnModuleDestroy {
  private readonly byHash = new Map<string, Entry>();
  private readonly hashById = new Map<string, string>();
  private readonly byUser = new Map<string, Set<string>>();
  /** Bumped by every invalidation. */
  private generation = 0;
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

  /** The key with this hash, from the cache or from `read` (stored when found and nothing invalidated meanwhile). */
  async byHashOr(
    hash: string,
    read: () => Promise<ResolvedApiKey | null>,
  ): Promise<ResolvedApiKey | null> {
    if (this.ttlMs === 0) return read();
    const hit = this.byHash.get(hash);
    if (hit && hit.expiresAt > Date.now()) return hit.key;
    return this.readAndStore(read, (key) => this.store(hash, key));
  }

  /** The key with this id, from the cache when held, else from `read` (not stored: no hash to file it under). */
  async byIdOr(
    keyId: string,
    read: () => Promise<ResolvedApiKey | null>,
  ): Promise<ResolvedApiKey | null> {
    const hash = this.hashById.get(keyId);
    const hit = hash === undefined ? undefined : this.byHash.get(hash);
    if (this.ttlMs > 0 && hit && hit.expiresAt > Date.now()) return hit.key;
    return read();
  }

  /** Forgets everything (tests that change keys or users in SQL). */
  clear(): void {
    this.byHash.clear();
    this.hashById.clear();
    this.byUser.clear();
    this.generation++;
  }

  /** Entries held now (tests). */
  get size(): number {
    return this.byHash.size;
  }

  private async readAndStore(
    read: () => Promise<ResolvedApiKey | null>,
    store: (key: ResolvedApiKey) => void,
  ): Promise<ResolvedApiKey | null> {
    const generation = this.generation;
    const key = await read();
    if (key && this.generation === generation) store(key);
    return key;
  }

  private store(hash: string, key: ResolvedApiKey): void {
    this.drop(hash);
    if (this.byHash.size >= MAX_ENTRIES) {
      const oldest = this.byHash.keys().next().value;
      if (oldest !== undefined) this.drop(oldest);
    }
    this.byHash.set(hash, { key, hash, expiresAt: Date.now() + this.ttlMs });
    this.hashById.set(key.keyId, hash);
    let hashes = this.byUser.get(key.userId);
    if (!hashes) this.byUser.set(key.userId, (hashes = new Set()));
    hashes.add(hash);
  }

  private revoked(e: BusEvents['session.revoked']): void {
    this.generation++;
    for (const id of e.sessionIds ?? []) {
      const hash = this.hashById.get(id);
      if (hash !== undefined) this.drop(hash);
    }
  }

  private forgetUser(userId: string): void {
    this.generation++;
    for (const hash of [...(this.byUser.get(userId) ?? [])]) this.drop(hash);
  }

  private drop(hash: string): void {
    const entry = this.byHash.get(hash);
    if (!entry) return;
    this.byHash.delete(hash);
    this.hashById.delete(entry.key.keyId);
    const hashes = this.byUser.get(entry.key.userId);
    hashes?.delete(hash);
    if (hashes?.size === 0) this.byUser.delete(entry.key.userId);
  }
}
