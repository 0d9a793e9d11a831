/**
 * The embedded job runner: jobs are rows in the store (SQLite), claimed with a lease whose generation
 * fences a holder that lost it, so several server processes sharing one data dir never run the same
 * job at once, and a killed process's jobs are taken over when their lease runs out. Time is the
 * injected clock's: a timer is armed for the next due job, and a slow poll picks up jobs other
 * processes added.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { every, type Clock, type Timer } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { JobRecord, Store } from '../store/index.js';
import type { JobHandler, JobQueue, JobSpec } from './types.js';

/** A claim lasts this long unless renewed (every third of it while the handler runs). */
export const JOB_LEASE_MS = 2 * 60 * 1000;
/** How often the runner looks for jobs another process added (its own are armed exactly). */
export const JOB_POLL_MS = 15 * 1000;
const MAX_ATTEMPTS = 5;
const MAX_RETRY_DELAY_MS = 30 * 60 * 1000;

export interface EmbeddedJobQueueOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Jobs run at once in this process. */
  concurrency?: number;
}

export class EmbeddedJobQueue implements JobQueue {
  readonly owner = `${process.pid}@${os.hostname()}#${randomUUID()}`;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly running = new Map<string, { key: string; controller: AbortController; done: Promise<void> }>();
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private timer: Timer | undefined;
  private started = false;
  private closed = false;
  private ticking: Promise<void> | undefined;

  constructor(options: EmbeddedJobQueueOptions) {
    ({ store: this.store, clock: this.clock, logger: this.logger } = options);
    this.concurrency = Math.max(1, options.concurrency ?? 8);
  }

  handle(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  schedule(job: JobSpec): Promise<void> {
    this.store.jobs.schedule(job);
    this.arm();
    return Promise.resolve();
  }

  cancel(key: string): Promise<boolean> {
    const cancelled = this.store.jobs.cancel(key);
    for (const run of this.running.values()) if (run.key === key) run.controller.abort(new Error('the job was cancelled'));
    return Promise.resolve(cancelled);
  }

  start(): void {
    if (this.closed) return;
    this.started = true;
    this.arm();
  }

  async runDue(): Promise<number> {
    if (this.closed) return 0;
    const room = this.concurrency - this.running.size;
    if (room <= 0) return 0;
    const claimed = this.store.jobs.claimDue(this.owner, JOB_LEASE_MS, room);
    await Promise.all(claimed.map((job) => this.run(job)));
    return claimed.length;
  }

  /** Resolves once no job of this process is running (what a test waits for between clock steps). */
  async idle(): Promise<void> {
    while (this.ticking || this.running.size) {
      await this.ticking?.catch(() => {});
      await Promise.allSettled([...this.running.values()].map((r) => r.done));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    for (const run of this.running.values()) run.controller.abort(new Error('the server is stopping'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.ticking?.catch(() => {});
  }

  /** Arms one timer for whichever comes first: the next due job or the next poll. */
  private arm(): void {
    if (!this.started || this.closed) return;
    this.timer?.cancel();
    const next = this.store.jobs.nextWakeAt();
    const delay = next === null ? JOB_POLL_MS : Math.min(JOB_POLL_MS, Math.max(0, next - this.clock.now()));
    this.timer = this.clock.setTimer(delay, () => this.tick());
  }

  private tick(): void {
    if (this.closed) return;
    if (this.ticking) return void this.ticking.then(() => this.arm());
    this.ticking = this.runDue()
      .then(() => undefined)
      .catch((err: unknown) => this.logger.warn('running due jobs failed', { error: describeError(err).message }))
      .finally(() => {
        this.ticking = undefined;
        this.arm();
      });
  }

  private async run(job: JobRecord): Promise<void> {
    const claim = { id: job.id, owner: this.owner, generation: job.lease!.generation };
    const controller = new AbortController();
    const handler = this.handlers.get(job.kind);
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    this.running.set(job.id, { key: job.key, controller, done });
    const renewal = every(this.clock, JOB_LEASE_MS / 3, () => {
      if (!this.store.jobs.renew(claim, JOB_LEASE_MS)) controller.abort(new Error('the job was cancelled, moved or taken over'));
    });
    try {
      if (!handler) {
        this.store.jobs.finish(claim, { state: 'failed', error: `no handler for jobs of kind ${job.kind}` });
        return;
      }
      const result = await handler({ key: job.key, kind: job.kind, owner: job.owner, payload: job.payload, runAt: job.runAt, attempt: job.attempts, signal: controller.signal });
      if (controller.signal.aborted) return;
      this.store.jobs.finish(claim, result ? { state: 'queued', runAt: result.runAgainAt, resetAttempts: true } : { state: 'done' });
    } catch (err) {
      if (controller.signal.aborted) return;
      const error = describeError(err).message;
      if (job.attempts >= MAX_ATTEMPTS) {
        this.logger.error('job failed for good', { job: job.key, kind: job.kind, attempts: job.attempts, error });
        this.store.jobs.finish(claim, { state: 'failed', error });
      } else {
        const delay = Math.min(MAX_RETRY_DELAY_MS, 30_000 * 2 ** (job.attempts - 1));
        this.logger.warn('job failed; retrying later', { job: job.key, kind: job.kind, attempt: job.attempts, retryInMs: delay, error });
        this.store.jobs.finish(claim, { state: 'queued', runAt: this.clock.now() + delay, error });
      }
    } finally {
      renewal.cancel();
      this.running.delete(job.id);
      settle();
    }
  }
}
