/** Hashtag searches on PostgreSQL: the same behaviour as ../../hashtagSearches.ts. */
import { and, asc, eq, gte, sql } from 'drizzle-orm';
import { normalizeHashtag } from '../../hashtagSearches.js';
import type { HashtagSearch, HashtagSearchesRepo } from '../../types.js';
import { binary, type PgRepoContext } from '../context.js';
import { hashtagSearches } from '../schema.js';

export function createPgHashtagSearchesRepo({ run, clock }: PgRepoContext): HashtagSearchesRepo {
  return {
    async record(owner, accountId, hashtag, hashtagId) {
      const searchedAt = clock.now();
      await run.asOwner(owner, (db) => db.insert(hashtagSearches).values({ owner, accountId, hashtag: normalizeHashtag(hashtag), hashtagId, searchedAt }));
    },

    async uniqueSince(owner, accountId, sinceMs): Promise<HashtagSearch[]> {
      // bigint comes back from an aggregate as a string: mapped to a number like the column itself.
      const firstSearchedAt = sql<number>`min(${hashtagSearches.searchedAt})`.mapWith(Number);
      return run.asOwner(owner, (db) =>
        db
          .select({ hashtag: hashtagSearches.hashtag, hashtagId: sql<string>`min(${binary(hashtagSearches.hashtagId)})`, firstSearchedAt })
          .from(hashtagSearches)
          .where(and(eq(hashtagSearches.owner, owner), eq(hashtagSearches.accountId, accountId), gte(hashtagSearches.searchedAt, sinceMs)))
          .groupBy(hashtagSearches.hashtag)
          .orderBy(asc(firstSearchedAt), asc(binary(hashtagSearches.hashtag))),
      );
    },
  };
}
