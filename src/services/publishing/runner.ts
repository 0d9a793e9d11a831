/**
 * The job runner: one background job per post in flight, driving it through the state table (each
 * state's step, until the post is finished or has to wait). Tool calls wait on a job for a bounded
 * time; cancelling a call only stops that call's waiting, never the post. `close()` stops the jobs and
 * leaves their rows for the next start.
 */
import type { Clock, Timer } from '../../clock.js';
import { describeError } from '../../errors.js';
import { mayPassLater } from '../../instagram/errors.js';
import type { GraphHttp } from '../../instagram/http.js';
import type { Logger } from '../../log.js';
import { isStoreUnavailable, type AccountRecord, type PostRecord, type Store } from '../../store/index.js';
import type { MediaLibrary } from '../mediaLibrary.js';
import type { Progress } from '../progress.js';
import { failPost } from './failure.js';
import { assertLease, fencedStore, LeaseLostError } from './fence.js';
import type { HeldLease, LeaseKeeper } from './lease.js';
import type { PostCall } from './postAccount.js';
import type { Quota } from './quota.js';
import { isInFlight, STATE_TABLE, transition, TransitionConflictError, type StepName } from './stateTable.js';
import { begin, createContainers } from './steps/containers.js';
import { postFirstComment } from './steps/firstComment.js';
import { waitProcessed } from './steps/polling.js';
import { publish, UnsavedMediaError } from './steps/publish.js';
import type { Step, StepScope } from './steps/scope.js';
import { awaitPublish, awaitStart } from './steps/schedule.js';
import { uploadVideos } from './steps/upload.js';

/** The implementation of each step the state table names. */
const STEPS: Record<StepName, Step> = {
  begin,
  awaitStart,
  awaitPublish,
  containers: createContainers,
  upload: uploadVideos,
  polling: waitProcessed,
  publish,
  firstComment: postFirstComment,
};

/** Transient failures of the steps before publishing, retried in place before the post is left for later. */
const MAX_STEP_RETRIES = 3;
/** A post whose job stopped because the store could not write is driven again after this long. */
const STORE_RETRY_MS = 30_000;

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
  lease: HeldLease;
  stepRetries: number;
  quotaGate?: Promise<void>;
}

export interface RunnerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  graph: GraphHttp;
  library: MediaLibrary;
  quota: Quota;
  leases: LeaseKeeper;
  call: PostCall;
  accountOf: (post: PostRecord) => Promise<AccountRecord>;
  /** Told when a job leaves a scheduled post live or failed (connected clients hear of it). */
  onScheduledSettled?: (post: PostRecord) => void;
}

