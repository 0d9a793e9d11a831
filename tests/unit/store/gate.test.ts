/**
 * Store.transaction on both backends. SQLite (src/store/gate.ts): a transaction that spans several
 * awaited calls is not interleaved with calls from elsewhere in the process (they wait until it ends),
 * and two transactions started together run one after the other. PostgreSQL (src/store/pg/context.ts):
 * one pooled connection for the transaction, the calls awaited inside it on that connection, while
 * other calls run in transactions of their own and see none of its writes before it commits. On both:
 * its own calls run inside it, a failure rolls back all of it, nested transactions are savepoints, and
 * a call that fails inside it (a duplicate key) leaves the rest of it usable.
 */
import { expect, it } from 'vitest';
import { DuplicateIdempotencyKeyError } from '../../../src/store/index.js';
import { accountInput, describeBackends, openBackendStore, postgresUnavailable } from './helpers.js';

const unavailable = await postgresUnavailable('tests/unit/store/gate.test.ts');

describeBackends('the store transaction', unavailable, (backend) => {
  const open = () => openBackendStore(backend);

  it.runIf(backend === 'sqlite')('holds calls from outside an open transaction until it commits', async () => {
    const { store } = await open();
    const seen: string[] = [];
    let inside!: () => void;
    const reachedInside = new Promise<void>((resolve) => (inside = resolve));
    let finish!: () => void;
    const mayFinish = new Promise<void>((resolve) => (finish = resolve));
    const tx = store.transaction(async () => {
      await store.accounts.upsert(accountInput({ username: 'first' }));
      inside();
      // The transaction waits on something else: an outside read must not see its uncommitted write.
      await mayFinish;
      await store.accounts.upsert(accountInput({ id: '17841400000000999', username: 'second' }));
      seen.push('tx done');
    });
    await reachedInside;
    const outside = store.accounts.list('owner-a').then((rows) => {
      seen.push(`outside saw ${rows.length}`);
    });
    // Give the outside read every chance to run early.
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    finish();
    await Promise.all([tx, outside]);
    expect(seen).toEqual(['tx done', 'outside saw 2']);
  });

  it.runIf(backend === 'postgres')('shows calls from outside an open transaction none of its writes until it commits', async () => {
    const { store } = await open();
    let inside!: () => void;
    const reachedInside = new Promise<void>((resolve) => (inside = resolve));
    let finish!: () => void;
    const mayFinish = new Promise<void>((resolve) => (finish = resolve));
    const tx = store.transaction(async () => {
      await store.accounts.upsert(accountInput({ username: 'first' }));
      inside();
      await mayFinish;
      // Still inside: its own calls see its own writes.
      expect((await store.accounts.list('owner-a')).map((a) => a.username)).toEqual(['first']);
      await store.accounts.upsert(accountInput({ id: '17841400000000999', username: 'second' }));
    });
    await reachedInside;
    // Not held: another connection, another transaction, which sees only what was committed.
    expect(await store.accounts.list('owner-a')).toEqual([]);
    expect(await store.accounts.get('owner-a', accountInput().id)).toBeUndefined();
    finish();
    await tx;
    expect((await store.accounts.list('owner-a')).map((a) => a.username)).toEqual(['first', 'second']);
  });

  it('rolls back every awaited write of a failed transaction, and keeps a failed savepoint apart', async () => {
    const { store } = await open();
    await expect(
      store.transaction(async () => {
        await store.accounts.upsert(accountInput({ username: 'gone' }));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.accounts.list('owner-a')).toEqual([]);

    await store.transaction(async () => {
      await store.accounts.upsert(accountInput({ username: 'kept' }));
      await expect(
        store.transaction(async () => {
          await store.accounts.upsert(accountInput({ id: '17841400000000999', username: 'inner' }));
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
    });
    expect((await store.accounts.list('owner-a')).map((a) => a.username)).toEqual(['kept']);
  });

  it('keeps a transaction usable after one of its calls failed (a duplicate idempotency key)', async () => {
    const { store } = await open();
    await store.accounts.upsert(accountInput());
    const first = await store.posts.create({ owner: 'owner-a', accountId: accountInput().id, idempotencyKey: 'k1', kind: 'image', inputs: [] });
    const second = await store.transaction(async () => {
      await expect(store.posts.create({ owner: 'owner-a', accountId: accountInput().id, idempotencyKey: 'k1', kind: 'image', inputs: [] })).rejects.toThrow(DuplicateIdempotencyKeyError);
      await expect(store.accounts.setStatus('owner-a', 'missing', 'needs_reauth')).rejects.toThrow(/no account missing/);
      return store.posts.create({ owner: 'owner-a', accountId: accountInput().id, idempotencyKey: 'k2', kind: 'image', inputs: [] });
    });
    expect((await store.posts.listForAccount('owner-a', accountInput().id)).map((p) => p.id).sort()).toEqual([first.id, second.id].sort());
  });

  it('runs calls started together inside a transaction each for its own owner', async () => {
    const { store } = await open();
    await store.accounts.upsert(accountInput({ owner: 'owner-a', username: 'a' }));
    await store.accounts.upsert(accountInput({ owner: 'owner-b', username: 'b' }));
    const seen = await store.transaction(() =>
      Promise.all([
        store.accounts.list('owner-a'),
        store.accounts.list('owner-b'),
        store.accounts.listWithTokens(),
        store.accounts.get('owner-a', accountInput().id),
        store.accounts.get('owner-b', accountInput().id),
      ]),
    );
    expect(seen.map((r) => (Array.isArray(r) ? r.map((a) => a.username) : r?.username))).toEqual([['a'], ['b'], ['a', 'b'], 'a', 'b']);
  });

  it.runIf(backend === 'sqlite')('runs transactions started together one after the other', async () => {
    const { store } = await open();
    const order: string[] = [];
    const run = (name: string) =>
      store.transaction(async () => {
        order.push(`${name} begins`);
        await store.accounts.list('owner-a');
        await new Promise<void>((resolve) => setImmediate(resolve));
        order.push(`${name} ends`);
      });
    await Promise.all([run('a'), run('b'), run('c')]);
    expect(order).toEqual(['a begins', 'a ends', 'b begins', 'b ends', 'c begins', 'c ends']);
  });
});
