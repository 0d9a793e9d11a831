import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMedia, call, feed, setup, type Harness } from './helpers.js';

describe('emulator: media insights', () => {
  let h: Harness;
  let media: Array<Record<string, any>>;
  beforeAll(async () => {
    h = await setup();
    media = await feed(h);
  });
  afterAll(() => h.close());

  const ofType = (productType: string, mediaType?: string) =>
    media.find((m) => m.media_product_type === productType && (!mediaType || m.media_type === mediaType))!;

  it('answers the documented shape for valid feed metrics', async () => {
    const post = ofType('FEED', 'IMAGE');
    const res = await call(`${h.ig}/${post.id}/insights`, { token: h.igToken, params: { metric: 'views,reach,likes,comments,saved,shares,total_interactions' } });
    expect(res.status).toBe(200);
    expect(res.json.data).toHaveLength(7);
    const reach = res.json.data.find((d: { name: string }) => d.name === 'reach');
    expect(reach).toEqual({
      name: 'reach',
      period: 'lifetime',
      values: [{ value: expect.any(Number) }],
      title: expect.any(String),
      description: expect.any(String),
      id: `${post.id}/insights/reach/lifetime`,
    });
    const likes = res.json.data.find((d: { name: string }) => d.name === 'likes');
    expect(likes.values[0].value).toBe(post.like_count);
  });

  it('serves reel-only metrics on reels and refuses them on feed posts with 100', async () => {
    const reel = ofType('REELS');
    const ok = await call(`${h.ig}/${reel.id}/insights`, { token: h.igToken, params: { metric: 'ig_reels_avg_watch_time,views' } });
    expect(ok.status).toBe(200);
    expect(ok.json.data[0].values[0].value).toBeGreaterThan(0);
    const bad = await call(`${h.ig}/${ofType('FEED').id}/insights`, { token: h.igToken, params: { metric: 'ig_reels_avg_watch_time' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 100, type: 'OAuthException', message: expect.stringMatching(/^\(#100\) .*ig_reels_avg_watch_time.*media product type/) });
  });

  it('rejects removed metrics with 100 naming the replacement on v22+, and keeps them on v21 for media created before July 2024', async () => {
    const post = ofType('FEED');
    for (const metric of ['impressions', 'plays', 'video_views', 'engagement', 'carousel_album_reach', 'taps_forward']) {
      const res = await call(`${h.ig}/${post.id}/insights`, { token: h.igToken, params: { metric } });
      expect(res.json.error.code, metric).toBe(100);
      expect(res.json.error.message, metric).toMatch(new RegExp(`the ${metric} metric is no longer supported`));
    }
    const impressions = await call(`${h.ig}/${post.id}/insights`, { token: h.igToken, params: { metric: 'impressions' } });
    expect(impressions.json.error.message).toBe('(#100) Starting from version v22.0, the impressions metric is no longer supported. Please use views instead.');

    const old = addMedia(h, h.businessId, { productType: 'FEED', likeCount: 40, viaApi: false, timestamp: Date.UTC(2024, 4, 1) });
    const v21 = `${h.emulator.urls.instagramGraph}/v21.0`;
    const legacy = await call(`${v21}/${old.id}/insights`, { token: h.igToken, params: { metric: 'impressions,reach' } });
    expect(legacy.status).toBe(200);
    expect(legacy.json.data.map((d: { name: string }) => d.name)).toEqual(['impressions', 'reach']);
    const stillGone = await call(`${v21}/${old.id}/insights`, { token: h.igToken, params: { metric: 'video_views' } });
    expect(stillGone.json.error.code).toBe(100);
    const newOnV21 = await call(`${v21}/${post.id}/insights`, { token: h.igToken, params: { metric: 'impressions' } });
    expect(newOnV21.json.error.code).toBe(100);
  });

  it('names the allowed values for an unknown metric', async () => {
    const res = await call(`${h.ig}/${ofType('FEED').id}/insights`, { token: h.igToken, params: { metric: 'reach,bogus' } });
    expect(res.json.error).toMatchObject({ code: 100, message: expect.stringMatching(/^\(#100\) metric\[1\] must be one of the following values: .*views/) });
  });

  it('answers code 10 for a story with fewer than 5 viewers, and insights once more people saw it', async () => {
    const story = addMedia(h, h.businessId, { productType: 'STORY' });
    const early = await call(`${h.ig}/${story.id}/insights`, { token: h.igToken, params: { metric: 'reach,views' } });
    expect(early.status).toBe(403);
    expect(early.json.error).toMatchObject({ code: 10, message: '(#10) Not enough viewers for the media to show insights' });
    h.clock.advance(60 * 60_000);
    const later = await call(`${h.ig}/${story.id}/insights`, { token: h.igToken, params: { metric: 'reach,replies,navigation' } });
    expect(later.status).toBe(200);
    expect(later.json.data.find((d: { name: string }) => d.name === 'reach').values[0].value).toBeGreaterThanOrEqual(5);
    const feedMetric = await call(`${h.ig}/${story.id}/insights`, { token: h.igToken, params: { metric: 'saved' } });
    expect(feedMetric.json.error.code).toBe(100);
  });

  it('breaks down profile_activity by action_type and answers code 1 for a breakdown on a metric without one', async () => {
    const post = ofType('FEED');
    const ok = await call(`${h.ig}/${post.id}/insights`, { token: h.igToken, params: { metric: 'profile_activity', breakdown: 'action_type' } });
    expect(ok.status).toBe(200);
    const entry = ok.json.data[0];
    expect(entry.total_value.breakdowns[0].dimension_keys).toEqual(['action_type']);
    const sum = entry.total_value.breakdowns[0].results.reduce((a: number, r: { value: number }) => a + r.value, 0);
    expect(sum).toBe(entry.total_value.value);
    for (const r of entry.total_value.breakdowns[0].results) expect(['bio_link_clicked', 'call', 'direction', 'email', 'other', 'text']).toContain(r.dimension_values[0]);

    const bad = await call(`${h.ig}/${post.id}/insights`, { token: h.igToken, params: { metric: 'reach', breakdown: 'action_type' } });
    expect(bad.status).toBe(500);
    expect(bad.json.error).toMatchObject({ code: 1, message: 'An unknown error has occurred.', is_transient: true });
  });

  it('has no insights for carousel children, and needs the insights permission', async () => {
    const albumChild = [...h.emulator.state.media.values()].find((m) => m.parentId && m.ownerId === h.businessId)!;
    const child = await call(`${h.ig}/${albumChild.id}/insights`, { token: h.igToken, params: { metric: 'reach' } });
    expect(child.json.error.code).toBe(100);
    const noScope = h.emulator.issueToken({ userId: h.businessId, loginType: 'instagram', scopes: ['instagram_business_basic'] });
    const denied = await call(`${h.ig}/${ofType('FEED').id}/insights`, { token: noScope, params: { metric: 'reach' } });
    expect(denied.json.error.code).toBe(10);
  });
});

describe('emulator: account insights', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setup();
  });
  afterAll(() => h.close());
  const nowS = () => Math.floor(h.clock.now() / 1000);

  it('answers one total for the window, with a breakdown that adds up', async () => {
    const res = await call(`${h.ig}/${h.businessId}/insights`, {
      token: h.igToken,
      params: { metric: 'reach,views', period: 'day', metric_type: 'total_value', breakdown: 'follow_type', since: String(nowS() - 7 * 86400), until: String(nowS()) },
    });
    expect(res.status).toBe(200);
    const reach = res.json.data[0];
    expect(reach).toMatchObject({ name: 'reach', period: 'day', title: 'Accounts reached', id: `${h.businessId}/insights/reach/day` });
    expect(reach.total_value.value).toBeGreaterThan(0);
    const results = reach.total_value.breakdowns[0].results;
    expect(reach.total_value.breakdowns[0].dimension_keys).toEqual(['follow_type']);
    expect(results.reduce((a: number, r: { value: number }) => a + r.value, 0)).toBe(reach.total_value.value);
    expect(res.json.paging.next).toContain('since=');
  });

  it('answers a time series of reach with one value per day', async () => {
    const res = await call(`${h.ig}/${h.businessId}/insights`, {
      token: h.igToken,
      params: { metric: 'reach', period: 'day', metric_type: 'time_series', since: String(nowS() - 7 * 86400), until: String(nowS()) },
    });
    const values = res.json.data[0].values;
    expect(values.length).toBeGreaterThanOrEqual(7);
    expect(values.length).toBeLessThanOrEqual(8);
    for (const v of values) expect(v).toEqual({ value: expect.any(Number), end_time: expect.stringMatching(/T08:00:00\+0000$/) });
  });

  it('refuses metric/period/type combinations, long windows and removed metrics with 100', async () => {
    const base = { token: h.igToken };
    const viewsSeries = await call(`${h.ig}/${h.businessId}/insights`, { ...base, params: { metric: 'views', period: 'day' } });
    expect(viewsSeries.json.error.message).toBe('(#100) The following metrics (views) should be specified with parameter metric_type=total_value');
    const noPeriod = await call(`${h.ig}/${h.businessId}/insights`, { ...base, params: { metric: 'reach' } });
    expect(noPeriod.json.error.message).toBe('(#100) The parameter period is required');
    const week = await call(`${h.ig}/${h.businessId}/insights`, { ...base, params: { metric: 'reach', period: 'week' } });
    expect(week.json.error.code).toBe(100);
    const long = await call(`${h.ig}/${h.businessId}/insights`, {
      ...base,
      params: { metric: 'reach', period: 'day', metric_type: 'total_value', since: String(nowS() - 40 * 86400), until: String(nowS()) },
    });
    expect(long.json.error.message).toBe('(#100) There cannot be more than 30 days (2592000 s) between since and until');
    const impressions = await call(`${h.ig}/${h.businessId}/insights`, { ...base, params: { metric: 'impressions', period: 'day', metric_type: 'total_value' } });
    expect(impressions.json.error.message).toMatch(/impressions metric is no longer supported. Please use views/);
    const profileViews = await call(`${h.ig}/${h.businessId}/insights`, { ...base, params: { metric: 'profile_views', period: 'day', metric_type: 'total_value' } });
    expect(profileViews.json.error.code).toBe(100);
    const badBreakdown = await call(`${h.ig}/${h.businessId}/insights`, {
      ...base,
      params: { metric: 'accounts_engaged', period: 'day', metric_type: 'total_value', breakdown: 'follow_type' },
    });
    expect(badBreakdown.json.error.code).toBe(100);
  });

  it('answers demographics per timeframe and refuses removed timeframes', async () => {
    const res = await call(`${h.ig}/${h.businessId}/insights`, {
      token: h.igToken,
      params: { metric: 'follower_demographics', period: 'lifetime', metric_type: 'total_value', breakdown: 'country', timeframe: 'this_month' },
    });
    expect(res.status).toBe(200);
    const bd = res.json.data[0].total_value.breakdowns[0];
    expect(bd.dimension_keys).toEqual(['timeframe', 'country']);
    expect(bd.results[0].dimension_values[0]).toBe('THIS_MONTH');
    expect(bd.results.length).toBeLessThanOrEqual(45);
    const old = await call(`${h.ig}/${h.businessId}/insights`, {
      token: h.igToken,
      params: { metric: 'follower_demographics', period: 'lifetime', metric_type: 'total_value', breakdown: 'age', timeframe: 'last_30_days' },
    });
    expect(old.json.error.message).toBe('(#100) timeframe must be one of the following values: this_week, this_month');
  });

  it('omits follower-count metrics for accounts under 100 followers', async () => {
    h.emulator.state.igUsers.get(h.creatorId)!.followersCount = 40;
    const token = h.emulator.issueToken({ userId: h.creatorId, loginType: 'instagram' });
    const res = await call(`${h.ig}/${h.creatorId}/insights`, { token, params: { metric: 'follower_count', period: 'day' } });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual([]);
  });
});
