/**
 * Step `publish` (publishing): media_publish, never retried blindly. Only an error that proves nothing
 * happened (9007 not ready, never sent, quota: instagram/errors.ts) is acted on as is; after any other
 * failure, and whenever the step is resumed, the container is read first: PUBLISHED means it went
 * live, and its media id is looked up among the account's newest media. A post is reported failed
 * only when Instagram shows it is not live: the container read again with backoff (one read may be
 * stale) and the account's newest media searched for it. Once live, the media id is never dropped:
 * a store that cannot write is tried again, and meanwhile the runner keeps the id in memory.
 */
import { AppError, describeError } from '../../../errors.js';
import { ContainerFailedError, readPublishFailure, ReportedFailureError, retryAfterMsOf } from '../../../instagram/errors.js';
import type { GraphHttp } from '../../../instagram/http.js';
import { listMedia, listStories, type MediaItem } from '../../../instagram/media.js';
import { getMediaPermalink, getPublishingLimit, publishContainer, type ContainerStatus } from '../../../instagram/publishing.js';
import { isStoreUnavailable, type PostRecord, type Store } from '../../../store/index.js';
import type { PostCall } from '../postAccount.js';
import { failureReportOf } from '../failure.js';
import { publishedChange } from '../stateTable.js';
import { describeContainer, isLeaveForLater, readStatusPatiently, type Step, type StepOutcome, type StepScope } from './scope.js';

/** Publish attempts (each one preceded by a status read proving the previous did not go through). */
export const MAX_PUBLISH_ATTEMPTS = 4;
/** Before a post is reported failed: the container is read again after each of these waits. */
const PROOF_REREADS_MS = [2000, 5000, 10_000, 20_000];
/** A write made once the post is live is tried again after each of these waits (store locked or full). */
const LIVE_WRITE_RETRIES_MS = [250, 500, 1000, 2000, 4000, 8000];
/** The longest wait asked by Instagram that is waited here before publishing again (longer: left for later). */
const MAX_IN_STEP_WAIT_MS = 60_000;

/** The post is live (with this media id, when known) but the store cannot record it now. */
export class UnsavedMediaError extends Error {
  override name = 'UnsavedMediaError';
  constructor(
    readonly mediaId: string | null,
    cause: unknown,
  ) {
    super(`the post is live${mediaId ? ` as media ${mediaId}` : ''} but the store cannot record it now (${describeError(cause).message})`, { cause });
  }
}

export const publish: Step = async (s, post) => {
  const containerId = post.containerId!;
  // Its media id is known (stored, or kept by the runner while the store could not write): it is live.
  if (post.mediaId) return completePublished(s, post, post.mediaId);
  // A refusal whose proof was left for later: finish the proof; it is never a reason to publish again.
  const pending = post.runtime.proofPending;
  if (pending) {
    const proof = await proveNotLive(s, post, containerId);
    if (proof !== 'not_live') return proof;
    throw new ReportedFailureError(pending);
  }
  // A publish attempted before (this run or a previous process) may have gone through: look first.
  if (post.attempts > 0) {
    const status = await readStatusPatiently(s, post, containerId);
    if (isLeaveForLater(status)) return status;
    const settled = await settleFromStatus(s, post, containerId, status);
    if (settled !== 'not_live') return settled;
    if (status.statusCode === 'IN_PROGRESS') {
      await s.move(post, 'processing');
      return;
    }
    if (post.attempts >= MAX_PUBLISH_ATTEMPTS) {
      const proof = await proveNotLive(s, post, containerId);
      if (proof !== 'not_live') return proof;
      throw new AppError('publish_failed', `Instagram did not accept the publish after ${post.attempts} attempts; the post is not live (its container is still unpublished).`, 'Try again later with instagram_create_post; nothing was published.');
    }
  }
  // No second quota read here: the one made at creation gates this, and media_publish enforces the
  // quota itself (9/2207042, nothing published), which saves a round trip before the publish.
  await s.quotaGate;
  await s.store.posts.recordPublishAttempt(post.id, post.attempts + 1, s.clock.now());
  let mediaId: string;
  try {
    mediaId = (await s.call(post, (auth) => publishContainer(s.graph, auth, containerId, s.signal))).mediaId;
  } catch (err) {
    if (s.signal.aborted) throw err;
    return afterFailedPublish(s, post, containerId, err);
  }
  // Stored before anything else can fail: from here on the post is live.
  await keepLive(s, post, mediaId, async () => s.store.posts.recordMedia(post.id, { mediaId }));
  s.logger.info('published', { post: post.id, media: mediaId });
  await completePublished(s, post, mediaId);
};