export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  /** Media ids of live posts the store could not record yet (written by the post's next job). */
  private readonly unsavedMedia = new Map<string, string>();
  private readonly retryTimers = new Map<string, Timer>();
  private closing = false;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly library: MediaLibrary;
  private readonly leases: LeaseKeeper;

  constructor(private readonly deps: RunnerDeps) {
    ({ store: this.store, clock: this.clock, logger: this.logger, library: this.library, leases: this.leases } = deps);
  }

  isRunning(postId: string): boolean {
    return this.jobs.has(postId);
  }

  /** Starts driving the post unless a job (here or in another process) already does; the job, if one runs here. */
  async ensure(post: PostRecord, quotaGate?: Promise<void>): Promise<Job | undefined> {
    const running = this.jobs.get(post.id);
    if (running) return running;
    if (this.closing) return undefined;
    let lease: HeldLease | undefined;
    try {
      lease = await this.leases.acquire(post.id);
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      this.logger.warn('cannot take the post now (the store cannot write); it is driven again later', { post: post.id, error: describeError(err).message });
      this.retryLater(post.id);
      return undefined;
    }
    if (!lease) return undefined;
    const job: Job = {
      postId: post.id,
      controller: new AbortController(),
      promise: Promise.resolve(),
      waiters: new Set(),
      hostedTokens: [],
      progress: post.progress,
      message: post.state,
      persistedProgress: post.progress,
      lease,
      stepRetries: 0,
      ...(quotaGate ? { quotaGate } : {}),
    };
    this.jobs.set(post.id, job);
    // Nobody may be listening to this promise: it never rejects.
    job.promise = this.drive(job)
      .catch((err: unknown) => this.logger.error('publishing job crashed; the post stays as stored and is resumed on the next start', { post: job.postId, error: err instanceof Error ? err.stack : String(err) }))
      .finally(() => this.endJob(job))
      .catch((err: unknown) => this.logger.error('publishing job cleanup failed', { post: job.postId, error: err instanceof Error ? err.stack : String(err) }));
    return job;
  }

  /** Lets go of the job's resources; each step on its own, so one failing never keeps a waiter waiting. */
  private endJob(job: Job): void {
    const attempt = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        this.logger.warn(`publishing job cleanup: ${what} failed`, { post: job.postId, error: describeError(err).message });
      }
    };
    attempt('revoking hosted media', () => {
      for (const token of job.hostedTokens) this.library.revoke(token);
    });
    attempt('releasing the lease', async () => this.leases.release(job.lease));
    this.jobs.delete(job.postId);
    for (const waiter of [...job.waiters]) attempt('ending a wait', () => waiter.done());
    attempt('telling listeners about a scheduled post', async () => {
      const post = await this.store.posts.getById(job.postId);
      if (post && post.publishAt !== null && (post.state === 'completed' || post.state === 'failed' || post.state === 'skipped')) this.deps.onScheduledSettled?.(post);
    });
    attempt('checking the media id kept in memory', async () => {
      if (!this.unsavedMedia.has(job.postId)) return;
      const stored = await this.store.posts.getById(job.postId);
      if (!stored || stored.mediaId || !isInFlight(stored.state)) this.unsavedMedia.delete(job.postId);
      else this.retryLater(job.postId);
    });
  }

  /** Drives the post again after a while (its job stopped because the store could not write). */
  private retryLater(postId: string): void {
    if (this.closing || this.retryTimers.has(postId)) return;
    const timer = this.clock.setTimer(STORE_RETRY_MS, async () => {
      this.retryTimers.delete(postId);
      if (this.closing || this.jobs.has(postId)) return;
      try {
        const post = await this.store.posts.getById(postId);
        if (post && isInFlight(post.state)) await this.ensure(post);
      } catch (err) {
        this.logger.warn('could not drive the post again; trying later', { post: postId, error: describeError(err).message });
        this.retryLater(postId);
      }
    });
    this.retryTimers.set(postId, timer);
  }

  /** The stored post, with the media id kept in memory while the store could not record it. */
  private withUnsavedMedia(post: PostRecord): PostRecord {
    const mediaId = this.unsavedMedia.get(post.id);
    if (!mediaId) return post;
    if (post.mediaId || !isInFlight(post.state)) {
      this.unsavedMedia.delete(post.id);
      return post;
    }
    return { ...post, mediaId };
  }

  /** A note on the post, when the store can write it. */
  private async note(job: Job, note: string): Promise<void> {
    try {
      await fencedStore(this.store, job.lease).posts.updateRuntime(job.postId, { note });
    } catch (err) {
      if (!isStoreUnavailable(err) && !(err instanceof LeaseLostError)) throw err;
    }
  }

  /** Stops the post's job (if any) and waits for it to let go. */
  async stop(postId: string, reason: string): Promise<void> {
    const job = this.jobs.get(postId);
    job?.controller.abort(new Error(reason));
    await job?.promise;
  }

  /** Waits up to `waitMs` for the post's job to finish (returns at once when none runs). */
  async wait(postId: string, waitMs: number, signal?: AbortSignal, progress?: Progress): Promise<void> {
    const job = this.jobs.get(postId);
    if (!job || waitMs <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const waiter: Waiter = {
        deadline: this.clock.now() + waitMs,
        ...(progress ? { progress } : {}),
        done: () => {
          job.waiters.delete(waiter);
          signal?.removeEventListener('abort', waiter.done);
          resolve();
        },
      };
      job.waiters.add(waiter);
      signal?.addEventListener('abort', waiter.done, { once: true });
      waiter.progress?.report(Math.round(job.progress * 100), 100, job.message).catch(() => {});
    });
  }

  /** Stops every job; their rows stay as they are for the next start. */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.retryTimers.values()) timer.cancel();
    this.retryTimers.clear();
    const running = [...this.jobs.values()];
    for (const job of running) job.controller.abort(new Error('the server is stopping'));
    await Promise.allSettled(running.map((j) => j.promise));
  }

  get isClosing(): boolean {
    return this.closing;
  }

  private async drive(job: Job): Promise<void> {
    const { logger } = this;
    const scope = this.scopeFor(job);
    const store = scope.store;
    for (;;) {
      const stored = await store.posts.getById(job.postId);
      if (!stored) return;
      const post = this.withUnsavedMedia(stored);
      const spec = STATE_TABLE[post.state];
      try {
        job.controller.signal.throwIfAborted();
        await scope.renewLease();
        if (!spec.step) return;
        const outcome = await STEPS[spec.step](scope, post);
        if (outcome) {
          logger.info('post left for later', { post: job.postId, state: (await store.posts.getById(job.postId))?.state, reason: outcome.leaveForLater });
          await this.note(job, outcome.leaveForLater);
          return;
        }
        if (!isInFlight(post.state)) return;
      } catch (err) {
        if (err instanceof UnsavedMediaError) {
          if (err.mediaId) this.unsavedMedia.set(job.postId, err.mediaId);
          logger.error('the post is live but the store cannot record it; kept in memory and written later', { post: job.postId, media: err.mediaId, error: describeError(err.cause).message });
          this.retryLater(job.postId);
          return;
        }
        if (err instanceof LeaseLostError) job.controller.abort(err);
        if (job.controller.signal.aborted || err instanceof TransitionConflictError || err instanceof LeaseLostError) {
          logger.info('post left for later', { post: job.postId, state: (await store.posts.getById(job.postId))?.state, reason: describeError(err).message });
          return;
        }
        if (isStoreUnavailable(err) || this.unsavedMedia.has(job.postId)) {
          // The store, not Instagram, failed (or the post is live): never a reason to fail the post.
          logger.warn('the store cannot write now; the post stays as stored and is driven again later', { post: job.postId, state: post.state, error: describeError(err).message });
          this.retryLater(job.postId);
          return;
        }
        if (spec.retriesTransientFailures && mayPassLater(err)) {
          // Nothing is live before media_publish, so a transient failure there never fails the post.
          if (job.stepRetries < MAX_STEP_RETRIES) {
            job.stepRetries++;
            try {
              await scope.sleep(Math.min(30_000, 2000 * 2 ** (job.stepRetries - 1)));
            } catch {
              return;
            }
            continue;
          }
          await this.note(job, `Instagram is failing for now (${describeError(err).message}); instagram_post_status tries again.`);
          return;
        }
        try {
          await failPost({ store: this.store, clock: this.clock, logger, fence: job.lease }, post, err);
        } catch (failErr) {
          if (!isStoreUnavailable(failErr) && !(failErr instanceof TransitionConflictError)) throw failErr;
          logger.warn('could not record the failure of the post; it is driven again later', { post: job.postId, error: describeError(failErr).message });
          if (isStoreUnavailable(failErr)) this.retryLater(job.postId);
        }
        return;
      }
    }
  }

  private scopeFor(job: Job): StepScope {
    const { clock, logger, library, leases } = this;
    const store = fencedStore(this.store, job.lease);
    const { graph, quota, call, accountOf } = this.deps;
    const signal = job.controller.signal;
    const renewLease = async () => {
      if (!(await leases.renew(job.lease))) job.controller.abort(new Error('another server process took the post over'));
    };
    return {
      store,
      clock,
      logger,
      graph,
      library,
      quota,
      signal,
      quotaGate: job.quotaGate,
      get progressSoFar() {
        return job.progress;
      },
      notAppliedPublishes: 0,
      account: accountOf,
      call: async (post, fn) => {
        signal.throwIfAborted();
        // Checked right before each Graph call (container creation, upload, media_publish included).
        try {
          await assertLease(this.store, post.id, job.lease);
        } catch (err) {
          job.controller.abort(err);
          throw err;
        }
        return call(post, fn);
      },
      sleep: (ms) =>
        clock.sleep(ms, signal).then(async () => {
          this.tick(job);
          await renewLease();
        }),
      progress: async (value, message) => this.setProgress(job, value, message),
      renewLease,
      host: async (media) => {
        const hosted = await library.host(media);
        job.hostedTokens.push(hosted.token);
        return hosted.url;
      },
      move: async (post, to, change) => transition({ store, clock, fence: job.lease }, post, to, change),
    };
  }

  /** Resolves waiters whose time is up (time only moves between steps, so this runs after each). */
  private tick(job: Job): void {
    const now = this.clock.now();
    for (const waiter of [...job.waiters]) if (now >= waiter.deadline) waiter.done();
  }

  private async setProgress(job: Job, value: number, message: string): Promise<void> {
    const v = Math.min(1, Math.max(job.progress, value));
    job.progress = v;
    job.message = message;
    const percent = Math.round(v * 100);
    for (const waiter of job.waiters) waiter.progress?.report(percent, 100, message).catch(() => {});
    if (v - job.persistedProgress >= 0.02 || v === 1) {
      job.persistedProgress = v;
      try {
        await fencedStore(this.store, job.lease).posts.setProgress(job.postId, v);
      } catch (err) {
        if (err instanceof LeaseLostError) job.controller.abort(err);
        // Progress is written again with the next step (or the move that ends the post).
        else if (isStoreUnavailable(err)) job.persistedProgress = 0;
        else throw err;
      }
    }
    this.tick(job);
  }
}
