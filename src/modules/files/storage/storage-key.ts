import { InvalidStorageKeyError } from './storage-errors';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const UUID_ONLY = new RegExp(`^${UUID}$`);
const OBJECT_KEY = new RegExp(`^${UUID}/${UUID}$`);
/** A write in progress (or left by a crash) beside its object: `<uuid>/<uuid>.<16 hex>.tmp`. */
const TEMP_KEY = new RegExp(`^${UUID}/${UUID}\\.[0-9a-f]{16}\\.tmp$`);

/**
 * The key of a user's file: `<user id>/<file id>`. Both must be UUIDs (either case; the key is
 * lower-case), so a key never holds a user's filename, a `..`, a slash of its own or an absolute path.
 */
export function storageKey(userId: string, fileId: string): string {
  for (const id of [userId, fileId]) {
    if (typeof id !== 'string' || !UUID_ONLY.test(id.toLowerCase())) {
      throw new InvalidStorageKeyError(`storage keys are made of UUIDs; refused ${quote(id)}`);
    }
  }
  return `${userId.toLowerCase()}/${fileId.toLowerCase()}`;
}

export function isObjectKey(key: string): boolean {
  return OBJECT_KEY.test(key);
}

export function isTempKey(key: string): boolean {
  return TEMP_KEY.test(key);
}

/** What `put`, `get` and `open` accept. */
export function assertObjectKey(key: string): void {
  if (typeof key !== 'string' || !isObjectKey(key)) {
    throw new InvalidStorageKeyError(`not a storage key: ${quote(key)}`);
  }
}

/** What `delete` accepts: an object's key, or a temp file's key as `list` gave it. */
export function assertDeletableKey(key: string): void {
  if (typeof key !== 'string' || !(isObjectKey(key) || isTempKey(key))) {
    throw new InvalidStorageKeyError(`not a storage key: ${quote(key)}`);
  }
}

function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
}
