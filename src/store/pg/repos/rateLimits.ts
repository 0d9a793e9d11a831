/** Meta's throttles on PostgreSQL: the same behaviour as ../../rateLimits.ts (no owner's data: system scope). */
import { gt, sql } from 'drizzle-orm';
import type { RateLimitsRepo } from '../../types.js';
import type { PgRepoContext } from '../context.js';
import { rateLimitBlocks } from '../schema.js';

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
  };
}
