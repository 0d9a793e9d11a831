/** The scheduled side of the posts table on PostgreSQL: the same behaviour as ../../postSchedule.ts. */
import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, lte, notInArray, or } from 'drizzle-orm';
import { parseOptions, serializeOptions } from '../../postData.js';
import { toRecord } from '../../posts.js';
import type { PostScheduleRepo, QuotaEvent } from '../../types.js';
import { binary, type PgRepoContext } from '../context.js';
import { posts } from '../schema.js';

const GIVEN_UP = ['failed', 'cancelled', 'skipped'] as const;

export function createPgPostScheduleRepo({ run, clock }: PgRepoContext): PostScheduleRepo {
  return {
    async listBetween(owner, from, to, accountId) {
      return run.asOwner(owner, async (db) =>
        (
          await db
            .select()
            .from(posts)
            .where(and(eq(posts.owner, owner), gte(posts.publishAt, from), lt(posts.publishAt, to), accountId ? eq(posts.accountId, accountId) : undefined))
            .orderBy(asc(posts.publishAt), asc(binary(posts.id)))
        ).map(toRecord),
      );
    },

    async listScheduledUntil(until) {
      return run.asSystem(async (db) =>
        (
          await db
            .select()
            .from(posts)
            .where(and(eq(posts.state, 'scheduled'), lte(posts.publishAt, until)))
            .orderBy(asc(posts.publishAt), asc(binary(posts.id)))
        ).map(toRecord),
      );
    },

    async quotaEvents(accountId, since): Promise<QuotaEvent[]> {
      // By account, whoever its owner: the quota is the Instagram account's (system scope).
      return run.asSystem(async (db) => {
        const rows = await db
          .select({ id: posts.id, state: posts.state, publishedAt: posts.publishedAt, publishAt: posts.publishAt })
          .from(posts)
          .where(
            and(
              eq(posts.accountId, accountId),
              or(
                and(isNotNull(posts.publishedAt), gte(posts.publishedAt, since)),
                and(isNotNull(posts.publishAt), isNull(posts.publishedAt), notInArray(posts.state, [...GIVEN_UP])),
              ),
            ),
          );
        return rows.map((r) => (r.publishedAt !== null ? { postId: r.id, at: r.publishedAt, published: true } : { postId: r.id, at: r.publishAt!, published: false }));
      });
    },

    async setPublishAt(id, publishAt) {
      const updatedAt = clock.now();
      await run.asSystem((db) => db.update(posts).set({ publishAt, updatedAt }).where(eq(posts.id, id)));
    },

    async resetContainers(id) {
      await run.asSystem(async (db) => {
        // Locked from the read to the write, so a runtime change landing in between is not lost.
        const [row] = await db.select({ optionsJson: posts.optionsJson }).from(posts).where(eq(posts.id, id)).for('update');
        if (!row) return;
        const { settings, runtime } = parseOptions(row.optionsJson);
        await db
          .update(posts)
          .set({ containerId: null, childrenJson: '[]', optionsJson: serializeOptions(settings, { ...runtime, containers: {} }) })
          .where(and(eq(posts.id, id), inArray(posts.state, ['ready', 'scheduled'])));
      });
    },
  };
}
