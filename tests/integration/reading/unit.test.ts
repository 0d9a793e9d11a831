/**
 * Pure logic of the reading layer, checked against the response samples of the reference (§5), not
 * against the emulator.
 */
import { describe, expect, it } from 'vitest';
import { deprecatedMetrics, mediaKindOf, toInsightRows, ACCOUNT_METRICS, MEDIA_METRICS, DEPRECATED_METRICS } from '../../../src/instagram/insights.js';
import { isValidUsername } from '../../../src/instagram/discovery.js';
import { parseTimeArg } from '../../../src/services/reading/time.js';
import { untrusted } from '../../../src/tools/shapes.js';

describe('toInsightRows', () => {
  it('reads the documented media sample: lifetime values and a breakdown without double-counting the total', () => {
    const { rows, metrics } = toInsightRows({
      data: [
        { name: 'reach', period: 'lifetime', values: [{ value: 13 }], title: 'Reach', description: 'Total number…', id: '1/insights/reach/lifetime' },
        {
          name: 'profile_activity',
          period: 'lifetime',
          values: [{ value: 4 }],
          title: 'Profile activity',
          total_value: {
            value: 4,
            breakdowns: [{ dimension_keys: ['action_type'], results: [{ dimension_values: ['email'], value: 1 }, { dimension_values: ['bio_link_clicked'], value: 3 }] }],
          },
          id: '1/insights/profile_activity/lifetime',
        },
      ],
    });
    expect(rows).toEqual([
      { metric: 'reach', value: 13, breakdown: null, period: 'lifetime', end_time: null },
      { metric: 'profile_activity', value: 4, breakdown: null, period: 'lifetime', end_time: null },
      { metric: 'profile_activity', value: 1, breakdown: { action_type: 'email' }, period: 'lifetime', end_time: null },
      { metric: 'profile_activity', value: 3, breakdown: { action_type: 'bio_link_clicked' }, period: 'lifetime', end_time: null },
    ]);
    expect(metrics).toEqual([
      { metric: 'reach', title: 'Reach', description: 'Total number…' },
      { metric: 'profile_activity', title: 'Profile activity' },
    ]);
  });

  it('reads the documented account samples: total_value with breakdown, time_series, demographics', () => {
    const total = toInsightRows({
      data: [
        {
          name: 'reach',
          period: 'day',
          total_value: {
            value: 224,
            breakdowns: [{ dimension_keys: ['media_product_type'], results: [{ dimension_values: ['CAROUSEL_CONTAINER'], value: 100 }, { dimension_values: ['POST'], value: 124 }] }],
          },
          id: 'x/insights/reach/day',
        },
      ],
      paging: { previous: 'https://graph.face...', next: 'https://graph.face...' },
    });
    expect(total.rows).toEqual([
      { metric: 'reach', value: 224, breakdown: null, period: 'day', end_time: null },
      { metric: 'reach', value: 100, breakdown: { media_product_type: 'CAROUSEL_CONTAINER' }, period: 'day', end_time: null },
      { metric: 'reach', value: 124, breakdown: { media_product_type: 'POST' }, period: 'day', end_time: null },
    ]);
    const series = toInsightRows({
      data: [{ name: 'reach', period: 'day', values: [{ value: 12, end_time: '2018-01-11T08:00:00+0000' }, { value: 12, end_time: '2018-01-12T08:00:00+0000' }] }],
    });
    expect(series.rows.map((r) => r.end_time)).toEqual(['2018-01-11T08:00:00+0000', '2018-01-12T08:00:00+0000']);
    const demo = toInsightRows({
      data: [
        {
          name: 'engaged_audience_demographics',
          period: 'lifetime',
          total_value: { breakdowns: [{ dimension_keys: ['timeframe', 'country'], results: [{ dimension_values: ['LAST_90_DAYS', 'US'], value: 7 }] }] },
        },
      ],
    });
    expect(demo.rows).toEqual([{ metric: 'engaged_audience_demographics', value: 7, breakdown: { timeframe: 'LAST_90_DAYS', country: 'US' }, period: 'lifetime', end_time: null }]);
    const online = toInsightRows({ data: [{ name: 'online_followers', period: 'lifetime', values: [{ value: { '0': 5, '1': 7 }, end_time: '2026-11-24T08:00:00+0000' }] }] });
    expect(online.rows).toEqual([
      { metric: 'online_followers', value: 5, breakdown: { hour: '0' }, period: 'lifetime', end_time: '2026-11-24T08:00:00+0000' },
      { metric: 'online_followers', value: 7, breakdown: { hour: '1' }, period: 'lifetime', end_time: '2026-11-24T08:00:00+0000' },
    ]);
    expect(toInsightRows({ data: [] }).rows).toEqual([]);
  });
});

describe('metric catalogs', () => {
  it('names a replacement for every removed metric and never lists a removed metric as current', () => {
    for (const [metric, info] of Object.entries(DEPRECATED_METRICS)) {
      expect(info.replacement, metric).toBeTruthy();
      for (const list of Object.values(MEDIA_METRICS)) expect(list).not.toContain(metric);
      expect(ACCOUNT_METRICS).not.toHaveProperty(metric);
    }
    expect(deprecatedMetrics(['reach', 'impressions', 'plays']).map((d) => [d.metric, d.replacement])).toEqual([
      ['impressions', 'views'],
      ['plays', 'views'],
    ]);
  });

  it('derives the insights family from the product type', () => {
    expect(mediaKindOf('REELS')).toBe('REELS');
    expect(mediaKindOf('STORY', 'IMAGE')).toBe('STORY');
    expect(mediaKindOf('FEED', 'CAROUSEL_ALBUM')).toBe('FEED');
    expect(mediaKindOf(undefined, 'VIDEO')).toBe('REELS');
    expect(mediaKindOf('AD', 'IMAGE')).toBe('FEED');
  });
});

describe('small helpers', () => {
  it('parses times as ISO or unix seconds (or milliseconds)', () => {
    expect(parseTimeArg('since', '2026-11-01')).toBe(Date.UTC(2026, 10, 1) / 1000);
    expect(parseTimeArg('since', '1767225600')).toBe(1767225600);
    expect(parseTimeArg('since', 1767225600000)).toBe(1767225600);
    expect(parseTimeArg('since', undefined)).toBeUndefined();
    expect(() => parseTimeArg('since', 'yesterday-ish')).toThrow(/since is not a date/);
  });

  it('wraps other people\'s text and checks usernames', () => {
    expect(untrusted('hi')).toEqual({ untrusted_text: 'hi' });
    expect(untrusted(undefined)).toBeNull();
    expect(isValidUsername('blue.bottle_1')).toBe(true);
    expect(isValidUsername('x){id}')).toBe(false);
    expect(isValidUsername('a'.repeat(31))).toBe(false);
  });
});
