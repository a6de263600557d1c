import { isApiError } from './errors.ts';
import type { TokenPair } from './types.ts';

/** What a signed-in client holds. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch), from `expires_in`; unknown if absent. */
  expiresAt?: number;
}

/**
 * Where tokens are kept between page loads or processes (e.g. `localStorage` in a browser).
 * Tabs sharing a storage also share refreshes: a tab that finds a newer pair there takes it
 * instead of spending its own refresh token.
 */
export interface TokenStorage {
  load(): Tokens | null | undefined | Promise<Tokens | null | undefined>;
  save(tokens: Tokens | null): void | Promise<void>;
}

/** `localStorage` (or any Web Storage) under one key, for browsers. */
export function webStorage(
  storage: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
  },
  key = 'chat-assistant.tokens',
): TokenStorage {
  return {
    load() {
      const text = storage.getItem(key);
      if (!text) return null;
      try {
        const value = JSON.parse(text) as Partial<Tokens>;
        return typeof value.accessToken === 'string' && typeof value.refreshToken === 'string'
          ? (value as Tokens)
          : null;
      } catch {
        return null;
      }
    },
    save(tokens) {
      if (tokens) storage.setItem(key, JSON.stringify(tokens));
      else storage.removeItem(key);
    },
  };
}

/** The Web Locks API where a browser has it (`navigator.locks`); undefined in Node. */
interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

function browserLocks(): LockManagerLike | undefined {
  const scope = globalThis as { navigator?: { locks?: LockManagerLike }; document?: unknown };
  // Node 22+ has a `navigator`, and newer ones locks too, but there are no tabs to coordinate.
  if (scope.document === undefined) return undefined;
  return scope.navigator?.locks;
}

/** Refresh a little before the access token expires, so a request is not refused for it. */
const EXPIRY_MARGIN_MS = 10_000;

export function tokensOf(pair: TokenPair, now = Date.now()): Tokens {
  return {
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    expiresAt: typeof pair.expires_in === 'number' ? now + pair.expires_in * 1000 : undefined,
  };
}

export interface TokenKeeperOptions {
  storage?: TokenStorage;
  onTokens?: (tokens: Tokens | null) => void;
  /** Exchanges a refresh token for a new pair (POST /auth/refresh, without any retry). */
  refresh: (refreshToken: string) => Promise<TokenPair>;
  /** Name of the cross-tab lock (browsers with `navigator.locks` only). */
  lockName: string;
  /** Use `navigator.locks` when present (default true). */
  crossTabLock?: boolean;
}

/**
 * Holds the access and refresh tokens of one client and refreshes them: at most one refresh
 * is in flight per client (callers that need one meanwhile wait for the same), and, in a
 * browser, at most one per storage across tabs (Web Locks).
 */
export class TokenKeeper {
  private tokens: Tokens | null = null;
  private loading: Promise<void> | undefined;
  private refreshing: Promise<Tokens | null> | undefined;
  private readonly listeners = new Set<(tokens: Tokens | null) => void>();
  /** Refresh requests this client sent (each one spends a refresh token). */
  refreshes = 0;

  constructor(private readonly options: TokenKeeperOptions) {}

  /** The tokens held now (read from the storage on first use). */
  async get(): Promise<Tokens | null> {
    this.loading ??= (async () => {
      const stored = await this.options.storage?.load();
      // Tokens set before the storage answered win.
      if (stored && !this.tokens) this.tokens = stored;
    })();
    await this.loading;
    return this.tokens;
  }

  async set(tokens: Tokens | null): Promise<void> {
    this.loading ??= Promise.resolve();
    const changed =
      tokens?.accessToken !== this.tokens?.accessToken ||
      tokens?.refreshToken !== this.tokens?.refreshToken;
    this.tokens = tokens;
    await this.options.storage?.save(tokens);
    if (!changed) return;
    this.options.onTokens?.(tokens);
    for (const listener of this.listeners) listener(tokens);
  }

  /** Calls `listener` whenever the tokens change (the WebSocket renews its credentials). */
  subscribe(listener: (tokens: Tokens | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The access token to send now, refreshed first when it is known to be (nearly) expired. */
  async accessToken(): Promise<string | undefined> {
    const tokens = await this.get();
    if (!tokens) return undefined;
    if (tokens.expiresAt !== undefined && tokens.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) {
      return (await this.refresh(tokens.accessToken))?.accessToken ?? tokens.accessToken;
    }
    return tokens.accessToken;
  }

  /**
   * A fresh pair after `staleAccessToken` was refused (or expired). When the tokens held have
   * changed since that token was read, they are the answer; otherwise one refresh runs, shared
   * by every caller until it settles. Null when the session cannot be renewed (no refresh
   * token, or it was refused): the tokens are then dropped.
   */
  async refresh(staleAccessToken?: string): Promise<Tokens | null> {
    const held = await this.get();
    if (held && staleAccessToken !== undefined && held.accessToken !== staleAccessToken) {
      return held;
    }
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<Tokens | null> {
    const before = this.tokens;
    const run = async (): Promise<Tokens | null> => {
      // Another tab may have refreshed while this one waited for the lock: its pair is in the
      // shared storage, and this tab's refresh token is already spent.
      const stored = await this.options.storage?.load();
      if (stored && stored.refreshToken !== before?.refreshToken) {
        await this.set(stored);
        return stored;
      }
      const refreshToken = before?.refreshToken;
      if (!refreshToken) return null;
      try {
        this.refreshes++;
        const next = tokensOf(await this.options.refresh(refreshToken));
        await this.set(next);
        return next;
      } catch (error) {
        if (isApiError(error, 'AUTHENTICATION_ERROR')) {
          await this.set(null);
          return null;
        }
        throw error;
      }
    };
    const locks = this.options.crossTabLock === false ? undefined : browserLocks();
    return locks ? locks.request(this.options.lockName, run) : run();
  }
}
