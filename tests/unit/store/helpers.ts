import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { openStore, TokenVault, type AccountUpsert, type Store } from '../../../src/store/index.js';
import { OWNER_TABLES } from '../../../src/store/pg/schema.js';
import { openPgStore } from '../../../src/store/pg/store.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../helpers/postgres.js';
import { testToken } from '../../helpers/secrets.js';

const IG_STORED_TOKEN = testToken('IGAA', 'tokenSECRETvalue0123456789', 30);

const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'instagram-mcp-store-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function newVault(key: Buffer = randomBytes(32)): TokenVault {
  return new TokenVault(key);
}

/** Opens a store that is closed after the test. */
export function openTestStore(opts: { file?: string; vault?: TokenVault; clock?: VirtualClock } = {}): { store: Store; clock: VirtualClock; vault: TokenVault } {
  const clock = opts.clock ?? new VirtualClock();
  const vault = opts.vault ?? newVault();
  const store = openStore({ file: opts.file ?? ':memory:', vault, clock });
  cleanups.push(async () => store.close());
  return { store, clock, vault };
}

export function accountInput(overrides: Partial<AccountUpsert> = {}): AccountUpsert {
  return {
    owner: 'owner-a',
    id: '17841400000000123',
    appScopedId: '9007199254740993',
    username: 'Acme.Coffee',
    name: 'Acme Coffee',
    biography: null,
    website: null,
    profilePictureUrl: null,
    accountType: 'BUSINESS',
    loginType: 'instagram',
    pageId: null,
    followersCount: 10,
    followsCount: 2,
    mediaCount: 3,
    accessToken: IG_STORED_TOKEN,
    tokenIssuedAt: Date.UTC(2026, 10, 24),
    tokenExpiresAt: Date.UTC(2027, 0, 23),
    lastRefreshAt: null,
    status: 'active',
    ...overrides,
  };
}

/** The two stores the repository contract runs on. */
export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];

/**
 * Declares `suite` once per backend (`name [sqlite]`, `name [postgres]`), the PostgreSQL one skipped
 * (the reason printed by postgresUnavailable) when no server answers. `unavailable` comes from
 * `await postgresUnavailable(file)` at the top of the test file.
 */
export function describeBackends(name: string, unavailable: string | null, suite: (backend: Backend) => void): void {
  for (const backend of BACKENDS) describe.skipIf(backend === 'postgres' && unavailable !== null)(`${name} [${backend}]`, () => suite(backend));
}

export { postgresUnavailable };

/** This test file's PostgreSQL database (created on first use, dropped after the file's tests). */
let database: Promise<TestDatabase> | undefined;
let migrated = false;

afterAll(async () => {
  if (database) await (await database).drop();
});

function testDatabase(): Promise<TestDatabase> {
  database ??= createTestDatabase();
  return database;
}

/** Empties every table of the file's database, so each test starts from nothing as with SQLite's ':memory:'. */
async function truncateAll(db: TestDatabase): Promise<void> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`truncate table ${[...OWNER_TABLES, 'store_meta'].map((t) => `"${t}"`).join(', ')} restart identity cascade`);
  } finally {
    await client.end();
  }
}

/** As the database's administrator (a superuser: sees through row-level security), for raw reads and writes. */
export async function pgAdminQuery<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<R[]> {
  const db = await testDatabase();
  const client = new pg.Client({ connectionString: db.adminUrl });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

export interface BackendStore {
  store: Store;
  clock: VirtualClock;
  vault: TokenVault;
  backend: Backend;
}

/**
 * An empty store on `backend`, closed after the test: SQLite in memory (or in `file`), or PostgreSQL in
 * this file's database, emptied first.
 */
export async function openBackendStore(backend: Backend, opts: { file?: string; vault?: TokenVault; clock?: VirtualClock } = {}): Promise<BackendStore> {
  if (backend === 'sqlite') return { ...openTestStore(opts), backend };
  const clock = opts.clock ?? new VirtualClock();
  const vault = opts.vault ?? newVault();
  const db = await testDatabase();
  if (migrated) await truncateAll(db);
  const store = await openPgStore({ url: db.url, vault, clock, poolSize: 4 });
  migrated = true;
  cleanups.push(() => store.close());
  return { store, clock, vault, backend };
}
