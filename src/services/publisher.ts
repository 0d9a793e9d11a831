/**
 * The publisher: the one place for the publishing state machine.
 *
 *   pending → creating_container → uploading → processing → publishing → completed | failed
 *
 * Every state is written to the store BEFORE its step runs, and every id Instagram hands back is
 * written right after it arrives (container ids, then the media id), so a post interrupted anywhere
 * (crash, restart, close) is resumed from its row without publishing twice:
 * - creating a container again is harmless (an unpublished container is never shown and expires);
 * - `media_publish` is never retried blindly: only when the error proves nothing happened
 *   (`notApplied`, or 9007 "not ready"). After any other failure, and whenever a publish step is
 *   resumed, the container's status is read first: PUBLISHED means it went live, and the media id
 *   is looked up among the account's newest media.
 *
 * Jobs run in the background: a tool call waits a bounded time for its post and returns its state;
 * `instagram_post_status` waits again. Cancelling a tool call only stops that call's waiting — the post
 * goes on (MCP clients also cancel on their own request timeouts, which must not abandon a post the user
 * asked for). `close()` stops the jobs and leaves their rows for `resumeInFlight()` on the next start.
 *
 * A lease in the post's options (holder, pid, host, expiry) keeps two server processes sharing a data
 * directory from driving the same post at once; a lease whose process is gone is taken over at once.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../clock.js';
import type { AppConfig } from '../config.js';
import { AppError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Progress } from './progress.js';
import {
  checkAltText,
  checkCaption,
  checkCarouselSize,
  LIMITS,
  type RatioFix,
  type TargetKind,
} from '../media/index.js';
import type { AccountAuth } from '../instagram/account.js';
import { createComment } from '../instagram/comments.js';
import { describeSubcode, GraphError } from '../instagram/errors.js';
import type { GraphHttp } from '../instagram/http.js';
import { listMedia, listStories, type MediaItem } from '../instagram/media.js';
import {
  createContainer,
  getContainerStatus,
  getMediaPermalink,
  getPublishingLimit,
  publishContainer,
  uploadVideoResumable,
  type ContainerParams,
  type ContainerStatus,
  type UserTag,
} from '../instagram/publishing.js';
import { DuplicateIdempotencyKeyError, STORY_LIFETIME_MS, type AccountRecord, type PostKind, type PostRecord, type Store } from '../store/index.js';
import type { AccountService, Caller } from './accounts.js';
import { validationError, type MediaInput, type MediaKind, type MediaLibrary, type PreparedMedia, type PrepareItem, type ValidationIssue } from './mediaLibrary.js';
import { MAX_WAIT_MS } from './publishingBounds.js';
export { MAX_WAIT_MS };

// ---------------------------------------------------------------------------------------------- tuning

/** Containers created at once for a carousel. */
export const CHILD_CONCURRENCY = 10;
/** Status reads at once while polling a carousel's children. */
const POLL_CONCURRENCY = 10;
/** Reading a container right after creating it may answer 100/33 "does not exist" for this long. */
export const NOT_FOUND_GRACE_MS = 60_000;
/** A container still processing after this long fails the post (Instagram's own guidance is minutes). */
export const MAX_PROCESSING_MS = 30 * 60_000;
/** Publish attempts (each one preceded by a status read proving the previous did not go through). */
export const MAX_PUBLISH_ATTEMPTS = 4;
/** Upload attempts per video, each resumed from the offset the container reports. */
export const MAX_UPLOAD_ATTEMPTS = 6;
/** Consecutive failed status reads (after the HTTP layer's own retries) before giving up. */
const MAX_POLL_FAILURES = 8;
const LEASE_MS = 2 * 60_000;
const LEASE_RENEW_MS = 20_000;

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

// ---------------------------------------------------------------------------------------------- types

export type PublishSurface = 'feed' | 'reel' | 'story';

export interface MediaItemRequest extends MediaInput {
  altText?: string;
  userTags?: UserTag[];
}

export interface PublishRequest {
  surface: PublishSurface;
  account?: string;
  media: MediaItemRequest[];
  /** Take this many of the newest unused files from the media folders (after `media`). */
  autoDiscover?: number;
  caption?: string;
  locationId?: string;
  collaborators?: string[];
  /** Tags of a single image, reel or story (carousel items carry their own). */
  userTags?: UserTag[];
  /** Alt text of a single image (carousel items carry their own). */
  altText?: string;
  firstComment?: string;
  cover?: MediaInput;
  thumbOffsetMs?: number;
  shareToFeed?: boolean;
  audioName?: string;
  fixMedia?: RatioFix;
  idempotencyKey?: string;
}

export interface WaitOptions {
  signal?: AbortSignal;
  progress?: Progress;
  /** How long to wait for the post to finish before returning its state. Default config.publishWaitMs. */
  waitMs?: number;
}

export interface PostOutcome {
  post: PostRecord;
  account: { id: string; username: string } | null;
  /** The idempotency key had been used: this is the first request's post. */
  replayed: boolean;
  /** A job of this server is still driving the post. */
  running: boolean;
  /** Another server process holds the post (it is driving it). */
  drivenElsewhere: boolean;
}

export interface PublishingLimitView {
  account: { id: string; username: string };
  quotaUsage: number;
  quotaTotal: number | null;
  quotaDurationSec: number | null;
  remaining: number | null;
  /** Estimated from the posts this server published; null when unknown. */
  freesAt: number | null;
}

/** One stored item: the prepared media plus its per-item options. */
interface StoredItem extends PreparedMedia {
  altText?: string;
  userTags?: UserTag[];
}

interface ContainerMeta {
  /** Index into inputs; -1 for a carousel parent. */
  index: number;
  createdAt: number;
  resumable?: boolean;
  uri?: string;
  uploaded?: boolean;
}

interface PostOptions {
  agent?: string;
  surface?: PublishSurface;
  locationId?: string;
  collaborators?: string[];
  userTags?: UserTag[];
  altText?: string;
  firstComment?: string;
  cover?: PreparedMedia;
  thumbOffsetMs?: number;
  shareToFeed?: boolean;
  audioName?: string;
  fixes?: string[];
  containers?: Record<string, ContainerMeta>;
  resumableRefused?: boolean;
  publishAttemptAt?: number;
  failureCode?: string;
  failureHint?: string;
  note?: string;
  firstCommentResult?: { status: 'posted' | 'failed' | 'unknown'; id?: string; message?: string };
  lease?: { holder: string; pid: number; host: string; until: number } | null;
}

interface Waiter {
  deadline: number;
  progress?: Progress;
  done: () => void;
}

interface Job {
  postId: string;
  controller: AbortController;
  promise: Promise<void>;
  waiters: Set<Waiter>;
  hostedTokens: string[];
  progress: number;
  message: string;
  persistedProgress: number;
  leaseRenewedAt: number;
  notAppliedPublishes: number;
  /** Transient failures of the steps before publishing, retried in place before the post is left for later. */
  stepRetries: number;
  /** The quota read made when the post was created: media_publish waits for its answer. */
  quotaGate?: Promise<void>;
}

const MAX_STEP_RETRIES = 3;

/** A failure of creating, uploading or polling that says nothing about the media: worth trying again. */
function isTransientBeforePublish(post: PostRecord, err: unknown): boolean {
  if (!['creating_container', 'uploading', 'processing'].includes(post.state)) return false;
  return err instanceof GraphError && (err.isTransient || err.notApplied || err.kind === 'network' || err.kind === 'transient' || err.kind === 'rate_limited');
}

/** Thrown to leave a post in its state for a later run (outcome not knowable now). */
class Deferred extends Error {
  override name = 'Deferred';
}

