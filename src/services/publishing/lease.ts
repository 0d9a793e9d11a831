/**
 * The lease on a post: which server process drives it. Two processes sharing a data directory never
 * drive the same post at once; a lease whose process is gone (same host, pid not running) or whose
 * expiry passed is taken over at once. Each acquisition bumps the generation, and a job's state moves
 * are fenced by it: a process that lost its lease cannot move the post any more.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../../clock.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { isStoreUnavailable, type LeaseFence, type PostLease, type PostRecord, type Store } from '../../store/index.js';

const LEASE_MS = 2 * 60_000;
const LEASE_RENEW_MS = 20_000;

/** A lease this process holds. */
export interface HeldLease extends LeaseFence {
  postId: string;
  renewedAt: number;
}

export class LeaseKeeper {
  /** `pid@host#instance`: the process is recognisable (to tell a dead holder) and each Publisher distinct. */
  readonly owner = `${process.pid}@${os.hostname()}#${randomUUID()}`;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async acquire(postId: string): Promise<HeldLease | undefined> {
    const lease = await this.store.posts.acquireLease(postId, this.owner, this.clock.now() + LEASE_MS, (held) => this.isStale(held));
    if (!lease) {
      this.logger.info('post is being driven by another server process', { post: postId, holder: (await this.store.posts.getById(postId))?.lease?.owner.split('#')[0] });
      return undefined;
    }
    return { postId, owner: lease.owner, generation: lease.generation, renewedAt: this.clock.now() };
  }

  /**
   * Extends the lease (at most every 20 s); false once another process has taken it over. A store that
   * cannot write now is tried again at the next renewal: until the lease expires it is still this
   * job's, and after that every write and Graph call of the job is fenced anyway.
   */
  async renew(lease: HeldLease): Promise<boolean> {
    const now = this.clock.now();
    if (now - lease.renewedAt < LEASE_RENEW_MS) return true;
    lease.renewedAt = now;
    try {
      return await this.store.posts.renewLease(lease.postId, lease, now + LEASE_MS);
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      this.logger.warn('could not renew the lease of a post (the store cannot write now); trying again later', { post: lease.postId, error: describeError(err).message });
      return true;
    }
  }

  /** Never throws: a lease that cannot be released now expires by itself (and this process may take it again at once). */
  async release(lease: HeldLease): Promise<void> {
    try {
      await this.store.posts.releaseLease(lease.postId, lease);
    } catch (err) {
      this.logger.warn('could not release the lease of a post; it expires by itself', { post: lease.postId, error: describeError(err).message });
    }
  }

  /** The post's lease was left by a process that died or stopped renewing it (expired): anyone may take it over. */
  isOrphaned(post: PostRecord): boolean {
    return Boolean(post.lease && post.lease.owner !== this.owner && this.isStale(post.lease));
  }

  /** Another live process holds the post. */
  heldElsewhere(post: PostRecord): boolean {
    return Boolean(post.lease && post.lease.owner !== this.owner && !this.isStale(post.lease));
  }

  private isStale(lease: PostLease): boolean {
    if (lease.expiresAt <= this.clock.now()) return true;
    const holder = /^(\d+)@(.*)#[^#]*$/.exec(lease.owner);
    if (!holder) return false;
    const pid = Number(holder[1]);
    if (holder[2] === os.hostname() && pid !== process.pid) {
      try {
        process.kill(pid, 0);
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    return false;
  }
}
