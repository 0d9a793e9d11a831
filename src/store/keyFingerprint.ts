/**
 * Which encryption key the database's tokens are under: a lost `encryption.key` would otherwise be
 * regenerated silently, and every stored token found unreadable one tool call at a time.
 */
import path from 'node:path';
import { eq, isNotNull } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { Database } from 'better-sqlite3';
import { ENCRYPTION_KEY_ENV, KEY_FILE_NAME } from './dataDir.js';
import { StoreError } from './errors.js';
import { accounts, storeMeta } from './schema.js';
import type { TokenVault } from './vault.js';

/** The store_meta row holding the fingerprint (SQLite and PostgreSQL alike). */
export const KEY_FINGERPRINT = 'key_fingerprint';

/** The database holds tokens encrypted under another key than the one the store was opened with. */
export class KeyMismatchError extends StoreError {
  override name = 'KeyMismatchError';
}

/**
 * No fingerprint yet: records this key's (a database from before fingerprints must hold no token,
 * or one this key decrypts). Same fingerprint: nothing to do. Another one: refused while any
 * account token is stored, else this key is adopted (nothing is stored under the old one).
 */
export function checkKeyFingerprint(db: BetterSQLite3Database, sqlite: Database, vault: TokenVault, file: string): void {
  const current = vault.fingerprint();
  // IMMEDIATE: processes opening the same database at once see each other's fingerprint.
  sqlite
    .transaction(() => {
      const recorded = db.select({ value: storeMeta.value }).from(storeMeta).where(eq(storeMeta.name, KEY_FINGERPRINT)).get()?.value;
      if (recorded === current) return;
      const tokens = db.select({ enc: accounts.accessTokenEnc }).from(accounts).where(isNotNull(accounts.accessTokenEnc)).all();
      if (!mayAdoptKey(vault, recorded, tokens.map((t) => t.enc!))) throw new KeyMismatchError(mismatchMessage(file, tokens.length));
      db.insert(storeMeta)
        .values({ name: KEY_FINGERPRINT, value: current })
        .onConflictDoUpdate({ target: storeMeta.name, set: { value: current } })
        .run();
    })
    .immediate();
}

/**
 * Whether `vault`'s key may be recorded over `recorded` (a fingerprint other than its own, or none):
 * when no token is stored, or, with no fingerprint yet, when this key decrypts one of them.
 */
export function mayAdoptKey(vault: TokenVault, recorded: string | undefined, tokens: string[]): boolean {
  return tokens.length === 0 || (recorded === undefined && tokens.some((t) => decrypts(vault, t)));
}

function decrypts(vault: TokenVault, stored: string): boolean {
  try {
    vault.decrypt(stored);
    return true;
  } catch {
    return false;
  }
}

function mismatchMessage(file: string, tokenCount: number): string {
  const dir = path.dirname(file);
  return (
    `the database ${file} holds ${tokenCount} access token${tokenCount === 1 ? '' : 's'} encrypted under a different encryption key ` +
    `than the one this server was given (was ${path.join(dir, KEY_FILE_NAME)} deleted or replaced, or ${ENCRYPTION_KEY_ENV} changed?), ` +
    `so none of them could be used; the server stops rather than run without them. ` +
    `To keep the connected accounts, restore the previous key: put the old ${KEY_FILE_NAME} back in ${dir}, or set ${ENCRYPTION_KEY_ENV} to it. ` +
    `To start over instead, move ${path.basename(file)} (with its -wal and -shm files) out of ${dir} and reconnect the accounts with instagram_authenticate`
  );
}
