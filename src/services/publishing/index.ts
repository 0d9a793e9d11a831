/**
 * The publisher: posts, reels and stories through a persisted state machine (stateTable.ts), driven
 * in the background by the job runner; a tool call waits a bounded time for its post and gets its
 * state back as a domain view. Request checks are plan.ts; the lease, lease.ts; the quota, quota.ts.
 */
import type { Clock } from '../../clock.js';
import type { AppConfig } from '../../config.js';
import { AppError, describeError } from '../../errors.js';
import type { GraphHttp } from '../../instagram/http.js';
import { getMediaPermalink } from '../../instagram/publishing.js';
import type { Logger } from '../../log.js';
import { DuplicateIdempotencyKeyError, type AccountRecord, type PostRecord, type PostState, type Store } from '../../store/index.js';
import type { AccountService, Caller } from '../accounts.js';
import type { MediaLibrary } from '../mediaLibrary.js';
import { MAX_WAIT_MS } from './bounds.js';
import { contentFingerprint, findRecentDuplicate } from './duplicates.js';
import { failPost } from './failure.js';
import { LeaseKeeper } from './lease.js';
import { planPost } from './plan.js';
import { callForPost, postAccountOf, type PostCall } from './postAccount.js';
import { Quota } from './quota.js';
import { JobRunner } from './runner.js';
import { checkAccountAt, checkPublishTime, planQuota, type ScheduleRequest } from './scheduling.js';
import { isInFlight, transition, TransitionConflictError } from './stateTable.js';
import { DEFAULT_GRACE_MS, startAt, VIDEO_LEAD_MS } from './steps/schedule.js';
import { checkTimeZone, localDateTime } from '../timeZones.js';
import { findPublishedMedia } from './steps/publish.js';
import type { PostStatusView, PublishingDeps, PublishingLimitView, PublishRequest, ScheduledDay, WaitOptions } from './types.js';

const RESCHEDULABLE: readonly PostState[] = ['scheduled', 'creating_container', 'uploading', 'processing', 'ready'];
const CANCELLABLE: readonly PostState[] = ['pending', 'scheduled', 'creating_container', 'uploading', 'processing', 'ready'];
import { toStatusView } from './view.js';

export { MAX_WAIT_MS };
export { CHILD_CONCURRENCY } from './steps/containers.js';
export { pollAtMs } from './steps/polling.js';
export type * from './types.js';

export class Publisher {
  private readonly config: AppConfig;
  private readonly clock: Clock;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly graph: GraphHttp;
  private readonly accounts: AccountService;
  private readonly library: MediaLibrary;
  private readonly quota: Quota;
  private readonly leases: LeaseKeeper;
  private readonly runner: JobRunner;
  private readonly callFor: PostCall;
  private readonly settledListeners = new Set<(post: PostRecord) => void>();

