import type { PostRecord } from './types.js';

export class StoreError extends Error {
  override name = 'StoreError';
}

/** An update addressed a row that does not exist (for this owner). */
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
}

/** A post with the same (owner, idempotency key) exists; `existing` is that post. */
export class DuplicateIdempotencyKeyError extends StoreError {
  override name = 'DuplicateIdempotencyKeyError';
  constructor(readonly existing: PostRecord) {
    super(`a post with idempotency key "${existing.idempotencyKey}" already exists (post ${existing.id}, state ${existing.state})`);
  }
}