async function afterFailedPublish(s: StepScope, post: PostRecord, containerId: string, err: unknown): Promise<StepOutcome> {
  const failure = readPublishFailure(err);
  if (failure === 'not_ready') {
    // 9007 proves nothing was published: wait for processing again.
    s.logger.info('container not ready at publish; polling again', { post: post.id });
    await s.move(post, 'processing', { columns: { attempts: post.attempts } });
    return;
  }
  if (failure === 'not_applied') {
    // Proven not applied (never sent): the attempt does not count, but do not hammer.
    await s.store.posts.restoreAttempts(post.id, post.attempts);
    const retryAfterMs = retryAfterMsOf(err);
    if (++s.notAppliedPublishes > MAX_PUBLISH_ATTEMPTS || retryAfterMs > MAX_IN_STEP_WAIT_MS) {
      return { leaveForLater: `Instagram kept refusing the publish for now (${describeError(err).message}); nothing was published and it will be tried again.` };
    }
    await s.sleep(Math.max(2000, retryAfterMs));
    return;
  }
  if (err instanceof AppError && err.code === 'needs_reauth') throw err;
  if (failure === 'quota') {
    const limit = await s.call(post, (auth) => getPublishingLimit(s.graph, auth, s.signal)).catch(() => null);
    throw await s.quota.refusal(await s.account(post), limit, describeError(err).message);
  }
  // Anything else (code 4, a spam block, 5xx, a timeout…) may have gone live: the container says.
  s.logger.warn('publish outcome unknown; reading the container', { post: post.id, error: describeError(err).message });
  const status = await readStatusPatiently(s, post, containerId);
  if (isLeaveForLater(status)) return status;
  const settled = await settleFromStatus(s, post, containerId, status);
  if (settled !== 'not_live') return settled;
  if (failure === 'refused' || post.attempts + 1 >= MAX_PUBLISH_ATTEMPTS) {
    const proof = await proveNotLive(s, post, containerId);
    if (isLeaveForLater(proof)) await s.store.posts.updateRuntime(post.id, { proofPending: failureReportOf(err) });
    if (proof !== 'not_live') return proof;
    throw err;
  }
  if (status.statusCode === 'IN_PROGRESS') {
    await s.move(post, 'processing');
    return;
  }
  // Not live: publish again (the container is read again first), after the wait Instagram asked for.
  const waitMs = Math.max(1000 * (post.attempts + 1), retryAfterMsOf(err));
  if (waitMs > MAX_IN_STEP_WAIT_MS) {
    return { leaveForLater: `Instagram asked to wait before publishing again (${describeError(err).message}); the post is not live yet and its container is read again before the next try.` };
  }
  await s.sleep(waitMs);
}

/**
 * Before a post is reported failed: the container is read again with backoff (a read may lag behind
 * the publish) and the account's newest media are searched for it. `not_live` only when all agree.
 */
async function proveNotLive(s: StepScope, post: PostRecord, containerId: string): Promise<StepOutcome | 'not_live'> {
  for (const delay of PROOF_REREADS_MS) {
    await s.sleep(delay);
    const status = await readStatusPatiently(s, post, containerId);
    if (isLeaveForLater(status)) return status;
    const settled = await settleFromStatus(s, post, containerId, status);
    if (settled !== 'not_live') return settled;
  }
  let found: MediaItem | undefined;
  try {
    found = await findPublishedMedia({ graph: s.graph, store: s.store, call: s.call }, post, s.signal);
  } catch (err) {
    if (s.signal.aborted || err instanceof AppError) throw err;
    return { leaveForLater: `Whether the post went live could not be checked among the account's media yet (${describeError(err).message}); it is checked again before it is reported failed.` };
  }
  if (!found) return 'not_live';
  s.logger.warn("the container reads say unpublished, but the account's media hold the post: it is live", { post: post.id, media: found.id });
  const mediaId = found.id;
  await keepLive(s, post, mediaId, async () => s.store.posts.recordMedia(post.id, { mediaId }));
  await completePublished(s, post, mediaId, found.permalink ?? null);
  return undefined;
}

/** PUBLISHED: it went live (complete the post); ERROR or EXPIRED: it never will; otherwise not live yet. */
async function settleFromStatus(s: StepScope, post: PostRecord, containerId: string, status: ContainerStatus): Promise<StepOutcome | 'not_live'> {
  if (status.statusCode === 'PUBLISHED') return recoverPublished(s, post);
  if (status.statusCode === 'ERROR' || status.statusCode === 'EXPIRED') throw new ContainerFailedError({ ...status, statusCode: status.statusCode }, (await describeContainer(s, post, containerId)));
  return 'not_live';
}

/**
 * A write made once the post is live: tried again while the store cannot write (locked by another
 * process past the busy timeout, disk full), then given up as UnsavedMediaError, which makes the
 * runner keep the media id in memory and write it later. Never a reason to fail the post.
 */