  /** Calls `listener` when a scheduled post goes live, fails or is skipped here; returns the unsubscribe. */
  onScheduledSettled(listener: (post: PostRecord) => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  /** Tells the scheduler a scheduled post's containers are due at that time (set by the app). */
  wakeScheduler: (at: number) => void = () => {};

  constructor(deps: PublishingDeps) {
    ({ config: this.config, store: this.store, clock: this.clock, logger: this.logger, graph: this.graph, accounts: this.accounts, library: this.library } = deps);
    const { store, clock, logger, graph, accounts, library } = deps;
    this.quota = new Quota({ store, clock, logger, graph, accounts });
    this.leases = new LeaseKeeper(store, clock, logger);
    this.callFor = callForPost(store, accounts);
    const onScheduledSettled = (post: PostRecord) => {
      for (const listener of this.settledListeners) listener(post);
    };
    this.runner = new JobRunner({ store, clock, logger, graph, library, quota: this.quota, leases: this.leases, call: this.callFor, accountOf: async (post) => postAccountOf(store, accounts, post), onScheduledSettled });
  }

  async createPost(caller: Caller, request: PublishRequest, wait: WaitOptions = {}): Promise<PostStatusView> {
    const { accounts, library, store } = this;
    const account = await accounts.resolve(caller, request.account);
    if (request.idempotencyKey) {
      const existing = await store.posts.findByIdempotencyKey(caller.owner, request.idempotencyKey);
      if (existing) return this.replay(existing, wait);
    }
    const plan = await planPost(library, caller, account, request);
    if (request.schedule) return this.schedulePost(caller, account, request, request.schedule, plan);

    // Read while the containers are being created (containers are harmless if it says no): the
    // answer gates media_publish and, if the quota is used up, the call fails at once.
    const quotaGate = this.quota.checkEarly(caller, account);
    quotaGate.catch(() => {});

    const fingerprint = await contentFingerprint(account.id, plan, (m) => library.openForUpload(m));
    const guarded = !request.idempotencyKey && !request.allowDuplicate;

    const stored = await this.createOnce(caller, account, plan, fingerprint, guarded, {
      audit: (created) => ({ action: 'post.created', detail: { post_id: created.id, kind: plan.kind, items: plan.inputs.length, idempotency_key: plan.idempotencyKey } }),
    });
    if ('existing' in stored) return this.replay(stored.existing, wait, stored.reason);
    const post = stored.created;
    this.logger.info('post created', { post: post.id, kind: plan.kind, account: account.id, items: plan.inputs.length });
    await this.runner.ensure(post, quotaGate);
    try {
      await quotaGate;
    } catch (err) {
      await this.runner.stop(post.id, 'the publishing quota is used up');
      await failPost({ store, clock: this.clock, logger: this.logger }, post, err);
      throw err;
    }
    const view = await this.waitAndView(post.id, wait, false);
    const warned = plan.warnings.join(' ');
    return warned ? { ...view, note: view.note ? `${view.note} ${warned}` : warned } : view;
  }

  /** Stores a post for later, checked completely now: time, token at that time, quota around it. */
  private async schedulePost(caller: Caller, account: AccountRecord, request: PublishRequest, schedule: ScheduleRequest, plan: Awaited<ReturnType<typeof planPost>>): Promise<PostStatusView> {
    const { store, library, clock } = this;
    const now = clock.now();
    checkPublishTime(schedule.publishAt, now);
    const notes = [checkAccountAt(account, schedule.publishAt, this.accounts.reauthHint(account)), ...plan.warnings];
    if (!schedule.whenQuotaAllows) await this.checkQuotaAt(caller, account, schedule.publishAt);
    const fingerprint = await contentFingerprint(account.id, plan, (m) => library.openForUpload(m));
    const guarded = !request.idempotencyKey && !request.allowDuplicate;
    const stored = await this.createOnce(caller, account, plan, fingerprint, guarded, {
      publishAt: schedule.publishAt,
      moveOn: (created) =>
        transition({ store, clock }, created, 'scheduled', {
          runtime: { schedule: { graceMs: schedule.graceMs ?? DEFAULT_GRACE_MS, whenQuotaAllows: schedule.whenQuotaAllows ?? false } },
        }),
      audit: (created) => ({ action: 'post.scheduled', detail: { post_id: created.id, kind: plan.kind, publish_at: new Date(schedule.publishAt).toISOString() } }),
    });
    if ('existing' in stored) return this.replay(stored.existing, { waitMs: 0 }, stored.reason);
    const post = stored.created;
    this.logger.info('post scheduled', { post: post.id, kind: plan.kind, account: account.id, publishAt: new Date(schedule.publishAt).toISOString() });
    this.wakeScheduler(startAt(post));
    const view = await this.waitAndView(post.id, { waitMs: 0 }, false);
    const note = notes.filter(Boolean).join(' ');
    return note ? { ...view, note: view.note ? `${view.note} ${note}` : note } : view;
  }

  /**
   * Stores a new post, once, in one transaction with its media marked used and its audit entry: a
   * recent identical post (when not guarded by an idempotency key or allow_duplicate) or the post an
   * idempotency key already made is returned instead. `moveOn` takes the new post further (to scheduled) in the same transaction.
   */
  private async createOnce(
    caller: Caller,
    account: AccountRecord,
    plan: Awaited<ReturnType<typeof planPost>>,
    fingerprint: string,
    guarded: boolean,
    o: { publishAt?: number; moveOn?: (created: PostRecord) => Promise<PostRecord>; audit: (created: PostRecord) => { action: string; detail: Record<string, unknown> } },
  ): Promise<{ created: PostRecord } | { existing: PostRecord; reason?: 'duplicate' }> {
    const { store, library } = this;
    try {
      return await store.transaction(async () => {
        const duplicate = guarded ? await findRecentDuplicate(store, caller.owner, account.id, fingerprint, this.clock.now()) : undefined;
        if (duplicate) return { existing: duplicate, reason: 'duplicate' as const };
        const created = await store.posts.create({
          owner: caller.owner,
          accountId: account.id,
          idempotencyKey: plan.idempotencyKey,
          kind: plan.kind,
          caption: plan.caption,
          settings: { ...plan.settings, fingerprint },
          inputs: plan.inputs,
          publishAt: o.publishAt,
        });
        const moved = o.moveOn ? await o.moveOn(created) : created;
        await library.markUsed(plan.media, created.id);
        await store.audit.record({ owner: caller.owner, agent: caller.agent, accountId: account.id, ...o.audit(created) });
        return { created: moved };
      });
    } catch (err) {
      if (err instanceof DuplicateIdempotencyKeyError) return { existing: err.existing };
      throw err;
    }
  }

  private async checkQuotaAt(caller: Caller, account: AccountRecord, at: number, excludePostId?: string): Promise<void> {
    const live = await this.quota.limitView(caller, account).catch(() => null);
    if (!live || live.quotaTotal === null) return;
    const now = this.clock.now();
    const plan = planQuota({ events: await this.store.schedule.quotaEvents(account.id, now - 24 * 60 * 60 * 1000), liveUsage: live.quotaUsage, total: live.quotaTotal, now, at, ...(excludePostId ? { excludePostId } : {}) });
    if (plan.fits) return;
    const next = plan.nextFreeAt !== undefined ? new Date(plan.nextFreeAt).toISOString() : null;
    throw new AppError(
      'quota_full_at_time',
      `@${account.username} would have ${plan.usedAtTime} of ${live.quotaTotal} posts in the 24 hours before ${new Date(at).toISOString()}: no room for another.`,
      next ? `Schedule it at ${next} or later (the next time with room), or pass when_quota_allows: true to publish as soon as a slot frees up.` : 'Pass when_quota_allows: true to publish as soon as a slot frees up.',
      { next_free_at: next, quota_total: live.quotaTotal },
    );
  }

  /** Moves a scheduled post to a new time (and grace), checked as when it was scheduled. */
  async reschedule(caller: Caller, postId: string, readSchedule: () => ScheduleRequest): Promise<PostStatusView> {
    const post = await this.requireOwnPost(caller, postId);
    const schedule = readSchedule();
    if (!RESCHEDULABLE.includes(post.state)) throw this.notChangeable(post, 'rescheduled');
    const account = await this.accounts.resolve(caller, post.accountId);
    checkPublishTime(schedule.publishAt, this.clock.now());
    const note = checkAccountAt(account, schedule.publishAt, this.accounts.reauthHint(account));
    if (!(schedule.whenQuotaAllows ?? post.runtime.schedule?.whenQuotaAllows)) await this.checkQuotaAt(caller, account, schedule.publishAt, post.id);
    // A job waiting here on the old time stops first; one in another process sees the new time within seconds.
    await this.runner.stop(post.id, 'the post was rescheduled');
    const current = (await this.store.posts.getById(post.id))!;
    const runtime = { schedule: { graceMs: schedule.graceMs ?? current.runtime.schedule?.graceMs ?? DEFAULT_GRACE_MS, whenQuotaAllows: schedule.whenQuotaAllows ?? current.runtime.schedule?.whenQuotaAllows ?? false }, note: undefined };
    const moved = await this.store.transaction(async () => {
      const fresh = (await this.store.posts.getById(post.id))!;
      if (!RESCHEDULABLE.includes(fresh.state)) throw this.notChangeable(fresh, 'rescheduled');
      // Containers already made are kept: awaitPublish makes them again if they would expire first.
      await this.store.schedule.setPublishAt(fresh.id, schedule.publishAt);
      return this.store.posts.updateRuntime(fresh.id, runtime);
    });
    await this.store.audit.record({ owner: caller.owner, agent: caller.agent, accountId: post.accountId, action: 'post.rescheduled', detail: { post_id: post.id, publish_at: new Date(schedule.publishAt).toISOString() } });
    if (moved.state !== 'scheduled') await this.runner.ensure(moved);
    this.wakeScheduler(startAt(moved));
    const view = await this.waitAndView(post.id, { waitMs: 0 }, false);
    return note ? { ...view, note } : view;
  }

  /** Cancels a post before media_publish: nothing is published; a container already made expires on its own. */
  async cancel(caller: Caller, postId: string): Promise<PostStatusView> {
    const post = await this.requireOwnPost(caller, postId);
    if (post.state === 'cancelled') return this.waitAndView(post.id, { waitMs: 0 }, false);
    if (!CANCELLABLE.includes(post.state)) throw this.notChangeable(post, 'cancelled');
    await this.runner.stop(post.id, 'the post was cancelled');
    const fresh = (await this.store.posts.getById(post.id))!;
    if (!CANCELLABLE.includes(fresh.state)) throw this.notChangeable(fresh, 'cancelled');
    try {
      await transition({ store: this.store, clock: this.clock }, fresh, 'cancelled', { runtime: { note: 'Cancelled: nothing was published.' } });
    } catch (err) {
      if (err instanceof TransitionConflictError) throw this.notChangeable((await this.store.posts.getById(post.id))!, 'cancelled');
      throw err;
    }
    await this.store.audit.record({ owner: caller.owner, agent: caller.agent, accountId: post.accountId, action: 'post.cancelled', detail: { post_id: post.id } });
    this.logger.info('post cancelled', { post: post.id, state: fresh.state });
    return this.waitAndView(post.id, { waitMs: 0 }, false);
  }

  /** The calendar: the owner's posts with a publish_at in [from, from + days), by day in the time zone (default the configured one). */
  async listScheduled(caller: Caller, range: { from?: number; days: number; timeZone?: string; account?: string }): Promise<{ from: number; to: number; timeZone: string; days: ScheduledDay[] }> {
    const timeZone = checkTimeZone(range.timeZone ?? this.config.timeZone);
    const from = range.from ?? this.clock.now();
    const to = from + range.days * 24 * 60 * 60 * 1000;
    const accountId = range.account ? (await this.accounts.resolve(caller, range.account)).id : undefined;
    const usernames = new Map<string, string>();
    const days = new Map<string, ScheduledDay>();
    for (const post of (await this.store.schedule.listBetween(caller.owner, from, to, accountId))) {
      if (!(await this.store.agentAccounts.isEnabled(caller.owner, caller.agent, post.accountId))) continue;
      if (!usernames.has(post.accountId)) usernames.set(post.accountId, (await this.store.accounts.get(post.owner, post.accountId))?.username ?? post.accountId);
      const { date, time } = localDateTime(post.publishAt!, timeZone);
      const day = days.get(date) ?? { date, posts: [] };
      day.posts.push({ postId: post.id, publishAt: post.publishAt!, localTime: time, kind: post.kind, state: post.state, account: usernames.get(post.accountId)!, caption: post.caption });
      days.set(date, day);
    }
    return { from, to, timeZone, days: [...days.values()] };
  }

  /** Starts the scheduled posts whose containers are due; when the next one within `lookAheadMs` is due (null when none is). */
  async startDue(lookAheadMs: number): Promise<number | null> {
    const now = this.clock.now();
    let next: number | null = null;
    // Only the posts that start within the look-ahead: the sweep runs again by then anyway, and reading
    // a day of posts on every run made it quadratic in the posts scheduled.
    for (const post of (await this.store.schedule.listScheduledUntil(now + VIDEO_LEAD_MS + lookAheadMs))) {
      if (this.runner.isClosing) break;
      const due = startAt(post);
      if (due <= now) {
        this.logger.info('scheduled post: creating its containers ahead of publish_at', { post: post.id, publishAt: new Date(post.publishAt!).toISOString() });
        await this.runner.ensure(post);
      } else next = next === null ? due : Math.min(next, due);
    }
    return next;
  }

  private async requireOwnPost(caller: Caller, postId: string): Promise<PostRecord> {
    const post = await this.store.posts.get(caller.owner, postId);
    if (!post) throw new AppError('post_not_found', `No post with id ${postId.slice(0, 64)}.`, 'Use a post_id from instagram_list_scheduled or a publishing tool.');
    if (!(await this.store.agentAccounts.isEnabled(caller.owner, caller.agent, post.accountId))) {
      throw new AppError('account_disabled', 'This post belongs to an account that is disabled for this agent.', 'Enable the account with instagram_set_account_enabled.');
    }
    return post;
  }

  private notChangeable(post: PostRecord, what: 'cancelled' | 'rescheduled'): AppError {
    const why =
      post.state === 'completed' ? 'it is already live' : post.state === 'publishing' ? 'media_publish is under way' : post.state === 'failed' || post.state === 'skipped' || post.state === 'cancelled' ? `it is ${post.state}` : `it is ${post.state}`;
    return new AppError('post_not_changeable', `Post ${post.id} cannot be ${what}: ${why}.`, post.state === 'completed' ? 'A live post can be deleted only in the Instagram app.' : 'Check it with instagram_post_status.');
  }

  /** A post's state; a post still in flight is driven again (here) and waited for a bounded time. */
  async status(caller: Caller, postId: string, wait: WaitOptions = {}): Promise<PostStatusView> {
    const post = await this.store.posts.get(caller.owner, postId);
    if (!post) {
      throw new AppError('post_not_found', `No post with id ${postId.slice(0, 64)}.`, 'Use the post_id returned by instagram_create_post, instagram_create_reel or instagram_create_story.');
    }
    if (!(await this.store.agentAccounts.isEnabled(caller.owner, caller.agent, post.accountId))) {
      throw new AppError('account_disabled', 'This post belongs to an account that is disabled for this agent.', 'Enable the account with instagram_set_account_enabled.');
    }
    if (isInFlight(post.state) && post.state !== 'scheduled') await this.runner.ensure(post);
    else if (post.state === 'completed') await this.completeDetails(post, wait.signal);
    return this.waitAndView(post.id, wait, false);
  }

  async publishingLimit(caller: Caller, accountArg: string | undefined, signal?: AbortSignal): Promise<PublishingLimitView> {
    return this.quota.limitView(caller, await this.accounts.resolve(caller, accountArg), signal);
  }

  /** Resumes every post that was in flight when the server stopped (called once at start). */
  async resumeInFlight(): Promise<void> {
    for (const post of (await this.store.posts.listInFlight())) {
      if (this.runner.isClosing) return;
      this.logger.info('resuming post', { post: post.id, state: post.state });
      await this.runner.ensure(post);
    }
  }

  /** Takes over the posts in flight whose process died or stopped renewing its lease (run periodically, not only at start). */
  async resumeOrphaned(): Promise<void> {
    for (const post of (await this.store.posts.listInFlight())) {
      if (this.runner.isClosing) return;
      if (this.runner.isRunning(post.id) || !this.leases.isOrphaned(post)) continue;
      this.logger.info('taking over an orphaned post', { post: post.id, state: post.state, holder: post.lease?.owner.split('#')[0] });
      await this.runner.ensure(post);
    }
  }

  /** Stops every job; their rows stay as they are for resumeInFlight() on the next start. */
  async close(): Promise<void> {
    await this.runner.close();
  }

  private async replay(existing: PostRecord, wait: WaitOptions, why: 'key' | 'duplicate' = 'key'): Promise<PostStatusView> {
    this.logger.info(why === 'key' ? 'idempotency key replayed' : 'duplicate content within the window: returning the first post', { post: existing.id, state: existing.state });
    if (isInFlight(existing.state)) await this.runner.ensure(existing);
    const view = await this.waitAndView(existing.id, wait, why === 'key');
    if (why === 'key') return view;
    const duplicateNote = `Duplicate of post ${existing.id}: the same media and caption went to this account less than 15 minutes ago, so nothing was published again; pass allow_duplicate: true to publish it once more.`;
    return { ...view, duplicateOf: existing.id, note: view.note ? `${duplicateNote} ${view.note}` : duplicateNote };
  }

  private async waitAndView(postId: string, wait: WaitOptions, replayed: boolean): Promise<PostStatusView> {
    const waitMs = Math.min(MAX_WAIT_MS, Math.max(0, wait.waitMs ?? this.config.publishWaitMs));
    await this.runner.wait(postId, waitMs, wait.signal, wait.progress);
    const post = (await this.store.posts.getById(postId))!;
    const account = await this.store.accounts.get(post.owner, post.accountId);
    const running = this.runner.isRunning(postId);
    return toStatusView(post, {
      account: account ? { id: account.id, username: account.username } : null,
      replayed,
      running,
      drivenElsewhere: !running && isInFlight(post.state) && this.leases.heldElsewhere(post),
    });
  }

  /** For a completed post: fills in a permalink (or media id) that was not available at publish time. */
  private async completeDetails(post: PostRecord, signal?: AbortSignal): Promise<void> {
    if (post.mediaId && post.permalink) return;
    try {
      if (!post.mediaId) {
        const found = await findPublishedMedia({ graph: this.graph, store: this.store, call: this.callFor }, post, signal);
        if (!found) return;
        await this.store.transaction(async () => {
          await this.store.posts.recordMedia(post.id, { mediaId: found.id, permalink: found.permalink ?? null });
          await this.store.posts.updateRuntime(post.id, { note: undefined });
        });
        return;
      }
      const mediaId = post.mediaId;
      const p = await this.callFor(post, (auth) => getMediaPermalink(this.graph, auth, mediaId, signal));
      if (p.permalink) await this.store.posts.recordMedia(post.id, { permalink: p.permalink });
    } catch (err) {
      this.logger.debug('could not complete post details', { post: post.id, error: describeError(err).message });
    }
  }
}
