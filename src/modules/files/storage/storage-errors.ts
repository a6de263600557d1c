/** The object is not in the store (never written, or deleted). */
export class StorageNotFoundError extends Error {
  override readonly name = 'StorageNotFoundError';
}

/**
 * The store could not answer: unreachable, timed out, refused our credentials, answered 5xx, or a
 * local disk error. Its message never carries the store's own text (which may echo credentials or
 * signed URLs); the original error is its `cause`.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}

/** A key that is not `<uuid>/<uuid>`: a programming error, never a user's input reaching the disk. */
export class InvalidStorageKeyError extends Error {
  override readonly name = 'InvalidStorageKeyError';
}
