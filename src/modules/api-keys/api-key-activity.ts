import { Injectable, Logger } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';

/** A key's `last_used_at` is written at most this often. */
export const API_KEY_TOUCH_SECONDS = 60;
const MAX_ENTRIES = 50_000;

/**
 * Keeps `api_keys.last_used_at` current to the minute without a write per request: at most one
 * write per key per minute per process, in the background, and the UPDATE itself skips a row
 * another replica wrote within the minute.
 */
@Injectable()
export class ApiKeyActivity {
  private readonly logger = new Logger(ApiKeyActivity.name);
  private readonly lastWrite = new Map<string, number>();

  constructor(private readonly keys: ApiKeysRepository) {}

  used(keyId: string): void {
    const now = Date.now();
    const last = this.lastWrite.get(keyId);
    if (last !== undefined && now - last < API_KEY_TOUCH_SECONDS * 1000) return;
    if (this.lastWrite.size >= MAX_ENTRIES) this.lastWrite.clear();
    this.lastWrite.set(keyId, now);
    this.keys.touch(keyId, API_KEY_TOUCH_SECONDS).catch((error: unknown) => {
      // Only a timestamp: a failure must never fail the request that used the key.
      this.logger.debug(`api key last_used_at not written: ${String(error)}`);
    });
  }
}
