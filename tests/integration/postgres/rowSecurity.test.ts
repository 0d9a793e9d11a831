/**
 * Hosted mode's PostgreSQL schema: migrations applied once by replicas starting together (advisory
 * lock), and row-level security keeping owners apart in the database itself: a deliberately unscoped
 * query, run for one owner, returns none of another owner's rows in any table; with no owner set it
 * returns nothing; a write for another owner is refused. Runs against the machine's PostgreSQL in a
 * database of its own (tests/helpers/postgres.ts), skipped with the reason printed where none answers.
 */
import { readdirSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, PG_MIGRATIONS_FOLDER, type PgDatabase } from '../../../src/store/pg/index.js';
import * as schema from '../../../src/store/pg/schema.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../helpers/postgres.js';

const unavailable = await postgresUnavailable('tests/integration/postgres/rowSecurity.test.ts');
const NOW = Date.UTC(2026, 11, 1);

/** PostgreSQL's refusal of a row the policy does not allow (drizzle wraps it: the cause says). */
function violatesPolicy(err: unknown): boolean {
  const cause = (err as { cause?: { message?: string } }).cause;
  return /new row violates row-level security policy/.test(cause?.message ?? String(err));
}

/** One row in every owner table for `owner`. */
async function seedOwner(db: PgDatabase, owner: string): Promise<void> {
  await db.asSystem(async (tx) => {
    const accountId = `1784${owner.length}000${owner.charCodeAt(0)}`;
    await tx.insert(schema.accounts).values({ owner, id: accountId, username: `${owner}_shop`, loginType: 'instagram', createdAt: NOW, updatedAt: NOW });
    await tx.insert(schema.agentAccounts).values({ owner, agent: 'claude', accountId, enabled: true, updatedAt: NOW });
    await tx.insert(schema.oauthSessions).values({ state: `state-${owner}`, codeVerifierEnc: 'ciphertext', loginType: 'instagram', owner, agent: 'claude', redirectUri: 'http://127.0.0.1/cb', createdAt: NOW, expiresAt: NOW + 600_000 });
    await tx.insert(schema.media).values({ id: `${owner}`.padEnd(32, '0'), owner, source: 'url', url: `https://example.test/${owner}.jpg`, createdAt: NOW, expiresAt: NOW + 86_400_000 });
    await tx.insert(schema.posts).values({ id: `post-${owner}`, owner, accountId, kind: 'image', caption: `${owner}'s post`, createdAt: NOW, updatedAt: NOW });
    await tx.insert(schema.auditLog).values({ owner, agent: 'claude', accountId, action: 'publish', createdAt: NOW });
    await tx.insert(schema.hashtagSearches).values({ owner, accountId, hashtag: 'bakery', hashtagId: '1789', searchedAt: NOW });
    await tx.insert(schema.unlinkedFacebookPages).values({ owner, pageId: `page-${owner}`, name: `${owner}'s page`, seenAt: NOW });
    await tx.insert(schema.jobs).values({ id: `job-${owner}`, key: `publish:${owner}`, kind: 'publish', owner, runAt: NOW, createdAt: NOW, updatedAt: NOW });
    await tx.insert(schema.insightSnapshots).values({ owner, accountId, mediaId: `media-${owner}`, label: '24h', capturedAt: NOW, rowsJson: '[]' });
  });
}

