/**
 * Which better-sqlite3 build this process opens. The 12.x line is the last one that runs on Node 20,
 * but on Node 24 (from 24.19) its Statement and Database destructors call
 * `RemoveEnvironmentCleanupHook`, which aborts the whole process (SIGABRT) when a garbage collection
 * finalizes a statement outside a JavaScript context (WiseLibs/better-sqlite3#1515, closed without a
 * fix in 12.x): a server could die in the middle of a publish. 13.x is built on Node-API and does not;
 * it needs Node 22 (on Node 20 it crashes at the first query). So both are declared: 12.x as the
 * dependency, 13.x as the optional dependency `better-sqlite3-node22`, which npm installs only where
 * its engines allow, and this module opens 13.x on Node 22 and later.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

export type SqliteConstructor = typeof BetterSqlite3;

export interface SqliteBinding {
  Database: SqliteConstructor;
  /** The package it came from, for diagnostics. */
  packageName: 'better-sqlite3' | 'better-sqlite3-node22';
}

const NODE_API_LINE_MIN_MAJOR = 22;
/** The first Node line whose ObjectWrap change makes 12.x abort. */
const ABORTING_MAJOR = 24;

let chosen: SqliteBinding | undefined;

export function sqliteBinding(): SqliteBinding {
  chosen ??= choose(Number(process.versions.node.split('.')[0]));
  return chosen;
}

function choose(nodeMajor: number): SqliteBinding {
  const require = createRequire(import.meta.url);
  if (nodeMajor >= NODE_API_LINE_MIN_MAJOR) {
    try {
      return { Database: require('better-sqlite3-node22') as SqliteConstructor, packageName: 'better-sqlite3-node22' };
    } catch (err) {
      if (nodeMajor >= ABORTING_MAJOR) {
        process.emitWarning(
          `better-sqlite3 13 (the optional dependency better-sqlite3-node22) could not be loaded (${(err as Error).message.split('\n')[0]}); ` +
            `falling back to better-sqlite3 12, which can abort the process on Node ${nodeMajor}. ` +
            'Reinstall without --omit=optional (npm install), or run on Node 20 or 22.',
          { code: 'INSTAGRAM_MCP_SQLITE_BINDING' },
        );
      }
    }
  }
  return { Database: require('better-sqlite3') as SqliteConstructor, packageName: 'better-sqlite3' };
}