async function keepLive<T>(s: StepScope, post: PostRecord, mediaId: string | null, write: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      const waitMs = LIVE_WRITE_RETRIES_MS[attempt];
      if (waitMs === undefined) throw new UnsavedMediaError(mediaId, err);
      s.logger.warn('the post is live but the store cannot write now; trying again', { post: post.id, media: mediaId, error: describeError(err).message });
      try {
        await s.sleep(waitMs);
      } catch {
        throw new UnsavedMediaError(mediaId, err);
      }
    }
  }
}

async function completePublished(s: StepScope, post: PostRecord, mediaId: string | null, permalinkHint?: string | null): Promise<void> {
  let permalink = permalinkHint ?? null;
  if (mediaId && !permalink) {
    permalink = await s
      .call(post, (auth) => getMediaPermalink(s.graph, auth, mediaId, s.signal))
      .then((p) => p.permalink)
      .catch((err: unknown) => {
        s.logger.warn('permalink not available yet', { post: post.id, error: describeError(err).message });
        return null;
      });
  }
  // The move and its audit entry together, so a write tried again never records the entry twice.
  await keepLive(s, post, mediaId, () =>
    s.store.transaction(async () => {
      const published = await s.move(post, 'completed', publishedChange(mediaId, permalink));
      await s.store.audit.record({
        owner: post.owner,
        agent: post.settings.agent ?? null,
        accountId: post.accountId,
        action: 'post.published',
        detail: { post_id: post.id, kind: post.kind, media_id: mediaId, container_id: published.containerId, permalink, attempts: published.attempts },
      });
    }),
  );
  await s.progress(1, 'published');
}

/** The container is PUBLISHED but the answer was lost: find the media it became. */
async function recoverPublished(s: StepScope, post: PostRecord): Promise<void> {
  s.logger.warn('container already published; recovering the media id', { post: post.id });
  if (post.mediaId) return completePublished(s, post, post.mediaId);
  let found: MediaItem | undefined;
  for (const delay of [0, 1000, 2000, 4000]) {
    if (delay) await s.sleep(delay);
    found = await findPublishedMedia({ graph: s.graph, store: s.store, call: s.call }, post, s.signal).catch((err: unknown) => {
      s.logger.warn('could not list media to find the published post', { post: post.id, error: describeError(err).message });
      return undefined;
    });
    if (found) break;
  }
  const foundId = found?.id ?? null;
  if (foundId) await keepLive(s, post, foundId, async () => s.store.posts.recordMedia(post.id, { mediaId: foundId }));
  await completePublished(s, post, foundId, found?.permalink ?? null);
}

/**
 * Instagram does not say which media a container became. The newest media of the account (stories
 * for a story) are matched on product type, caption and publish time, skipping media other posts of
 * this server already claimed.
 */
export async function findPublishedMedia(ctx: { graph: GraphHttp; store: Store; call: PostCall }, post: PostRecord, signal?: AbortSignal): Promise<MediaItem | undefined> {
  const fields = ['id', 'caption', 'media_type', 'media_product_type', 'timestamp', 'permalink'];
  const page = await ctx.call(post, (auth) =>
    post.kind === 'story' ? listStories(ctx.graph, auth, { limit: 25, fields, signal }) : listMedia(ctx.graph, auth, { limit: 10, fields, signal }),
  );
  const claimed = new Set((await ctx.store.posts.listForAccount(post.owner, post.accountId, 200)).filter((p) => p.id !== post.id && p.mediaId).map((p) => p.mediaId!));
  const attemptAt = post.runtime.publishAttemptAt ?? post.updatedAt;
  const first = post.inputs[0];
  const wantType = post.kind === 'carousel' ? 'CAROUSEL_ALBUM' : post.kind === 'story' ? (first?.kind === 'video' ? 'VIDEO' : 'IMAGE') : post.kind === 'image' ? 'IMAGE' : 'VIDEO';
  const candidates = page.items.filter((m) => {
    if (claimed.has(m.id)) return false;
    if (wantType && m.media_type && m.media_type !== wantType) return false;
    if (post.kind !== 'story' && (m.caption ?? '').trim() !== (post.caption ?? '').trim()) return false;
    const at = m.timestamp ? Date.parse(m.timestamp.replace(/\+0000$/, 'Z')) : NaN;
    // Graph timestamps have second precision and clocks differ: a generous margin before the attempt.
    return Number.isNaN(at) || at >= attemptAt - 5 * 60_000;
  });
  return candidates.sort((a, b) => String(a.timestamp ?? '').localeCompare(String(b.timestamp ?? '')))[0];
}
