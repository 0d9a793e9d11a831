/**
 * Hosted mode's store: the same Store contract as the SQLite one (../index.ts openStore), on
 * PostgreSQL. openPostgres gives the pool (a superuser refused, migrations applied under an advisory
 * lock); the key fingerprint is checked against `store_meta` as in ../keyFingerprint.ts; every
 * repository call runs for its owner or in system scope (./context.ts).
 */
import { eq, isNotNull, sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import { ENCRYPTION_KEY_ENV } from '../dataDir.js';
import { KEY_FINGERPRINT, KeyMismatchError, mayAdoptKey } from '../keyFingerprint.js';
import type { Store } from '../types.js';
import type { TokenVault } from '../vault.js';
import { PgRunner, type PgRepoContext } from './context.js';
import { openPostgres } from './index.js';
import { createPgAccountsRepo } from './repos/accounts.js';
import { createPgAgentAccountsRepo } from './repos/agentAccounts.js';
import { createPgAuditRepo } from './repos/audit.js';
import { createPgHashtagSearchesRepo } from './repos/hashtagSearches.js';
import { createPgInsightSnapshotsRepo } from './repos/insightSnapshots.js';
import { createPgJobsRepo } from './repos/jobs.js';
import { createPgMediaRepo } from './repos/media.js';
import { createPgOAuthSessionsRepo } from './repos/oauthSessions.js';
import { createPgPostScheduleRepo } from './repos/postSchedule.js';
import { createPgPostsRepo } from './repos/posts.js';
import { createPgUnlinkedFacebookPagesRepo } from './repos/unlinkedFacebookPages.js';
import { createPgRateLimitsRepo } from './repos/rateLimits.js';
import { createPgHostedFilesRepo } from './repos/hostedFiles.js';
import { createPgAuthRecordsRepo } from './repos/authRecords.js';
import { accounts, storeMeta } from './schema.js';

export interface OpenPgStoreOptions {
  /** postgres://role@host:port/database (a plain role: see ./index.ts). */
  url: string;
  vault: TokenVault;
  clock: Clock;
  /** Connections per replica (pg's default is 10). */
  poolSize?: number;
  /** Where the drizzle migrations live; defaults to the package's `drizzle-pg/` folder. */
  migrationsFolder?: string;
}

/** One lock id for "checking the key fingerprint", the same in every replica (next to the migration lock's). */
const FINGERPRINT_LOCK = 0x1a57_a6a4;

export async function openPgStore(opts: OpenPgStoreOptions): Promise<Store> {
  const database = await openPostgres({ url: opts.url, poolSize: opts.poolSize, migrationsFolder: opts.migrationsFolder });
  const run = new PgRunner(database.pool);
  try {
    await checkPgKeyFingerprint(run, opts.vault, opts.url);
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  const ctx: PgRepoContext = { run, vault: opts.vault, clock: opts.clock };
  let closing: Promise<void> | undefined;
  return {
    accounts: createPgAccountsRepo(ctx),
    oauthSessions: createPgOAuthSessionsRepo(ctx),
    agentAccounts: createPgAgentAccountsRepo(ctx),
    media: createPgMediaRepo(ctx),
    posts: createPgPostsRepo(ctx),
    schedule: createPgPostScheduleRepo(ctx),
    insightSnapshots: createPgInsightSnapshotsRepo(ctx),
    jobs: createPgJobsRepo(ctx),
    audit: createPgAuditRepo(ctx),
    hashtagSearches: createPgHashtagSearchesRepo(ctx),
    unlinkedFacebookPages: createPgUnlinkedFacebookPagesRepo(ctx),
    rateLimits: createPgRateLimitsRepo(ctx),
    hostedFiles: createPgHostedFilesRepo(ctx),
    authRecords: createPgAuthRecordsRepo(ctx),
    transaction: (fn) => run.transaction(fn),
    // Rows breaking a foreign key or a check cannot exist in PostgreSQL (it enforces them on every
    // write), and its storage has no user-level integrity check: 'ok' once the database answers.
    integrityCheck: () => run.asSystem(async (db) => (await db.execute(sql`select 1`), 'ok')),
    close: () => (closing ??= database.close()),
  };
}

/**
 * The same rule as ../keyFingerprint.ts: no fingerprint yet → this key's is recorded (the database must
 * hold no token, or one this key decrypts); the same → nothing to do; another → refused while any
 * account token is stored, else this key is adopted. Replicas starting together take turns (advisory lock).
 */
async function checkPgKeyFingerprint(run: PgRunner, vault: TokenVault, url: string): Promise<void> {
  const current = vault.fingerprint();
  await run.asSystem(async (db) => {
    await db.execute(sql`select pg_advisory_xact_lock(${FINGERPRINT_LOCK})`);
    const [recorded] = await db.select({ value: storeMeta.value }).from(storeMeta).where(eq(storeMeta.name, KEY_FINGERPRINT));
    if (recorded?.value === current) return;
    const tokens = await db.select({ enc: accounts.accessTokenEnc }).from(accounts).where(isNotNull(accounts.accessTokenEnc));
    if (!mayAdoptKey(vault, recorded?.value, tokens.map((t) => t.enc!))) throw new KeyMismatchError(mismatchMessage(url, tokens.length));
    await db
      .insert(storeMeta)
      .values({ name: KEY_FINGERPRINT, value: current })
      .onConflictDoUpdate({ target: storeMeta.name, set: { value: current } });
  });
}

/** host:port/database, never the password. */
function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return 'the configured PostgreSQL database';
  }
}

function mismatchMessage(url: string, tokenCount: number): string {
  const where = describeDatabase(url);
  return (
    `the PostgreSQL database ${where} holds ${tokenCount} access token${tokenCount === 1 ? '' : 's'} encrypted under a different encryption key ` +
    `than the one this server was given (did ${ENCRYPTION_KEY_ENV} change, or does this replica have another key than the others?), ` +
    `so none of them could be used; the server stops rather than run without them. ` +
    `To keep the connected accounts, restore the previous key: set ${ENCRYPTION_KEY_ENV} to it on every replica. ` +
    `To start over instead, point the server at an empty database and reconnect the accounts with instagram_authenticate`
  );
}
