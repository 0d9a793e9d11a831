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
import { DuplicateIdempotencyKeyError, type PostRecord, type Store } from '../../store/index.js';
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
import { isInFlight } from './stateTable.js';
import { findPublishedMedia } from './steps/publish.js';
import type { PostStatusView, PublishingDeps, PublishingLimitView, PublishRequest, WaitOptions } from './types.js';
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

  constructor(deps: PublishingDeps) {
    ({ config: this.config, store: this.store, clock: this.clock, logger: this.logger, graph: this.graph, accounts: this.accounts, library: this.library } = deps);
    const { store, clock, logger, graph, accounts, library } = deps;
    this.quota = new Quota({ store, clock, logger, graph, accounts });
    this.leases = new LeaseKeeper(store, clock, logger);
    this.callFor = callForPost(store, accounts);
    this.runner = new JobRunner({ store, clock, logger, graph, library, quota: this.quota, leases: this.leases, call: this.callFor, accountOf: (post) => postAccountOf(store, accounts, post) });
  }

  async createPost(caller: Caller, request: PublishRequest, wait: WaitOptions = {}): Promise<PostStatusView> {
    const { accounts, library, store } = this;
    const account = accounts.resolve(caller, request.account);
    if (request.idempotencyKey) {
      const existing = store.posts.findByIdempotencyKey(caller.owner, request.idempotencyKey);
      if (existing) return this.replay(existing, wait);
    }
    const plan = await planPost(library, caller, account, request);

    // Read while the containers are being created (containers are harmless if it says no): the
    // answer gates media_publish and, if the quota is used up, the call fails at once.
    const quotaGate = this.quota.checkEarly(caller, account);
    quotaGate.catch(() => {});

    const fingerprint = await contentFingerprint(account.id, plan);
    const guarded = !request.idempotencyKey && !request.allowDuplicate;

    let post: PostRecord;
    try {
      const stored = store.transaction((): { duplicate: PostRecord } | { created: PostRecord } => {
        const duplicate = guarded ? findRecentDuplicate(store, caller.owner, account.id, fingerprint, this.clock.now()) : undefined;
        if (duplicate) return { duplicate };
        const created = store.posts.create({ owner: caller.owner, accountId: account.id, idempotencyKey: plan.idempotencyKey, kind: plan.kind, caption: plan.caption, settings: { ...plan.settings, fingerprint }, inputs: plan.inputs });
        library.markUsed(plan.media, created.id);
        store.audit.record({
          owner: caller.owner,
          agent: caller.agent,
          accountId: account.id,
          action: 'post.created',
          detail: { post_id: created.id, kind: plan.kind, items: plan.inputs.length, idempotency_key: plan.idempotencyKey },
        });
        return { created };
      });
      if ('duplicate' in stored) return this.replay(stored.duplicate, wait, 'duplicate');
      post = stored.created;
    } catch (err) {
      if (err instanceof DuplicateIdempotencyKeyError) return this.replay(err.existing, wait);
      throw err;
    }
    this.logger.info('post created', { post: post.id, kind: plan.kind, account: account.id, items: plan.inputs.length });
    this.runner.ensure(post, quotaGate);
    try {
      await quotaGate;
    } catch (err) {
      await this.runner.stop(post.id, 'the publishing quota is used up');
      failPost({ store, clock: this.clock, logger: this.logger }, post, err);
      throw err;
    }
    return this.waitAndView(post.id, wait, false);
  }

  /** A post's state; a post still in flight is driven again (here) and waited for a bounded time. */
  async status(caller: Caller, postId: string, wait: WaitOptions = {}): Promise<PostStatusView> {
    const post = this.store.posts.get(caller.owner, postId);
    if (!post) {
      throw new AppError('post_not_found', `No post with id ${postId.slice(0, 64)}.`, 'Use the post_id returned by instagram_create_post, instagram_create_reel or instagram_create_story.');
    }
    if (!this.store.agentAccounts.isEnabled(caller.owner, caller.agent, post.accountId)) {
      throw new AppError('account_disabled', 'This post belongs to an account that is disabled for this agent.', 'Enable the account with instagram_set_account_enabled.');
    }
    if (isInFlight(post.state)) this.runner.ensure(post);
    else if (post.state === 'completed') await this.completeDetails(post, wait.signal);
    return this.waitAndView(post.id, wait, false);
  }

  async publishingLimit(caller: Caller, accountArg: string | undefined, signal?: AbortSignal): Promise<PublishingLimitView> {
    return this.quota.limitView(caller, this.accounts.resolve(caller, accountArg), signal);
  }

  /** Resumes every post that was in flight when the server stopped (called once at start). */
  async resumeInFlight(): Promise<void> {
    for (const post of this.store.posts.listInFlight()) {
      if (this.runner.isClosing) return;
      this.logger.info('resuming post', { post: post.id, state: post.state });
      this.runner.ensure(post);
    }
  }

  /** Takes over the posts in flight whose process died or stopped renewing its lease (run periodically, not only at start). */
  resumeOrphaned(): void {
    for (const post of this.store.posts.listInFlight()) {
      if (this.runner.isClosing) return;
      if (this.runner.isRunning(post.id) || !this.leases.isOrphaned(post)) continue;
      this.logger.info('taking over an orphaned post', { post: post.id, state: post.state, holder: post.lease?.owner.split('#')[0] });
      this.runner.ensure(post);
    }
  }

  /** Stops every job; their rows stay as they are for resumeInFlight() on the next start. */
  async close(): Promise<void> {
    await this.runner.close();
  }

  private async replay(existing: PostRecord, wait: WaitOptions, why: 'key' | 'duplicate' = 'key'): Promise<PostStatusView> {
    this.logger.info(why === 'key' ? 'idempotency key replayed' : 'duplicate content within the window: returning the first post', { post: existing.id, state: existing.state });
    if (isInFlight(existing.state)) this.runner.ensure(existing);
    const view = await this.waitAndView(existing.id, wait, why === 'key');
    if (why === 'key') return view;
    const duplicateNote = `Duplicate of post ${existing.id}: the same media and caption went to this account less than 15 minutes ago, so nothing was published again; pass allow_duplicate: true to publish it once more.`;
    return { ...view, duplicateOf: existing.id, note: view.note ? `${duplicateNote} ${view.note}` : duplicateNote };
  }

  private async waitAndView(postId: string, wait: WaitOptions, replayed: boolean): Promise<PostStatusView> {
    const waitMs = Math.min(MAX_WAIT_MS, Math.max(0, wait.waitMs ?? this.config.publishWaitMs));
    await this.runner.wait(postId, waitMs, wait.signal, wait.progress);
    const post = this.store.posts.getById(postId)!;
    const account = this.store.accounts.get(post.owner, post.accountId);
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
        this.store.transaction(() => {
          this.store.posts.recordMedia(post.id, { mediaId: found.id, permalink: found.permalink ?? null });
          this.store.posts.updateRuntime(post.id, { note: undefined });
        });
        return;
      }
      const mediaId = post.mediaId;
      const p = await this.callFor(post, (auth) => getMediaPermalink(this.graph, auth, mediaId, signal));
      if (p.permalink) this.store.posts.recordMedia(post.id, { permalink: p.permalink });
    } catch (err) {
      this.logger.debug('could not complete post details', { post: post.id, error: describeError(err).message });
    }
  }
}
