/**
 * The one job interface the services use for time-based work: the embedded runner (durable rows in
 * the store, leases with fencing) and the pg-boss runner of hosted mode (PostgreSQL) implement it,
 * and the services do not know which they run on (tests/integration/postgres/jobQueues.test.ts runs
 * one contract against both). Exactly-once publishing never rests on it: a post's own state and
 * lease decide that, so a job delivered twice only wakes the publisher twice.
 */

export interface JobSpec {
  /** One job per key: scheduling the same key again moves that job. */
  key: string;
  kind: string;
  owner?: string | null;
  /** Epoch milliseconds on the injected clock; in the past means as soon as possible. */
  runAt: number;
  payload?: Record<string, unknown>;
}

export interface RunningJob {
  key: string;
  kind: string;
  owner: string | null;
  payload: Record<string, unknown>;
  runAt: number;
  /** 1 on the first run; a retry after a failure counts up. */
  attempt: number;
  /** Aborted when the runner stops or the job's claim is lost. */
  signal: AbortSignal;
}

/** What a handler asks for next: nothing (done), or to run again at a time (a periodic or a later step). */
export type JobResult = void | { runAgainAt: number };

export type JobHandler = (job: RunningJob) => Promise<JobResult>;

export interface JobQueue {
  /** Registers the handler of a kind (once, before start). */
  handle(kind: string, handler: JobHandler): void;
  schedule(job: JobSpec): Promise<void>;
  /** Cancels a job not yet done; false when there was none to cancel. */
  cancel(key: string): Promise<boolean>;
  /** The key's job while it is queued or running (undefined once done, failed, cancelled or never scheduled). */
  pending(key: string): Promise<{ state: 'queued' | 'running'; runAt: number } | undefined>;
  /** Forgets finished jobs last touched before `before`; how many (a queue that keeps its own retention says 0). */
  purgeFinished(before: number): Promise<number>;
  /** Starts running due jobs on the clock, until close(). */
  start(): void;
  /** Runs every job due now and waits for them (the worker at start, and tests). How many ran. */
  runDue(): Promise<number>;
  /** Resolves once no job of this process is running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}
