/**
 * Hostile or broken Graph answers (issue #12, item 11): a page far larger than the `limit` asked for
 * gives the client at most `limit` items and a cursor that resumes right after them (nothing skipped),
 * and text longer than Instagram itself allows is cut and said in the notes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configureHashtag } from '../../../src/emulator/hashtags.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

const GRAPH_AFTER = 'QVFIUhostileAfterCursor';

/** A Graph page of `n` items with a next page behind `after`. */
function page(n: number, item: (i: number) => Record<string, unknown>, after = GRAPH_AFTER): string {
  return JSON.stringify({ data: Array.from({ length: n }, (_, i) => item(i)), paging: { cursors: { after }, next: 'https://graph.instagram.com/v24.0/next-page' } });
}

const mediaItem = (i: number) => ({ id: String(18_000_000_000_000 + i), caption: `post ${i}`, media_type: 'IMAGE', media_product_type: 'FEED', permalink: `https://www.instagram.com/p/P${i}/`, timestamp: '2026-01-01T00:00:00+0000', like_count: 1, comments_count: 0 });
const commentItem = (i: number) => ({ id: String(17_900_000_000_000 + i), text: `comment ${i}`, username: `fan_${i}`, timestamp: '2026-01-01T00:00:00+0000', like_count: 0, hidden: false });

function serve(h: Harness, path: RegExp, body: string): void {
  h.emulator.injectFaults({ method: 'GET', path, kind: { type: 'http_5xx', status: 200, body } });
}

const ids = (list: Array<{ id: string }>) => list.map((x) => x.id);
const range = (from: number, to: number, base: number) => Array.from({ length: to - from }, (_, i) => String(base + from + i));

describe('a page larger than asked for (Instagram account)', () => {
  let h: Harness;
  let businessId: string;
  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('business');
    businessId = h.emulator.users.instagramBusiness.id;
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.emulator.clearFaults();
    h.emulator.clearLog();
  });

  const mediaCalls = () => h.emulator.requestLog().filter((r) => r.method === 'GET' && /^\/\d+\/media$/.test(r.path));

  it('posts: 5,000 items for limit 5 give 5, and the cursor resumes at the sixth', async () => {
    serve(h, /^\/\d+\/media$/, page(5000, mediaItem));
    const first = await h.call('instagram_get_posts', { limit: 5 });
    expect(first.isError).toBe(false);
    expect(ids(first.data.posts)).toEqual(range(0, 5, 18_000_000_000_000));
    expect(first.data.count).toBe(5);
    expect(first.data.next_cursor).toEqual(expect.any(String));
    const second = await h.call('instagram_get_posts', { limit: 5, cursor: first.data.next_cursor });
    expect(ids(second.data.posts)).toEqual(range(5, 10, 18_000_000_000_000));
    // Both reads asked Instagram for the same first page (no Graph cursor can point inside it).
    expect(mediaCalls().map((r) => r.params['after'])).toEqual([undefined, undefined]);
    expect(first.text.length).toBeLessThan(10_000);
  });

  it('posts: the last slice of an oversized page hands on Instagram\'s own cursor', async () => {
    serve(h, /^\/\d+\/media$/, page(7, mediaItem));
    const first = await h.call('instagram_get_posts', { limit: 5 });
    expect(ids(first.data.posts)).toEqual(range(0, 5, 18_000_000_000_000));
    const second = await h.call('instagram_get_posts', { limit: 5, cursor: first.data.next_cursor });
    expect(ids(second.data.posts)).toEqual(range(5, 7, 18_000_000_000_000));
    expect(second.data.next_cursor).toEqual(expect.any(String));
    h.emulator.clearFaults();
    h.emulator.clearLog();
    await h.call('instagram_get_posts', { limit: 5, cursor: second.data.next_cursor });
    expect(mediaCalls().map((r) => r.params['after'])).toEqual([GRAPH_AFTER]);
  });

  it('live stories: at most 50 however many Instagram sends', async () => {
    serve(h, /^\/\d+\/stories$/, page(5000, (i) => ({ ...mediaItem(i), media_product_type: 'STORY' })));
    const out = await h.call('instagram_get_posts', { limit: 5, include_stories: true });
    expect(out.isError).toBe(false);
    expect(out.data.stories).toHaveLength(50);
    expect(out.data.notes.join(' ')).toMatch(/more live stories/i);
  });

  it('comments: 5,000 comments (the first ten with 5,000 replies each) for limit 5 give 5 comments with at most 5 replies, then the next 5', async () => {
    const mediaId = h.emulator.state.feedMedia(businessId)[0]!.id;
    const withReplies = (i: number) => ({ ...commentItem(i), ...(i < 10 ? { replies: { data: Array.from({ length: 5000 }, (_, j) => commentItem(100_000 + j)) } } : {}) });
    serve(h, /^\/\d+\/comments$/, page(5000, withReplies));
    const first = await h.call('instagram_get_comments', { media_id: mediaId, limit: 5 });
    expect(first.isError).toBe(false);
    expect(ids(first.data.comments)).toEqual(range(0, 5, 17_900_000_000_000));
    for (const c of first.data.comments) {
      expect(c.replies).toHaveLength(5);
      expect(c.more_replies).toBe(true);
    }
    expect(first.text.length).toBeLessThan(20_000);
    const second = await h.call('instagram_get_comments', { media_id: mediaId, limit: 5, cursor: first.data.next_cursor });
    expect(ids(second.data.comments)).toEqual(range(5, 10, 17_900_000_000_000));
  });

  it('replies: 5,000 replies for limit 5 give 5, then the next 5', async () => {
    serve(h, /^\/\d+\/replies$/, page(5000, commentItem));
    const first = await h.call('instagram_get_comments', { comment_id: '17858893269000001', limit: 5 });
    expect(first.isError).toBe(false);
    expect(ids(first.data.comments)).toEqual(range(0, 5, 17_900_000_000_000));
    const second = await h.call('instagram_get_comments', { comment_id: '17858893269000001', limit: 5, cursor: first.data.next_cursor });
    expect(ids(second.data.comments)).toEqual(range(5, 10, 17_900_000_000_000));
  });

  it('text longer than Instagram allows is cut and said: captions and comments at 2,200 characters, usernames at 30', async () => {
    serve(h, /^\/\d+\/media$/, page(2, (i) => ({ ...mediaItem(i), caption: 'x'.repeat(100_000) })));
    const posts = await h.call('instagram_get_posts', { limit: 5, detail: 'full' });
    expect(posts.isError).toBe(false);
    for (const p of posts.data.posts) {
      expect([...p.caption].length).toBe(2200);
      expect(p.caption.endsWith('…')).toBe(true);
    }
    expect(posts.data.notes.join(' ')).toMatch(/2 captions .*2200 characters.*cut/);

    // A caption of exactly 2,200 characters (emoji count as one) is Instagram's own limit: kept whole.
    h.emulator.clearFaults();
    const real = '🥐'.repeat(2200);
    serve(h, /^\/\d+\/media$/, page(1, (i) => ({ ...mediaItem(i), caption: real })));
    const kept = await h.call('instagram_get_posts', { limit: 5, detail: 'full' });
    expect(kept.data.posts[0].caption).toBe(real);
    expect(kept.data.notes.join(' ')).not.toMatch(/cut/);

    h.emulator.clearFaults();
    const mediaId = h.emulator.state.feedMedia(businessId)[0]!.id;
    serve(h, /^\/\d+\/comments$/, page(1, (i) => ({ ...commentItem(i), text: 'y'.repeat(50_000), username: 'z'.repeat(5000) })));
    const comments = await h.call('instagram_get_comments', { media_id: mediaId, detail: 'full' });
    const c = comments.data.comments[0];
    expect([...c.text.untrusted_text].length).toBe(2200);
    expect([...c.username.untrusted_text].length).toBe(30);
    expect(comments.data.notes.join(' ')).toMatch(/comment text.*cut/);
    expect(comments.data.notes.join(' ')).toMatch(/username.*cut/);
  });
});

