/** Media insights kept past Instagram's own window, on PostgreSQL: the same behaviour as ../../insightSnapshots.ts. */
import { and, asc, eq, gte, isNotNull, lt } from 'drizzle-orm';
import type { InsightSnapshot } from '../../insightSnapshots.js';
import { toRecord } from '../../posts.js';
import type { InsightSnapshotsRepo } from '../../types.js';
import type { PgRepoContext } from '../context.js';
import { insightSnapshots, posts } from '../schema.js';

type SnapshotRow = typeof insightSnapshots.$inferSelect;

const toSnapshot = (r: SnapshotRow): InsightSnapshot => ({ mediaId: r.mediaId, postId: r.postId, label: r.label, capturedAt: r.capturedAt, rows: JSON.parse(r.rowsJson) as unknown[] });

export function createPgInsightSnapshotsRepo({ run }: PgRepoContext): InsightSnapshotsRepo {
  return {
    async record(s) {
      const rowsJson = JSON.stringify(s.rows);
      return run.asOwner(s.owner, async (db) => {
        const result = await db
          .insert(insightSnapshots)
          .values({ owner: s.owner, accountId: s.accountId, mediaId: s.mediaId, postId: s.postId, label: s.label, capturedAt: s.capturedAt, rowsJson })
          .onConflictDoNothing();
        return (result.rowCount ?? 0) > 0;
      });
    },

    async list(owner, mediaId) {
      return run.asOwner(owner, async (db) =>
        (
          await db
            .select()
            .from(insightSnapshots)
            .where(and(eq(insightSnapshots.owner, owner), eq(insightSnapshots.mediaId, mediaId)))
            .orderBy(asc(insightSnapshots.capturedAt), asc(insightSnapshots.id))
        ).map(toSnapshot),
      );
    },

    async labelsOf(mediaId) {
      return run.asSystem(async (db) => new Set((await db.select({ label: insightSnapshots.label }).from(insightSnapshots).where(eq(insightSnapshots.mediaId, mediaId))).map((r) => r.label)));
    },

    async publishedSince(since) {
      return run.asSystem(async (db) =>
        (
          await db
            .select()
            .from(posts)
            .where(and(eq(posts.state, 'completed'), isNotNull(posts.mediaId), gte(posts.publishedAt, since)))
            .orderBy(asc(posts.publishedAt))
        ).map(toRecord),
      );
    },

    async keptStories(owner, accountId, since, until) {
      return run.asOwner(owner, async (db) =>
        (
          await db
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
        ).map(({ post, snap }) => ({ post: toRecord(post), snapshot: toSnapshot(snap) })),
      );
    },
  };
}
