/** Hosted files on PostgreSQL: the same behaviour as ../../hostedFiles.ts (no owner's scope: system). */
import { and, eq, gt, lte } from 'drizzle-orm';
import type { HostedFilesRepo } from '../../types.js';
import type { PgRepoContext } from '../context.js';
import { hostedFiles } from '../schema.js';

export function createPgHostedFilesRepo({ run }: PgRepoContext): HostedFilesRepo {
  return {
    async add(entry) {
      await run.asSystem((db) => db.insert(hostedFiles).values(entry).onConflictDoNothing());
    },
    async find(tokenHash, now) {
      const rows = await run.asSystem((db) => db.select().from(hostedFiles).where(and(eq(hostedFiles.tokenHash, tokenHash), gt(hostedFiles.expiresAt, now))).limit(1));
      return rows[0];
    },
    async remove(tokenHash) {
      await run.asSystem((db) => db.delete(hostedFiles).where(eq(hostedFiles.tokenHash, tokenHash)));
    },
    async removeExpired(now) {
      await run.asSystem((db) => db.delete(hostedFiles).where(lte(hostedFiles.expiresAt, now)));
    },
  };
}
