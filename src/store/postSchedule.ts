/**
 * The scheduled side of the posts table: the calendar, the posts due to start, and the times that
 * count against an account's publishing quota. The posts repository keeps the state moves.
 */
import { and, asc, eq, gte, inArray, isNotNull, lt, lte, notInArray, or, sql } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { parseOptions, serializeOptions } from './postData.js';
import { toRecord } from './posts.js';
import { posts } from './schema.js';
import type { PostRecord } from './types.js';

/** A post counted against the account's quota: published at `at`, or due to be. */
export interface QuotaEvent {
  postId: string;
  at: number;
  published: boolean;
}

export interface SyncPostScheduleRepo {
  /** The owner's posts with a publish_at in [from, to), soonest first (every state). */
  listBetween(owner: string, from: number, to: number, accountId?: string): PostRecord[];
  /** Every owner's `scheduled` posts whose publish_at is at or before `until`. */
  listScheduledUntil(until: number): PostRecord[];
  /** Published posts of the account since `since`, and its scheduled posts not yet published or given up. */
  quotaEvents(accountId: string, since: number): QuotaEvent[];
  /** A new publish_at for a post not yet published. */
  setPublishAt(id: string, publishAt: number): void;
  /** Forgets the post's containers, so the next `containers` step creates new ones. */
  resetContainers(id: string): void;
}

const GIVEN_UP = ['failed', 'cancelled', 'skipped'] as const;

export function createPostScheduleRepo({ db, clock }: RepoContext): SyncPostScheduleRepo {
  return {
    listBetween(owner, from, to, accountId) {
      return db
        .select()
        .from(posts)
        .where(and(eq(posts.owner, owner), gte(posts.publishAt, from), lt(posts.publishAt, to), accountId ? eq(posts.accountId, accountId) : undefined))
        .orderBy(asc(posts.publishAt), asc(posts.id))
        .all()
        .map(toRecord);
    },

    listScheduledUntil(until) {
      return db
        .select()
        .from(posts)
        .where(and(eq(posts.state, 'scheduled'), lte(posts.publishAt, until)))
        .orderBy(asc(posts.publishAt), asc(posts.id))
        .all()
        .map(toRecord);
    },

    quotaEvents(accountId, since) {
      const rows = db
        .select({ id: posts.id, state: posts.state, publishedAt: posts.publishedAt, publishAt: posts.publishAt })
        .from(posts)
        .where(
          and(
            eq(posts.accountId, accountId),
            or(
              and(isNotNull(posts.publishedAt), gte(posts.publishedAt, since)),
              and(isNotNull(posts.publishAt), sql`${posts.publishedAt} is null`, notInArray(posts.state, [...GIVEN_UP])),
            ),
          ),
        )
        .all();
      return rows.map((r) => (r.publishedAt !== null ? { postId: r.id, at: r.publishedAt, published: true } : { postId: r.id, at: r.publishAt!, published: false }));
    },

    setPublishAt(id, publishAt) {
      db.update(posts).set({ publishAt, updatedAt: clock.now() }).where(eq(posts.id, id)).run();
    },

    resetContainers(id) {
      const row = db.select({ optionsJson: posts.optionsJson }).from(posts).where(eq(posts.id, id)).get();
      if (!row) return;
      const { settings, runtime } = parseOptions(row.optionsJson);
      db.update(posts)
        .set({ containerId: null, childrenJson: '[]', optionsJson: serializeOptions(settings, { ...runtime, containers: {} }) })
        .where(and(eq(posts.id, id), inArray(posts.state, ['ready', 'scheduled'])))
        .run();
    },
  };
}
