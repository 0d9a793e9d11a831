import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { redactString } from '../log.js';
import { requireChanged, type RepoContext } from './context.js';
import { NotFoundError } from './errors.js';
import { accounts } from './schema.js';
import type { TokenVault } from './vault.js';
import type { AccountProfile, AccountRecord, AccountStatus, SyncAccountsRepo, AccountTokenUpdate, AccountUpsert } from './types.js';

type AccountRow = typeof accounts.$inferSelect;

/** A username as typed by a person or an agent: '@Name ' → 'name'. */
export function normalizeUsername(username: string): string {
  return username.trim().replace(/^@/, '').toLowerCase();
}

/**
 * The row an upsert writes, the same on SQLite and PostgreSQL: listed field by field so a caller
 * spreading a full AccountRecord cannot overwrite createdAt; the token encrypted, messages redacted.
 */
export function accountRow(input: AccountUpsert, vault: TokenVault, now: number) {
  return {
    owner: input.owner,
    id: input.id,
    appScopedId: input.appScopedId,
    username: input.username,
    name: input.name,
    biography: input.biography,
    website: input.website,
    profilePictureUrl: input.profilePictureUrl,
    accountType: input.accountType,
    loginType: input.loginType,
    pageId: input.pageId,
    followersCount: input.followersCount,
    followsCount: input.followsCount,
    mediaCount: input.mediaCount,
    accessTokenEnc: input.accessToken == null ? null : vault.encrypt(input.accessToken),
    tokenIssuedAt: input.tokenIssuedAt,
    tokenExpiresAt: input.tokenExpiresAt,
    lastRefreshAt: input.lastRefreshAt,
    lastRefreshError: input.lastRefreshError == null ? null : redactString(input.lastRefreshError),
    status: input.status,
    statusReason: input.statusReason == null ? null : redactString(input.statusReason),
    updatedAt: now,
  };
}

export function createAccountsRepo({ db, vault, clock }: RepoContext): SyncAccountsRepo {
  const toRecord = (row: AccountRow): AccountRecord => {
    const { accessTokenEnc, ...rest } = row;
    return { ...rest, accessToken: accessTokenEnc === null ? null : vault.decrypt(accessTokenEnc) };
  };
  const byKey = (owner: string, id: string) => and(eq(accounts.owner, owner), eq(accounts.id, id));
  const notFound = (owner: string, id: string) => () => new NotFoundError(`no account ${id} for owner ${owner}`);
  const update = (owner: string, id: string, set: Partial<typeof accounts.$inferInsert>) =>
    requireChanged(db.update(accounts).set({ ...set, updatedAt: clock.now() }).where(byKey(owner, id)).run(), notFound(owner, id));

  return {
    upsert(input: AccountUpsert): AccountRecord {
      const now = clock.now();
      const values = accountRow(input, vault, now);
      const { owner: _owner, id: _id, ...changes } = values;
      const row = db
        .insert(accounts)
        .values({ ...values, createdAt: now })
        .onConflictDoUpdate({ target: [accounts.owner, accounts.id], set: changes })
        .returning()
        .get();
      return toRecord(row);
    },

    get(owner, id) {
      const row = db.select().from(accounts).where(byKey(owner, id)).get();
      return row && toRecord(row);
    },

    findByUsername(owner, username) {
      const row = db
        .select()
        .from(accounts)
        .where(and(eq(accounts.owner, owner), sql`lower(${accounts.username}) = ${normalizeUsername(username)}`))
        .orderBy(sql`${accounts.updatedAt} desc`)
        .get();
      return row && toRecord(row);
    },

    list(owner) {
      return db.select().from(accounts).where(eq(accounts.owner, owner)).orderBy(accounts.username, accounts.id).all().map(toRecord);
    },

    listWithTokens() {
      return db
        .select()
        .from(accounts)
        .where(and(eq(accounts.status, 'active'), isNotNull(accounts.accessTokenEnc)))
        .orderBy(accounts.owner, accounts.id)
        .all()
        .map(toRecord);
    },

    updateToken(owner, id, t: AccountTokenUpdate) {
      update(owner, id, {
        accessTokenEnc: vault.encrypt(t.accessToken),
        tokenIssuedAt: t.issuedAt,
        tokenExpiresAt: t.expiresAt,
        lastRefreshAt: t.lastRefreshAt ?? clock.now(),
        lastRefreshError: null,
      });
    },

    recordRefreshError(owner, id, message) {
      update(owner, id, { lastRefreshError: redactString(message) });
    },

    updateProfile(owner, id, p: Partial<AccountProfile>) {
      const set: Partial<typeof accounts.$inferInsert> = {};
      for (const [key, value] of Object.entries(p) as Array<[keyof AccountProfile, unknown]>) {
        if (value !== undefined && PROFILE_FIELDS.has(key)) (set as Record<string, unknown>)[key] = value;
      }
      update(owner, id, set);
    },

    setStatus(owner, id, status: AccountStatus, reason?: string | null) {
      update(owner, id, { status, statusReason: reason == null ? null : redactString(reason) });
    },

    disconnect(owner, id) {
      update(owner, id, {
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

/** The fields updateProfile writes (also used by the PostgreSQL repository). */
export const PROFILE_FIELDS = new Set<keyof AccountProfile>([
  'username',
  'name',
  'biography',
  'website',
  'profilePictureUrl',
  'accountType',
  'followersCount',
  'followsCount',
  'mediaCount',
  'appScopedId',
]);
