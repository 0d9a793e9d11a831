/**
 * Step `polling` (processing): reads the containers until every one is FINISHED, on a fixed schedule;
 * a carousel then gets its parent container (created once, its id stored at once), polled as well.
 */
import { AppError } from '../../../errors.js';
import { ContainerFailedError, isNotFoundYet, isTransientRead } from '../../../instagram/errors.js';
import { createContainer, type ContainerStatus } from '../../../instagram/publishing.js';
import type { PostRecord } from '../../../store/index.js';
import { baseParams } from './containers.js';
import { isScheduled } from './schedule.js';
import { containerCreatedAt, describeContainer, isVideoContainer, mapLimit, readStatus, type LeaveForLater, type Step, type StepScope } from './scope.js';

/** Status reads at once while polling a carousel's children. */
const POLL_CONCURRENCY = 10;
/** Reading a container right after creating it may answer 100/33 "does not exist" for this long. */
export const NOT_FOUND_GRACE_MS = 60_000;
/** A container still processing after this long fails the post (Instagram's own guidance is minutes). */
export const MAX_PROCESSING_MS = 30 * 60_000;
/** Consecutive failed status reads (after the HTTP layer's own retries) before leaving the post for later. */
const MAX_POLL_FAILURES = 8;

/**
 * When to make the n-th status read of a container, in ms after the first (n = 0 is the first, at
 * once). Fixed targets rather than delays, so request latency never stretches the cadence. Images are
 * read fast at first (0, 250, 500 ms, 1 s), then every 2 s up to 30 s, every 3 s up to 5 min, then every
 * 5 s. Video is never ready within a second, so its reads start at 2 s: a container that turns FINISHED
 * is seen within 2 s (3 s after the first half minute) at under one read per 2 s of processing.
 * Instagram gives no processing estimate to do better.
 */
export function pollAtMs(n: number, kind: 'image' | 'video' = 'image'): number {
  if (kind === 'video') return pollAtMs(n + 4);
  if (n <= 0) return 0;
  if (n <= 3) return [250, 500, 1000][n - 1]!;
  if (n <= 18) return 2000 * (n - 3);
  if (n <= 108) return 30_000 + 3000 * (n - 18);
  return 300_000 + 5000 * (n - 108);
}

export const waitProcessed: Step = async (s, post) => {
  const base = s.progressSoFar > 0.5 ? 0.63 : 0.13;
  if (post.kind === 'carousel') {
    const children = post.children.filter((c) => c.containerId);
    const childrenDone = await pollUntilFinished(s, post, children.map((c) => c.containerId!), base, 0.8, async (id) => {
      const child = children.find((c) => c.containerId === id);
      if (child) await s.store.posts.setChildContainer(post.id, child.index, id, 'finished');
    });
    if (childrenDone) return childrenDone;
    let parentId = post.containerId;
    if (!parentId) {
      const ordered = [...children].sort((a, b) => a.index - b.index).map((c) => c.containerId!);
      const created = await s.call(post, (auth) => createContainer(s.graph, auth, { mediaType: 'CAROUSEL', children: ordered, ...baseParams(post, post.inputs[0]!, 'single') }, s.signal));
      parentId = created.id;
      await s.store.posts.recordContainer(post.id, created.id, { index: -1, createdAt: s.clock.now() });
    }
    await s.progress(0.8, 'Instagram is assembling the carousel');
    const parentDone = await pollUntilFinished(s, post, [parentId], 0.8, 0.9);
    if (parentDone) return parentDone;
  } else {
    const done = await pollUntilFinished(s, post, [post.containerId!], base, 0.9);
    if (done) return done;
  }
  if (isScheduled(post)) {
    await s.move(post, 'ready');
    await s.progress(0.85, 'processed; publishing at publish_at');
    return;
  }
  await s.move(post, 'publishing');
  await s.progress(0.9, 'publishing');
};

/**
 * Polls containers until every one is FINISHED, on the `pollAtMs` schedule. IN_PROGRESS (and a brief
 * 100/33 right after creation) means "not yet"; ERROR and EXPIRED fail the post; Instagram unreachable
 * for a while leaves it for later.
 */
async function pollUntilFinished(s: StepScope, post: PostRecord, ids: string[], from: number, to: number, onFinished?: (id: string) => void): Promise<LeaveForLater | undefined> {
  const pending = new Set(ids);
  const start = s.clock.now();
  const schedule = (await Promise.all(ids.map((id) => isVideoContainer(s, post, id)))).every(Boolean) ? 'video' : 'image';
  let failures = 0;
  for (let n = 0; pending.size > 0; n++) {
    const elapsed = s.clock.now() - start;
    if (elapsed > MAX_PROCESSING_MS) {
      throw new AppError('processing_timeout', `Instagram was still processing the media after ${Math.round(elapsed / 60_000)} minutes.`, 'Check the video against the Reels specification (H.264/HEVC, AAC, moov atom first) and try again.');
    }
    await s.sleep(Math.max(0, pollAtMs(n, schedule) - elapsed));
    let roundFailed = false;
    await mapLimit([...pending], POLL_CONCURRENCY, async (id) => {
      let status: ContainerStatus;
      try {
        status = await readStatus(s, post, id);
      } catch (err) {
        if (s.signal.aborted) throw err;
        if (isNotFoundYet(err) && s.clock.now() - (await containerCreatedAt(s, post, id)) < NOT_FOUND_GRACE_MS) return;
        if (isTransientRead(err)) {
          roundFailed = true;
          return;
        }
        throw err;
      }
      switch (status.statusCode) {
        case 'FINISHED':
        case 'PUBLISHED':
          pending.delete(id);
          onFinished?.(id);
          return;
        case 'ERROR':
        case 'EXPIRED':
          throw new ContainerFailedError({ ...status, statusCode: status.statusCode }, (await describeContainer(s, post, id)));
        default:
          return;
      }
    });
    failures = roundFailed ? failures + 1 : 0;
    if (failures >= MAX_POLL_FAILURES) return { leaveForLater: 'Instagram could not be reached while the media was processing; the post will be checked again.' };
    const done = ids.length - pending.size;
    const t = (s.clock.now() - start) / 1000;
    // Instagram gives no processing percentage: an asymptotic estimate that never goes backwards.
    const share = ids.length > 1 ? done / ids.length : 1 - Math.exp(-t / 20);
    const what = ids.length > 1 ? `${done} of ${ids.length} items processed` : `Instagram is processing the media (${Math.round(t)} s)`;
    await s.progress(from + (to - from) * Math.min(0.99, share), pending.size ? what : ids.length > 1 ? 'all items processed' : 'processing finished');
  }
  return undefined;
}
