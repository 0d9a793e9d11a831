/**
 * One job interface above both runners: the same contract run against the embedded runner (jobs as
 * rows in SQLite, the virtual clock) and against pg-boss on the machine's PostgreSQL (hosted mode,
 * the database's clock), each with two runners standing in for two replicas sharing the backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, VirtualClock, type Clock } from '../../../src/clock.js';
import { EmbeddedJobQueue } from '../../../src/jobs/embedded.js';
import { PgBossJobQueue } from '../../../src/jobs/pgBoss.js';
import type { JobQueue, RunningJob } from '../../../src/jobs/types.js';
import { createLogger } from '../../../src/log.js';
import { openStore, TokenVault } from '../../../src/store/index.js';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../helpers/postgres.js';

const HOUR = 3_600_000;
const logger = createLogger({ level: 'error', write: () => {} });
const unavailable = await postgresUnavailable('tests/integration/postgres/jobQueues.test.ts');

interface Backend {
  clock: Clock;
  /** Two runners on the same backend (two replicas). */
  replicas: [JobQueue, JobQueue];
  /** Moves time past a first retry's delay. */
  pastRetryDelay(): void;
  close(): Promise<void>;
}

type Factory = () => Promise<Backend>;

const embedded: Factory = async () => {
  const clock = new VirtualClock();
  const store = openStore({ file: ':memory:', vault: new TokenVault(randomBytes(32)), clock });
  const replicas: [JobQueue, JobQueue] = [new EmbeddedJobQueue({ store, clock, logger }), new EmbeddedJobQueue({ store, clock, logger })];
  return {
    clock,
    replicas,
    pastRetryDelay: () => clock.advance(31_000),
    async close() {
      for (const q of replicas) await q.close();
      await store.close();
    },
  };
};

let database: TestDatabase | undefined;
const pgBoss: Factory = async () => {
  database ??= await createTestDatabase();
  const make = () => new PgBossJobQueue({ connectionString: database!.url, clock: systemClock, logger, retryDelaySeconds: 0, poolSize: 2 });
  const replicas: [JobQueue, JobQueue] = [make(), make()];
  return {
    clock: systemClock,
    replicas,
    pastRetryDelay: () => {},
    async close() {
      for (const q of replicas) await q.close();
    },
  };
};

afterAll(async () => {
  await database?.drop();
});

/** Runs due jobs on both replicas at once until neither finds any. */
async function drain(replicas: readonly JobQueue[]): Promise<number> {
  let total = 0;
  for (;;) {
    const ran = (await Promise.all(replicas.map((q) => q.runDue()))).reduce((a, b) => a + b, 0);
    if (ran === 0) return total;
    total += ran;
  }
}

const backends: Array<[string, Factory, boolean]> = [
  ['embedded (SQLite)', embedded, false],
  ['pg-boss (PostgreSQL)', pgBoss, unavailable !== null],
];

describe.each(backends)('JobQueue contract: %s', (_name, factory, skip) => {
  let b: Backend;
  let seen: RunningJob[];
  let failFirst: Set<string>;
  let again: Map<string, number>;
  let kind: string;

  beforeAll(async () => {
    if (skip) return;
    b = await factory();
  });
  afterAll(async () => {
    await b?.close();
  });

  /** A fresh kind per test, handled by both replicas, recording what ran. */
  function useKind(name: string): string {
    kind = `${name}_${randomBytes(3).toString('hex')}`;
    seen = [];
    failFirst = new Set();
    again = new Map();
    for (const q of b.replicas) {
      q.handle(kind, async (job) => {
        seen.push(job);
        if (failFirst.delete(job.key)) throw new Error('first attempt fails');
        const times = again.get(job.key);
        if (times) {
          again.set(job.key, times - 1);
          return { runAgainAt: b.clock.now() };
        }
      });
    }
    return kind;
  }

  it.skipIf(skip)('runs a due job once with what it was given, and leaves a later one queued', async () => {
    const k = useKind('due');
    const now = b.clock.now();
    await b.replicas[0].schedule({ key: `${k}:now`, kind: k, owner: 'alice', runAt: now - 1_000, payload: { post: 'p1' } });
    await b.replicas[0].schedule({ key: `${k}:later`, kind: k, owner: 'alice', runAt: now + HOUR });
    expect(await drain(b.replicas)).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ key: `${k}:now`, kind: k, owner: 'alice', payload: { post: 'p1' }, attempt: 1 });
    // What another replica sees of them: the later one queued at its time, the done one gone.
    expect(await b.replicas[1].pending(`${k}:later`)).toEqual({ state: 'queued', runAt: now + HOUR });
    expect(await b.replicas[1].pending(`${k}:now`)).toBeUndefined();
    expect(await b.replicas[1].cancel(`${k}:later`)).toBe(true);
    expect(await b.replicas[1].pending(`${k}:later`)).toBeUndefined();
  });

  it.skipIf(skip)('scheduling a key again replaces its queued job; a cancelled job never runs', async () => {
    const k = useKind('moved');
    const now = b.clock.now();
    await b.replicas[0].schedule({ key: `${k}:a`, kind: k, runAt: now + HOUR, payload: { v: 1 } });
    await b.replicas[1].schedule({ key: `${k}:a`, kind: k, runAt: now - 1_000, payload: { v: 2 } });
    await b.replicas[0].schedule({ key: `${k}:b`, kind: k, runAt: now - 1_000 });
    expect(await b.replicas[1].cancel(`${k}:b`)).toBe(true);
    expect(await b.replicas[1].cancel(`${k}:never-scheduled`)).toBe(false);
    await drain(b.replicas);
    expect(seen.map((j) => [j.key, j.payload])).toEqual([[`${k}:a`, { v: 2 }]]);
  });

  it.skipIf(skip)('runs a job again when its handler asks, and retries a failed one with the next attempt number', async () => {
    const k = useKind('again');
    again.set(`${k}:periodic`, 2);
    failFirst.add(`${k}:flaky`);
    const now = b.clock.now();
    await b.replicas[0].schedule({ key: `${k}:periodic`, kind: k, runAt: now - 1_000 });
    await b.replicas[0].schedule({ key: `${k}:flaky`, kind: k, runAt: now - 1_000 });
    await drain(b.replicas);
    b.pastRetryDelay();
    await drain(b.replicas);
    expect(seen.filter((j) => j.key === `${k}:periodic`).map((j) => j.attempt)).toEqual([1, 1, 1]);
    expect(seen.filter((j) => j.key === `${k}:flaky`).map((j) => j.attempt)).toEqual([1, 2]);
  });

  it.skipIf(skip)('two replicas draining together run each of 30 due jobs exactly once', async () => {
    const k = useKind('shared');
    const now = b.clock.now();
    for (let i = 0; i < 30; i++) await b.replicas[i % 2].schedule({ key: `${k}:${i}`, kind: k, runAt: now - 1_000 });
    await drain(b.replicas);
    const keys = seen.map((j) => j.key).sort();
    expect(keys).toEqual(Array.from({ length: 30 }, (_, i) => `${k}:${i}`).sort());
  });
});
