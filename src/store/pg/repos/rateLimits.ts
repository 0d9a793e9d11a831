/** Meta's throttles on PostgreSQL: the same behaviour as ../../rateLimits.ts (no owner's data: system scope). */
import { gt, gte, sql } from 'drizzle-orm';
import type { RateLimitsRepo } from '../../types.js';
import type { PgRepoContext } from '../context.js';
import { rateLimitBlocks, rateLimitUsage } from '../schema.js';

export function createPgRateLimitsRepo({ run, clock }: PgRepoContext): RateLimitsRepo {
  return {
    async block(key, until) {
      await run.asSystem((db) =>
        db
          .insert(rateLimitBlocks)
          .values({ key, until, updatedAt: clock.now() })
          .onConflictDoUpdate({ target: rateLimitBlocks.key, set: { until: sql`greatest(${rateLimitBlocks.until}, excluded.until)`, updatedAt: clock.now() } }),
      );
    },
    async active(now) {
      const rows = await run.asSystem((db) => db.select().from(rateLimitBlocks).where(gt(rateLimitBlocks.until, now)));
      return Object.fromEntries(rows.map((r) => [r.key, r.until]));
    },
    async recordUsage(key, observedAt, usageJson) {
      await run.asSystem((db) =>
        db
          .insert(rateLimitUsage)
          .values({ key, observedAt, usageJson })
          .onConflictDoUpdate({ target: rateLimitUsage.key, set: { observedAt, usageJson }, setWhere: sql`${rateLimitUsage.observedAt} <= excluded.observed_at` }),
      );
    },
    async usageSince(since) {
      return run.asSystem((db) => db.select().from(rateLimitUsage).where(gte(rateLimitUsage.observedAt, since)));
    },
  };
}
