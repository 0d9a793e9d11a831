/**
 * How the PostgreSQL repositories reach the database. Every repository call runs in a scope: for the
 * owner it was given (row-level security shows it that owner's rows only, see ./schema.ts) or, for the
 * calls that take no owner, in system scope. Outside `Store.transaction` a call is one short transaction
 * of its own on a pooled connection (BEGIN, SET LOCAL of its scope, its statements, COMMIT). Inside one,
 * the calls awaited in `fn` find the transaction's connection through AsyncLocalStorage and run on it one
 * at a time, each in a savepoint: it sets its scope, runs, and puts the settings back, so neither its
 * scope nor a failed statement (which would abort the whole transaction in PostgreSQL) outlives it.
 * Nested transactions are savepoints too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sql, type SQLWrapper } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { Clock } from '../../clock.js';
import type { TokenVault } from '../vault.js';
import type { PgDb } from './index.js';
import * as schema from './schema.js';

/** What every PostgreSQL repository gets: the runner (scopes, transactions), the vault and the clock. */
export interface PgRepoContext {
  run: PgRunner;
  vault: TokenVault;
  clock: Clock;
}

type Scope = { owner: string } | { system: true };

interface Frame {
  client: pg.PoolClient;
  db: PgDb;
  /** False once the transaction committed or rolled back: a call still coming takes its own transaction. */
  open: boolean;
  /** The last queued piece of work on the connection: the transaction's calls run one at a time. */
  tail: Promise<unknown>;
}

interface Context {
  frame: Frame;
  /** 1 in the outermost transaction, one more per nested one. */
  depth: number;
}

const RESET_SCOPE = "select set_config('instagram_mcp.owner', '', true), set_config('instagram_mcp.scope', '', true)";

/** SET LOCAL of both settings for `scope` (the owner quoted by the driver: one round trip with BEGIN or SAVEPOINT). */
function scopeStatement(client: pg.PoolClient, scope: Scope): string {
  const owner = 'owner' in scope ? client.escapeLiteral(scope.owner) : "''";
  const system = 'owner' in scope ? "''" : "'system'";
  return `select set_config('instagram_mcp.owner', ${owner}, true), set_config('instagram_mcp.scope', ${system}, true)`;
}

/** The driver's own error (its code, its message) rather than drizzle's wrapper, whose message carries every parameter of the query. */
function unwrapQueryError(err: unknown): unknown {
  return err instanceof DrizzleQueryError && err.cause instanceof Error ? err.cause : err;
}

/** Text ordered byte by byte, as SQLite orders it, whatever the database's collation. */
export function binary(column: SQLWrapper) {
  return sql`${column} collate "C"`;
}

/** Runs `work` after everything already queued on the frame's connection. */
function serial<T>(frame: Frame, work: () => Promise<T>): Promise<T> {
  const next = frame.tail.then(work);
  frame.tail = next.catch(() => {});
  return next;
}

export class PgRunner {
  private readonly context = new AsyncLocalStorage<Context>();
  private readonly handles = new WeakMap<pg.PoolClient, PgDb>();

  constructor(private readonly pool: pg.Pool) {}

  /** Runs `fn` seeing and writing `owner`'s rows only. */
  asOwner<T>(owner: string, fn: (db: PgDb) => Promise<T>): Promise<T> {
    // An empty owner would match what an unset setting reads as (''): refused, like openPostgres's asOwner.
    if (typeof owner !== 'string' || owner === '') return Promise.reject(new Error('a repository call for an owner needs a non-empty owner'));
    return this.run({ owner }, fn);
  }

  /** Runs `fn` across owners (calls that take no owner: lookups by id, sweeps, the job runner). */
  asSystem<T>(fn: (db: PgDb) => Promise<T>): Promise<T> {
    return this.run({ system: true }, fn);
  }

  /** Store.transaction: one connection, BEGIN … COMMIT/ROLLBACK; nested calls become savepoints. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const current = this.context.getStore();
    if (current?.frame.open) return this.savepoint(current, fn);
    const client = await this.pool.connect();
    const frame: Frame = { client, db: this.handle(client), open: true, tail: Promise.resolve() };
    let broken = false;
    try {
      await client.query('begin');
      let result: T;
      try {
        result = await this.context.run({ frame, depth: 1 }, fn);
      } catch (err) {
        frame.open = false;
        await serial(frame, () => client.query('rollback')).catch(() => (broken = true));
        throw err;
      }
      frame.open = false;
      // After any call `fn` started and did not await: they belong to the transaction too.
      await serial(frame, () => client.query('commit'));
      return result;
    } catch (err) {
      throw unwrapQueryError(err);
    } finally {
      frame.open = false;
      client.release(broken);
    }
  }

  private async savepoint<T>({ frame, depth }: Context, fn: () => Promise<T>): Promise<T> {
    const name = `igmcp_tx_${depth}`;
    await serial(frame, () => frame.client.query(`savepoint ${name}`));
    try {
      const result = await this.context.run({ frame, depth: depth + 1 }, fn);
      await serial(frame, () => frame.client.query(`release savepoint ${name}`));
      return result;
    } catch (err) {
      await serial(frame, () => frame.client.query(`rollback to savepoint ${name}; release savepoint ${name}`)).catch(() => {});
      throw unwrapQueryError(err);
    }
  }

  private async run<T>(scope: Scope, fn: (db: PgDb) => Promise<T>): Promise<T> {
    const current = this.context.getStore();
    if (current?.frame.open) return serial(current.frame, () => this.inFrame(current.frame, scope, fn));
    const client = await this.pool.connect();
    let broken = false;
    try {
      // set_config(…, true) is SET LOCAL: it ends with the transaction, so the pooled connection keeps nothing.
      await client.query(`begin; ${scopeStatement(client, scope)}`);
      try {
        const result = await fn(this.handle(client));
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => (broken = true));
        throw err;
      }
    } catch (err) {
      throw unwrapQueryError(err);
    } finally {
      client.release(broken);
    }
  }

  private async inFrame<T>(frame: Frame, scope: Scope, fn: (db: PgDb) => Promise<T>): Promise<T> {
    const { client } = frame;
    await client.query(`savepoint igmcp_call; ${scopeStatement(client, scope)}`);
    try {
      const result = await fn(frame.db);
      await client.query(`${RESET_SCOPE}; release savepoint igmcp_call`);
      return result;
    } catch (err) {
      // Rolling back to the savepoint undoes the call's writes and its settings, and clears an aborted statement.
      await client.query('rollback to savepoint igmcp_call; release savepoint igmcp_call').catch(() => {});
      throw unwrapQueryError(err);
    }
  }

  /** One drizzle handle per pooled connection (the pool hands the same ones out again). */
  private handle(client: pg.PoolClient): PgDb {
    let db = this.handles.get(client);
    if (!db) {
      db = drizzle(client, { schema });
      this.handles.set(client, db);
    }
    return db;
  }
}
