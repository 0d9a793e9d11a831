/**
 * The server's work on the clock, as jobs: starting scheduled posts ahead of their time, the token
 * refresh sweep, media cleanup, and purging finished jobs. Every process runs the same handlers; the
 * job rows decide which process runs each one, so nothing runs twice and a dead process's work is
 * taken over.
 */
import type { Clock } from '../clock.js';
import type { JobQueue } from '../jobs/index.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { AccountService } from './accounts.js';
import type { InsightsHistory } from './insightsHistory.js';
import type { MediaLibrary } from './mediaLibrary.js';
import type { Publisher } from './publishing/index.js';

/** Looks for scheduled posts at least this often (posts scheduled here wake it at their exact time). */
export const START_SWEEP_MS = 60 * 1000;
const HOUR = 60 * 60 * 1000;

const START_DUE = 'posts.start_due';
const REFRESH_TOKENS = 'accounts.refresh';
const CLEANUP_MEDIA = 'media.cleanup';
const PURGE_JOBS = 'jobs.purge';
const CAPTURE_INSIGHTS = 'insights.capture';
/** How often insights due to be kept are captured (a story's last 45 minutes hold three sweeps). */
export const INSIGHTS_SWEEP_MS = 15 * 60 * 1000;

export interface SchedulerDeps {
  jobs: JobQueue;
  store: Store;
  clock: Clock;
  logger: Logger;
  publisher: Publisher;
  accounts: AccountService;
  library: MediaLibrary;
  insightsHistory: InsightsHistory;
}

export class Scheduler {
  constructor(private readonly deps: SchedulerDeps) {
    const { jobs, publisher, accounts, library, store, clock, insightsHistory } = deps;
    jobs.handle(START_DUE, async () => {
      const next = await publisher.startDue(START_SWEEP_MS);
      return { runAgainAt: Math.min(next ?? Infinity, clock.now() + START_SWEEP_MS) };
    });
    jobs.handle(REFRESH_TOKENS, async () => {
      await accounts.refreshSweep();
      return { runAgainAt: clock.now() + HOUR };
    });
    jobs.handle(CLEANUP_MEDIA, async () => {
      await library.cleanupExpired();
      return { runAgainAt: clock.now() + 10 * 60 * 1000 };
    });
    jobs.handle(CAPTURE_INSIGHTS, async () => {
      await insightsHistory.captureDue();
      return { runAgainAt: clock.now() + INSIGHTS_SWEEP_MS };
    });
    jobs.handle(PURGE_JOBS, async () => {
      await jobs.purgeFinished(clock.now() - 7 * 24 * HOUR);
      return { runAgainAt: clock.now() + 24 * HOUR };
    });
    publisher.wakeScheduler = (at) => {
      // The start sweep also runs on its own schedule: a wake that fails only makes a post start later.
      this.wake(at).catch((err: unknown) => this.deps.logger.warn('could not move the start sweep earlier', { error: err }));
    };
  }

  /** Queues the periodic jobs that are not queued yet, and starts running due jobs. */
  async start(): Promise<void> {
    const now = this.deps.clock.now();
    for (const key of [START_DUE, REFRESH_TOKENS, CLEANUP_MEDIA, CAPTURE_INSIGHTS, PURGE_JOBS]) {
      if (!(await this.deps.jobs.pending(key))) await this.deps.jobs.schedule({ key, kind: key, runAt: now });
    }
    this.deps.jobs.start();
  }

  /** Makes the start sweep run by `at` (never later than it already would). */
  async wake(at: number): Promise<void> {
    const now = this.deps.clock.now();
    const job = await this.deps.jobs.pending(START_DUE);
    if (job?.state === 'queued' && job.runAt <= at) return;
    await this.deps.jobs.schedule({ key: START_DUE, kind: START_DUE, runAt: Math.max(now, Math.min(at, now + START_SWEEP_MS)) });
  }
}
