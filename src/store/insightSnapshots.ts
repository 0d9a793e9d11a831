/** Media insights kept by the worker past Instagram's own window (see schema.ts `insightSnapshots`). */
import { and, asc, eq, gte, isNotNull, lt } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { toRecord } from './posts.js';
import { insightSnapshots, posts } from './schema.js';
import type { PostRecord } from './types.js';

export interface InsightSnapshot {
  mediaId: string;
  postId: string | null;
  label: string;
  capturedAt: number;
  /** The rows as the Graph client parsed them (instagram/insights.ts InsightRow). */
  rows: unknown[];
}

export interface SyncInsightSnapshotsRepo {
  /** Keeps the first capture of a media and label; false when one was already kept. */
  record(s: { owner: string; accountId: string; mediaId: string; postId: string | null; label: string; capturedAt: number; rows: unknown[] }): boolean;
  /** The owner's captures of a media, oldest first. */
  list(owner: string, mediaId: string): InsightSnapshot[];
  labelsOf(mediaId: string): Set<string>;
  /** Every owner's published posts since `since` (the ones whose insights are still to be kept). */
  publishedSince(since: number): PostRecord[];
  /** An account's stories published in [since, until) whose insights were kept before they expired, with those rows. */
  keptStories(owner: string, accountId: string, since: number, until: number): Array<{ post: PostRecord; snapshot: InsightSnapshot }>;
}

export function createInsightSnapshotsRepo({ db }: RepoContext): SyncInsightSnapshotsRepo {
  return {
    record(s) {
      const result = db
        .insert(insightSnapshots)
        .values({ owner: s.owner, accountId: s.accountId, mediaId: s.mediaId, postId: s.postId, label: s.label, capturedAt: s.capturedAt, rowsJson: JSON.stringify(s.rows) })
        .onConflictDoNothing()
        .run();
      return result.changes > 0;
    },

    list(owner, mediaId) {
      return db
        .select()
        .from(insightSnapshots)
        .where(and(eq(insightSnapshots.owner, owner), eq(insightSnapshots.mediaId, mediaId)))
        .orderBy(asc(insightSnapshots.capturedAt))
        .all()
        .map((r) => ({ mediaId: r.mediaId, postId: r.postId, label: r.label, capturedAt: r.capturedAt, rows: JSON.parse(r.rowsJson) as unknown[] }));
    },

    labelsOf(mediaId) {
      return new Set(db.select({ label: insightSnapshots.label }).from(insightSnapshots).where(eq(insightSnapshots.mediaId, mediaId)).all().map((r) => r.label));
    },

    publishedSince(since) {
      return db
        .select()
        .from(posts)
        .where(and(eq(posts.state, 'completed'), isNotNull(posts.mediaId), gte(posts.publishedAt, since)))
        .orderBy(asc(posts.publishedAt))
        .all()
        .map(toRecord);
    },

    keptStories(owner, accountId, since, until) {
      return db
        .select({ post: posts, snap: insightSnapshots })
        .from(insightSnapshots)
        .innerJoin(posts, eq(posts.id, insightSnapshots.postId))
        .where(
          and(
            eq(insightSnapshots.owner, owner),
            eq(insightSnapshots.accountId, accountId),
            eq(insightSnapshots.label, 'before_expiry'),
            gte(posts.publishedAt, since),
            lt(posts.publishedAt, until),
          ),
        )
        .orderBy(asc(posts.publishedAt))
        .all()
        .map(({ post, snap }) => ({
          post: toRecord(post),
          snapshot: { mediaId: snap.mediaId, postId: snap.postId, label: snap.label, capturedAt: snap.capturedAt, rows: JSON.parse(snap.rowsJson) as unknown[] },
        }));
    },
  };
}
