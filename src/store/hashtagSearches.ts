import { and, asc, eq, gte, sql } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { hashtagSearches } from './schema.js';
import type { HashtagSearch, SyncHashtagSearchesRepo } from './types.js';

/** '#Travel ' → 'travel': the form Instagram counts against the unique-hashtag budget. */
export function normalizeHashtag(hashtag: string): string {
  return hashtag.trim().replace(/^#/, '').toLowerCase();
}

export function createHashtagSearchesRepo({ db, clock }: RepoContext): SyncHashtagSearchesRepo {
  return {
    record(owner, accountId, hashtag, hashtagId) {
      db.insert(hashtagSearches)
        .values({ owner, accountId, hashtag: normalizeHashtag(hashtag), hashtagId, searchedAt: clock.now() })
        .run();
    },

    uniqueSince(owner, accountId, sinceMs): HashtagSearch[] {
      const firstSearchedAt = sql<number>`min(${hashtagSearches.searchedAt})`;
      return db
        .select({ hashtag: hashtagSearches.hashtag, hashtagId: sql<string>`min(${hashtagSearches.hashtagId})`, firstSearchedAt })
        .from(hashtagSearches)
        .where(and(eq(hashtagSearches.owner, owner), eq(hashtagSearches.accountId, accountId), gte(hashtagSearches.searchedAt, sinceMs)))
        .groupBy(hashtagSearches.hashtag)
        .orderBy(asc(firstSearchedAt), asc(hashtagSearches.hashtag))
        .all();
    },
  };
}