/** A container that ended in ERROR or EXPIRED. */
class ContainerFailed extends Error {
  override name = 'ContainerFailed';
  constructor(
    readonly status: ContainerStatus,
    readonly what: string,
  ) {
    super(
      status.statusCode === 'EXPIRED'
        ? `The media container of ${what} expired before it was published (containers live 24 hours).`
        : `Instagram could not process ${what}${status.status ? `: ${status.status}` : '.'}`,
    );
  }
}

export interface PublisherOptions {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  store: Store;
  graph: GraphHttp;
  accounts: AccountService;
  library: MediaLibrary;
}

// ---------------------------------------------------------------------------------------------- publisher

export class Publisher {
  private readonly jobs = new Map<string, Job>();
  private readonly holder = randomUUID();
  private closing = false;

  constructor(private readonly o: PublisherOptions) {}

  // ------------------------------------------------------------------ entry points

  async createPost(caller: Caller, request: PublishRequest, wait: WaitOptions = {}): Promise<PostOutcome> {
    const account = this.o.accounts.resolve(caller, request.account);
    if (request.idempotencyKey) {
      const existing = this.o.store.posts.findByIdempotencyKey(caller.owner, request.idempotencyKey);
      if (existing) return this.replay(existing, wait);
    }

    const kind = postKindFor(request);
    const issues = validateRequest(request, kind);
    const sources: MediaItemRequest[] = [...request.media];
    if (request.autoDiscover && request.autoDiscover > 0) {
      const kinds: MediaKind[] | undefined = request.surface === 'reel' ? ['video'] : undefined;
      try {
        for (const file of await this.o.library.discover(caller.owner, request.autoDiscover, kinds)) sources.push({ source: file });
      } catch (err) {
        issues.push({ field: 'auto_discover', code: (err as AppError).code ?? 'auto_discover', message: messageWithHint(err), fixable: false });
      }
    }
    // The tool argument that carries the media: a reel's is `video`, every other surface's `media`.
    const mediaField = request.surface === 'reel' ? 'video' : 'media';
    if (sources.length === 0) {
      issues.push({ field: mediaField, code: 'media_missing', message: `No media given: pass ${mediaField} (a URL, a local path or a reference id) or auto_discover.`, fixable: false });
    }
    if (request.surface === 'feed' && sources.length > 1) {
      for (const issue of checkCarouselSize(sources.length)) issues.push({ field: 'media', code: issue.code, message: `media: ${issue.message}`, fixable: false });
    }
    if (request.surface !== 'feed' && sources.length > 1) {
      issues.push({ field: mediaField, code: 'too_many_media', message: `${mediaField}: a ${request.surface} takes exactly one ${request.surface === 'reel' ? 'video' : 'image or video'}; ${sources.length} were given.`, fixable: false });
    }
    const items = sources.map((input, i) => ({ input, field: sources.length === 1 ? mediaField : `${mediaField}[${i}]`, ...targetsFor(request.surface, sources.length) }));
    const prepareItems: PrepareItem[] = [...items];
    if (request.cover) prepareItems.push({ input: request.cover, field: 'cover', targetFor: () => 'reel_cover', defaultKind: 'image' });

    let prepared: PreparedMedia[] = [];
    if (issues.length === 0 || issues.every((i) => i.field !== 'media')) {
      try {
        prepared = await this.o.library.prepare(caller.owner, prepareItems, { fixMedia: request.fixMedia });
      } catch (err) {
        const nested = (err as AppError).details?.issues as ValidationIssue[] | undefined;
        if (nested) issues.push(...nested);
        else throw err;
      }
    }
    if (prepared.length) issues.push(...checkPreparedAgainstRequest(request, prepared.slice(0, sources.length)));
    if (issues.length > 0) throw validationError(issues);

    const media = prepared.slice(0, sources.length);
    const cover = request.cover ? prepared[sources.length] : undefined;
    const finalKind: PostKind = kind === 'image' && media[0]?.kind === 'video' ? 'video' : kind;

    // Read while the containers are being created (containers are harmless if it says no): the
    // answer gates media_publish and, if the quota is used up, the call fails at once.
    const quotaGate = this.checkQuotaEarly(caller, account);
    quotaGate.catch(() => {});

    const inputs: StoredItem[] = media.map((m, i) => {
      const { altText, userTags } = sources[i] as MediaItemRequest;
      return { ...m, ...(altText ? { altText } : {}), ...(userTags?.length ? { userTags } : {}) };
    });
    const fixes = prepared.flatMap((p) => (p.fixes ?? []).map((f) => `${p.label}: ${f}`));
    const options: PostOptions = {
      agent: caller.agent,
      surface: request.surface,
      ...(request.locationId ? { locationId: request.locationId } : {}),
      ...(request.collaborators?.length ? { collaborators: request.collaborators } : {}),
      ...(request.userTags?.length ? { userTags: request.userTags } : {}),
      ...(request.altText ? { altText: request.altText } : {}),
      ...(request.firstComment ? { firstComment: request.firstComment } : {}),
      ...(cover ? { cover } : {}),
      ...(request.thumbOffsetMs !== undefined ? { thumbOffsetMs: request.thumbOffsetMs } : {}),
      ...(request.shareToFeed !== undefined ? { shareToFeed: request.shareToFeed } : {}),
      ...(request.audioName ? { audioName: request.audioName } : {}),
      ...(fixes.length ? { fixes } : {}),
      containers: {},
    };

    let post: PostRecord;
    try {
      post = this.o.store.transaction(() => {
        const created = this.o.store.posts.create({
          owner: caller.owner,
          accountId: account.id,
          idempotencyKey: request.idempotencyKey ?? null,
          kind: finalKind,
          caption: request.caption ?? null,
          options: options as Record<string, unknown>,
          inputs,
        });
        this.o.library.markUsed([...media, ...(cover ? [cover] : [])], created.id);
        this.o.store.audit.record({
          owner: caller.owner,
          agent: caller.agent,
          accountId: account.id,
          action: 'post.created',
          detail: { post_id: created.id, kind: finalKind, items: media.length, idempotency_key: request.idempotencyKey ?? null },
        });
        return created;
      });
    } catch (err) {
      if (err instanceof DuplicateIdempotencyKeyError) return this.replay(err.existing, wait);
      throw err;
    }
    this.o.logger.info('post created', { post: post.id, kind: finalKind, account: account.id, items: media.length });
    const job = this.ensureJob(post, quotaGate);
    try {
      await quotaGate;
    } catch (err) {
      job?.controller.abort(new Deferred('the publishing quota is used up'));
      await job?.promise;
      this.fail(this.o.store.posts.getById(post.id) ?? post, err);
      throw err;
    }
    return this.waitAndView(post.id, wait, false);
  }

  /** A post's state; a post still in flight is driven again (here) and waited for a bounded time. */
  async status(caller: Caller, postId: string, wait: WaitOptions = {}): Promise<PostOutcome> {
    const post = this.o.store.posts.get(caller.owner, postId);
    if (!post) {
      throw new AppError('post_not_found', `No post with id ${postId.slice(0, 64)}.`, 'Use the post_id returned by instagram_create_post, instagram_create_reel or instagram_create_story.');
    }
    if (!this.o.store.agentAccounts.isEnabled(caller.owner, caller.agent, post.accountId)) {
      throw new AppError('account_disabled', 'This post belongs to an account that is disabled for this agent.', 'Enable the account with instagram_set_account_enabled.');
    }
    if (isInFlight(post)) this.ensureJob(post);
    else if (post.state === 'completed') await this.completeDetails(post, wait.signal);
    return this.waitAndView(post.id, wait, false);
  }

