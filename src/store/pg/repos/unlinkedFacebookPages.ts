/** Facebook Pages without a linked Instagram account on PostgreSQL: the same behaviour as ../../unlinkedFacebookPages.ts. */
import { asc, eq } from 'drizzle-orm';
import type { UnlinkedFacebookPagesRepo } from '../../types.js';
import { binary, type PgRepoContext } from '../context.js';
import { unlinkedFacebookPages } from '../schema.js';

export function createPgUnlinkedFacebookPagesRepo({ run, clock }: PgRepoContext): UnlinkedFacebookPagesRepo {
  return {
    async replace(owner, pages) {
      const seenAt = clock.now();
      // One transaction (the call's own, or a savepoint of the caller's): the old list goes, the new one comes, together.
      await run.asOwner(owner, async (db) => {
        await db.delete(unlinkedFacebookPages).where(eq(unlinkedFacebookPages.owner, owner));
        if (pages.length === 0) return;
        // A Page listed twice is kept once, the first time (as the SQLite store's insert-or-ignore).
        await db
          .insert(unlinkedFacebookPages)
          .values(pages.map((page) => ({ owner, pageId: page.pageId, name: page.name, seenAt })))
          .onConflictDoNothing();
      });
    },

    async list(owner) {
      return run.asOwner(owner, (db) =>
        db
          .select({ pageId: unlinkedFacebookPages.pageId, name: unlinkedFacebookPages.name, seenAt: unlinkedFacebookPages.seenAt })
          .from(unlinkedFacebookPages)
          .where(eq(unlinkedFacebookPages.owner, owner))
          .orderBy(asc(binary(unlinkedFacebookPages.name)), asc(binary(unlinkedFacebookPages.pageId))),
      );
    },
  };
}
