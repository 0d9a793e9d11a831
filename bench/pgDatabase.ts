/**
 * A PostgreSQL database of its own for one benchmark: a plain login role (not a superuser, so
 * row-level security applies as in production) owning a fresh database, both dropped after.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const BENCH_PG_ADMIN_URL = process.env.INSTAGRAM_MCP_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchDatabase {
  name: string;
  /** Connects as the database's own plain role. */
  url: string;
  /** Connects to this database as the administrator. */
  adminUrl: string;
  drop(): Promise<void>;
}

/** The database, or why there is none (PostgreSQL does not answer). */
export async function createBenchDatabase(): Promise<BenchDatabase | { unavailable: string }> {
  const admin = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    return { unavailable: `PostgreSQL does not answer at ${BENCH_PG_ADMIN_URL} (${(err as Error).message})` };
  }
  const name = `igmcp_bench_${randomBytes(5).toString('hex')}`;
  try {
    await admin.query(`create role ${name} login`);
    await admin.query(`create database ${name} owner ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(BENCH_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const adminUrl = url.toString();
  url.username = name;
  url.password = '';
  return {
    name,
    url: url.toString(),
    adminUrl,
    async drop() {
      const c = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
        await c.query(`drop role if exists ${name}`);
      } finally {
        await c.end();
      }
    },
  };
}
