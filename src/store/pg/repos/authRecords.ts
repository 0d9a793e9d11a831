/** The authorization server's records on PostgreSQL: the same behaviour as ../../authRecords.ts (no owner's scope: system). */
import { and, eq, isNull, lte, type SQL } from 'drizzle-orm';
import { authRecordValues, hashAuthValue, liveAt, toAuthRecord } from '../../authRecords.js';
import type { AuthRecordsRepo } from '../../types.js';
import type { PgRepoContext } from '../context.js';
import { authRecords } from '../schema.js';

export function createPgAuthRecordsRepo({ run, vault, clock }: PgRepoContext): AuthRecordsRepo {
  const byId = (kind: string, id: string) => and(eq(authRecords.kind, kind), eq(authRecords.idHash, hashAuthValue(id)));
  const findWhere = async (where: SQL | undefined, now: number) => {
    const [row] = await run.asSystem((db) => db.select().from(authRecords).where(and(where, liveAt(authRecords, now))).limit(1));
    return row && toAuthRecord(vault, row);
  };

  return {
    async upsert(record) {
      const values = authRecordValues(vault, record, clock.now());
      const { payloadEnc, grantId, uidHash, userCodeHash, expiresAt } = values;
      await run.asSystem((db) =>
        db
          .insert(authRecords)
          .values(values)
          .onConflictDoUpdate({ target: [authRecords.kind, authRecords.idHash], set: { payloadEnc, grantId, uidHash, userCodeHash, expiresAt } }),
      );
    },

    async insertOnce(record) {
      const values = authRecordValues(vault, record, clock.now());
      const row = await run.asSystem(async (db) => {
        // ON CONFLICT DO NOTHING waits for a racing replica's insert to commit; the next statement
        // (read committed) then sees the row that replica stored.
        const [inserted] = await db.insert(authRecords).values(values).onConflictDoNothing().returning();
        if (inserted) return inserted;
        const [existing] = await db.select().from(authRecords).where(byId(record.kind, record.id)).limit(1);
        return existing;
      });
      if (!row) throw new Error(`auth record ${record.kind} neither inserted nor found`);
      return toAuthRecord(vault, row);
    },

    async find(kind, id, now) {
      return findWhere(byId(kind, id), now);
    },

    async findByUid(kind, uid, now) {
      return findWhere(and(eq(authRecords.kind, kind), eq(authRecords.uidHash, hashAuthValue(uid))), now);
    },

    async findByUserCode(kind, userCode, now) {
      return findWhere(and(eq(authRecords.kind, kind), eq(authRecords.userCodeHash, hashAuthValue(userCode))), now);
    },

    async consume(kind, id, now) {
      // One UPDATE … WHERE consumed_at IS NULL: of two replicas racing, only one changes the row.
      const result = await run.asSystem((db) =>
        db
          .update(authRecords)
          .set({ consumedAt: now })
          .where(and(byId(kind, id), isNull(authRecords.consumedAt), liveAt(authRecords, now))),
      );
      return (result.rowCount ?? 0) > 0;
    },

    async destroy(kind, id) {
      await run.asSystem((db) => db.delete(authRecords).where(byId(kind, id)));
    },

    async revokeByGrantId(grantId) {
      await run.asSystem((db) => db.delete(authRecords).where(eq(authRecords.grantId, grantId)));
    },

    async removeExpired(now) {
      return run.asSystem(async (db) => (await db.delete(authRecords).where(lte(authRecords.expiresAt, now))).rowCount ?? 0);
    },
  };
}
