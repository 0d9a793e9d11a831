/**
 * Durable jobs on PostgreSQL: the same behaviour as ../../jobs.ts, for several replicas at once. A job
 * is scheduled with one upsert on its key; due jobs are claimed with their rows locked (SKIP LOCKED: a
 * replica takes the ones no other is claiming), and every write of an outcome is one UPDATE conditioned
 * on the claim (owner and generation) still holding. Jobs span owners: every call runs in system scope.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, lte, min, or, sql } from 'drizzle-orm';
import { redactString } from '../../../log.js';
import { MAX_ERROR_CHARS, toRecord, type JobState } from '../../jobs.js';
import type { JobsRepo } from '../../types.js';
import { binary, type PgRepoContext } from '../context.js';
import { jobs } from '../schema.js';

export function createPgJobsRepo({ run, clock }: PgRepoContext): JobsRepo {
  const held = (claim: { id: string; owner: string; generation: number }) =>
    and(eq(jobs.id, claim.id), eq(jobs.leaseOwner, claim.owner), eq(jobs.leaseGeneration, claim.generation), eq(jobs.state, 'running'));

  return {
    async schedule(s) {
      const now = clock.now();
      const payloadJson = JSON.stringify(s.payload ?? {});
      const owner = s.owner ?? null;
      return run.asSystem(async (db) => {
        const [row] = await db
          .insert(jobs)
          .values({ id: randomUUID(), key: s.key, kind: s.kind, owner, payloadJson, runAt: s.runAt, state: 'queued', attempts: 0, createdAt: now, updatedAt: now })
          .onConflictDoUpdate({
            target: jobs.key,
            // Re-queued (a new time, or again after it ran): a running holder's lease is void from here on.
            set: {
              kind: s.kind,
              owner,
              payloadJson,
              runAt: s.runAt,
              state: 'queued',
              attempts: 0,
              lastError: null,
              leaseOwner: null,
              leaseExpiresAt: null,
              leaseGeneration: sql`case when ${jobs.leaseOwner} is not null and ${jobs.leaseExpiresAt} is not null then ${jobs.leaseGeneration} + 1 else ${jobs.leaseGeneration} end`,
              updatedAt: now,
            },
          })
          .returning();
        return toRecord(row!);
      });
    },

    async get(key) {
      return run.asSystem(async (db) => {
        const [row] = await db.select().from(jobs).where(eq(jobs.key, key));
        return row && toRecord(row);
      });
    },

    async claimDue(owner, leaseMs, limit) {
      const now = clock.now();
      return run.asSystem(async (db) => {
        const due = await db
          .select()
          .from(jobs)
          .where(or(and(eq(jobs.state, 'queued'), lte(jobs.runAt, now)), and(eq(jobs.state, 'running'), lte(jobs.leaseExpiresAt, now))))
          .orderBy(asc(jobs.runAt), asc(binary(jobs.id)))
          .limit(Math.max(1, limit))
          .for('update', { skipLocked: true });
        const claimed = [];
        for (const row of due) {
          const [next] = await db
            .update(jobs)
            .set({ state: 'running', leaseOwner: owner, leaseGeneration: row.leaseGeneration + 1, leaseExpiresAt: now + leaseMs, attempts: row.attempts + 1, updatedAt: now })
            .where(and(eq(jobs.id, row.id), eq(jobs.leaseGeneration, row.leaseGeneration)))
            .returning();
          if (next) claimed.push(toRecord(next));
        }
        return claimed;
      });
    },

    async renew(claim, leaseMs) {
      const expiresAt = clock.now() + leaseMs;
      return run.asSystem(async (db) => ((await db.update(jobs).set({ leaseExpiresAt: expiresAt }).where(held(claim))).rowCount ?? 0) > 0);
    },

    async finish(claim, outcome) {
      const now = clock.now();
      const state: JobState = outcome.state;
      const lastError = outcome.error === undefined ? null : redactString(outcome.error).slice(0, MAX_ERROR_CHARS);
      const set =
        state === 'queued'
          ? { state, runAt: outcome.runAt ?? now, lastError, leaseOwner: null, leaseExpiresAt: null, updatedAt: now, ...(outcome.resetAttempts ? { attempts: 0 } : {}) }
          : { state, lastError, leaseOwner: null, leaseExpiresAt: null, updatedAt: now };
      return run.asSystem(async (db) => ((await db.update(jobs).set(set).where(held(claim))).rowCount ?? 0) > 0);
    },

    async cancel(key) {
      const now = clock.now();
      return run.asSystem(async (db) => {
        const result = await db
          .update(jobs)
          .set({ state: 'cancelled', leaseOwner: null, leaseExpiresAt: null, leaseGeneration: sql`${jobs.leaseGeneration} + 1`, updatedAt: now })
          .where(and(eq(jobs.key, key), inArray(jobs.state, ['queued', 'running'])));
        return (result.rowCount ?? 0) > 0;
      });
    },

    async nextWakeAt() {
      return run.asSystem(async (db) => {
        const [queued] = await db.select({ at: min(jobs.runAt) }).from(jobs).where(eq(jobs.state, 'queued'));
        const [expiring] = await db.select({ at: min(jobs.leaseExpiresAt) }).from(jobs).where(eq(jobs.state, 'running'));
        const times = [queued?.at ?? null, expiring?.at ?? null].filter((t): t is number => t !== null);
        return times.length ? Math.min(...times) : null;
      });
    },

    async purgeFinished(before) {
      return run.asSystem(async (db) => (await db.delete(jobs).where(and(inArray(jobs.state, ['done', 'failed', 'cancelled']), lte(jobs.updatedAt, before)))).rowCount ?? 0);
    },
  };
}
