/**
 * The built-in OAuth authorization server's records (see schema.ts, auth_records): oidc-provider's adapter
 * records, invites and signing keys, shared by the processes that share the store. Ids, uids and user
 * codes are kept only as SHA-256 hex (an opaque token's id is the token), payloads only encrypted.
 */
import { createHash } from 'node:crypto';
import { and, eq, gt, isNull, lte, or, type AnyColumn, type SQL } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { authRecords } from './schema.js';
import type { AuthRecord, AuthRecordWrite, SyncAuthRecordsRepo } from './types.js';
import type { TokenVault } from './vault.js';

type AuthRecordRow = typeof authRecords.$inferSelect;

/** SHA-256 hex of an id, uid or user code: what the table keeps instead of the value. */
export function hashAuthValue(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The row's columns for `record` written at `now` (both dialects; consumed_at is left to consume()). */
export function authRecordValues(vault: TokenVault, record: AuthRecordWrite, now: number) {
  return {
    kind: record.kind,
    idHash: hashAuthValue(record.id),
    payloadEnc: vault.encrypt(JSON.stringify(record.payload ?? null)),
    grantId: record.grantId ?? null,
    uidHash: record.uid == null ? null : hashAuthValue(record.uid),
    userCodeHash: record.userCode == null ? null : hashAuthValue(record.userCode),
    expiresAt: record.expiresAt ?? null,
    createdAt: now,
  };
}

/** The record a row holds, its payload decrypted (a wrong key throws the vault's error). */
export function toAuthRecord(vault: TokenVault, row: Pick<AuthRecordRow, 'kind' | 'payloadEnc' | 'grantId' | 'expiresAt' | 'consumedAt'>): AuthRecord {
  return { kind: row.kind, payload: JSON.parse(vault.decrypt(row.payloadEnc)) as unknown, grantId: row.grantId, expiresAt: row.expiresAt, consumedAt: row.consumedAt };
}

/** Not expired at `now`: no expiry, or one after `now`. Takes either dialect's table. */
export function liveAt(table: { expiresAt: AnyColumn }, now: number): SQL {
  return or(isNull(table.expiresAt), gt(table.expiresAt, now))!;
}

export function createAuthRecordsRepo({ db, vault, clock }: RepoContext): SyncAuthRecordsRepo {
  const byId = (kind: string, id: string) => and(eq(authRecords.kind, kind), eq(authRecords.idHash, hashAuthValue(id)));
  const findWhere = (where: SQL | undefined, now: number) => {
    const row = db.select().from(authRecords).where(and(where, liveAt(authRecords, now))).limit(1).get();
    return row && toAuthRecord(vault, row);
  };

  return {
    upsert(record) {
      const values = authRecordValues(vault, record, clock.now());
      const { payloadEnc, grantId, uidHash, userCodeHash, expiresAt } = values;
      db.insert(authRecords)
        .values(values)
        .onConflictDoUpdate({ target: [authRecords.kind, authRecords.idHash], set: { payloadEnc, grantId, uidHash, userCodeHash, expiresAt } })
        .run();
    },

    insertOnce(record) {
      const inserted = db.insert(authRecords).values(authRecordValues(vault, record, clock.now())).onConflictDoNothing().returning().get();
      const row = inserted ?? db.select().from(authRecords).where(byId(record.kind, record.id)).get();
      if (!row) throw new Error(`auth record ${record.kind} neither inserted nor found`);
      return toAuthRecord(vault, row);
    },

    find(kind, id, now) {
      return findWhere(byId(kind, id), now);
    },

    findByUid(kind, uid, now) {
      return findWhere(and(eq(authRecords.kind, kind), eq(authRecords.uidHash, hashAuthValue(uid))), now);
    },

    findByUserCode(kind, userCode, now) {
      return findWhere(and(eq(authRecords.kind, kind), eq(authRecords.userCodeHash, hashAuthValue(userCode))), now);
    },

    consume(kind, id, now) {
      // One UPDATE … WHERE consumed_at IS NULL: of two callers racing, only one changes the row.
      const result = db
        .update(authRecords)
        .set({ consumedAt: now })
        .where(and(byId(kind, id), isNull(authRecords.consumedAt), liveAt(authRecords, now)))
        .run();
      return result.changes > 0;
    },

    destroy(kind, id) {
      db.delete(authRecords).where(byId(kind, id)).run();
    },

    revokeByGrantId(grantId) {
      db.delete(authRecords).where(eq(authRecords.grantId, grantId)).run();
    },

    removeExpired(now) {
      return db.delete(authRecords).where(lte(authRecords.expiresAt, now)).run().changes;
    },
  };
}
