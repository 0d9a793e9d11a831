/**
 * The job runner of hosted mode: the same JobQueue as the embedded runner, on pg-boss (a PostgreSQL
 * job queue: SKIP LOCKED fetching, retries with backoff, expiry of jobs whose runner died), so every
 * replica sharing the database takes due work and none runs a job another is running. One pg-boss
 * queue per kind, with the `stately` policy keyed by the job's key: at most one queued and one running
 * job per key. Scheduling a key again replaces its queued job (under an advisory lock on the key, so
 * two replicas scheduling the same key at once leave one job). Exactly-once publishing does not rest
 * on this: the post's own state and lease decide it, so a job delivered twice only wakes a step twice.
 * Time here is the database's (pg-boss compares start_after with now()): hosted mode runs on the
 * system clock. Each replica polls every pollMs, and sooner when the next queued job comes due sooner.
 */
import PgBoss from 'pg-boss';
import pg from 'pg';
import type { Clock, Timer } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { JobHandler, JobQueue, JobSpec } from './types.js';

/** What pg-boss keeps of a job: ours, whole. */
interface JobData {
  key: string;
  kind: string;
  owner: string | null;
  payload: Record<string, unknown>;
  runAt: number;
}

export interface PgBossJobQueueOptions {
  connectionString: string;
  clock: Clock;
  logger: Logger;
  /** pg-boss's schema in the database (default `pgboss`). */
  schema?: string;
  /** Jobs run at once in this process. */
  concurrency?: number;
  /** How often this replica looks for due jobs (default 2 s). */
  pollMs?: number;
  /** First retry after a failure, doubling each time (default 30 s, as the embedded runner). */
  retryDelaySeconds?: number;
  /** A running job whose replica went silent this long is run again elsewhere (default 15 min). */
  expireInSeconds?: number;
  /** Connections of this replica's pools (pg-boss's and the scheduling one); default 4. */
  poolSize?: number;
}

const RETRY_LIMIT = 4;
const queueName = (kind: string) => `igmcp_${kind.replace(/[^\w-]/g, '_')}`;

export class PgBossJobQueue implements JobQueue {
  private readonly boss: PgBoss;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly queues = new Map<string, Promise<void>>();
  private creating: Promise<unknown> = Promise.resolve();
  private readonly running = new Map<string, { key: string; controller: AbortController; done: Promise<void> }>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly retryDelay: number;
  private readonly expireInSeconds: number;
  private readonly ready: Promise<void>;
  private timer: Timer | undefined;
  private started = false;
  private closed = false;
  private ticking: Promise<void> | undefined;

  constructor(o: PgBossJobQueueOptions) {
    this.clock = o.clock;
    this.logger = o.logger;
    this.schema = o.schema ?? 'pgboss';
    this.concurrency = Math.max(1, o.concurrency ?? 8);
    this.pollMs = o.pollMs ?? 2_000;
    this.retryDelay = o.retryDelaySeconds ?? 30;
    this.expireInSeconds = o.expireInSeconds ?? 15 * 60;
    const max = o.poolSize ?? 4;
    // No cron and no pg-boss workers: this class fetches itself, so the same runDue serves the worker and tests.
    this.boss = new PgBoss({ connectionString: o.connectionString, schema: this.schema, max, schedule: false });
    this.boss.on('error', (err: Error) => this.logger.warn('pg-boss error', { error: err.message }));
    this.pool = new pg.Pool({ connectionString: o.connectionString, max });
    // An idle connection the server closed (a restart, a failover) is replaced on next use, not fatal.
    this.pool.on('error', (err) => this.logger.warn('PostgreSQL connection lost', { error: err.message }));
    this.ready = this.boss.start().then(() => undefined);
    this.ready.catch(() => {});
  }

