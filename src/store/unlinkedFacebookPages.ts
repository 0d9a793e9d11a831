import { asc, eq } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { unlinkedFacebookPages } from './schema.js';
import type { SyncUnlinkedFacebookPagesRepo } from './types.js';

/** Facebook Pages without a linked Instagram account, per owner, as of the owner's latest Facebook login. */
export function createUnlinkedFacebookPagesRepo({ db, sqlite, clock }: RepoContext): SyncUnlinkedFacebookPagesRepo {
  return {
    replace(owner, pages) {
      const seenAt = clock.now();
      sqlite.transaction(() => {
        db.delete(unlinkedFacebookPages).where(eq(unlinkedFacebookPages.owner, owner)).run();
        for (const page of pages) {
          db.insert(unlinkedFacebookPages).values({ owner, pageId: page.pageId, name: page.name, seenAt }).onConflictDoNothing().run();
        }
      })();
    },

    list(owner) {
      return db
        .select({ pageId: unlinkedFacebookPages.pageId, name: unlinkedFacebookPages.name, seenAt: unlinkedFacebookPages.seenAt })
        .from(unlinkedFacebookPages)
        .where(eq(unlinkedFacebookPages.owner, owner))
        .orderBy(asc(unlinkedFacebookPages.name), asc(unlinkedFacebookPages.pageId))
        .all();
    },
  };
}
