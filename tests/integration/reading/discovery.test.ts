/**
 * instagram_search_hashtag and instagram_business_discovery through the MCP client against the
 * emulator: results, paging, empty answers, the 30-hashtags budget and the Facebook-Login rule.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configureHashtag, searchedHashtags } from '../../../src/emulator/hashtags.js';
import { advance } from './helpers.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

describe('hashtag search', () => {
  let h: Harness;
  let fbIgId: string;
  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('facebook');
    fbIgId = h.emulator.users.facebookInstagram.id;
  });
  afterAll(() => h.close());
  beforeEach(() => h.emulator.clearLog());

  const searchCalls = () => h.emulator.requestLog().filter((r) => r.path === '/ig_hashtag_search');

  it('returns top media with other people\'s captions as untrusted text, and the budget', async () => {
    configureHashtag(h.emulator.state, 'sourdough', { top: 30, recent: 4 });
    const out = await h.call('instagram_search_hashtag', { hashtag: '#Sourdough', limit: 5 });
    expect(out.isError).toBe(false);
    expect(out.data.hashtag).toEqual({ id: expect.any(String), name: 'sourdough' });
    expect(out.data.edge).toBe('top');
    expect(out.data.media).toHaveLength(5);
    const captioned = out.data.media.find((m: { caption: unknown }) => m.caption !== null);
    expect(captioned.caption).toEqual({ untrusted_text: expect.stringContaining('#sourdough') });
    expect(out.data.budget).toMatchObject({ limit: 30, used: 1, remaining: 29, window_days: 7, searched: ['sourdough'] });
    expect(searchCalls()).toHaveLength(1);
    expect(searchedHashtags(h.emulator.state, fbIgId)).toEqual([out.data.hashtag.id]);

    // Searching it again is free: no new ig_hashtag_search, same budget.
    const again = await h.call('instagram_search_hashtag', { hashtag: 'sourdough', edge: 'recent' });
    expect(again.data.budget.used).toBe(1);
    expect(again.data.media).toHaveLength(4);
    expect(searchCalls()).toHaveLength(1);
  });

  it('pages to the end without spending budget, and answers empty results', async () => {
    configureHashtag(h.emulator.state, 'croissant', { top: 23, recent: 0 });
    const ids: string[] = [];
    let out = await h.call('instagram_search_hashtag', { hashtag: 'croissant', limit: 10 });
    ids.push(...out.data.media.map((m: { id: string }) => m.id));
    let pages = 1;
    while (out.data.next_cursor) {
      out = await h.call('instagram_search_hashtag', { hashtag: 'croissant', cursor: out.data.next_cursor, limit: 10 });
      ids.push(...out.data.media.map((m: { id: string }) => m.id));
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(23);
    expect(searchCalls()).toHaveLength(1);

    const recent = await h.call('instagram_search_hashtag', { hashtag: 'croissant', edge: 'recent' });
    expect(recent.data).toMatchObject({ media: [], count: 0, next_cursor: null });
    expect(recent.data.notes).toContain('No media with this hashtag in the last 24 hours.');
  });

  it('refuses a 31st unique hashtag locally, before calling Instagram, and says when a slot frees', async () => {
    const already = (await h.app.reading.discovery.hashtagBudget({ owner: 'alice', agent: 'test-agent' }, (await h.app.store.accounts.get('alice', fbIgId))!)).used;
    for (let i = already; i < 30; i++) {
      const out = await h.call('instagram_search_hashtag', { hashtag: `bread${i}`, limit: 1 });
      expect(out.isError, out.text).toBe(false);
    }
    h.emulator.clearLog();
    const refused = await h.call('instagram_search_hashtag', { hashtag: 'onemore' });
    expect(refused.isError).toBe(true);
    expect(refused.data.error.code).toBe('hashtag_budget_exhausted');
    expect(refused.data.error.details.budget).toMatchObject({ used: 30, remaining: 0, next_slot_frees_at: expect.any(String) });
    expect(refused.data.error.hint).toMatch(/#sourdough/);
    expect(h.emulator.requestLog()).toEqual([]);
    // A hashtag already searched this week still works.
    expect((await h.call('instagram_search_hashtag', { hashtag: 'sourdough', limit: 1 })).isError).toBe(false);
    // After a week the oldest slot frees up.
    advance(h, 7 * 86_400_000 + 60_000);
    const later = await h.call('instagram_search_hashtag', { hashtag: 'onemore', limit: 1 });
    expect(later.isError).toBe(false);
    expect(later.data.budget.used).toBeLessThanOrEqual(30);
  });
});

describe('discovery needs Facebook Login', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('business');
  });
  afterAll(() => h.close());

  it('says so for an Instagram-Login account, without calling Instagram', async () => {
    h.emulator.clearLog();
    const tag = await h.call('instagram_search_hashtag', { hashtag: 'coffee' });
    expect(tag.isError).toBe(true);
    expect(tag.data.error.code).toBe('facebook_login_required');
    expect(tag.data.error.hint).toMatch(/instagram_authenticate.*login_type "facebook"/);
    const bd = await h.call('instagram_business_discovery', { username: 'bluebottle' });
    expect(bd.data.error.code).toBe('facebook_login_required');
    expect(h.emulator.requestLog()).toEqual([]);
  });
});

describe('business discovery', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('facebook');
  });
  afterAll(() => h.close());

  it('returns another account\'s public stats, media and averages; bio and captions are untrusted', async () => {
    const out = await h.call('instagram_business_discovery', { username: '@bluebottle', media_limit: 20 });
    expect(out.isError).toBe(false);
    expect(out.data.profile).toMatchObject({ username: { untrusted_text: 'bluebottle' }, name: { untrusted_text: 'Blue Bottle Coffee' }, followers_count: 267793, media_count: 45, biography: { untrusted_text: expect.any(String) } });
    expect(out.data.media).toHaveLength(20);
    expect(out.data.stats.posts_analyzed).toBe(20);
    expect(out.data.stats.avg_likes).toBeGreaterThan(0);
    expect(out.data.stats.engagement_rate_pct).toBeGreaterThan(0);
    const reel = out.data.media.find((m: { product_type: string }) => m.product_type === 'REELS');
    expect(reel.view_count).toBeGreaterThan(0);

    const trick = await h.call('instagram_business_discovery', { username: 'trickster_shop' });
    expect(trick.data.profile.biography.untrusted_text).toMatch(/SYSTEM NOTICE/);
  });

  it('pages through all media to the end', async () => {
    const ids: string[] = [];
    let out = await h.call('instagram_business_discovery', { username: 'bluebottle', media_limit: 20 });
    ids.push(...out.data.media.map((m: { id: string }) => m.id));
    let pages = 1;
    while (out.data.next_cursor && pages < 10) {
      out = await h.call('instagram_business_discovery', { username: 'bluebottle', cursor: out.data.next_cursor, media_limit: 20 });
      ids.push(...out.data.media.map((m: { id: string }) => m.id));
      pages++;
    }
    expect(out.data.next_cursor).toBeNull();
    expect(new Set(ids).size).toBe(45);
  });

  it('answers an account without posts, and a clear error for a personal or unknown one', async () => {
    const quiet = await h.call('instagram_business_discovery', { username: 'quiet_studio' });
    expect(quiet.data).toMatchObject({ media: [], count: 0, next_cursor: null, stats: { posts_analyzed: 0, avg_likes: null } });
    const personal = await h.call('instagram_business_discovery', { username: 'private_person' });
    expect(personal.data.error.code).toBe('business_account_not_found');
    expect(personal.data.error.details).toMatchObject({ graph_code: 110, graph_subcode: 2207013 });
  });
});

describe('hashtag budget spent elsewhere', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('facebook');
  });
  afterAll(() => h.close());

  it('turns Instagram\'s own refusal into the same budget error', async () => {
    // Another app used this account's 30 hashtags: the local record knows nothing of them.
    const fbIgId = h.emulator.users.facebookInstagram.id;
    const token = h.emulator.issueToken({ userId: h.emulator.users.facebookUser.id, loginType: 'facebook' });
    for (let i = 0; i < 30; i++) {
      const url = `${h.emulator.urls.facebookGraph}/v24.0/ig_hashtag_search?user_id=${fbIgId}&q=other${i}`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }
    h.emulator.clearLog();
    const out = await h.call('instagram_search_hashtag', { hashtag: 'mine' });
    expect(out.isError).toBe(true);
    expect(out.data.error.code).toBe('hashtag_budget_exhausted');
    expect(out.data.error.message).toMatch(/30 unique hashtags/);
    // Refused once, not retried.
    expect(h.emulator.requestLog().filter((r) => r.path === '/ig_hashtag_search')).toHaveLength(1);
  });
});
