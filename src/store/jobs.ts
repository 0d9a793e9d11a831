/**
 * Durable jobs: one row per piece of time-based work (a scheduled post's start, an insights capture, a
 * sweep), keyed so the same work is never queued twice. A row is claimed with a lease whose generation
 * is bumped on every claim, so a holder that lost it (paused, or taken over) cannot write its outcome.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, lte, min, or, sql } from 'drizzle-orm';
import { redactString } from '../log.js';
import type { RepoContext } from './context.js';
import { jobs } from './schema.js';

import type { JOB_STATES } from './states.js';

export type JobState = (typeof JOB_STATES)[number];

export interface JobLease {
  owner: string;
  generation: number;
  expiresAt: number;
}

export interface JobRecord {
  id: string;
  key: string;
  kind: string;
  owner: string | null;
  payload: Record<string, unknown>;
  runAt: number;
  state: JobState;
  /** Claims so far, this one included; reset when the job is queued anew. */
  attempts: number;
  lastError: string | null;
  lease: JobLease | null;
  createdAt: number;
  updatedAt: number;
}

export interface JobSchedule {
  /** Unique: scheduling an existing key moves that job (a new time and payload) instead of adding one. */
  key: string;
  kind: string;
  owner?: string | null;
  runAt: number;
  payload?: Record<string, unknown>;
}

/** The claim a runner holds: its writes count only while the row still carries this owner and generation. */
export interface JobClaim {
  id: string;
  owner: string;
  generation: number;
}

export interface JobOutcome {
  state: 'queued' | 'done' | 'failed';
  /** For `queued`: when to run again. */
  runAt?: number;
  error?: string;
  /** For `queued`: a new run (a periodic job), not a retry. */
  resetAttempts?: boolean;
}

export interface SyncJobsRepo {
  schedule(s: JobSchedule): JobRecord;
  get(key: string): JobRecord | undefined;
  /** Claims up to `limit` jobs due now (and running ones whose lease ran out), oldest first. */
  claimDue(owner: string, leaseMs: number, limit: number): JobRecord[];
  renew(claim: JobClaim, leaseMs: number): boolean;
  /** Writes the outcome only while the claim holds; false when it was lost (cancelled, rescheduled, taken over). */
  finish(claim: JobClaim, outcome: JobOutcome): boolean;
  /** Cancels a queued or running job; false when there was none. */
  cancel(key: string): boolean;
  /** The earliest time something becomes due (a queued job, or a running one's lease running out). */
  nextWakeAt(): number | null;
  /** Deletes finished jobs last touched before `before`; how many. */
  purgeFinished(before: number): number;
}

type JobRow = typeof jobs.$inferSelect;

/** A jobs row as its record (also used by the PostgreSQL repository). */
export function toRecord(row: JobRow): JobRecord {
  const { payloadJson, leaseOwner, leaseGeneration, leaseExpiresAt, ...rest } = row;
  return {
    ...rest,
    payload: JSON.parse(payloadJson) as Record<string, unknown>,
    lease: leaseOwner !== null && leaseExpiresAt !== null ? { owner: leaseOwner, generation: leaseGeneration, expiresAt: leaseExpiresAt } : null,
  };
}

/** Long enough for any message worth keeping; a job's error is for the log and the status, not a dump. */
export const MAX_ERROR_CHARS = 500;

