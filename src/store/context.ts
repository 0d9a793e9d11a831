import type { Database } from 'better-sqlite3';
import { sql, type SQL } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Clock } from '../clock.js';
import type { TokenVault } from './vault.js';

/** What every repository gets: the drizzle handle on one connection, the vault and the clock. */
export interface RepoContext {
  db: BetterSQLite3Database;
  sqlite: Database;
  vault: TokenVault;
  clock: Clock;
}

/** Throws `error()` when an UPDATE/DELETE touched no row. */
export function requireChanged(result: { changes: number }, error: () => Error): void {
  if (result.changes === 0) throw error();
}

/** Whether any row of `table` matches `where` (synchronous, unlike drizzle's `$count`). */
export function rowExists(db: BetterSQLite3Database, table: SQLiteTable, where: SQL | undefined): boolean {
  return db.select({ one: sql`1` }).from(table).where(where).limit(1).get() !== undefined;
}
