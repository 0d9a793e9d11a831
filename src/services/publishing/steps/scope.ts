/**
 * What a step gets from the job running it: the few services it uses and the job's own operations
 * (Graph calls that stop with the job, sleeps that keep the lease alive, progress, fenced moves).
 * Also the container reads the steps share.
 */
import type { Clock } from '../../../clock.js';
import { AppError, describeError } from '../../../errors.js';
import type { AccountAuth } from '../../../instagram/account.js';
import { isConclusiveReadError } from '../../../instagram/errors.js';
import type { GraphHttp } from '../../../instagram/http.js';
import { getContainerStatus, type ContainerStatus } from '../../../instagram/publishing.js';
import type { Logger } from '../../../log.js';
import type { AccountRecord, ContainerMeta, PostRecord, PostState, StoredMedia, Store } from '../../../store/index.js';
import type { MediaLibrary } from '../../mediaLibrary.js';
import type { Quota } from '../quota.js';
import type { TransitionChange } from '../stateTable.js';

/** A step that cannot decide now leaves the post where it is, saying why. */
export interface LeaveForLater {
  leaveForLater: string;
}

export type StepOutcome = void | LeaveForLater;

export type Step = (s: StepScope, post: PostRecord) => Promise<StepOutcome>;

export interface StepScope {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly graph: GraphHttp;
  readonly library: MediaLibrary;
  readonly quota: Quota;
  /** Aborted when the job stops (server closing, quota refused, lease lost). */
  readonly signal: AbortSignal;
  /** The quota read made when the post was created: media_publish waits for its answer. */
  readonly quotaGate: Promise<void> | undefined;
  /** Progress so far, 0 to 1 (never goes back). */
  readonly progressSoFar: number;
  /** Publishes refused as not applied in this run (they do not count as attempts, but are bounded). */
  notAppliedPublishes: number;
  /** The post's account, usable (throws an AppError that says what to do otherwise). */
  account(post: PostRecord): Promise<AccountRecord>;
  /** A Graph call for the post's account with a fresh token; refused once the job is stopped. */
  call<T>(post: PostRecord, fn: (auth: AccountAuth) => Promise<T>): Promise<T>;
  /** Every wait goes through here: time moves, so waiters are checked and the lease is kept alive. */
  sleep(ms: number): Promise<void>;
  progress(value: number, message: string): Promise<void>;
  renewLease(): Promise<void>;
  /** Serves a local file at the public URL while the job runs. */
  host(media: StoredMedia): Promise<string>;
  /** Moves the post through the state table, while this job holds its lease. */
  move(post: PostRecord, to: PostState, change?: TransitionChange): Promise<PostRecord>;
}

export function readStatus(s: StepScope, post: PostRecord, containerId: string): Promise<ContainerStatus> {
  return s.call(post, (auth) => getContainerStatus(s.graph, auth, containerId, s.signal));
}

/** A status read that must succeed to decide anything; while Instagram stays unreachable the post is left for later. */
export async function readStatusPatiently(s: StepScope, post: PostRecord, containerId: string): Promise<ContainerStatus | LeaveForLater> {
  let last: unknown;
  for (const delay of [0, 1000, 2000, 4000, 8000, 15_000]) {
    if (delay) await s.sleep(delay);
    try {
      return await readStatus(s, post, containerId);
    } catch (err) {
      if (s.signal.aborted || err instanceof AppError || isConclusiveReadError(err)) throw err;
      last = err;
    }
  }
  return { leaveForLater: `Whether the post went live could not be checked yet (${describeError(last).message}); it will be checked again before anything is retried.` };
}

export function isLeaveForLater(value: unknown): value is LeaveForLater {
  return typeof value === 'object' && value !== null && 'leaveForLater' in value;
}

/** What was recorded about a container (read fresh: a carousel's children are recorded concurrently). */
export async function containerMeta(s: StepScope, post: PostRecord, containerId: string): Promise<ContainerMeta | undefined> {
  return ((await s.store.posts.getById(post.id)) ?? post).runtime.containers?.[containerId];
}

export async function containerCreatedAt(s: StepScope, post: PostRecord, containerId: string): Promise<number> {
  return (await containerMeta(s, post, containerId))?.createdAt ?? post.updatedAt;
}

export async function isVideoContainer(s: StepScope, post: PostRecord, containerId: string): Promise<boolean> {
  const meta = await containerMeta(s, post, containerId);
  const index = meta ? meta.index : post.kind === 'carousel' ? -1 : 0;
  return index >= 0 && post.inputs[index]?.kind === 'video';
}

/** "the reel", "carousel item 2 (b.jpg)": for messages. */
export async function describeContainer(s: StepScope, post: PostRecord, containerId: string): Promise<string> {
  const meta = await containerMeta(s, post, containerId);
  if (!meta || meta.index < 0 || post.kind !== 'carousel') return `the ${post.kind === 'carousel' ? 'carousel' : post.kind}`;
  const item = post.inputs[meta.index];
  return `carousel item ${meta.index + 1}${item ? ` (${item.label})` : ''}`;
}

/** Runs `fn` over `items` with at most `limit` at once; the first error rejects (the others finish). */
export async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}
