/** Files hosted for Instagram, shared by the processes that share the store (see schema.ts, hosted_files). */
import { and, eq, gt, lte } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { hostedFiles } from './schema.js';
import type { SyncHostedFilesRepo } from './types.js';

export function createHostedFilesRepo({ db }: RepoContext): SyncHostedFilesRepo {
  return {
    add(entry) {
      db.insert(hostedFiles).values(entry).onConflictDoNothing().run();
    },
    find(tokenHash, now) {
      return db.select().from(hostedFiles).where(and(eq(hostedFiles.tokenHash, tokenHash), gt(hostedFiles.expiresAt, now))).get();
    },
    remove(tokenHash) {
      db.delete(hostedFiles).where(eq(hostedFiles.tokenHash, tokenHash)).run();
    },
    removeExpired(now) {
      db.delete(hostedFiles).where(lte(hostedFiles.expiresAt, now)).run();
    },
  };
}
