/**
 * The store: one SQLite connection (WAL, foreign keys on), migrations applied at open, and the
 * repositories services use. Nothing outside this folder writes SQL.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { Clock } from '../clock.js';
import { createAccountsRepo } from './accounts.js';
import { createAgentAccountsRepo } from './agentAccounts.js';
import { createAuditRepo } from './audit.js';
import type { RepoContext } from './context.js';
import { createHashtagSearchesRepo } from './hashtagSearches.js';
import { checkKeyFingerprint } from './keyFingerprint.js';
import { createInsightSnapshotsRepo } from './insightSnapshots.js';
import { createJobsRepo } from './jobs.js';
import { createMediaRepo } from './media.js';
import { createOAuthSessionsRepo } from './oauthSessions.js';
import { createPostScheduleRepo } from './postSchedule.js';
import { createPostsRepo } from './posts.js';
import { createUnlinkedFacebookPagesRepo } from './unlinkedFacebookPages.js';
import { createRateLimitsRepo } from './rateLimits.js';
import { createHostedFilesRepo } from './hostedFiles.js';
import { createAuthRecordsRepo } from './authRecords.js';
import type { Store } from './types.js';
import { SqliteGate } from './gate.js';
import { sqliteBinding } from './sqliteBinding.js';
import type { TokenVault } from './vault.js';

export * from './types.js';
export { DuplicateIdempotencyKeyError, NotFoundError } from './errors.js';
export { DECRYPT_FAILED_MESSAGE, TokenVault, VaultError } from './vault.js';
export { DataDirError, ensureDataDir, KEY_FILE_NAME, loadOrCreateKey } from './dataDir.js';
export { KeyMismatchError } from './keyFingerprint.js';
export { normalizeHashtag } from './hashtagSearches.js';
export { isMediaId } from './media.js';
export { OAUTH_SESSION_TTL_MS } from './oauthSessions.js';
export { STORY_LIFETIME_MS } from './posts.js';

export interface StoreOptions {
  /** A file path, or ':memory:' for tests. */
  file: string;
  vault: TokenVault;
  clock: Clock;
  /** Where the drizzle migrations live; defaults to the package's `drizzle/` folder. */
  migrationsFolder?: string;
  /** How long a statement waits for another process's write lock; default 10 s. */
  busyTimeoutMs?: number;
}

/** How long a statement waits for another process's write lock before failing with SQLITE_BUSY. */
const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/**
 * The store could not write now (another process held the lock past the busy timeout, the disk is
 * full, an I/O error): nothing was written, and the same write may pass later.
 */
export function isStoreUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  // SQLite: locked past the busy timeout, disk full, I/O. PostgreSQL (hosted mode): the connection
  // lost or refused (class 08, ECONN*), the server out of resources or shutting down (53, 57P),
  // a serialization failure or deadlock (40001, 40P01): nothing was written, and the write may pass later.
  return /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|PROTOCOL)/.test(code) || /^(08|53|57P)/.test(code) || code === '40001' || code === '40P01' || /^ECONN(REFUSED|RESET)$/.test(code);
}

/** `drizzle/` at the package root, from `src/store/*.ts` (tsx, vitest) and `dist/store/*.js` alike. */
export const DEFAULT_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Switching a fresh file to WAL needs a moment of exclusive access, and SQLite does not run the busy
 * handler for it: when several processes open the same new file at once, retry briefly.
 */
function enableWal(sqlite: SqliteDatabase): void {
  for (let attempt = 0; ; attempt++) {
    try {
      sqlite.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 50) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + Math.floor(Math.random() * 30));
    }
  }
}

export function openStore(opts: StoreOptions): Store {
  const inMemory = opts.file === ':memory:' || opts.file === '';
  if (!inMemory && process.platform !== 'win32') restrictDatabaseFiles(opts.file);
  const sqlite = new (sqliteBinding().Database)(opts.file);
  try {
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    enableWal(sqlite);
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    const db = drizzle(sqlite);
    applyMigrations(db, opts.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER);
    checkKeyFingerprint(db, sqlite, opts.vault, opts.file);

    const ctx: RepoContext = { db, sqlite, vault: opts.vault, clock: opts.clock };
    const gate = new SqliteGate(sqlite);
    return {
      accounts: gate.wrap(createAccountsRepo(ctx)),
      oauthSessions: gate.wrap(createOAuthSessionsRepo(ctx)),
      agentAccounts: gate.wrap(createAgentAccountsRepo(ctx)),
      media: gate.wrap(createMediaRepo(ctx)),
      posts: gate.wrap(createPostsRepo(ctx)),
      schedule: gate.wrap(createPostScheduleRepo(ctx)),
      insightSnapshots: gate.wrap(createInsightSnapshotsRepo(ctx)),
      jobs: gate.wrap(createJobsRepo(ctx)),
      audit: gate.wrap(createAuditRepo(ctx)),
      hashtagSearches: gate.wrap(createHashtagSearchesRepo(ctx)),
      unlinkedFacebookPages: gate.wrap(createUnlinkedFacebookPagesRepo(ctx)),
      rateLimits: gate.wrap(createRateLimitsRepo(ctx)),
      hostedFiles: gate.wrap(createHostedFilesRepo(ctx)),
      authRecords: gate.wrap(createAuthRecordsRepo(ctx)),
      transaction: (fn) => gate.transaction(fn),
      integrityCheck: () =>
        gate.call(() => {
          const problems = (sqlite.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
          const integrityOk = problems.length === 1 && problems[0] === 'ok';
          const foreignKeyProblems = (sqlite.pragma('foreign_key_check') as Array<{ table: string; rowid: number; parent: string }>).map(
            (r) => `foreign key violation: ${r.table} row ${r.rowid} references a missing ${r.parent} row`,
          );
          if (integrityOk && foreignKeyProblems.length === 0) return 'ok';
          return [...(integrityOk ? [] : problems), ...foreignKeyProblems].join('\n');
        }),
      close: () =>
        gate.call(() => {
          if (sqlite.open) sqlite.close();
        }),
    };
  } catch (error) {
    sqlite.close();
    throw error;
  }
}

/**
 * Runs pending migrations. drizzle reads the applied version before its BEGIN, so two processes
 * starting together on an old database can both try the same migration; the loser's transaction
 * rolls back and a second pass (which re-reads the version) finds nothing left to do.
 */
function applyMigrations(db: ReturnType<typeof drizzle>, migrationsFolder: string): void {
  try {
    migrate(db, { migrationsFolder });
  } catch (first) {
    try {
      migrate(db, { migrationsFolder });
    } catch {
      throw first;
    }
  }
}

/**
 * Creates the database file owner-only (0600) before SQLite does, and tightens an existing one and
 * any -wal/-shm left next to it (SQLite gives new -wal and -shm files the database file's mode).
 */
function restrictDatabaseFiles(file: string): void {
  if (file.startsWith('file:')) return;
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    const stat = fs.statSync(f, { throwIfNoEntry: false });
    if (stat && (stat.mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
  }
}
