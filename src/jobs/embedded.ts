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

  async schedule(job: JobSpec): Promise<void> {
    await this.store.jobs.schedule(job);
    await this.arm();
  }

  async cancel(key: string): Promise<boolean> {
    const cancelled = await this.store.jobs.cancel(key);
    for (const run of this.running.values()) if (run.key === key) run.controller.abort(new Error('the job was cancelled'));
    return cancelled;
  }

  async pending(key: string): Promise<{ state: 'queued' | 'running'; runAt: number } | undefined> {
    const job = await this.store.jobs.get(key);
    return job && (job.state === 'queued' || job.state === 'running') ? { state: job.state, runAt: job.runAt } : undefined;
  }

  purgeFinished(before: number): Promise<number> {
    return this.store.jobs.purgeFinished(before);
  }

  start(): void {
    if (this.closed) return;
    this.started = true;
    void this.rearm();
  }

  async runDue(): Promise<number> {
    if (this.closed) return 0;
    const room = this.concurrency - this.running.size;
    if (room <= 0) return 0;
    const claimed = await this.store.jobs.claimDue(this.owner, JOB_LEASE_MS, room);
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
  private async arm(): Promise<void> {
    if (!this.started || this.closed) return;
    const next = await this.store.jobs.nextWakeAt();
    if (this.closed) return;
    // Replaced after the read: of two arms at once, the later one's timer is the one kept.
    this.timer?.cancel();
    const delay = next === null ? JOB_POLL_MS : Math.min(JOB_POLL_MS, Math.max(0, next - this.clock.now()));
    this.timer = this.clock.setTimer(delay, () => this.tick());
  }

  private tick(): void {
    if (this.closed) return;
    if (this.ticking) return void this.ticking.then(() => this.rearm());
    this.ticking = this.runDue()
      .then(() => undefined)
      .catch((err: unknown) => this.logger.warn('running due jobs failed', { error: describeError(err).message }))
      .finally(() => {
        this.ticking = undefined;
        void this.rearm();
      });
  }

  /** arm() from a timer: a store that cannot answer now is retried at the next poll, not thrown at nobody. */
  private async rearm(): Promise<void> {
    try {
      await this.arm();
    } catch (err) {
      if (this.closed) return;
      this.logger.warn('could not read the next job time; polling again later', { error: describeError(err).message });
      this.timer?.cancel();
      this.timer = this.clock.setTimer(JOB_POLL_MS, () => this.tick());
    }
  }

  private async run(job: JobRecord): Promise<void> {
    const claim = { id: job.id, owner: this.owner, generation: job.lease!.generation };
    const controller = new AbortController();
    const handler = this.handlers.get(job.kind);
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    this.running.set(job.id, { key: job.key, controller, done });
    const renewal = every(this.clock, JOB_LEASE_MS / 3, () => {
      this.store.jobs.renew(claim, JOB_LEASE_MS).then(
        (held) => {
          if (!held) controller.abort(new Error('the job was cancelled, moved or taken over'));
        },
        (err: unknown) => this.logger.warn('could not renew a job lease; trying again at the next renewal', { job: job.key, error: describeError(err).message }),
      );
    });
    try {
      if (!handler) {
        await this.store.jobs.finish(claim, { state: 'failed', error: `no handler for jobs of kind ${job.kind}` });
        return;
      }
      const result = await handler({ key: job.key, kind: job.kind, owner: job.owner, payload: job.payload, runAt: job.runAt, attempt: job.attempts, signal: controller.signal });
      if (controller.signal.aborted) return;
      await this.store.jobs.finish(claim, result ? { state: 'queued', runAt: result.runAgainAt, resetAttempts: true } : { state: 'done' });
    } catch (err) {
      if (controller.signal.aborted) return;
      const error = describeError(err).message;
      if (job.attempts >= MAX_ATTEMPTS) {
        this.logger.error('job failed for good', { job: job.key, kind: job.kind, attempts: job.attempts, error });
        await this.store.jobs.finish(claim, { state: 'failed', error });
      } else {
        const delay = Math.min(MAX_RETRY_DELAY_MS, 30_000 * 2 ** (job.attempts - 1));
        this.logger.warn('job failed; retrying later', { job: job.key, kind: job.kind, attempt: job.attempts, retryInMs: delay, error });
        await this.store.jobs.finish(claim, { state: 'queued', runAt: this.clock.now() + delay, error });
      }
    } finally {
      renewal.cancel();
      this.running.delete(job.id);
      settle();
    }
  }
}