  async publishingLimit(caller: Caller, accountArg: string | undefined, signal?: AbortSignal): Promise<PublishingLimitView> {
    const account = this.o.accounts.resolve(caller, accountArg);
    const limit = await this.o.accounts.call(caller, account, (auth) => getPublishingLimit(this.o.graph, auth, signal));
    const remaining = limit.quotaTotal === null ? null : Math.max(0, limit.quotaTotal - limit.quotaUsage);
    return {
      account: { id: account.id, username: account.username },
      quotaUsage: limit.quotaUsage,
      quotaTotal: limit.quotaTotal,
      quotaDurationSec: limit.quotaDurationSec,
      remaining,
      freesAt: remaining === 0 ? this.estimateQuotaFreesAt(account, limit.quotaDurationSec) : null,
    };
  }

  /** Resumes every post that was in flight when the server stopped (called once at start). */
  async resumeInFlight(): Promise<void> {
    for (const post of this.o.store.posts.listInFlight()) {
      if (this.closing) return;
      this.o.logger.info('resuming post', { post: post.id, state: post.state });
      this.ensureJob(post);
    }
  }

  /** Stops every job; their rows stay as they are for resumeInFlight() on the next start. */
  async close(): Promise<void> {
    this.closing = true;
    const running = [...this.jobs.values()];
    for (const job of running) job.controller.abort(new Deferred('the server is stopping'));
    await Promise.allSettled(running.map((j) => j.promise));
  }

  // ------------------------------------------------------------------ waiting and views

  private async replay(existing: PostRecord, wait: WaitOptions): Promise<PostOutcome> {
    this.o.logger.info('idempotency key replayed', { post: existing.id, state: existing.state });
    if (isInFlight(existing)) this.ensureJob(existing);
    return this.waitAndView(existing.id, wait, true);
  }