  handle(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  /**
   * The kind's queue, created once (pg-boss ignores a create of an existing queue). Creations run one
   * at a time here, and one that deadlocks with another replica's (pg-boss alters tables to create a
   * queue) is tried again.
   */
  private queue(kind: string): Promise<void> {
    let created = this.queues.get(kind);
    if (!created) {
      const options = {
        name: queueName(kind),
        policy: 'stately' as const,
        retryLimit: RETRY_LIMIT,
        retryDelay: this.retryDelay,
        // pg-boss's backoff has a floor of one second; no delay at all (tests) means no backoff.
        retryBackoff: this.retryDelay > 0,
        expireInSeconds: this.expireInSeconds,
      };
      created = this.creating.then(async () => {
        await this.ready;
        for (let attempt = 1; ; attempt++) {
          try {
            return await this.boss.createQueue(queueName(kind), options);
          } catch (err) {
            const code = (err as { code?: string }).code;
            if ((code !== '40P01' && code !== '23505') || attempt >= 5) throw err;
            this.logger.debug('creating a job queue collided with another replica; trying again', { queue: queueName(kind), attempt });
          }
        }
      });
      this.creating = created.catch(() => {});
      this.queues.set(kind, created);
      created.catch(() => this.queues.delete(kind));
    }
    return created;
  }

  async schedule(job: JobSpec): Promise<void> {
    await this.queue(job.kind);
    const name = queueName(job.kind);
    const data: JobData = { key: job.key, kind: job.kind, owner: job.owner ?? null, payload: job.payload ?? {}, runAt: job.runAt };
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`instagram-mcp job ${job.key}`]);
      const db = { executeSql: (text: string, values: unknown[]) => client.query(text, values) };
      await this.cancelQueued(job.key, db);
      const id = await this.boss.send(name, data as unknown as object, { singletonKey: job.key, startAfter: new Date(job.runAt), db });
      if (id === null) throw new Error(`pg-boss refused job ${job.key}`);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    if (job.runAt - this.clock.now() < this.pollMs) this.arm(Math.max(0, job.runAt - this.clock.now()));
  }

  /** Cancels the key's queued (created or retrying) jobs; how many there were. */
  private async cancelQueued(key: string, db: PgBoss.Db): Promise<number> {
    const { rows } = await db.executeSql(`select id, name from ${this.schema}.job where singleton_key = $1 and state in ('created', 'retry')`, [key]);
    const byQueue = new Map<string, string[]>();
    for (const row of rows as Array<{ id: string; name: string }>) byQueue.set(row.name, [...(byQueue.get(row.name) ?? []), row.id]);
    for (const [name, ids] of byQueue) await this.boss.cancel(name, ids, { db });
    return rows.length;
  }

  async cancel(key: string): Promise<boolean> {
    await this.ready;
    const cancelled = await this.cancelQueued(key, { executeSql: (text, values) => this.pool.query(text, values) });
    let wasRunning = false;
    for (const run of this.running.values()) {
      if (run.key !== key) continue;
      wasRunning = true;
      run.controller.abort(new Error('the job was cancelled'));
    }
    return cancelled > 0 || wasRunning;
  }

  async pending(key: string): Promise<{ state: 'queued' | 'running'; runAt: number } | undefined> {
    await this.ready;
    const { rows } = await this.pool.query<{ state: string; start_after: Date }>(
      `select state, start_after from ${this.schema}.job where singleton_key = $1 and state in ('created', 'retry', 'active') order by state = 'active' desc, start_after limit 1`,
      [key],
    );
    const row = rows[0];
    return row ? { state: row.state === 'active' ? 'running' : 'queued', runAt: row.start_after.getTime() } : undefined;
  }

  /** pg-boss archives and deletes finished jobs itself (its retention and maintenance). */
  purgeFinished(): Promise<number> {
    return Promise.resolve(0);
  }

  start(): void {
    if (this.closed) return;
    this.started = true;
    this.arm(0);
  }

  async runDue(): Promise<number> {
    if (this.closed) return 0;
    await this.ready;
    let ran = 0;
    const runs: Promise<void>[] = [];
    for (const kind of this.handlers.keys()) {
      const room = this.concurrency - this.running.size;
      if (room <= 0) break;
      await this.queue(kind);
      const jobs = await this.boss.fetch<JobData>(queueName(kind), { batchSize: room, includeMetadata: true });
      ran += jobs.length;
      for (const job of jobs) runs.push(this.run(kind, job));
    }
    await Promise.all(runs);
    return ran;
  }

  async idle(): Promise<void> {
    while (this.ticking || this.running.size) {
      await this.ticking?.catch(() => {});
      await Promise.allSettled([...this.running.values()].map((r) => r.done));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    for (const run of this.running.values()) run.controller.abort(new Error('the server is stopping'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.ticking?.catch(() => {});
    await this.ready.catch(() => {});
    await this.boss.stop({ graceful: false, wait: true }).catch(() => {});
    await this.pool.end().catch(() => {});
  }

  private arm(delay: number): void {
    if (!this.started || this.closed) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimer(Math.min(delay, this.pollMs), () => this.tick());
  }

  private tick(): void {
    if (this.closed) return;
    if (this.ticking) return void this.ticking.then(() => this.arm(0));
    let wait = this.pollMs;
    this.ticking = this.runDue()
      .then(async (ran) => {
        // Jobs ran: look again at once (one may have left its key's next job due, which the stately
        // policy held back while it ran). Nothing ran: sleep until the next job comes due.
        if (ran > 0) return void (wait = 0);
        const next = await this.msUntilNextJob();
        if (next !== undefined) wait = next + 1;
      })
      .catch((err: unknown) => this.logger.warn('running due jobs failed', { error: describeError(err).message }))
      .finally(() => {
        this.ticking = undefined;
        this.arm(wait);
      });
  }

  /**
   * How long until the next queued job of this replica's kinds comes due, by the database's clock
   * (which decides when pg-boss hands it out), so that a replica wakes at a due time instead of up
   * to a poll interval after it; another replica's jobs are seen too. Due jobs still queued are left
   * out: they wait for their key's running job, or another replica is taking them.
   */
  private async msUntilNextJob(): Promise<number | undefined> {
    if (this.closed || this.handlers.size === 0) return undefined;
    const { rows } = await this.pool.query<{ wait_ms: number | null }>(
      `select extract(epoch from (min(start_after) - now())) * 1000 as wait_ms from ${this.schema}.job where name = any($1) and state < 'active' and start_after > now()`,
      [[...this.handlers.keys()].map(queueName)],
    );
    const waitMs = rows[0]?.wait_ms;
    return waitMs === null || waitMs === undefined ? undefined : Math.max(0, Math.ceil(Number(waitMs)));
  }

  /**
   * A job stopped mid-run. By a restart: queued again, due now, for another replica to take at once
   * (not failed, which would wait out a retry delay, nor left to expire). By a cancel: done with.
   */
  private async settleAborted(name: string, job: PgBoss.JobWithMetadata<JobData>): Promise<void> {
    const data = job.data;
    if (this.closed) await this.schedule({ key: data.key, kind: data.kind, owner: data.owner, payload: data.payload, runAt: Math.min(data.runAt, this.clock.now()) });
    await this.boss.complete(name, job.id);
  }

  private async run(kind: string, job: PgBoss.JobWithMetadata<JobData>): Promise<void> {
    const name = queueName(kind);
    const data = job.data;
    const controller = new AbortController();
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    this.running.set(job.id, { key: data.key, controller, done });
    try {
      const handler = this.handlers.get(kind)!;
      const result = await handler({ key: data.key, kind: data.kind, owner: data.owner, payload: data.payload, runAt: data.runAt, attempt: job.retryCount + 1, signal: controller.signal });
      if (controller.signal.aborted) return await this.settleAborted(name, job);
      if (result) await this.schedule({ key: data.key, kind: data.kind, owner: data.owner, payload: data.payload, runAt: result.runAgainAt });
      await this.boss.complete(name, job.id);
    } catch (err) {
      if (controller.signal.aborted) {
        await this.settleAborted(name, job).catch((e: unknown) => this.logger.warn('could not give a stopped job back', { job: data.key, error: describeError(e).message }));
        return;
      }
      const error = describeError(err).message;
      if (job.retryCount >= RETRY_LIMIT) this.logger.error('job failed for good', { job: data.key, kind, attempts: job.retryCount + 1, error });
      else this.logger.warn('job failed; retrying later', { job: data.key, kind, attempt: job.retryCount + 1, error });
      await this.boss.fail(name, job.id, { message: error }).catch((failErr: unknown) => this.logger.warn('could not record a job failure', { job: data.key, error: describeError(failErr).message }));
    } finally {
      this.running.delete(job.id);
      settle();
    }
  }
}
