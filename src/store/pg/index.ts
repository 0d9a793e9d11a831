/**
 * Hosted mode's database: a PostgreSQL pool, the migrations of `drizzle-pg/` applied by one replica at
 * a time, and the two ways a transaction runs: for one owner (row-level security shows it that owner's
 * rows only, see ./schema.ts) or in system scope (work that spans owners, said explicitly).
 */
import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.js';

/** `drizzle-pg/` at the package root, from `src/store/pg/*.ts` and `dist/store/pg/*.js` alike. */
export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle-pg', import.meta.url));

/** One lock id for "migrating instagram-mcp's schema", the same in every replica. */
const MIGRATION_LOCK = 0x1a57_a6a3;

export type PgDb = NodePgDatabase<typeof schema>;

export interface PgStoreOptions {
  url: string;
  /** Connections per replica (pg's default is 10). */
  poolSize?: number;
  migrationsFolder?: string;
}

export interface PgDatabase {
  pool: pg.Pool;
  /** Runs `fn` in a transaction that sees and writes only `owner`'s rows. */
  asOwner<T>(owner: string, fn: (db: PgDb) => Promise<T>): Promise<T>;
  /** Runs `fn` in a transaction that sees every owner's rows (the job runner, sweeps). */
  asSystem<T>(fn: (db: PgDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Applies the migrations not yet applied. Replicas starting together queue on an advisory lock, so
 * exactly one applies each migration and the others find it done.
 */
export async function migratePostgres(pool: pg.Pool, migrationsFolder = PG_MIGRATIONS_FOLDER): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

async function inTransaction<T>(pool: pg.Pool, settings: Record<string, string>, fn: (db: PgDb) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    // set_config(…, true) is SET LOCAL: it ends with the transaction, so a pooled connection keeps nothing.
    for (const [name, value] of Object.entries(settings)) await client.query('select set_config($1, $2, true)', [name, value]);
    const result = await fn(drizzle(client, { schema }));
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Row-level security does not apply to a superuser or a role with BYPASSRLS: connected as one, every
 * query would see every owner's rows. Refused at open rather than found out later.
 */
async function checkRoleIsPolicied(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>('select rolname, rolsuper, rolbypassrls from pg_roles where rolname = current_user');
  const role = rows[0];
  if (role && (role.rolsuper || role.rolbypassrls)) {
    throw new Error(
      `instagram-mcp connects to PostgreSQL as "${role.rolname}", a ${role.rolsuper ? 'superuser' : 'role with BYPASSRLS'}: row-level security would not keep owners apart. ` +
        'Create a plain role for it (CREATE ROLE instagram_mcp LOGIN; CREATE DATABASE instagram_mcp OWNER instagram_mcp) and put that role in INSTAGRAM_MCP_DATABASE_URL.',
    );
  }
}

export async function openPostgres(opts: PgStoreOptions): Promise<PgDatabase> {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10 });
  // An idle connection the server closed (a restart, a failover) is dropped and replaced on next use;
  // unhandled, pg would raise it as an uncaught error and end the process.
  pool.on('error', () => {});
  try {
    await checkRoleIsPolicied(pool);
    await migratePostgres(pool, opts.migrationsFolder);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return {
    pool,
    asOwner: (owner, fn) => {
      if (!owner) throw new Error('asOwner needs an owner: use asSystem for work that spans owners.');
      return inTransaction(pool, { 'instagram_mcp.owner': owner }, fn);
    },
    asSystem: (fn) => inTransaction(pool, { 'instagram_mcp.scope': 'system' }, fn),
    close: () => pool.end(),
  };
}