describe.skipIf(unavailable !== null)('PostgreSQL: migrations and row-level security', () => {
  let database: TestDatabase;
  let db: PgDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('applies each migration once when three replicas start together', async () => {
    const replicas = await Promise.all([0, 1, 2].map(() => openPostgres({ url: database.url, poolSize: 2 })));
    db = replicas[0]!;
    for (const other of replicas.slice(1)) await other.close();
    const { rows } = await db.pool.query<{ n: string }>('select count(*) as n from drizzle.__drizzle_migrations');
    expect(Number(rows[0]!.n)).toBe(readdirSync(PG_MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).length);
    // Opening again applies nothing new.
    const again = await openPostgres({ url: database.url, poolSize: 1 });
    await again.close();
    const after = await db.pool.query<{ n: string }>('select count(*) as n from drizzle.__drizzle_migrations');
    expect(after.rows[0]!.n).toBe(rows[0]!.n);
  });

  it('refuses to run as a role row-level security does not apply to', async () => {
    await expect(openPostgres({ url: database.adminUrl, poolSize: 1 })).rejects.toThrow(/superuser: row-level security would not keep owners apart/);
  });

  it('shows an owner only its own rows, in every table, to a query without any owner filter', async () => {
    await seedOwner(db, 'alice');
    await seedOwner(db, 'bob');
    // Through an administrator connection (which sees through the policies), both owners are there.
    const admin = new pg.Client({ connectionString: database.adminUrl });
    await admin.connect();
    try {
      for (const table of schema.OWNER_TABLES) {
        const { rows } = await admin.query<{ owner: string }>(`select owner from ${table}`);
        expect(rows.map((r) => r.owner).sort(), table).toEqual(['alice', 'bob']);
      }
    } finally {
      await admin.end();
    }
    for (const owner of ['alice', 'bob']) {
      await db.asOwner(owner, async (tx) => {
        for (const table of schema.OWNER_TABLES) {
          // Deliberately unscoped: `select *` with no WHERE at all.
          const { rows } = await tx.execute<{ owner: string }>(sql.raw(`select owner from ${table}`));
          expect(rows.map((r) => r.owner), `${owner} reading ${table}`).toEqual([owner]);
        }
        // The query builder, equally unscoped, and a lookup by another owner's id.
        expect((await tx.select().from(schema.posts)).map((p) => p.owner)).toEqual([owner]);
        const other = owner === 'alice' ? 'bob' : 'alice';
        expect(await tx.select().from(schema.posts).where(eq(schema.posts.id, `post-${other}`))).toEqual([]);
      });
    }
  });

  it('returns nothing of anybody where no owner is set, and the setting does not outlive its transaction', async () => {
    const single = await openPostgres({ url: database.url, poolSize: 1 });
    try {
      await single.asOwner('alice', async (tx) => {
        expect((await tx.select().from(schema.posts)).length).toBe(1);
      });
      // The same (only) pooled connection, after alice's transaction: no owner any more.
      for (const table of schema.OWNER_TABLES) {
        const { rows } = await single.pool.query(`select * from ${table}`);
        expect(rows, table).toEqual([]);
      }
    } finally {
      await single.close();
    }
  });

  it('refuses a write for another owner, and an update or delete of its rows changes nothing', async () => {
    await expect(
      db.asOwner('alice', (tx) => tx.insert(schema.posts).values({ id: 'post-forged', owner: 'bob', accountId: '17843000098', kind: 'image', createdAt: NOW, updatedAt: NOW })),
    ).rejects.toSatisfy(violatesPolicy);
    await db.asOwner('alice', async (tx) => {
      expect(await tx.update(schema.posts).set({ caption: 'taken over' }).where(eq(schema.posts.id, 'post-bob')).returning()).toEqual([]);
      expect(await tx.delete(schema.hashtagSearches).where(eq(schema.hashtagSearches.owner, 'bob')).returning()).toEqual([]);
    });
    // Alice cannot hand her own row to bob either.
    await expect(db.asOwner('alice', (tx) => tx.update(schema.posts).set({ owner: 'bob' }).where(eq(schema.posts.id, 'post-alice')))).rejects.toSatisfy(violatesPolicy);
    await db.asSystem(async (tx) => {
      const rows = await tx.select().from(schema.posts);
      expect(rows.map((p) => [p.id, p.owner, p.caption]).sort()).toEqual([
        ['post-alice', 'alice', "alice's post"],
        ['post-bob', 'bob', "bob's post"],
      ]);
      expect((await tx.select().from(schema.hashtagSearches)).length).toBe(2);
    });
  });
});
