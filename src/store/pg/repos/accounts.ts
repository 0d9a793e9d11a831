/** The accounts repository on PostgreSQL: the same behaviour as ../../accounts.ts. */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { redactString } from '../../../log.js';
import { accountRow, normalizeUsername, PROFILE_FIELDS } from '../../accounts.js';
import { NotFoundError } from '../../errors.js';
import type { AccountProfile, AccountRecord, AccountsRepo, AccountStatus, AccountTokenUpdate, AccountUpsert } from '../../types.js';
import { binary, type PgRepoContext } from '../context.js';
import { accounts } from '../schema.js';

type AccountRow = typeof accounts.$inferSelect;

export function createPgAccountsRepo({ run, vault, clock }: PgRepoContext): AccountsRepo {
  const toRecord = (row: AccountRow): AccountRecord => {
    const { accessTokenEnc, ...rest } = row;
    return { ...rest, accessToken: accessTokenEnc === null ? null : vault.decrypt(accessTokenEnc) };
  };
  const byKey = (owner: string, id: string) => and(eq(accounts.owner, owner), eq(accounts.id, id));
  const update = (owner: string, id: string, set: Partial<typeof accounts.$inferInsert>) =>
    run.asOwner(owner, async (db) => {
      const result = await db
        .update(accounts)
        .set({ ...set, updatedAt: clock.now() })
        .where(byKey(owner, id));
      if (result.rowCount === 0) throw new NotFoundError(`no account ${id} for owner ${owner}`);
    });

  return {
    async upsert(input: AccountUpsert) {
      const now = clock.now();
      const values = accountRow(input, vault, now);
      const { owner: _owner, id: _id, ...changes } = values;
      return run.asOwner(input.owner, async (db) => {
        const [row] = await db
          .insert(accounts)
          .values({ ...values, createdAt: now })
          .onConflictDoUpdate({ target: [accounts.owner, accounts.id], set: changes })
          .returning();
        return toRecord(row!);
      });
    },

    async get(owner, id) {
      return run.asOwner(owner, async (db) => {
        const [row] = await db.select().from(accounts).where(byKey(owner, id));
        return row && toRecord(row);
      });
    },

    async findByUsername(owner, username) {
      return run.asOwner(owner, async (db) => {
        const [row] = await db
          .select()
          .from(accounts)
          .where(and(eq(accounts.owner, owner), sql`lower(${accounts.username}) = ${normalizeUsername(username)}`))
          .orderBy(sql`${accounts.updatedAt} desc`)
          .limit(1);
        return row && toRecord(row);
      });
    },

    async list(owner) {
      return run.asOwner(owner, async (db) =>
        (await db.select().from(accounts).where(eq(accounts.owner, owner)).orderBy(binary(accounts.username), binary(accounts.id))).map(toRecord),
      );
    },

    async listWithTokens() {
      return run.asSystem(async (db) =>
        (
          await db
            .select()
            .from(accounts)
            .where(and(eq(accounts.status, 'active'), isNotNull(accounts.accessTokenEnc)))
            .orderBy(binary(accounts.owner), binary(accounts.id))
        ).map(toRecord),
      );
    },

    async updateToken(owner, id, t: AccountTokenUpdate) {
      return update(owner, id, {
        accessTokenEnc: vault.encrypt(t.accessToken),
        tokenIssuedAt: t.issuedAt,
        tokenExpiresAt: t.expiresAt,
        lastRefreshAt: t.lastRefreshAt ?? clock.now(),
        lastRefreshError: null,
      });
    },

    async recordRefreshError(owner, id, message) {
      return update(owner, id, { lastRefreshError: redactString(message) });
    },

    async updateProfile(owner, id, p: Partial<AccountProfile>) {
      const set: Partial<typeof accounts.$inferInsert> = {};
      for (const [key, value] of Object.entries(p) as Array<[keyof AccountProfile, unknown]>) {
        if (value !== undefined && PROFILE_FIELDS.has(key)) (set as Record<string, unknown>)[key] = value;
      }
      return update(owner, id, set);
    },

    async setStatus(owner, id, status: AccountStatus, reason?: string | null) {
      return update(owner, id, { status, statusReason: reason == null ? null : redactString(reason) });
    },

    async disconnect(owner, id) {
      return update(owner, id, {
        accessTokenEnc: null,
        tokenIssuedAt: null,
        tokenExpiresAt: null,
        lastRefreshError: null,
        status: 'disconnected',
        statusReason: null,
      });
    },
  };
}
