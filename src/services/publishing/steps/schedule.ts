/**
 * Steps `awaitStart` (scheduled) and `awaitPublish` (ready) of a scheduled post, and the timing rules
 * they share with the scheduler: containers are created ahead of publish_at (long enough for video to
 * process, always well inside a container's 24-hour life), media_publish goes out at publish_at, and a
 * time missed by more than the post's grace window is skipped, never published late by surprise.
 */
import { getPublishingLimit } from '../../../instagram/publishing.js';
import type { PostRecord } from '../../../store/index.js';
import type { Step, StepScope } from './scope.js';

/** Containers are made this long before publish_at: images process in seconds, video in minutes. */
export const IMAGE_LEAD_MS = 5 * 60 * 1000;
export const VIDEO_LEAD_MS = 45 * 60 * 1000;
/** A container unpublished for 24 hours expires; one older than this at publish time is made anew. */
const CONTAINER_USABLE_MS = 23 * 60 * 60 * 1000;
/** Default grace: a post whose time was missed (no server running) still goes out this late. */
export const DEFAULT_GRACE_MS = 3 * 60 * 60 * 1000;
/** A post that must go out on time (grace "skip") still tolerates this much: a start-up, a slow poll. */
export const ON_TIME_MS = 60 * 1000;
/** A post waiting for quota room gives up this long after publish_at. */
export const QUOTA_WAIT_LIMIT_MS = 24 * 60 * 60 * 1000;
/** How often a ready post looks again (for a new time, a cancel, or quota room). */
const READY_CHECK_MS = 10 * 1000;
const QUOTA_RECHECK_MS = 5 * 60 * 1000;

export function hasVideo(post: Pick<PostRecord, 'kind' | 'inputs'>): boolean {
  return post.kind === 'reel' || post.kind === 'video' || post.inputs.some((i) => i.kind === 'video');
}

/** When the post's containers should be created. */
export function startAt(post: Pick<PostRecord, 'kind' | 'inputs' | 'publishAt'>): number {
  return (post.publishAt ?? 0) - (hasVideo(post) ? VIDEO_LEAD_MS : IMAGE_LEAD_MS);
}

/** A scheduled post: once processed, polling hands it to `ready`, which publishes it at its time (or says how late). */
export function isScheduled(post: PostRecord): boolean {
  return post.publishAt !== null;
}

/**
 * Waits on the clock until `at` (or the job stops), renewing the lease meanwhile. Unlike the steps'
 * sleep, this waits for the time to come rather than moving it: nothing is being polled.
 */
async function waitUntil(s: StepScope, at: number): Promise<void> {
  const ms = Math.max(0, at - s.clock.now());
  await new Promise<void>((resolve, reject) => {
    if (s.signal.aborted) return reject(s.signal.reason);
    const onAbort = () => {
      timer.cancel();
      reject(s.signal.reason);
    };
    const timer = s.clock.setTimer(ms, () => {
      s.signal.removeEventListener('abort', onAbort);
      resolve();
    });
    s.signal.addEventListener('abort', onAbort, { once: true });
  });
  await s.renewLease();
}

function graceOf(post: PostRecord): number {
  return Math.max(ON_TIME_MS, post.runtime.schedule?.graceMs ?? DEFAULT_GRACE_MS);
}

export function describeLateness(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function skippedNote(post: PostRecord, lateMs: number): string {
  return `Skipped: its time (${new Date(post.publishAt!).toISOString()}) passed ${describeLateness(lateMs)} ago with no server running, more than its grace window of ${describeLateness(graceOf(post))}. Nothing was published; schedule it again if it should still go out.`;
}

/** A time missed by more than the grace window ends the post as `skipped`; true when it did. */
async function skipIfMissed(s: StepScope, post: PostRecord): Promise<boolean> {
  const late = s.clock.now() - (post.publishAt ?? Infinity);
  // Waiting for quota room was asked for: that wait is bounded by QUOTA_WAIT_LIMIT_MS, not the grace window.
  if (late <= graceOf(post) || (post.runtime.quotaWaitSince !== undefined && late <= QUOTA_WAIT_LIMIT_MS)) return false;
  s.logger.warn('scheduled post missed its time by more than its grace window: skipped', { post: post.id, lateMs: late });
  await s.move(post, 'skipped', { runtime: { note: skippedNote(post, late), lateMs: late } });
  return true;
}

export const awaitStart: Step = async (s, post) => {
  if (await skipIfMissed(s, post)) return;
  if (s.clock.now() < startAt(post)) return { leaveForLater: `Scheduled for ${new Date(post.publishAt!).toISOString()}.` };
  await s.move(post, 'creating_container');
  await s.progress(0.02, 'creating media containers ahead of publish_at');
};

function oldestContainerAt(post: PostRecord): number | null {
  const times = Object.values(post.runtime.containers ?? {}).map((m) => m.createdAt);
  return times.length ? Math.min(...times) : null;
}

export const awaitPublish: Step = async (s, post) => {
  for (;;) {
    const current = await s.store.posts.getById(post.id);
    if (!current || current.state !== 'ready') return;
    const now = s.clock.now();
    const publishAt = current.publishAt ?? now;
    const oldest = oldestContainerAt(current);
    if (now < publishAt) {
      // Rescheduled past what its containers can live: make them again closer to the new time.
      if (oldest !== null && publishAt - oldest > CONTAINER_USABLE_MS) {
        await s.store.transaction(async () => {
          await s.store.schedule.resetContainers(current.id);
          await s.move(current, now >= startAt(current) ? 'creating_container' : 'scheduled');
        });
        return;
      }
      await waitUntil(s, Math.min(now + READY_CHECK_MS, publishAt));
      continue;
    }
    if (await skipIfMissed(s, current)) return;
    if (oldest !== null && now - oldest > CONTAINER_USABLE_MS) {
      s.logger.info('scheduled post: its containers are too old to publish; creating them again', { post: current.id });
      await s.store.transaction(async () => {
        await s.store.schedule.resetContainers(current.id);
        await s.move(current, 'creating_container');
      });
      return;
    }
    if (current.runtime.schedule?.whenQuotaAllows) {
      const limit = await s.call(current, (auth) => getPublishingLimit(s.graph, auth, s.signal)).catch(() => null);
      if (limit?.quotaTotal != null && limit.quotaUsage >= limit.quotaTotal) {
        if (now - publishAt > QUOTA_WAIT_LIMIT_MS) {
          await s.move(current, 'skipped', { runtime: { note: `Skipped: the publishing quota stayed full for ${describeLateness(now - publishAt)} after its time. Nothing was published.` } });
          return;
        }
        await s.store.posts.updateRuntime(current.id, { quotaWaitSince: current.runtime.quotaWaitSince ?? now, note: `Waiting for quota room (${limit.quotaUsage} of ${limit.quotaTotal} used in the last 24 hours); it goes out as soon as a slot frees up.` });
        await waitUntil(s, now + QUOTA_RECHECK_MS);
        continue;
      }
    }
    const lateMs = now - publishAt;
    if (lateMs > ON_TIME_MS) s.logger.warn('scheduled post goes out late', { post: current.id, lateMs });
    await s.move(current, 'publishing', { runtime: { lateMs, note: undefined, quotaWaitSince: undefined } });
    await s.progress(0.9, 'publishing at its time');
    return;
  }
};
