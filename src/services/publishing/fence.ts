/**
 * Lease fencing of a job's writes: every write a job makes to its post goes through this view of the
 * store, which checks, in the same write transaction, that the job still holds the post's lease
 * (owner and generation). A job that lost its lease (paused past its expiry, then taken over) gets a
 * LeaseLostError instead of overwriting the new holder's row, and stops.
 */
import type { LeaseFence, PostsRepo, Store } from '../../store/index.js';

/** The post's lease is no longer this job's: another process took the post over. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/** True while the stored lease of the post is still `fence`. */
export function holdsLease(store: Store, postId: string, fence: LeaseFence): Promise<boolean> {
  return store.posts.holdsLease(postId, fence);
}

export async function assertLease(store: Store, postId: string, fence: LeaseFence): Promise<void> {
  if (!(await holdsLease(store, postId, fence))) throw new LeaseLostError(`post ${postId}: another server process took it over (its lease is no longer this job's)`);
}

/** The store as a job sees it: its post writes are conditional on its lease. */
export function fencedStore(store: Store, fence: LeaseFence): Store {
  const posts = store.posts;
  const guarded =
    <A extends unknown[], R>(write: (id: string, ...args: A) => Promise<R>) =>
    (id: string, ...args: A): Promise<R> =>
      store.transaction(async () => {
        await assertLease(store, id, fence);
        return write(id, ...args);
      });
  // State moves are fenced by transition() itself (the job passes its lease with every move).
  const fencedPosts: PostsRepo = {
    ...posts,
    setProgress: guarded(posts.setProgress),
    recordContainer: guarded(posts.recordContainer),
    markContainerUploaded: guarded(posts.markContainerUploaded),
    setChildContainer: guarded(posts.setChildContainer),
    recordPublishAttempt: guarded(posts.recordPublishAttempt),
    restoreAttempts: guarded(posts.restoreAttempts),
    recordMedia: guarded(posts.recordMedia),
    updateRuntime: guarded(posts.updateRuntime),
  };
  return Object.assign(Object.create(store) as Store, { posts: fencedPosts });
}
