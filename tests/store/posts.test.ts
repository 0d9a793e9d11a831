import { describe, expect, it } from 'vitest';
import { DuplicateIdempotencyKeyError, NotFoundError, STORY_LIFETIME_MS } from '../../src/store/index.js';
import { accountInput, openTestStore } from './helpers.js';
import { testToken } from '../helpers/secrets.js';

const IG_SHORT_TOKEN = testToken('IGAA', 'abcdefghijklmnop', 20);

const ACCOUNT = '17841400000000123';

function setup() {
  const ctx = openTestStore();
  ctx.store.accounts.upsert(accountInput({ owner: 'owner-a' }));
  ctx.store.accounts.upsert(accountInput({ owner: 'owner-b' }));
  return ctx;
}

describe('posts', () => {
  it('creates a pending post with JSON fields round-tripped', () => {
    const { store, clock } = setup();
    const post = store.posts.create({
      owner: 'owner-a',
      accountId: ACCOUNT,
      kind: 'carousel',
      caption: 'Hello ☕ #coffee',
      options: { location_id: '110000000000000001', user_tags: [{ username: 'x', x: 0.5, y: 0.5 }] },
      inputs: [{ media: 'a'.repeat(32) }, { url: 'https://example.com/b.jpg' }],
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
      createdAt: clock.now(),
      updatedAt: clock.now(),
      publishedAt: null,
      expiresAt: null,
    });
    expect(store.posts.get('owner-a', post.id)).toEqual(post);
    expect(store.posts.getById(post.id)).toEqual(post);
    expect(store.posts.get('owner-b', post.id)).toBeUndefined();
  });

  it('enforces idempotency keys per owner, carrying the existing post', () => {
    const { store } = setup();
    const first = store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, idempotencyKey: 'k1', kind: 'image', inputs: [] });
    let caught: unknown;
    try {
      store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, idempotencyKey: 'k1', kind: 'image', inputs: [] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DuplicateIdempotencyKeyError);
    expect((caught as DuplicateIdempotencyKeyError).existing).toEqual(first);

    // Another owner may use the same key; posts without a key never collide.
    expect(store.posts.create({ owner: 'owner-b', accountId: ACCOUNT, idempotencyKey: 'k1', kind: 'image', inputs: [] }).owner).toBe('owner-b');
    store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] });
    store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, idempotencyKey: null, kind: 'image', inputs: [] });
    expect(store.posts.findByIdempotencyKey('owner-a', 'k1')?.id).toBe(first.id);
    expect(store.posts.findByIdempotencyKey('owner-b', 'k1')?.id).not.toBe(first.id);
    expect(store.posts.findByIdempotencyKey('owner-c', 'k1')).toBeUndefined();
  });

  it('rethrows a duplicate post id as is', () => {
    const { store } = setup();
    store.posts.create({ id: 'p1', owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] });
    expect(() => store.posts.create({ id: 'p1', owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] })).toThrow(/UNIQUE/);
  });

  it('updates with a patch and sets updatedAt', () => {
    const { store, clock } = setup();
    const post = store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'video', inputs: [] });
    clock.advance(5000);
    const updated = store.posts.update(post.id, { state: 'processing', progress: 0.4, containerId: '17900000000000001', attempts: 1, caption: null });
    expect(updated).toMatchObject({ state: 'processing', progress: 0.4, containerId: '17900000000000001', attempts: 1, caption: null, updatedAt: clock.now(), createdAt: post.createdAt });
    expect(store.posts.update(post.id, { progress: 1.0000001 }).progress).toBe(1);
    expect(() => store.posts.update('missing', { state: 'failed' })).toThrow(NotFoundError);
  });

  it('keeps carousel children in one JSON column, replacing by index', () => {
    const { store } = setup();
    const post = store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'carousel', inputs: [{}, {}, {}] });
    store.posts.setChildContainer(post.id, 2, null, 'creating');
    store.posts.setChildContainer(post.id, 0, '17900000000000010', 'IN_PROGRESS');
    store.transaction(() => {
      store.posts.setChildContainer(post.id, 0, '17900000000000010', 'FINISHED');
      store.posts.setChildContainer(post.id, 1, '17900000000000011', 'FINISHED');
    });
    expect(store.posts.getById(post.id)?.children).toEqual([
      { index: 0, containerId: '17900000000000010', state: 'FINISHED' },
      { index: 1, containerId: '17900000000000011', state: 'FINISHED' },
      { index: 2, containerId: null, state: 'creating' },
    ]);
    expect(() => store.posts.setChildContainer('missing', 0, null, 'x')).toThrow(NotFoundError);
  });

  it('marks published: completed, progress 1, errors cleared, and a 24 h expiry for stories only', () => {
    const { store, clock } = setup();
    const story = store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'story', inputs: [] });
    const image = store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] });
    store.posts.markFailed(story.id, { code: 9007, subcode: 2207027, message: 'Media not ready' });
    clock.advance(10_000);

    const published = store.posts.markPublished(story.id, '18000000000000001', 'https://www.instagram.com/stories/acme/18000000000000001/');
    expect(published).toMatchObject({
      state: 'completed',
      progress: 1,
      mediaId: '18000000000000001',
      publishedAt: clock.now(),
      expiresAt: clock.now() + 24 * 60 * 60 * 1000,
      errorCode: null,
      errorSubcode: null,
      errorMessage: null,
    });
    expect(STORY_LIFETIME_MS).toBe(86_400_000);
    expect(store.posts.markPublished(image.id, '18000000000000002')).toMatchObject({ expiresAt: null, permalink: null, publishedAt: clock.now() });
  });

  it('marks failed with the Graph error, redacting secrets from the message', () => {
    const { store } = setup();
    const post = store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'reel', inputs: [] });
    expect(store.posts.markFailed(post.id, { code: 190, message: `Invalid token ${IG_SHORT_TOKEN}` })).toMatchObject({
      state: 'failed',
      errorCode: 190,
      errorSubcode: null,
      errorMessage: 'Invalid token [REDACTED]',
    });
  });

  it('lists in-flight posts of every owner, oldest first, and an account’s posts newest first', () => {
    const { store, clock } = setup();
    const ids: string[] = [];
    for (const [owner, kind] of [['owner-a', 'image'], ['owner-b', 'video'], ['owner-a', 'reel'], ['owner-a', 'story']] as const) {
      ids.push(store.posts.create({ owner, accountId: ACCOUNT, kind, inputs: [] }).id);
      clock.advance(1);
    }
    store.posts.markPublished(ids[2]!, '1');
    store.posts.markFailed(ids[3]!, { message: 'x' });
    expect(store.posts.listInFlight().map((p) => p.id)).toEqual([ids[0], ids[1]]);
    expect(store.posts.listForAccount('owner-a', ACCOUNT).map((p) => p.id)).toEqual([ids[3], ids[2], ids[0]]);
    expect(store.posts.listForAccount('owner-a', ACCOUNT, 2)).toHaveLength(2);
    expect(store.posts.listForAccount('owner-c', ACCOUNT)).toEqual([]);
  });
});
