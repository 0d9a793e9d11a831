/** Meta's throttles, shared by the processes that share the store (see schema.ts, rate_limit_blocks). */
import { gt, gte, sql } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { rateLimitBlocks, rateLimitUsage } from './schema.js';
import type { SyncRateLimitsRepo } from './types.js';

export function createRateLimitsRepo({ db, clock }: RepoContext): SyncRateLimitsRepo {
  return {
    block(key, until) {
      db.insert(rateLimitBlocks)
        .values({ key, until, updatedAt: clock.now() })
        .onConflictDoUpdate({ target: rateLimitBlocks.key, set: { until: sql`max(${rateLimitBlocks.until}, excluded.until)`, updatedAt: clock.now() } })
        .run();
    },
    active(now) {
      const rows = db.select().from(rateLimitBlocks).where(gt(rateLimitBlocks.until, now)).all();
      return Object.fromEntries(rows.map((r) => [r.key, r.until]));
    },
    recordUsage(key, observedAt, usageJson) {
      db.insert(rateLimitUsage)
        .values({ key, observedAt, usageJson })
        .onConflictDoUpdate({ target: rateLimitUsage.key, set: { observedAt, usageJson }, setWhere: sql`${rateLimitUsage.observedAt} <= excluded.observed_at` })
        .run();
    },
    usageSince(since) {
      return db.select().from(rateLimitUsage).where(gte(rateLimitUsage.observedAt, since)).all();
    },
  };
}
