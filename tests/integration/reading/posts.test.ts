/**
 * instagram_get_posts / instagram_get_post and the instagram:// resources, through the MCP client
 * against the emulator (virtual clock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/harness.js';

describe('reading posts', () => {
  let h: Harness;
  let businessId: string;
  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('business');
    businessId = h.emulator.users.instagramBusiness.id;
  });
  afterAll(() => h.close());

  it('lists recent posts concisely: caption, types, permalink, time, counts, children and a resource link', async () => {
    const out = await h.call('instagram_get_posts', { limit: 10 });
    expect(out.isError).toBe(false);
    expect(out.data.account).toMatchObject({ id: businessId, username: 'sandbox_bakery', resource_uri: `instagram://accounts/${businessId}` });
    expect(out.data.posts).toHaveLength(10);
    const expected = h.emulator.state.feedMedia(businessId).slice(0, 10);
    expect(out.data.posts.map((p: { id: string }) => p.id)).toEqual(expected.map((m) => m.id));
    const first = out.data.posts[0];
    expect(first).toMatchObject({
      id: expected[0]!.id,
      resource_uri: `instagram://posts/${expected[0]!.id}`,
      media_type: expected[0]!.mediaType,
      product_type: expected[0]!.productType,
      permalink: expected[0]!.permalink,
      like_count: expected[0]!.likeCount,
      comments_count: expected[0]!.commentsCount,
    });
    expect(first).not.toHaveProperty('media_url');
    const album = out.data.posts.find((p: { media_type: string }) => p.media_type === 'CAROUSEL_ALBUM');
    const emulated = h.emulator.media(album.id)!;
    expect(album.children.map((c: { id: string }) => c.id)).toEqual(emulated.children);
    expect(album.children_count).toBe(emulated.children!.length);
    expect(out.data.next_cursor).toEqual(expect.any(String));
    // The text is a summary line, then the structured content as compact JSON.
    const [summary, json] = out.text.split('\n');
    expect(summary).toMatch(/posts? of @/);
    expect(JSON.parse(json!)).toEqual(out.data);
  });

  it('pages to the end with the opaque cursor', async () => {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const out = await h.call('instagram_get_posts', { limit: 12, ...(cursor ? { cursor } : {}) });
      expect(out.isError).toBe(false);
      ids.push(...out.data.posts.map((p: { id: string }) => p.id));
      cursor = out.data.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(ids).toEqual(h.emulator.state.feedMedia(businessId).map((m) => m.id));
  });

  it('keeps since/until across pages and returns full detail on request', async () => {
    const since = new Date(h.clock.now() - 10 * 86_400_000).toISOString();
    const first = await h.call('instagram_get_posts', { since, limit: 2, detail: 'full' });
    const inWindow = h.emulator.state.feedMedia(businessId).filter((m) => m.timestamp >= Date.parse(since));
    expect(first.data.posts[0]).toMatchObject({ media_url: expect.any(String), shortcode: expect.any(String) });
    const all = [...first.data.posts];
    let cursor = first.data.next_cursor;
    while (cursor) {
      const next = await h.call('instagram_get_posts', { cursor, limit: 2 });
      all.push(...next.data.posts);
      cursor = next.data.next_cursor;
    }
    expect(all.map((p) => p.id)).toEqual(inWindow.map((m) => m.id));
    const bad = await h.call('instagram_get_posts', { cursor: 'not-a-cursor' });
    expect(bad.isError).toBe(true);
    expect(bad.data.error.code).toBe('invalid_cursor');
  });

  it('answers an empty window and live stories on request', async () => {
    const out = await h.call('instagram_get_posts', { since: new Date(h.clock.now() + 86_400_000).toISOString(), include_stories: true });
    expect(out.isError).toBe(false);
    expect(out.data.posts).toEqual([]);
    expect(out.data.next_cursor).toBeNull();
    expect(out.data.notes).toContain('No posts in this time range.');
    const live = h.emulator.state.liveStories(businessId);
    expect(out.data.stories.map((s: { id: string }) => s.id)).toEqual(live.map((s) => s.id));
    expect(out.data.stories[0].product_type).toBe('STORY');
  });

  it('reads one post with its children, by media id and by tracked post id', async () => {
    const album = h.emulator.state.feedMedia(businessId).find((m) => m.mediaType === 'CAROUSEL_ALBUM')!;
    const out = await h.call('instagram_get_post', { media_id: album.id });
    expect(out.isError).toBe(false);
    expect(out.data.post).toMatchObject({ id: album.id, caption: album.caption ?? null, children_count: album.children!.length });
    expect(out.data.post.children.map((c: { id: string }) => c.id)).toEqual(album.children);
    expect(out.data.post.children[0]).not.toHaveProperty('media_url');
    const full = await h.call('instagram_get_post', { media_id: album.id, detail: 'full' });
    expect(full.data.post).toMatchObject({ is_comment_enabled: true, media_url: expect.any(String), shortcode: album.shortcode });
    expect(full.data.post.children[0].media_url).toEqual(expect.any(String));

    const post = await h.app.store.posts.create({ owner: 'alice', accountId: businessId, kind: 'carousel', caption: album.caption ?? null, inputs: [] });
    await h.app.store.posts.writeTransition(post.id, { from: 'pending', to: 'completed', columns: { mediaId: album.id, permalink: album.permalink ?? null, progress: 1 } });
    const tracked = await h.call('instagram_get_post', { media_id: post.id });
    expect(tracked.data).toMatchObject({ tracked_post_id: post.id, post: { id: album.id } });

    const missing = await h.call('instagram_get_post', { media_id: '17999999999999999' });
    expect(missing.isError).toBe(true);
    expect(missing.data.error.code).toBe('instagram_not_found');
  });

  it('reads posts and accounts as resources, scoped by owner', async () => {
    const album = h.emulator.state.feedMedia(businessId).find((m) => m.mediaType === 'CAROUSEL_ALBUM')!;
    const read = await h.client.readResource({ uri: `instagram://posts/${album.id}` });
    const body = JSON.parse((read.contents[0] as { text: string }).text);
    expect(body.media).toMatchObject({ id: album.id, media_type: 'CAROUSEL_ALBUM', permalink: album.permalink });
    expect(body.media.children).toHaveLength(album.children!.length);
    expect(body.account.username).toBe('sandbox_bakery');

    const tracked = (await h.app.store.posts.listForAccount('alice', businessId))[0]!;
    const trackedRead = JSON.parse(((await h.client.readResource({ uri: `instagram://posts/${tracked.id}` })).contents[0] as { text: string }).text);
    expect(trackedRead.post).toMatchObject({ id: tracked.id, state: 'completed', media_id: tracked.mediaId });
    expect(trackedRead.media.id).toBe(tracked.mediaId);

    const list = await h.client.listResources();
    const uris = list.resources.map((r) => r.uri);
    expect(uris).toContain(`instagram://accounts/${businessId}`);
    expect(uris).toContain(`instagram://posts/${tracked.id}`);
    const templates = await h.client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(['instagram://accounts/{id}', 'instagram://posts/{id}']);

    const account = JSON.parse(((await h.client.readResource({ uri: `instagram://accounts/${businessId}` })).contents[0] as { text: string }).text);
    expect(account.account).toMatchObject({ id: businessId, username: 'sandbox_bakery' });

    // Another owner sees neither the account nor the tracked post (only the MCP App views, which are nobody's data).
    const bob = await h.connect({ owner: 'bob' });
    expect((await bob.listResources()).resources.filter((r) => !r.uri.startsWith('ui://'))).toEqual([]);
    await expect(bob.readResource({ uri: `instagram://posts/${tracked.id}` })).rejects.toThrow(/No post/);
    await expect(bob.readResource({ uri: `instagram://accounts/${businessId}` })).rejects.toThrow(/No account/);
  });
});

describe('reading posts of an account without any', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { seed: false } });
    await h.connectAccount('creator');
  });
  afterAll(() => h.close());

  it('answers an empty list without a cursor', async () => {
    const out = await h.call('instagram_get_posts', { include_stories: true });
    expect(out.isError).toBe(false);
    expect(out.data).toMatchObject({ posts: [], count: 0, next_cursor: null, stories: [] });
    expect(out.data.notes).toContain('This account has no posts yet.');
  });
});
