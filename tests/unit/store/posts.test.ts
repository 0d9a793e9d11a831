import { expect, it } from 'vitest';
import { DuplicateIdempotencyKeyError, NotFoundError } from '../../../src/store/index.js';
import { accountInput, describeBackends, openBackendStore, type Backend, postgresUnavailable } from './helpers.js';
import { testToken } from '../../helpers/secrets.js';

const IG_SHORT_TOKEN = testToken('IGAA', 'abcdefghijklmnop', 20);

const ACCOUNT = '17841400000000123';

async function setup(backend: Backend) {
  const ctx = await openBackendStore(backend);
  await ctx.store.accounts.upsert(accountInput({ owner: 'owner-a' }));
  await ctx.store.accounts.upsert(accountInput({ owner: 'owner-b' }));
  return ctx;
}

const unavailable = await postgresUnavailable('tests/unit/store/posts.test.ts');

describeBackends('posts', unavailable, (backend) => {
  it('creates a pending post with its typed JSON round-tripped', async () => {
    const { store, clock } = await setup(backend);
    const post = await store.posts.create({
      owner: 'owner-a',
      accountId: ACCOUNT,
      kind: 'carousel',
      caption: 'Hello ☕ #coffee',
      settings: { agent: 'claude', surface: 'feed', locationId: '110000000000000001', collaborators: ['friend'] },
      inputs: [
        { kind: 'image', delivery: 'file', path: '/media/a.jpg', referenceId: 'a'.repeat(32), label: 'a.jpg', altText: 'A cup', userTags: [{ username: 'x', x: 0.5, y: 0.5 }] },
        { kind: 'video', delivery: 'url', url: 'https://example.com/b.mp4', label: 'example.com/b.mp4' },
      ],
    });
    expect(post).toMatchObject({
      owner: 'owner-a',
      accountId: ACCOUNT,
      idempotencyKey: null,
      kind: 'carousel',
      state: 'pending',
      progress: 0,
      attempts: 0,
      children: [],
      containerId: null,
      lease: null,
      settings: { agent: 'claude', locationId: '110000000000000001', collaborators: ['friend'] },
      runtime: { containers: {} },
      createdAt: clock.now(),
      updatedAt: clock.now(),
      publishedAt: null,
      expiresAt: null,
    });
    expect(post.inputs[0]).toMatchObject({ kind: 'image', altText: 'A cup', userTags: [{ username: 'x', x: 0.5, y: 0.5 }] });
    expect(await store.posts.get('owner-a', post.id)).toEqual(post);
    expect(await store.posts.getById(post.id)).toEqual(post);
    expect(await store.posts.get('owner-b', post.id)).toBeUndefined();
  });

  it('enforces idempotency keys per owner, carrying the existing post', async () => {
    const { store } = await setup(backend);
    const first = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, idempotencyKey: 'k1', kind: 'image', inputs: [] });
    let caught: unknown;
    try {
      await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, idempotencyKey: 'k1', kind: 'image', inputs: [] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DuplicateIdempotencyKeyError);
    expect((caught as DuplicateIdempotencyKeyError).existing).toEqual(first);

    // Another owner may use the same key; posts without a key never collide.
    expect((await store.posts.create({ owner: 'owner-b', accountId: ACCOUNT, idempotencyKey: 'k1', kind: 'image', inputs: [] })).owner).toBe('owner-b');
    await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] });
    await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, idempotencyKey: null, kind: 'image', inputs: [] });
    expect((await store.posts.findByIdempotencyKey('owner-a', 'k1'))?.id).toBe(first.id);
    expect((await store.posts.findByIdempotencyKey('owner-b', 'k1'))?.id).not.toBe(first.id);
    expect(await store.posts.findByIdempotencyKey('owner-c', 'k1')).toBeUndefined();
  });

  it('rethrows a duplicate post id as is', async () => {
    const { store } = await setup(backend);
    await store.posts.create({ id: 'p1', owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] });
    await expect(store.posts.create({ id: 'p1', owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] })).rejects.toThrow(
      backend === 'sqlite' ? /UNIQUE/ : /duplicate key value violates unique constraint "posts_pkey"/,
    );
  });

  it('writes a transition only from the state it starts in, with its columns and runtime patch', async () => {
    const { store, clock } = await setup(backend);
    const post = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'video', inputs: [] });
    clock.advance(5000);
    const moved = await store.posts.writeTransition(post.id, { from: 'pending', to: 'processing', columns: { progress: 1.0000001, attempts: 1 }, runtime: { note: 'waiting' } });
    expect(moved).toMatchObject({ state: 'processing', progress: 1, attempts: 1, runtime: { note: 'waiting' }, updatedAt: clock.now(), createdAt: post.createdAt });
    // A second writer starting from the old state writes nothing.
    expect(await store.posts.writeTransition(post.id, { from: 'pending', to: 'failed' })).toBeUndefined();
    expect((await store.posts.getById(post.id))?.state).toBe('processing');
    // A runtime key set to undefined is removed.
    expect((await store.posts.updateRuntime(post.id, { note: undefined })).runtime).not.toHaveProperty('note');
    await expect(store.posts.writeTransition('missing', { from: 'pending', to: 'failed' })).rejects.toThrow(NotFoundError);
  });

  it('redacts secrets from a failure message', async () => {
    const { store } = await setup(backend);
    const post = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'reel', inputs: [] });
    expect(await store.posts.writeTransition(post.id, { from: 'pending', to: 'failed', columns: { errorCode: 190, errorSubcode: null, errorMessage: `Invalid token ${IG_SHORT_TOKEN}` } })).toMatchObject({
      state: 'failed',
      errorCode: 190,
      errorSubcode: null,
      errorMessage: 'Invalid token [REDACTED]',
    });
  });

  it('records containers: the post\'s own, carousel children (typed states, replaced by index) and uploads', async () => {
    const { store, clock } = await setup(backend);
    const post = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'carousel', inputs: [] });
    await store.posts.recordContainer(post.id, '17900000000000012', { index: 2, createdAt: clock.now(), resumable: true, uri: 'https://rupload.example/2' }, { index: 2, state: 'uploading' });
    await store.posts.recordContainer(post.id, '17900000000000010', { index: 0, createdAt: clock.now() }, { index: 0, state: 'processing' });
    await store.transaction(async () => {
      await store.posts.setChildContainer(post.id, 0, '17900000000000010', 'finished');
      await store.posts.setChildContainer(post.id, 1, '17900000000000011', 'finished');
    });
    await store.posts.markContainerUploaded(post.id, '17900000000000012');
    await store.posts.recordContainer(post.id, '17900000000000020', { index: -1, createdAt: clock.now() });
    const stored = (await store.posts.getById(post.id))!;
    expect(stored.children).toEqual([
      { index: 0, containerId: '17900000000000010', state: 'finished' },
      { index: 1, containerId: '17900000000000011', state: 'finished' },
      { index: 2, containerId: '17900000000000012', state: 'processing' },
    ]);
    expect(stored.containerId).toBe('17900000000000020');
    expect(stored.runtime.containers?.['17900000000000012']).toMatchObject({ resumable: true, uploaded: true, uri: 'https://rupload.example/2' });
    expect(Object.keys(stored.runtime.containers ?? {})).toHaveLength(3);
    await expect(store.posts.setChildContainer('missing', 0, null, 'processing')).rejects.toThrow(NotFoundError);
  });

  it('records publish attempts, media ids and permalinks', async () => {
    const { store, clock } = await setup(backend);
    const post = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] });
    await store.posts.recordPublishAttempt(post.id, 1, clock.now());
    expect(await store.posts.getById(post.id)).toMatchObject({ attempts: 1, runtime: { publishAttemptAt: clock.now() } });
    await store.posts.restoreAttempts(post.id, 0);
    await store.posts.recordMedia(post.id, { mediaId: '18000000000000001' });
    await store.posts.recordMedia(post.id, { permalink: 'https://www.instagram.com/p/abc/' });
    expect(await store.posts.getById(post.id)).toMatchObject({ attempts: 0, mediaId: '18000000000000001', permalink: 'https://www.instagram.com/p/abc/' });
  });

  it('leases a post to one holder at a time, fencing writes by generation', async () => {
    const { store, clock } = await setup(backend);
    const post = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] });
    const first = (await store.posts.acquireLease(post.id, 'one', clock.now() + 1000, () => false))!;
    expect(first).toEqual({ owner: 'one', generation: 1, expiresAt: clock.now() + 1000 });
    expect(await store.posts.acquireLease(post.id, 'two', clock.now() + 1000, () => false)).toBeUndefined();
    expect(await store.posts.renewLease(post.id, first, clock.now() + 2000)).toBe(true);
    expect((await store.posts.getById(post.id))?.lease).toEqual({ owner: 'one', generation: 1, expiresAt: clock.now() + 2000 });

    // Taken over (the holder is gone): the old holder can neither renew nor move the post.
    const second = (await store.posts.acquireLease(post.id, 'two', clock.now() + 1000, (held) => held.owner === 'one'))!;
    expect(second.generation).toBe(2);
    expect(await store.posts.renewLease(post.id, first, clock.now() + 5000)).toBe(false);
    expect(await store.posts.writeTransition(post.id, { from: 'pending', to: 'creating_container', fence: first })).toBeUndefined();
    expect((await store.posts.writeTransition(post.id, { from: 'pending', to: 'creating_container', fence: second }))?.state).toBe('creating_container');

    await store.posts.releaseLease(post.id, first); // not the holder: no effect
    expect((await store.posts.getById(post.id))?.lease?.owner).toBe('two');
    await store.posts.releaseLease(post.id, second);
    expect((await store.posts.getById(post.id))?.lease).toBeNull();
    expect((await store.posts.acquireLease(post.id, 'three', clock.now() + 1000, () => false))?.generation).toBe(3);
  });

  it('lists in-flight posts of every owner, oldest first, and an account’s posts newest first', async () => {
    const { store, clock } = await setup(backend);
    const ids: string[] = [];
    for (const [owner, kind] of [['owner-a', 'image'], ['owner-b', 'video'], ['owner-a', 'reel'], ['owner-a', 'story']] as const) {
      ids.push((await store.posts.create({ owner, accountId: ACCOUNT, kind, inputs: [] })).id);
      clock.advance(1);
    }
    await store.posts.writeTransition(ids[2]!, { from: 'pending', to: 'completed', columns: { mediaId: '1' } });
    await store.posts.writeTransition(ids[3]!, { from: 'pending', to: 'failed', columns: { errorMessage: 'x' } });
    expect((await store.posts.listInFlight()).map((p) => p.id)).toEqual([ids[0], ids[1]]);
    expect((await store.posts.listForAccount('owner-a', ACCOUNT)).map((p) => p.id)).toEqual([ids[3], ids[2], ids[0]]);
    expect(await store.posts.listForAccount('owner-a', ACCOUNT, 2)).toHaveLength(2);
    expect(await store.posts.listForAccount('owner-c', ACCOUNT)).toEqual([]);
  });
});