export function createJobsRepo({ db, sqlite, clock }: RepoContext): SyncJobsRepo {
  const byKey = (key: string) => {
    const row = db.select().from(jobs).where(eq(jobs.key, key)).get();
    return row && toRecord(row);
  };
  const held = (claim: JobClaim) => and(eq(jobs.id, claim.id), eq(jobs.leaseOwner, claim.owner), eq(jobs.leaseGeneration, claim.generation), eq(jobs.state, 'running'));

  return {
    schedule(s: JobSchedule) {
      const now = clock.now();
      const payloadJson = JSON.stringify(s.payload ?? {});
      return sqlite
        .transaction(() => {
          const existing = byKey(s.key);
          if (!existing) {
            const row = db
              .insert(jobs)
              .values({ id: randomUUID(), key: s.key, kind: s.kind, owner: s.owner ?? null, payloadJson, runAt: s.runAt, state: 'queued', attempts: 0, createdAt: now, updatedAt: now })
              .returning()
              .get();
            return toRecord(row);
          }
          // Re-queued (a new time, or again after it ran): a running holder's lease is void from here on.
          const row = db
            .update(jobs)
            .set({ kind: s.kind, owner: s.owner ?? null, payloadJson, runAt: s.runAt, state: 'queued', attempts: 0, lastError: null, leaseOwner: null, leaseExpiresAt: null, leaseGeneration: existing.lease ? sql`${jobs.leaseGeneration} + 1` : jobs.leaseGeneration, updatedAt: now })
            .where(eq(jobs.id, existing.id))
            .returning()
            .get()!;
          return toRecord(row);
        })
        .immediate();
    },

    get: byKey,

    claimDue(owner, leaseMs, limit) {
      const now = clock.now();
      return sqlite
        .transaction(() => {
          const due = db
            .select()
            .from(jobs)
            .where(or(and(eq(jobs.state, 'queued'), lte(jobs.runAt, now)), and(eq(jobs.state, 'running'), lte(jobs.leaseExpiresAt, now))))
            .orderBy(asc(jobs.runAt), asc(jobs.id))
            .limit(Math.max(1, limit))
            .all();
          return due.map((row) => {
            const claimed = db
              .update(jobs)
              .set({ state: 'running', leaseOwner: owner, leaseGeneration: row.leaseGeneration + 1, leaseExpiresAt: now + leaseMs, attempts: row.attempts + 1, updatedAt: now })
              .where(and(eq(jobs.id, row.id), eq(jobs.leaseGeneration, row.leaseGeneration)))
              .returning()
              .get()!;
            return toRecord(claimed);
          });
        })
        .immediate();
    },

    renew(claim, leaseMs) {
      return db.update(jobs).set({ leaseExpiresAt: clock.now() + leaseMs }).where(held(claim)).run().changes > 0;
    },

    finish(claim, outcome) {
      const now = clock.now();
      const state: JobState = outcome.state;
      const lastError = outcome.error === undefined ? null : redactString(outcome.error).slice(0, MAX_ERROR_CHARS);
      const set =
        state === 'queued'
          ? { state, runAt: outcome.runAt ?? now, lastError, leaseOwner: null, leaseExpiresAt: null, updatedAt: now, ...(outcome.resetAttempts ? { attempts: 0 } : {}) }
          : { state, lastError, leaseOwner: null, leaseExpiresAt: null, updatedAt: now };
      return db.update(jobs).set(set).where(held(claim)).run().changes > 0;
    },

    cancel(key) {
      const now = clock.now();
      return (
        db
          .update(jobs)
          .set({ state: 'cancelled', leaseOwner: null, leaseExpiresAt: null, leaseGeneration: sql`${jobs.leaseGeneration} + 1`, updatedAt: now })
          .where(and(eq(jobs.key, key), inArray(jobs.state, ['queued', 'running'])))
          .run().changes > 0
      );
    },

    nextWakeAt() {
      const queued = db.select({ at: min(jobs.runAt) }).from(jobs).where(eq(jobs.state, 'queued')).get()?.at ?? null;
      const expiring = db.select({ at: min(jobs.leaseExpiresAt) }).from(jobs).where(eq(jobs.state, 'running')).get()?.at ?? null;
      const times = [queued, expiring].filter((t): t is number => t !== null);
      return times.length ? Math.min(...times) : null;
    },

    purgeFinished(before) {
      return db
        .delete(jobs)
        .where(and(inArray(jobs.state, ['done', 'failed', 'cancelled']), lte(jobs.updatedAt, before)))
        .run().changes;
    },
  };
}
