/**
 * The SQLite store behind the asynchronous repository contract. better-sqlite3 is synchronous, so a
 * single call is atomic by itself; what needs care is a transaction that now spans several awaited
 * calls. The gate serialises them: while a transaction is open, calls from outside it wait, and calls
 * made inside it (recognised through AsyncLocalStorage) run at once, so no other work of this process
 * ever lands in the middle of someone else's transaction. Other processes are kept out by SQLite's
 * write lock (BEGIN IMMEDIATE, with the busy timeout), as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from 'better-sqlite3';
import type { Async } from './types.js';

export class SqliteGate {
  /** The depth of the transaction the current async context is inside (1 = outermost). */
  private readonly context = new AsyncLocalStorage<number>();
  private open: Promise<void> | undefined;

  constructor(private readonly sqlite: Database) {}

  /** Runs one synchronous store call, after any transaction this context is not part of. */
  async call<T>(fn: () => T): Promise<T> {
    if (this.context.getStore() === undefined) while (this.open) await this.open;
    return fn();
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const depth = this.context.getStore();
    if (depth !== undefined) return this.savepoint(depth, fn);
    while (this.open) await this.open;
    let release!: () => void;
    this.open = new Promise<void>((resolve) => (release = resolve));
    try {
      // IMMEDIATE takes the write lock up front: a deferred read-then-write can fail with SQLITE_BUSY in WAL.
      this.sqlite.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.context.run(1, fn);
        this.sqlite.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.open = undefined;
      release();
    }
  }

  private async savepoint<T>(depth: number, fn: () => Promise<T>): Promise<T> {
    const name = `gate_${depth}`;
    this.sqlite.exec(`SAVEPOINT ${name}`);
    try {
      const result = await this.context.run(depth + 1, fn);
      this.sqlite.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      this.sqlite.exec(`ROLLBACK TO ${name}`);
      this.sqlite.exec(`RELEASE ${name}`);
      throw err;
    }
  }

  /** The repository with every method answering a promise, through the gate. */
  wrap<R extends object>(repo: R): Async<R> {
    const wrapped: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(repo)) {
      wrapped[name] = typeof value === 'function' ? (...args: unknown[]) => this.call(() => (value as (...a: unknown[]) => unknown).apply(repo, args)) : value;
    }
    return wrapped as Async<R>;
  }
}
