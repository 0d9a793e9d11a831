/**
 * Hosted mode's store (src/store/pg/store.ts) on the machine's PostgreSQL, beyond the repository
 * contract the unit tests run on both backends (tests/unit/store): the repositories cannot hand one
 * owner another owner's rows, two replicas sharing the database cannot both win a lease or a job, the
 * key fingerprint refuses a replica with the wrong key, and a transaction is one connection's.
 * Skipped with the reason printed where no server answers (a failure under CI).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { KeyMismatchError, TokenVault, type Store } from '../../../src/store/index.js';
import { openPgStore } from '../../../src/store/pg/store.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../helpers/postgres.js';
import { accountInput } from '../../unit/store/helpers.js';

const unavailable = await postgresUnavailable('tests/integration/postgres/store.test.ts');

const A = 'owner-a';
const B = 'owner-b';
const ACCOUNT = accountInput().id;

describe.skipIf(unavailable !== null)('PostgreSQL store', () => {
  let database: TestDatabase;
  const key = randomBytes(32);
  const clock = new VirtualClock();
  const opened: Store[] = [];
  const open = async (opts: { key?: Buffer; poolSize?: number } = {}) => {
    const store = await openPgStore({ url: database.url, vault: new TokenVault(opts.key ?? key), clock, poolSize: opts.poolSize ?? 3 });
    opened.push(store);
    return store;
  };
  const admin = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    try {
      return (await client.query<R>(text, params)).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const store of opened) await store.close();
    await database?.drop();
  });

  it('never answers owner B with owner A’s rows, through any repository', async () => {
    const store = await open();
    await store.accounts.upsert(accountInput({ owner: A, username: 'alice_shop' }));
    const post = await store.posts.create({ owner: A, accountId: ACCOUNT, kind: 'image', caption: "alice's post", inputs: [] });
    const item = await store.media.create({ owner: A, source: 'url', localPath: null, url: 'https://example.test/a.jpg', checksum: null, mimeType: 'image/jpeg', sizeBytes: 1, width: 1, height: 1, durationMs: null, expiresAt: clock.now() + 60_000 });
    await store.audit.record({ owner: A, agent: 'claude', accountId: ACCOUNT, action: 'post.created', detail: { post: post.id } });
    // They are there, for A (and for the administrator, who sees through row-level security).
    expect(await store.accounts.get(A, ACCOUNT)).toBeDefined();
    expect(await store.posts.get(A, post.id)).toBeDefined();
    expect(await store.media.get(A, item.id)).toBeDefined();
    expect(await store.audit.list(A)).toHaveLength(1);
    expect((await admin<{ owner: string }>('select owner from posts')).map((r) => r.owner)).toEqual([A]);

    const asB = async () => ({
      account: await store.accounts.get(B, ACCOUNT),
      byName: await store.accounts.findByUsername(B, 'alice_shop'),
      accounts: await store.accounts.list(B),
      post: await store.posts.get(B, post.id),
      posts: await store.posts.listForAccount(B, ACCOUNT),
      media: await store.media.get(B, item.id),
      audit: await store.audit.list(B),
      calendar: await store.schedule.listBetween(B, 0, Number.MAX_SAFE_INTEGER),
    });
    const nothing = { account: undefined, byName: undefined, accounts: [], post: undefined, posts: [], media: undefined, audit: [], calendar: [] };
    expect(await asB()).toEqual(nothing);
    // Nor inside a transaction that has just worked for A (its scope does not linger), nor with calls interleaved.
    expect(
      await store.transaction(async () => {
        await store.accounts.list(A);
        await store.posts.getById(post.id);
        return asB();
      }),
    ).toEqual(nothing);
    // A write for B cannot reach A's row either.
    await expect(store.accounts.setStatus(B, ACCOUNT, 'needs_reauth')).rejects.toThrow(/no account/);
    expect((await store.accounts.get(A, ACCOUNT))?.status).toBe('active');
  });

  it('lets one of two replicas take a post’s lease, and one replica claim each due job', async () => {
    const [one, two] = [await open(), await open()];
    await one.accounts.upsert(accountInput({ owner: A }));
    const post = await one.posts.create({ owner: A, accountId: ACCOUNT, kind: 'image', inputs: [] });
    // Four contenders at once on a free post, none allowed to take over: exactly one gets it.
    const expires = clock.now() + 1000;
    const leases = await Promise.all([one, two, one, two].map((s, i) => s.posts.acquireLease(post.id, `replica-${i}`, expires, () => false)));
    expect(leases.filter(Boolean)).toHaveLength(1);
    expect(leases.find(Boolean)?.generation).toBe(1);
    // Two taking over together: one after the other, each generation once.
    const takeovers = await Promise.all([one, two].map((s, i) => s.posts.acquireLease(post.id, `taker-${i}`, expires, () => true)));
    expect(takeovers.map((l) => l?.generation).sort()).toEqual([2, 3]);
    const held = (await one.posts.getById(post.id))!.lease!;
    // Exactly one holder can move the post.
    const moved = await Promise.all([
      one.posts.writeTransition(post.id, { from: 'pending', to: 'creating_container', fence: held }),
      two.posts.writeTransition(post.id, { from: 'pending', to: 'creating_container', fence: held }),
    ]);
    expect(moved.filter(Boolean)).toHaveLength(1);

    for (let i = 0; i < 20; i++) await one.jobs.schedule({ key: `capture:${i}`, kind: 'capture', owner: i % 2 ? A : null, runAt: clock.now() - 1 });
    const claims = await Promise.all([one.jobs.claimDue('replica-1', 60_000, 20), two.jobs.claimDue('replica-2', 60_000, 20), one.jobs.claimDue('replica-3', 60_000, 20)]);
    const keys = claims.flat().map((j) => j.key);
    expect(keys.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `capture:${i}`).sort());
    // Rescheduling a running job voids its claim.
    const job = claims.flat()[0]!;
    await two.jobs.schedule({ key: job.key, kind: 'capture', runAt: clock.now() + 1000 });
    expect(await one.jobs.finish({ id: job.id, owner: job.lease!.owner, generation: job.lease!.generation }, { state: 'done' })).toBe(false);
    expect(await one.jobs.get(job.key)).toMatchObject({ state: 'queued', lease: null, attempts: 0 });
  });

  it('refuses a replica whose key cannot read the stored tokens, and says what to do', async () => {
    const store = await open();
    await store.accounts.upsert(accountInput({ owner: A }));
    const [recorded] = await admin<{ value: string }>("select value from store_meta where name = 'key_fingerprint'");
    expect(recorded?.value).toBe(new TokenVault(key).fingerprint());
    expect(recorded?.value).not.toContain(key.toString('hex'));

    const error = await open({ key: randomBytes(32) }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KeyMismatchError);
    const message = (error as Error).message;
    expect(message).toMatch(/holds \d+ access tokens? encrypted under a different encryption key/);
    expect(message).toMatch(/set INSTAGRAM_MCP_ENCRYPTION_KEY to it on every replica/);
    expect(message).not.toMatch(/password|postgres:\/\//);
    // Nothing changed: the same key still opens and reads the token.
    expect((await admin<{ value: string }>("select value from store_meta where name = 'key_fingerprint'"))[0]?.value).toBe(recorded?.value);
    expect((await (await open()).accounts.get(A, ACCOUNT))?.accessToken).toBe(accountInput().accessToken);
  });

  it('answers ok to the integrity check, and closes once however often asked', async () => {
    const store = await open({ poolSize: 1 });
    expect(await store.integrityCheck()).toBe('ok');
    // One connection: a transaction holds it, and calls inside the transaction use it rather than wait for another.
    expect(await store.transaction(async () => (await store.accounts.list(A)).length + (await store.integrityCheck()).length)).toBeGreaterThan(0);
    await Promise.all([store.close(), store.close()]);
    await store.close();
  });
});
