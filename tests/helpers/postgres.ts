/**
 * PostgreSQL for tests: the machine's server (127.0.0.1:5432, trust authentication, database `test`,
 * or INSTAGRAM_MCP_TEST_PG_URL). Each test file creates its own database, owned by its own plain role
 * (not a superuser, so row-level security applies to it), and drops both after. Where no server
 * answers, the tests are skipped with the reason printed; under CI (`CI` set) that is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = process.env.INSTAGRAM_MCP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Null when PostgreSQL answers; else why not (and, under CI, an error). */
export async function postgresUnavailable(file: string): Promise<string | null> {
  const reason = await probe();
  if (reason === null) return null;
  if (process.env.CI) throw new Error(`PostgreSQL does not answer at ${ADMIN_URL} (${reason}); CI runs the PostgreSQL tests always.`);
  console.warn(`${file} skipped: PostgreSQL does not answer at ${ADMIN_URL} (${reason}).`);
  return reason;
}

export interface TestDatabase {
  /** Connects as the database's own plain role. */
  url: string;
  /** Connects as the administrator (a superuser: sees through row-level security). */
  adminUrl: string;
  role: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `igmcp_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create role ${name} login`);
    await admin.query(`create database ${name} owner ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const adminUrl = url.toString();
  url.username = name;
  url.password = '';
  return {
    url: url.toString(),
    adminUrl,
    role: name,
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
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