describe('a page larger than asked for (Facebook Login account)', () => {
  let h: Harness;
  let fbIgId: string;
  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('facebook');
    fbIgId = h.emulator.users.facebookInstagram.id;
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.emulator.clearFaults();
    h.emulator.clearLog();
  });

  it('hashtag media: 5,000 items for limit 5 give 5, then the next 5', async () => {
    configureHashtag(h.emulator.state, 'sourdough', { top: 30, recent: 4 });
    await h.call('instagram_search_hashtag', { hashtag: 'sourdough', limit: 1 });
    serve(h, /^\/\d+\/(top|recent)_media$/, page(5000, mediaItem));
    const first = await h.call('instagram_search_hashtag', { hashtag: 'sourdough', limit: 5 });
    expect(first.isError).toBe(false);
    expect(ids(first.data.media)).toEqual(range(0, 5, 18_000_000_000_000));
    const second = await h.call('instagram_search_hashtag', { hashtag: 'sourdough', limit: 5, cursor: first.data.next_cursor });
    expect(ids(second.data.media)).toEqual(range(5, 10, 18_000_000_000_000));
  });

  it('business discovery: 5,000 media for media_limit 5 give 5 (and stats over those 5), then the next 5; a long bio is cut at 150', async () => {
    const body = (n: number) =>
      JSON.stringify({
        id: fbIgId,
        business_discovery: {
          id: '17841400000000999',
          username: 'bluebottle',
          name: 'Blue Bottle Coffee',
          biography: 'b'.repeat(20_000),
          followers_count: 1000,
          media_count: n,
          media: { data: Array.from({ length: n }, (_, i) => mediaItem(i)), paging: { cursors: { after: 'QVFIUbd' } } },
        },
      });
    h.emulator.injectFaults({ method: 'GET', path: `/${fbIgId}`, kind: { type: 'http_5xx', status: 200, body: body(5000) } });
    const first = await h.call('instagram_business_discovery', { username: 'bluebottle', media_limit: 5 });
    expect(first.isError).toBe(false);
    expect(ids(first.data.media)).toEqual(range(0, 5, 18_000_000_000_000));
    expect(first.data.stats.posts_analyzed).toBe(5);
    expect([...first.data.profile.biography.untrusted_text].length).toBe(150);
    expect(first.data.notes.join(' ')).toMatch(/biography.*cut/);
    const second = await h.call('instagram_business_discovery', { username: 'bluebottle', media_limit: 5, cursor: first.data.next_cursor });
    expect(ids(second.data.media)).toEqual(range(5, 10, 18_000_000_000_000));
  });
});
