/**
 * instagram_get_insights and the account summary of instagram_accounts, through the MCP client
 * against the emulator (virtual clock).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cdnUrl } from '../../../src/emulator/state.js';
import type { EmulatedMedia } from '../../../src/emulator/types.js';
import { advance } from './helpers.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

describe('insights', () => {
  let h: Harness;
  let businessId: string;
  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('business');
    businessId = h.emulator.users.instagramBusiness.id;
  });
  afterAll(() => h.close());
  beforeEach(() => h.emulator.clearLog());

  const insightCalls = () => h.emulator.requestLog().filter((r) => r.path.endsWith('/insights'));
  const feed = () => h.emulator.state.feedMedia(businessId);

  function addStory(): EmulatedMedia {
    const state = h.emulator.state;
    const id = state.newId('179');
    return state.addMedia({
      id,
      ownerId: businessId,
      mediaType: 'IMAGE',
      productType: 'STORY',
      timestamp: state.now(),
      shortcode: state.newShortcode(),
      permalink: `https://www.instagram.com/stories/sandbox_bakery/${id}/`,
      mediaUrl: cdnUrl(id, 'jpg'),
      likeCount: 0,
      commentsCount: 0,
      isCommentEnabled: true,
      viaApi: true,
    });
  }

  it('reads the default metrics of a feed post as tidy rows', async () => {
    const post = feed().find((m) => m.productType === 'FEED')!;
    const out = await h.call('instagram_get_insights', { media_id: post.id });
    expect(out.isError).toBe(false);
    expect(out.data.target).toEqual({ kind: 'media', id: post.id, resource_uri: `instagram://posts/${post.id}`, product_type: 'FEED' });
    expect(out.data.metrics).toEqual(['views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions']);
    expect(out.data.rows).toHaveLength(7);
    expect(out.data.rows).toContainEqual({ metric: 'likes', value: post.likeCount, breakdown: null, period: 'lifetime', end_time: null });
    const asked = insightCalls()[0]!;
    expect(asked.params['metric']).toBe('views,reach,likes,comments,saved,shares,total_interactions');
  });

  it('uses reel defaults and breaks down profile activity', async () => {
    const reel = feed().find((m) => m.productType === 'REELS')!;
    const out = await h.call('instagram_get_insights', { media_id: reel.id, detail: 'full' });
    expect(out.data.target.product_type).toBe('REELS');
    expect(out.data.metrics).toContain('ig_reels_avg_watch_time');
    expect(out.data.metric_info.length).toBe(out.data.metrics.length);

    const post = feed().find((m) => m.productType === 'FEED')!;
    const br = await h.call('instagram_get_insights', { media_id: post.id, breakdown: 'action_type' });
    expect(br.isError).toBe(false);
    expect(br.data.metrics).toEqual(['profile_activity']);
    const parts = br.data.rows.filter((r: { breakdown: unknown }) => r.breakdown !== null);
    const total = br.data.rows.find((r: { breakdown: unknown }) => r.breakdown === null);
    expect(parts.reduce((a: number, r: { value: number }) => a + r.value, 0)).toBe(total.value);
    for (const r of parts) expect(Object.keys(r.breakdown)).toEqual(['action_type']);
  });

  it('refuses a removed metric before any call, naming the replacement', async () => {
    const post = feed()[0]!;
    const out = await h.call('instagram_get_insights', { media_id: post.id, metrics: ['impressions', 'reach', 'video_views'] });
    expect(out.isError).toBe(true);
    expect(out.data.error.code).toBe('deprecated_metric');
    expect(out.data.error.message).toMatch(/impressions .*use views/);
    expect(out.data.error.hint).toMatch(/views/);
    expect(out.data.error.details.deprecated).toEqual([
      { metric: 'impressions', replacement: 'views' },
      { metric: 'video_views', replacement: 'views' },
    ]);
    const account = await h.call('instagram_get_insights', { metrics: ['profile_views'] });
    expect(account.data.error.code).toBe('deprecated_metric');
    expect(h.emulator.requestLog()).toEqual([]);
  });

  it('refuses metrics of another media type and breakdowns on metrics without one locally', async () => {
    const post = feed().find((m) => m.productType === 'FEED')!;
    const out = await h.call('instagram_get_insights', { media_id: post.id, metrics: ['ig_reels_avg_watch_time'] });
    expect(out.data.error.code).toBe('invalid_metric');
    expect(out.data.error.hint).toMatch(/views, reach/);
    const br = await h.call('instagram_get_insights', { media_id: post.id, metrics: ['reach'], breakdown: 'action_type' });
    expect(br.data.error.code).toBe('invalid_breakdown');
    expect(insightCalls()).toEqual([]);
  });

  it('explains a story with fewer than 5 viewers, and reads it once more people saw it', async () => {
    const story = addStory();
    const early = await h.call('instagram_get_insights', { media_id: story.id });
    expect(early.isError).toBe(true);
    expect(early.data.error.code).toBe('not_enough_viewers');
    expect(early.data.error.message).toMatch(/fewer than 5/);
    expect(insightCalls().map((r) => r.status)).toEqual([403]);
    advance(h, 2 * 60 * 60_000);
    const later = await h.call('instagram_get_insights', { media_id: story.id });
    expect(later.isError).toBe(false);
    expect(later.data.target.product_type).toBe('STORY');
    expect(later.data.rows.find((r: { metric: string }) => r.metric === 'reach').value).toBeGreaterThanOrEqual(5);
  });

  it('reads account totals for the last 7 days by default, a daily series and a breakdown', async () => {
    const out = await h.call('instagram_get_insights', {});
    expect(out.isError).toBe(false);
    expect(out.data).toMatchObject({ target: { kind: 'account', id: businessId, username: 'sandbox_bakery' }, period: 'day', metric_type: 'total_value' });
    expect(Date.parse(out.data.until) - Date.parse(out.data.since)).toBe(7 * 86_400_000);
    expect(out.data.rows.map((r: { metric: string }) => r.metric)).toEqual(['reach', 'views', 'accounts_engaged', 'total_interactions']);
    const sent = insightCalls()[0]!.params;
    expect(sent).toMatchObject({ metric: 'reach,views,accounts_engaged,total_interactions', period: 'day', metric_type: 'total_value' });

    const series = await h.call('instagram_get_insights', { metrics: ['reach'], metric_type: 'time_series' });
    expect(series.data.rows.length).toBeGreaterThanOrEqual(7);
    for (const r of series.data.rows) expect(r).toMatchObject({ metric: 'reach', breakdown: null, period: 'day', end_time: expect.stringMatching(/\+0000$/) });

    const byType = await h.call('instagram_get_insights', { metrics: ['views'], breakdown: 'follow_type', since: '2026-11-20', until: '2026-11-24' });
    expect(byType.isError).toBe(false);
    const keys = byType.data.rows.filter((r: { breakdown: unknown }) => r.breakdown).map((r: { breakdown: { follow_type: string } }) => r.breakdown.follow_type);
    expect(keys.sort()).toEqual(['FOLLOWER', 'NON_FOLLOWER', 'UNKNOWN']);

    const tooLong = await h.call('instagram_get_insights', { metrics: ['reach'], since: '2026-09-01', until: '2026-11-20' });
    expect(tooLong.data.error.code).toBe('invalid_argument');
    const viewsSeries = await h.call('instagram_get_insights', { metrics: ['views'], metric_type: 'time_series' });
    expect(viewsSeries.data.error.code).toBe('invalid_argument');
  });

  it('reads audience demographics for a timeframe', async () => {
    const out = await h.call('instagram_get_insights', { metrics: ['follower_demographics'], breakdown: 'age', timeframe: 'this_week' });
    expect(out.isError).toBe(false);
    expect(out.data).toMatchObject({ period: 'lifetime', breakdown: 'age', timeframe: 'this_week' });
    expect(out.data.rows.length).toBeGreaterThan(3);
    expect(out.data.rows[0].breakdown).toEqual({ timeframe: 'THIS_WEEK', age: expect.any(String) });
    const removed = await h.call('instagram_get_insights', { metrics: ['follower_demographics'], timeframe: 'last_90_days' });
    expect(removed.data.error.message).toMatch(/no longer offered/);
  });

  it('adds reach and views of the last 7 days to instagram_accounts', async () => {
    const out = await h.call('instagram_accounts', { include_analytics: true });
    const analytics = out.data.accounts[0].analytics;
    expect(analytics).toMatchObject({ period: 'last_7_days', reach: expect.any(Number), views: expect.any(Number) });
    expect(analytics.reach).toBeGreaterThan(0);
  });
});

describe('insights without data', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.emulator.state.igUsers.get(h.emulator.users.instagramCreator.id)!.followersCount = 12;
    await h.connectAccount('creator');
  });
  afterAll(() => h.close());

  it('answers no rows, with a note, where Instagram omits the metric', async () => {
    const out = await h.call('instagram_get_insights', { metrics: ['follower_count'] });
    expect(out.isError).toBe(false);
    expect(out.data.rows).toEqual([]);
    expect(out.data.metric_type).toBe('time_series');
    expect(out.data.notes.join(' ')).toMatch(/No data for follower_count/);
  });

  it('reports unavailable analytics as nulls with a note instead of failing the account list', async () => {
    h.emulator.injectFaults({ path: /\/insights$/, kind: { type: 'graph_error', code: 10 } });
    const out = await h.call('instagram_accounts', { include_analytics: true });
    expect(out.isError).toBe(false);
    expect(out.data.accounts[0].analytics).toMatchObject({ reach: null, views: null, note: expect.stringMatching(/Insights unavailable/) });
    h.emulator.clearFaults();
  });
});