  private async waitAndView(postId: string, wait: WaitOptions, replayed: boolean): Promise<PostOutcome> {
    const waitMs = Math.min(MAX_WAIT_MS, Math.max(0, wait.waitMs ?? this.o.config.publishWaitMs));
    const job = this.jobs.get(postId);
    if (job && waitMs > 0 && !wait.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const waiter: Waiter = {
          deadline: this.o.clock.now() + waitMs,
          progress: wait.progress,
          done: () => {
            job.waiters.delete(waiter);
            wait.signal?.removeEventListener('abort', waiter.done);
            resolve();
          },
        };
        job.waiters.add(waiter);
        wait.signal?.addEventListener('abort', waiter.done, { once: true });
        void waiter.progress?.report(Math.round(job.progress * 100), 100, job.message);
      });
    }
    const post = this.o.store.posts.getById(postId)!;
    const account = this.o.store.accounts.get(post.owner, post.accountId);
    const lease = (post.options as PostOptions).lease;
    return {
      post,
      account: account ? { id: account.id, username: account.username } : null,
      replayed,
      running: this.jobs.has(postId),
      drivenElsewhere: !this.jobs.has(postId) && isInFlight(post) && Boolean(lease && lease.holder !== this.holder && !this.leaseStale(lease)),
    };
  }

  /** Resolves waiters whose time is up (time only moves between steps, so this runs after each). */
  private tick(job: Job): void {
    const now = this.o.clock.now();
    for (const waiter of [...job.waiters]) if (now >= waiter.deadline) waiter.done();
  }

  private setProgress(job: Job, value: number, message: string): void {
    const v = Math.min(1, Math.max(job.progress, value));
    job.progress = v;
    job.message = message;
    const percent = Math.round(v * 100);
    for (const waiter of job.waiters) void waiter.progress?.report(percent, 100, message);
    if (v - job.persistedProgress >= 0.02 || v === 1) {
      job.persistedProgress = v;
      this.o.store.posts.update(job.postId, { progress: v });
    }
    this.tick(job);
  }

  // ------------------------------------------------------------------ jobs

  private ensureJob(post: PostRecord, quotaGate?: Promise<void>): Job | undefined {
    const running = this.jobs.get(post.id);
    if (running) return running;
    if (this.closing || !this.acquireLease(post.id)) return undefined;
    const job: Job = {
      postId: post.id,
      controller: new AbortController(),
      promise: Promise.resolve(),
      waiters: new Set(),
      hostedTokens: [],
      progress: post.progress,
      message: post.state,
      persistedProgress: post.progress,
      leaseRenewedAt: this.o.clock.now(),
      notAppliedPublishes: 0,
      stepRetries: 0,
      quotaGate,
    };
    this.jobs.set(post.id, job);
    job.promise = this.drive(job)
      .catch((err: unknown) => this.o.logger.error('publishing job crashed; the post stays as stored and is resumed on the next start', { post: job.postId, error: err instanceof Error ? err.stack : String(err) }))
      .finally(() => {
        for (const token of job.hostedTokens) this.o.library.revoke(token);
        this.releaseLease(job.postId);
        this.jobs.delete(job.postId);
        for (const waiter of [...job.waiters]) waiter.done();
      });
    return job;
  }

  private async drive(job: Job): Promise<void> {
    for (;;) {
      const post = this.o.store.posts.getById(job.postId);
      if (!post) return;
      try {
        this.throwIfStopped(job);
        this.renewLease(job);
        switch (post.state) {
          case 'pending':
            this.o.store.posts.update(post.id, { state: 'creating_container' });
            break;
          case 'creating_container':
            await this.createContainers(job, post);
            break;
          case 'uploading':
            await this.uploadVideos(job, post);
            break;
          case 'processing':
            await this.waitProcessed(job, post);
            break;
          case 'publishing':
            await this.publish(job, post);
            break;
          case 'completed':
            await this.afterPublish(job, post);
            return;
          case 'failed':
            return;
        }
      } catch (err) {
        if (job.controller.signal.aborted || err instanceof Deferred) {
          const latest = this.o.store.posts.getById(job.postId);
          this.o.logger.info('post left for later', { post: job.postId, state: latest?.state, reason: describeError(err).message });
          if (latest && !job.controller.signal.aborted && err instanceof Deferred) {
            this.patchOptions(job.postId, (o) => ({ ...o, note: err.message }));
          }
          return;
        }
        if (isTransientBeforePublish(post, err)) {
          // Nothing is live before media_publish, so a transient failure there never fails the post.
          if (job.stepRetries < MAX_STEP_RETRIES) {
            job.stepRetries++;
            try {
              await this.sleep(job, Math.min(30_000, 2000 * 2 ** (job.stepRetries - 1)));
            } catch {
              return;
            }
            continue;
          }
          this.patchOptions(job.postId, (o) => ({ ...o, note: `Instagram is failing for now (${describeError(err).message}); instagram_post_status tries again.` }));
          return;
        }
        this.fail(post, err);
        return;
      }
    }
  }

  private throwIfStopped(job: Job): void {
    if (job.controller.signal.aborted) throw new Deferred('stopped');
  }

  /** Every wait goes through here: time moves, so waiters are checked and the lease is kept alive. */
  private sleep(job: Job, ms: number): Promise<void> {
    return this.o.clock.sleep(ms, job.controller.signal).then(() => {
      this.tick(job);
      this.renewLease(job);
    });
  }

  // ------------------------------------------------------------------ step: containers

  private async createContainers(job: Job, post: PostRecord): Promise<void> {
    const inputs = post.inputs as StoredItem[];
    this.setProgress(job, 0.03, 'creating media containers');
    if (post.kind === 'carousel') {
      const done = new Set(post.children.filter((c) => c.containerId).map((c) => c.index));
      const todo = inputs.map((_, i) => i).filter((i) => !done.has(i));
      let created = done.size;
      await mapLimit(todo, CHILD_CONCURRENCY, async (index) => {
        const c = await this.createItemContainer(job, post, index, 'child');
        this.o.store.transaction(() => {
          this.o.store.posts.setChildContainer(post.id, index, c.id, c.resumable ? 'uploading' : 'processing');
          this.recordContainer(post.id, c.id, { index, createdAt: this.o.clock.now(), ...(c.resumable ? { resumable: true, ...(c.uri ? { uri: c.uri } : {}) } : {}) });
        });
        created++;
        this.setProgress(job, 0.03 + 0.1 * (created / inputs.length), `created ${created} of ${inputs.length} carousel items`);
      });
    } else if (!post.containerId) {
      const c = await this.createItemContainer(job, post, 0, 'single');
      this.o.store.transaction(() => {
        this.o.store.posts.update(post.id, { containerId: c.id });
        this.recordContainer(post.id, c.id, { index: 0, createdAt: this.o.clock.now(), ...(c.resumable ? { resumable: true, ...(c.uri ? { uri: c.uri } : {}) } : {}) });
      });
    }
    const after = this.o.store.posts.getById(post.id)!;
    const uploads = Object.values(optionsOf(after).containers ?? {}).some((m) => m.resumable && !m.uploaded);
    this.o.store.posts.update(post.id, { state: uploads ? 'uploading' : 'processing' });
    this.setProgress(job, 0.13, uploads ? 'uploading video' : 'Instagram is processing the media');
  }

  private async createItemContainer(job: Job, post: PostRecord, index: number, role: 'single' | 'child'): Promise<{ id: string; uri?: string; resumable: boolean }> {
    const item = (post.inputs as StoredItem[])[index]!;
    const options = optionsOf(post);
    const params = this.baseParams(post, item, role);
    if (item.kind === 'image') {
      params.imageUrl = item.delivery === 'url' ? item.url! : this.hostFile(job, item);
    } else if (item.delivery === 'url') {
      params.videoUrl = item.url!;
    } else if (options.resumableRefused) {
      params.videoUrl = this.hostFile(job, item);
    } else {
      params.uploadType = 'resumable';
    }
    if (role === 'single' && options.cover) {
      params.coverUrl = options.cover.delivery === 'url' ? options.cover.url! : this.hostFile(job, options.cover);
    }
    try {
      const created = await this.call(job, post, (auth) => createContainer(this.o.graph, auth, params, job.controller.signal));
      return { id: created.id, ...(created.uri ? { uri: created.uri } : {}), resumable: params.uploadType === 'resumable' };
    } catch (err) {
      // Some apps cannot use resumable uploads: serve the file at the public URL instead, where one is set.
      const refused = err instanceof GraphError && (err.kind === 'permission' || (err.kind === 'invalid_input' && /upload_type|resumable/i.test(err.message)));
      if (params.uploadType !== 'resumable' || !refused || !this.o.library.canHost()) throw err;
      this.o.logger.warn('resumable upload refused; serving the video at the public URL instead', { post: post.id, code: err.code, subcode: err.subcode });
      this.patchOptions(post.id, (o) => ({ ...o, resumableRefused: true }));
      delete params.uploadType;
      params.videoUrl = this.hostFile(job, item);
      const created = await this.call(job, post, (auth) => createContainer(this.o.graph, auth, params, job.controller.signal));
      return { id: created.id, resumable: false };
    }
  }

  private baseParams(post: PostRecord, item: StoredItem, role: 'single' | 'child'): ContainerParams {
    const o = optionsOf(post);
    const caption = post.caption ?? undefined;
    if (role === 'child') {
      return item.kind === 'image'
        ? { isCarouselItem: true, ...(item.altText ? { altText: item.altText } : {}), ...(item.userTags?.length ? { userTags: item.userTags } : {}) }
        : { mediaType: 'VIDEO', isCarouselItem: true };
    }
    const shared = {
      ...(o.locationId ? { locationId: o.locationId } : {}),
      ...(o.collaborators?.length ? { collaborators: o.collaborators } : {}),
    };
    switch (post.kind) {
      case 'image':
        return { caption, ...shared, ...(o.altText ? { altText: o.altText } : {}), ...(o.userTags?.length ? { userTags: o.userTags } : {}) };
      case 'video':
      case 'reel':
        return {
          mediaType: 'REELS',
          caption,
          ...shared,
          ...(o.userTags?.length ? { userTags: o.userTags.map((t) => ({ username: t.username })) } : {}),
          ...(o.thumbOffsetMs !== undefined ? { thumbOffset: o.thumbOffsetMs } : {}),
          shareToFeed: o.shareToFeed ?? true,
          ...(o.audioName ? { audioName: o.audioName } : {}),
        };
      case 'story':
        return { mediaType: 'STORIES', ...(o.userTags?.length ? { userTags: o.userTags } : {}) };
      default:
        return { caption, ...shared };
    }
  }

  private hostFile(job: Job, media: PreparedMedia): string {
    const hosted = this.o.library.host(media);
    job.hostedTokens.push(hosted.token);
    return hosted.url;
  }

  // ------------------------------------------------------------------ step: resumable uploads

  private async uploadVideos(job: Job, post: PostRecord): Promise<void> {
    const containers = optionsOf(post).containers ?? {};
    const pending = Object.entries(containers).filter(([, m]) => m.resumable && !m.uploaded);
    const inputs = post.inputs as StoredItem[];
    const total = pending.reduce((sum, [, m]) => sum + (inputs[m.index]?.sizeBytes ?? 0), 0) || 1;
    let before = 0;
    for (const [containerId, meta] of pending) {
      const item = inputs[meta.index]!;
      await this.uploadOne(job, post, containerId, meta, item, (sent) => {
        const fraction = (before + sent) / total;
        this.setProgress(job, 0.13 + 0.5 * fraction, `uploading video: ${mb(before + sent)} of ${mb(total)} MB`);
      });
      before += item.sizeBytes ?? 0;
      this.recordContainer(post.id, containerId, { ...meta, uploaded: true });
      if (meta.index >= 0 && post.kind === 'carousel') this.o.store.posts.setChildContainer(post.id, meta.index, containerId, 'processing');
    }
    this.o.store.posts.update(post.id, { state: 'processing' });
    this.setProgress(job, 0.63, 'Instagram is processing the video');
  }

  /** Streams one video from disk, resuming from the offset the container reports after any interruption. */
  private async uploadOne(job: Job, post: PostRecord, containerId: string, meta: ContainerMeta, item: StoredItem, onSent: (bytes: number) => void): Promise<void> {
    const fileSize = item.sizeBytes ?? 0;
    for (let attempt = 1; ; attempt++) {
      // Every attempt starts from what Instagram says it holds: after a crash, a lost answer or a broken stream alike.
      const status = await this.readStatus(job, post, containerId).catch((err: unknown) => {
        if (attempt === 1 && isNotFoundYet(err)) return undefined;
        throw err;
      });
      const reported = status?.bytesTransferred ?? 0;
      if (status && (status.uploadingPhase === 'complete' || (fileSize > 0 && reported >= fileSize))) return;
      const offset = reported > fileSize ? 0 : reported;
      try {
        await this.call(job, post, (auth) =>
          uploadVideoResumable(this.o.graph, {
            ...(meta.uri ? { uri: meta.uri } : {}),
            containerId,
            token: auth.accessToken,
            file: { path: item.path! },
            offset,
            fileSize,
            signal: job.controller.signal,
            accountId: auth.igUserId,
            onProgress: (sent) => {
              onSent(sent);
              this.renewLease(job);
            },
          }),
        );
        this.o.logger.info('video uploaded', { post: post.id, container: containerId, bytes: fileSize, resumedFrom: offset });
        return;
      } catch (err) {
        if (job.controller.signal.aborted) throw err;
        const retryable = !(err instanceof AppError) && !(err instanceof GraphError && ['invalid_input', 'permission', 'reauth', 'quota'].includes(err.kind)) && !(err instanceof RangeError);
        this.o.logger.warn('video upload interrupted', { post: post.id, container: containerId, attempt, error: describeError(err).message });
        if (!retryable || attempt >= MAX_UPLOAD_ATTEMPTS) throw err;
        await this.sleep(job, Math.min(8000, 500 * 2 ** (attempt - 1)));
      }
    }
  }

  // ------------------------------------------------------------------ step: processing

  private async waitProcessed(job: Job, post: PostRecord): Promise<void> {
    const base = job.progress > 0.5 ? 0.63 : 0.13;
    if (post.kind === 'carousel') {
      const children = post.children.filter((c) => c.containerId);
      await this.pollUntilFinished(job, post, children.map((c) => c.containerId!), base, 0.8, (id) => {
        const child = children.find((c) => c.containerId === id);
        if (child) this.o.store.posts.setChildContainer(post.id, child.index, id, 'finished');
      });
      let parentId = post.containerId;
      if (!parentId) {
        const created = await this.call(job, post, (auth) =>
          createContainer(
            this.o.graph,
            auth,
            { mediaType: 'CAROUSEL', children: [...children].sort((a, b) => a.index - b.index).map((c) => c.containerId!), ...this.baseParams(post, (post.inputs as StoredItem[])[0]!, 'single') },
            job.controller.signal,
          ),
        );
        parentId = created.id;
        this.o.store.transaction(() => {
          this.o.store.posts.update(post.id, { containerId: created.id });
          this.recordContainer(post.id, created.id, { index: -1, createdAt: this.o.clock.now() });
        });
      }
      this.setProgress(job, 0.8, 'Instagram is assembling the carousel');
      await this.pollUntilFinished(job, post, [parentId], 0.8, 0.9);
    } else {
      await this.pollUntilFinished(job, post, [post.containerId!], base, 0.9);
    }
    this.o.store.posts.update(post.id, { state: 'publishing' });
    this.setProgress(job, 0.9, 'publishing');
  }

  /**
   * Polls containers until every one is FINISHED, on the `pollDelayMs` schedule. IN_PROGRESS (and a
   * brief 100/33 right after creation) means "not yet"; ERROR and EXPIRED fail the post.
   */
  private async pollUntilFinished(job: Job, post: PostRecord, ids: string[], from: number, to: number, onFinished?: (id: string) => void): Promise<void> {
    const pending = new Set(ids);
    const start = this.o.clock.now();
    const schedule = ids.every((id) => this.isVideoContainer(post, id)) ? 'video' : 'image';
    let failures = 0;
    for (let n = 0; pending.size > 0; n++) {
      const elapsed = this.o.clock.now() - start;
      if (elapsed > MAX_PROCESSING_MS) {
        throw new AppError('processing_timeout', `Instagram was still processing the media after ${Math.round(elapsed / 60_000)} minutes.`, 'Check the video against the Reels specification (H.264/HEVC, AAC, moov atom first) and try again.');
      }
      await this.sleep(job, Math.max(0, pollAtMs(n, schedule) - elapsed));
      let roundFailed = false;
      await mapLimit([...pending], POLL_CONCURRENCY, async (id) => {
        let status: ContainerStatus;
        try {
          status = await this.readStatus(job, post, id);
        } catch (err) {
          if (job.controller.signal.aborted) throw err;
          if (isNotFoundYet(err) && this.o.clock.now() - this.containerCreatedAt(post, id) < NOT_FOUND_GRACE_MS) return;
          if (err instanceof GraphError && (err.isTransient || err.kind === 'network')) {
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
            throw new ContainerFailed(status, this.describeContainer(post, id));
          default:
            return;
        }
      });
      failures = roundFailed ? failures + 1 : 0;
      if (failures >= MAX_POLL_FAILURES) throw new Deferred('Instagram could not be reached while the media was processing; the post will be checked again.');
      const done = ids.length - pending.size;
      const t = (this.o.clock.now() - start) / 1000;
      // Instagram gives no processing percentage: an asymptotic estimate that never goes backwards.
      const share = ids.length > 1 ? done / ids.length : 1 - Math.exp(-t / 20);
      const what = ids.length > 1 ? `${done} of ${ids.length} items processed` : `Instagram is processing the media (${Math.round(t)} s)`;
      this.setProgress(job, from + (to - from) * Math.min(0.99, share), pending.size ? what : ids.length > 1 ? 'all items processed' : 'processing finished');
    }
  }

  // ------------------------------------------------------------------ step: publishing

  private async publish(job: Job, post: PostRecord): Promise<void> {
    const containerId = post.containerId!;
    // A publish attempted before (this run or a previous process) may have gone through: look first.
    if (post.attempts > 0) {
      const status = await this.readStatusPatiently(job, post, containerId);
      if (status.statusCode === 'PUBLISHED') return this.recoverPublished(job, post);
      if (status.statusCode === 'ERROR' || status.statusCode === 'EXPIRED') throw new ContainerFailed(status, this.describeContainer(post, containerId));
      if (status.statusCode === 'IN_PROGRESS') {
        this.o.store.posts.update(post.id, { state: 'processing' });
        return;
      }
      if (post.attempts >= MAX_PUBLISH_ATTEMPTS) {
        throw new AppError('publish_failed', `Instagram did not accept the publish after ${post.attempts} attempts; the post is not live (its container is still unpublished).`, 'Try again later with instagram_create_post; nothing was published.');
      }
    }
    // No second quota read here: the one made at creation gates this, and media_publish enforces the
    // quota itself (9/2207042, nothing published), which saves a round trip before the publish.
    await job.quotaGate;
    this.o.store.posts.update(post.id, { attempts: post.attempts + 1, options: { ...optionsOf(post), publishAttemptAt: this.o.clock.now() } });
    let mediaId: string;
    try {
      mediaId = (await this.call(job, post, (auth) => publishContainer(this.o.graph, auth, containerId, job.controller.signal))).mediaId;
    } catch (err) {
      if (job.controller.signal.aborted) throw err;
      if (err instanceof GraphError && err.kind === 'not_ready') {
        // 9007 proves nothing was published: wait for processing again.
        this.o.logger.info('container not ready at publish; polling again', { post: post.id });
        this.o.store.posts.update(post.id, { state: 'processing', attempts: post.attempts });
        return;
      }
      if (err instanceof GraphError && err.notApplied) {
        // Proven not applied (throttled, never sent): the attempt does not count, but do not hammer.
        this.o.store.posts.update(post.id, { attempts: post.attempts });
        if (++job.notAppliedPublishes > MAX_PUBLISH_ATTEMPTS || (err.retryAfterMs ?? 0) > 60_000) throw new Deferred(`Instagram kept refusing the publish for now (${err.message}); nothing was published and it will be tried again.`);
        await this.sleep(job, Math.max(2000, err.retryAfterMs ?? 0));
        return;
      }
      if (err instanceof AppError && err.code === 'needs_reauth') throw err;
      if (err instanceof GraphError && err.kind === 'quota') throw await this.quotaRefusal(job, post, err);
      // Anything else: the outcome is unknown until the container says otherwise.
      this.o.logger.warn('publish outcome unknown; reading the container', { post: post.id, error: describeError(err).message });
      const status = await this.readStatusPatiently(job, post, containerId);
      if (status.statusCode === 'PUBLISHED') return this.recoverPublished(job, post);
      if (status.statusCode === 'ERROR' || status.statusCode === 'EXPIRED') throw new ContainerFailed(status, this.describeContainer(post, containerId));
      const definitive = err instanceof GraphError && ['invalid_input', 'permission', 'quota', 'not_found'].includes(err.kind);
      const spamBlock = err instanceof GraphError && err.subcode === 2207051;
      if (definitive || spamBlock || post.attempts + 1 >= MAX_PUBLISH_ATTEMPTS) throw err;
      if (status.statusCode === 'IN_PROGRESS') this.o.store.posts.update(post.id, { state: 'processing' });
      else await this.sleep(job, 1000 * (post.attempts + 1));
      return;
    }
    // Stored before anything else can fail: from here on the post is live.
    this.o.store.posts.update(post.id, { mediaId });
    this.o.logger.info('published', { post: post.id, media: mediaId });
    await this.completePublished(job, post, mediaId);
  }

  private async completePublished(job: Job, post: PostRecord, mediaId: string | null, permalinkHint?: string | null): Promise<void> {
    let permalink = permalinkHint ?? null;
    if (mediaId && !permalink) {
      permalink = await this.call(job, post, (auth) => getMediaPermalink(this.o.graph, auth, mediaId, job.controller.signal))
        .then((p) => p.permalink)
        .catch((err: unknown) => {
          this.o.logger.warn('permalink not available yet', { post: post.id, error: describeError(err).message });
          return null;
        });
    }
    const published = mediaId
      ? this.o.store.posts.markPublished(post.id, mediaId, permalink)
      : this.o.store.posts.update(post.id, {
          state: 'completed',
          progress: 1,
          publishedAt: this.o.clock.now(),
          expiresAt: post.kind === 'story' ? this.o.clock.now() + STORY_LIFETIME_MS : null,
          options: { ...optionsOf(this.o.store.posts.getById(post.id)!), note: 'Instagram reports the container as published, but its media id could not be found yet; instagram_post_status looks again.' },
        });
    this.o.store.audit.record({
      owner: post.owner,
      agent: optionsOf(post).agent ?? null,
      accountId: post.accountId,
      action: 'post.published',
      detail: { post_id: post.id, kind: post.kind, media_id: mediaId, container_id: published.containerId, permalink, attempts: published.attempts },
    });
    this.setProgress(job, 1, 'published');
  }

  /** The container is PUBLISHED but the answer was lost: find the media it became. */
  private async recoverPublished(job: Job, post: PostRecord): Promise<void> {
    this.o.logger.warn('container already published; recovering the media id', { post: post.id });
    if (post.mediaId) return this.completePublished(job, post, post.mediaId);
    let found: MediaItem | undefined;
    for (const delay of [0, 1000, 2000, 4000]) {
      if (delay) await this.sleep(job, delay);
      found = await this.findPublishedMedia(post, job.controller.signal).catch((err: unknown) => {
        this.o.logger.warn('could not list media to find the published post', { post: post.id, error: describeError(err).message });
        return undefined;
      });
      if (found) break;
    }
    if (found) this.o.store.posts.update(post.id, { mediaId: found.id });
    await this.completePublished(job, post, found?.id ?? null, found?.permalink ?? null);
  }

  /**
   * Instagram does not say which media a container became. The newest media of the account (stories
   * for a story) are matched on product type, caption and publish time, skipping media other posts of
   * this server already claimed.
   */
  private async findPublishedMedia(post: PostRecord, signal?: AbortSignal): Promise<MediaItem | undefined> {
    const fields = ['id', 'caption', 'media_type', 'media_product_type', 'timestamp', 'permalink'];
    const page = await this.callFor(post, (auth) =>
      post.kind === 'story' ? listStories(this.o.graph, auth, { limit: 25, fields, signal }) : listMedia(this.o.graph, auth, { limit: 10, fields, signal }),
    );
    const claimed = new Set(this.o.store.posts.listForAccount(post.owner, post.accountId, 200).filter((p) => p.id !== post.id && p.mediaId).map((p) => p.mediaId!));
    const attemptAt = optionsOf(post).publishAttemptAt ?? post.updatedAt;
    const first = (post.inputs as StoredItem[])[0];
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

  // ------------------------------------------------------------------ after publishing

  private async afterPublish(job: Job, post: PostRecord): Promise<void> {
    const o = optionsOf(post);
    if (!o.firstComment || o.firstCommentResult || !post.mediaId) return;
    // Written first: a comment write is never retried blindly either.
    this.patchOptions(post.id, (x) => ({ ...x, firstCommentResult: { status: 'unknown', message: 'The first comment was being posted when the server stopped; check the post before adding it again.' } }));
    try {
      const { id } = await this.call(job, post, (auth) => createComment(this.o.graph, auth, post.mediaId!, o.firstComment!, job.controller.signal));
      this.patchOptions(post.id, (x) => ({ ...x, firstCommentResult: { status: 'posted', id } }));
    } catch (err) {
      const report = describeError(err);
      const unknown = err instanceof GraphError && !err.notApplied && (err.kind === 'network' || err.kind === 'unknown');
      this.patchOptions(post.id, (x) => ({
        ...x,
        firstCommentResult: unknown
          ? { status: 'unknown', message: `The first comment may or may not have been posted (${report.message}); check the post before adding it again.` }
          : { status: 'failed', message: `${report.message}${report.hint ? ` ${report.hint}` : ''}` },
      }));
      this.o.logger.warn('first comment failed; the post itself is published', { post: post.id, error: report.message });
    }
  }

  /** For a completed post: fills in a permalink (or media id) that was not available at publish time. */
  private async completeDetails(post: PostRecord, signal?: AbortSignal): Promise<void> {
    if (post.mediaId && post.permalink) return;
    try {
      if (!post.mediaId) {
        const found = await this.findPublishedMedia(post, signal);
        if (!found) return;
        this.o.store.posts.update(post.id, { mediaId: found.id, permalink: found.permalink ?? null, options: { ...optionsOf(post), note: undefined } });
        return;
      }
      const p = await this.callFor(post, (auth) => getMediaPermalink(this.o.graph, auth, post.mediaId!, signal));
      if (p.permalink) this.o.store.posts.update(post.id, { permalink: p.permalink });
    } catch (err) {
      this.o.logger.debug('could not complete post details', { post: post.id, error: describeError(err).message });
    }
  }

  // ------------------------------------------------------------------ quota

  /** Before any container is created: a post that cannot be published today is refused at once. */
  private async checkQuotaEarly(caller: Caller, account: AccountRecord): Promise<void> {
    let limit;
    try {
      limit = await this.o.accounts.call(caller, account, (auth) => getPublishingLimit(this.o.graph, auth));
    } catch (err) {
      if (err instanceof AppError) throw err;
      this.o.logger.warn('could not read the publishing limit; publishing anyway', { error: describeError(err).message });
      return;
    }
    if (limit.quotaTotal !== null && limit.quotaUsage >= limit.quotaTotal) throw this.quotaError(account, limit.quotaUsage, limit.quotaTotal, limit.quotaDurationSec);
  }

  /** media_publish answered 9/2207042: nothing went live; say how full the window is and when it frees up. */
  private async quotaRefusal(job: Job, post: PostRecord, err: GraphError): Promise<AppError> {
    const limit = await this.call(job, post, (auth) => getPublishingLimit(this.o.graph, auth, job.controller.signal)).catch(() => null);
    if (limit?.quotaTotal != null) return this.quotaError(this.accountOf(post), limit.quotaUsage, limit.quotaTotal, limit.quotaDurationSec);
    return new AppError('quota_exhausted', `Instagram refused the publish: ${err.message} Nothing was published.`, 'Try again once a slot frees up in the rolling 24-hour window (instagram_get_publishing_limit shows the quota).');
  }

  private quotaError(account: AccountRecord, usage: number, total: number, durationSec: number | null): AppError {
    const freesAt = this.estimateQuotaFreesAt(account, durationSec);
    const hours = Math.round((durationSec ?? 86_400) / 3600);
    const when = freesAt
      ? `A slot should free up around ${new Date(freesAt).toISOString()} (estimated from the posts this server published).`
      : `Slots free up as posts leave the rolling ${hours}-hour window; Instagram does not say exactly when.`;
    return new AppError(
      'quota_exhausted',
      `@${account.username} has used its publishing quota: ${usage} of ${total} posts in the last ${hours} hours. Nothing was published. ${when}`,
      'Publish later (check instagram_get_publishing_limit), or schedule the post.',
      { quota_usage: usage, quota_total: total, quota_duration_seconds: durationSec, frees_at: freesAt ? new Date(freesAt).toISOString() : null },
    );
  }

  private estimateQuotaFreesAt(account: AccountRecord, durationSec: number | null): number | null {
    const window = (durationSec ?? 86_400) * 1000;
    const now = this.o.clock.now();
    const inWindow = this.o.store.posts
      .listForAccount(account.owner, account.id, 500)
      .filter((p) => p.state === 'completed' && p.publishedAt !== null && p.publishedAt > now - window)
      .map((p) => p.publishedAt!)
      .sort((a, b) => a - b);
    return inWindow.length ? inWindow[0]! + window : null;
  }

  // ------------------------------------------------------------------ failures

  private fail(post: PostRecord, err: unknown): void {
    let code: number | null = null;
    let subcode: number | null = null;
    let message: string;
    let failureCode: string;
    let hint: string | undefined;
    if (err instanceof ContainerFailed) {
      subcode = err.status.errorSubcode ?? null;
      message = err.message;
      failureCode = err.status.statusCode === 'EXPIRED' ? 'container_expired' : 'container_error';
      hint = err.status.statusCode === 'EXPIRED' ? 'Create the post again.' : (subcode ? describeSubcode(subcode) : undefined);
    } else if (err instanceof GraphError) {
      code = err.code ?? null;
      subcode = err.subcode ?? null;
      message = err.message;
      failureCode = `instagram_${err.kind}`;
      hint = err.hint;
    } else {
      const report = describeError(err);
      code = typeof report.details?.graph_code === 'number' ? report.details.graph_code : null;
      subcode = typeof report.details?.graph_subcode === 'number' ? report.details.graph_subcode : null;
      message = report.message;
      failureCode = report.code;
      hint = report.hint;
      if (!(err instanceof AppError)) this.o.logger.error('post failed on an unexpected error', { post: post.id, error: err instanceof Error ? err.stack : String(err) });
    }
    this.o.store.transaction(() => {
      this.o.store.posts.markFailed(post.id, { code, subcode, message });
      this.patchOptions(post.id, (o) => ({ ...o, failureCode, ...(hint ? { failureHint: hint } : {}) }));
      this.o.store.audit.record({
        owner: post.owner,
        agent: optionsOf(post).agent ?? null,
        accountId: post.accountId,
        action: 'post.failed',
        detail: { post_id: post.id, kind: post.kind, state: post.state, code: code ?? failureCode, subcode, message },
      });
    });
    this.o.logger.warn('post failed', { post: post.id, state: post.state, code: code ?? failureCode, subcode });
  }

  // ------------------------------------------------------------------ plumbing

  private accountOf(post: PostRecord): AccountRecord {
    const account = this.o.store.accounts.get(post.owner, post.accountId);
    if (!account || account.status === 'disconnected' || !account.accessToken) {
      throw new AppError('account_disconnected', 'The account of this post was disconnected.', 'Connect it again with instagram_authenticate, then create the post again.');
    }
    if (account.status === 'needs_reauth') {
      throw new AppError('needs_reauth', `@${account.username} needs to be re-authenticated.`, this.o.accounts.reauthHint(account));
    }
    return account;
  }

  private call<T>(job: Job, post: PostRecord, fn: (auth: AccountAuth) => Promise<T>): Promise<T> {
    this.throwIfStopped(job);
    return this.callFor(post, fn);
  }

  /** A Graph call for the post's account with a fresh token (190 marks the account for re-auth). */
  private callFor<T>(post: PostRecord, fn: (auth: AccountAuth) => Promise<T>): Promise<T> {
    const caller = { owner: post.owner, agent: optionsOf(post).agent ?? 'publisher' };
    return this.o.accounts.call(caller, this.accountOf(post), fn);
  }

  private readStatus(job: Job, post: PostRecord, containerId: string): Promise<ContainerStatus> {
    return this.call(job, post, (auth) => getContainerStatus(this.o.graph, auth, containerId, job.controller.signal));
  }

  /** A status read that must succeed to decide anything; if Instagram stays unreachable the post is left for later. */
  private async readStatusPatiently(job: Job, post: PostRecord, containerId: string): Promise<ContainerStatus> {
    const delays = [0, 1000, 2000, 4000, 8000, 15_000];
    let last: unknown;
    for (const delay of delays) {
      if (delay) await this.sleep(job, delay);
      try {
        return await this.readStatus(job, post, containerId);
      } catch (err) {
        if (job.controller.signal.aborted || err instanceof AppError) throw err;
        if (err instanceof GraphError && !err.isTransient && err.kind !== 'network' && !isNotFoundYet(err)) throw err;
        last = err;
      }
    }
    throw new Deferred(`Whether the post went live could not be checked yet (${describeError(last).message}); it will be checked again before anything is retried.`);
  }

  private containerCreatedAt(post: PostRecord, id: string): number {
    return optionsOf(this.o.store.posts.getById(post.id) ?? post).containers?.[id]?.createdAt ?? post.updatedAt;
  }

  private isVideoContainer(post: PostRecord, id: string): boolean {
    const meta = optionsOf(this.o.store.posts.getById(post.id) ?? post).containers?.[id];
    const index = meta ? meta.index : post.kind === 'carousel' ? -1 : 0;
    return index >= 0 && (post.inputs as StoredItem[])[index]?.kind === 'video';
  }

  private describeContainer(post: PostRecord, id: string): string {
    const meta = optionsOf(this.o.store.posts.getById(post.id) ?? post).containers?.[id];
    if (!meta || meta.index < 0 || post.kind !== 'carousel') return `the ${post.kind === 'carousel' ? 'carousel' : post.kind}`;
    const item = (post.inputs as StoredItem[])[meta.index];
    return `carousel item ${meta.index + 1}${item ? ` (${item.label})` : ''}`;
  }

  private recordContainer(postId: string, containerId: string, meta: ContainerMeta): void {
    this.patchOptions(postId, (o) => ({ ...o, containers: { ...(o.containers ?? {}), [containerId]: meta } }));
  }

  /** Read-modify-write of the options JSON; synchronous, so atomic within this process. */
  private patchOptions(postId: string, fn: (o: PostOptions) => PostOptions): void {
    this.o.store.transaction(() => {
      const post = this.o.store.posts.getById(postId);
      if (post) this.o.store.posts.update(postId, { options: fn(optionsOf(post)) as Record<string, unknown> });
    });
  }

  private acquireLease(postId: string): boolean {
    return this.o.store.transaction(() => {
      const post = this.o.store.posts.getById(postId);
      if (!post) return false;
      const lease = optionsOf(post).lease;
      if (lease && lease.holder !== this.holder && !this.leaseStale(lease)) {
        this.o.logger.info('post is being driven by another server process', { post: postId, pid: lease.pid });
        return false;
      }
      this.o.store.posts.update(postId, { options: { ...optionsOf(post), lease: this.newLease() } });
      return true;
    });
  }

  private renewLease(job: Job): void {
    const now = this.o.clock.now();
    if (now - job.leaseRenewedAt < LEASE_RENEW_MS) return;
    job.leaseRenewedAt = now;
    this.patchOptions(job.postId, (o) => ({ ...o, lease: this.newLease() }));
  }

  private releaseLease(postId: string): void {
    this.patchOptions(postId, (o) => (o.lease?.holder === this.holder ? { ...o, lease: null } : o));
  }

  private newLease(): NonNullable<PostOptions['lease']> {
    return { holder: this.holder, pid: process.pid, host: os.hostname(), until: this.o.clock.now() + LEASE_MS };
  }

  private leaseStale(lease: NonNullable<PostOptions['lease']>): boolean {
    if (lease.until <= this.o.clock.now()) return true;
    if (lease.host === os.hostname() && lease.pid !== process.pid) {
      try {
        process.kill(lease.pid, 0);
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    return false;
  }
}

// ---------------------------------------------------------------------------------------------- pure helpers

function optionsOf(post: PostRecord): PostOptions {
  return post.options as PostOptions;
}

function isInFlight(post: PostRecord): boolean {
  return post.state !== 'completed' && post.state !== 'failed';
}

function isNotFoundYet(err: unknown): boolean {
  return err instanceof GraphError && err.code === 100 && err.subcode === 33;
}

function mb(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

function messageWithHint(err: unknown): string {
  const r = describeError(err);
  return r.hint ? `${r.message} ${r.hint}` : r.message;
}

export function postKindFor(request: PublishRequest): PostKind {
  if (request.surface === 'reel') return 'reel';
  if (request.surface === 'story') return 'story';
  const n = request.media.length + (request.autoDiscover ?? 0);
  return n > 1 ? 'carousel' : 'image';
}

function targetsFor(surface: PublishSurface, count: number): { targetFor: (k: MediaKind) => TargetKind; defaultKind: MediaKind } {
  if (surface === 'reel') return { targetFor: () => 'reel', defaultKind: 'video' };
  if (surface === 'story') return { targetFor: (k) => (k === 'video' ? 'story_video' : 'story_image'), defaultKind: 'image' };
  if (count > 1) return { targetFor: (k) => (k === 'video' ? 'carousel_video' : 'carousel_image'), defaultKind: 'image' };
  // A single feed video is published as a reel (Instagram's rule since 2023).
  return { targetFor: (k) => (k === 'video' ? 'reel' : 'feed_image'), defaultKind: 'image' };
}

/** Text-level checks (no file, no network): each issue says what to fix. */
export function validateRequest(request: PublishRequest, kind: PostKind): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (field: string, code: string, message: string) => issues.push({ field, code, message, fixable: false });
  for (const issue of checkCaption(request.caption)) add('caption', issue.code, `caption: ${issue.message}`);
  if (request.collaborators && request.collaborators.length > LIMITS.collaboratorsMax) {
    add('collaborators', 'too_many_collaborators', `collaborators: at most ${LIMITS.collaboratorsMax} collaborators can be invited; ${request.collaborators.length} were given. Remove ${request.collaborators.length - LIMITS.collaboratorsMax}.`);
  }
  (request.collaborators ?? []).forEach((name, i) => {
    if (!/^@?[A-Za-z0-9._]{1,30}$/.test(name)) add(`collaborators[${i}]`, 'invalid_username', `collaborators[${i}]: '${name.slice(0, 40)}' is not an Instagram username.`);
  });
  for (const [field, text] of [['alt_text', request.altText], ...request.media.map((m, i) => [`media[${i}].alt_text`, m.altText] as const)] as Array<[string, string | undefined]>) {
    for (const issue of checkAltText(text)) add(field, issue.code, `${field}: ${issue.message}`);
  }
  const tags = [...(request.userTags ?? []), ...request.media.flatMap((m) => m.userTags ?? [])];
  if (tags.length > LIMITS.userTagsMax) add('user_tags', 'too_many_user_tags', `user_tags: at most ${LIMITS.userTagsMax} people can be tagged in one post; ${tags.length} were given.`);
  const checkTags = (field: string, list: UserTag[] | undefined, needXY: boolean) =>
    (list ?? []).forEach((t, i) => {
      if (!/^@?[A-Za-z0-9._]{1,30}$/.test(t.username)) add(`${field}[${i}]`, 'invalid_username', `${field}[${i}]: '${t.username.slice(0, 40)}' is not an Instagram username.`);
      const bad = (v: number | undefined) => v !== undefined && (v < 0 || v > 1 || Number.isNaN(v));
      if (bad(t.x) || bad(t.y)) add(`${field}[${i}]`, 'tag_position_out_of_range', `${field}[${i}]: x and y are fractions of the image (0.0 to 1.0).`);
      if (needXY && (t.x === undefined || t.y === undefined)) add(`${field}[${i}]`, 'tag_position_required', tagPositionMessage(`${field}[${i}]`));
    });
  const single = kind !== 'carousel';
  checkTags('user_tags', request.userTags, false);
  request.media.forEach((m, i) => checkTags(`media[${i}].user_tags`, m.userTags, false));
  if (kind === 'carousel' && (request.altText || request.userTags?.length)) {
    add('alt_text', 'per_item_option', 'alt_text and user_tags of a carousel go on each item (media[i].alt_text, media[i].user_tags), not on the post.');
  }
  if (single && request.media.some((m) => m.altText || m.userTags?.length)) {
    add('media', 'per_post_option', 'For a single post give alt_text and user_tags at the top level, not inside media.');
  }
  if (request.thumbOffsetMs !== undefined && request.thumbOffsetMs < 0) add('thumb_offset', 'thumb_offset_negative', 'thumb_offset must be 0 or more (milliseconds into the video).');
  if (request.audioName && request.audioName.length > 100) add('audio_name', 'audio_name_too_long', 'audio_name: keep it under 100 characters.');
  if (request.firstComment !== undefined && (request.firstComment.trim() === '' || request.firstComment.length > 2200)) {
    add('first_comment', 'first_comment_invalid', 'first_comment must be 1 to 2200 characters.');
  }
  if (request.idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(request.idempotencyKey)) {
    add('idempotency_key', 'idempotency_key_invalid', 'idempotency_key: 1 to 200 visible ASCII characters.');
  }
  return issues;
}

function tagPositionMessage(field: string): string {
  return `${field}: tagging someone on an image needs x and y (0.0 to 1.0, from the top left).`;
}

/** Checks needing the media's kind: alt text and tags only on images, thumb_offset inside the video. */
function checkPreparedAgainstRequest(request: PublishRequest, media: PreparedMedia[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (field: string, code: string, message: string) => issues.push({ field, code, message, fixable: false });
  if (request.surface === 'feed' && media.length === 1 && media[0]!.kind === 'video' && request.altText) {
    add('alt_text', 'alt_text_not_supported', 'alt_text is supported on images only; this post is a video (published as a reel).');
  }
  request.media.forEach((m, i) => {
    if (media[i]?.kind === 'video' && m.altText) add(`media[${i}].alt_text`, 'alt_text_not_supported', `media[${i}].alt_text: alt text is supported on images only.`);
    if (media[i]?.kind === 'video' && m.userTags?.length) add(`media[${i}].user_tags`, 'user_tags_not_supported', `media[${i}].user_tags: Instagram does not support tagging people on videos inside a carousel.`);
  });
  // Tagging someone on a feed or carousel image needs a position; on videos and stories it does not.
  const needsXY = (tags: UserTag[] | undefined, field: string) =>
    (tags ?? []).forEach((t, i) => {
      if (t.x === undefined || t.y === undefined) add(`${field}[${i}]`, 'tag_position_required', tagPositionMessage(`${field}[${i}]`));
    });
  if (request.surface === 'feed' && media.length === 1 && media[0]!.kind === 'image') needsXY(request.userTags, 'user_tags');
  request.media.forEach((m, i) => {
    if (request.surface === 'feed' && media.length > 1 && media[i]?.kind === 'image') needsXY(m.userTags, `media[${i}].user_tags`);
  });
  const video = media[0];
  if (request.thumbOffsetMs !== undefined && video?.kind === 'video' && video.durationMs !== undefined && request.thumbOffsetMs >= video.durationMs) {
    add('thumb_offset', 'thumb_offset_out_of_range', `thumb_offset is ${request.thumbOffsetMs} ms but the video lasts ${video.durationMs} ms; pick a frame inside the video.`);
  }
  return issues;
}

/** Runs `fn` over `items` with at most `limit` at once; the first error rejects (the others finish). */
async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
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
