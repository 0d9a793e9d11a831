/** Meta's throttles, shared by the processes that share the store (see schema.ts, rate_limit_blocks). */
import { gt, sql } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { rateLimitBlocks } from './schema.js';
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
  };
}
