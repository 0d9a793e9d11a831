/** The pure arithmetic of performance reports: engagement rate, period change, best hours, commonalities. */
import { describe, expect, it } from 'vitest';
import {
  bestHours,
  captionLength,
  change,
  commonalities,
  dayOf,
  engagementRate,
  hashtagCount,
  onlineGrid,
  periodEngagementRate,
  windows,
} from '../../../src/services/analytics/compute.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('engagement rate', () => {
  it('is (likes + comments + saved + shares) ÷ reach, null without reach', () => {
    expect(engagementRate({ likes: 50, comments: 10, saved: 5, shares: 5, reach: 700 })).toBe(0.1);
    expect(engagementRate({ likes: 50, comments: 10, saved: null, shares: null, reach: 600 })).toBe(0.1);
    expect(engagementRate({ likes: 5, comments: 0, saved: 0, shares: 0, reach: 0 })).toBeNull();
    expect(engagementRate({ likes: 5, comments: 0, saved: 0, shares: 0, reach: null })).toBeNull();
  });

  it('a period is reach-weighted: a tiny post cannot swing it', () => {
    const big = { likes: 100, comments: 0, saved: 0, shares: 0, reach: 1000 };
    const tiny = { likes: 9, comments: 0, saved: 0, shares: 0, reach: 10 };
    expect(periodEngagementRate([big, tiny])).toBe(0.1079);
    expect(periodEngagementRate([{ ...big, reach: null }])).toBeNull();
  });
});

describe('change vs the previous period', () => {
  it('is (current − previous) ÷ previous, null without a base', () => {
    expect(change(150, 100)).toEqual({ current: 150, previous: 100, change: 0.5 });
    expect(change(50, 100).change).toBe(-0.5);
    expect(change(5, 0).change).toBeNull();
    expect(change(5, null).change).toBeNull();
    expect(change(null, 5).change).toBeNull();
  });
});

describe('captions', () => {
  it('counts hashtags (not # inside words) and characters as code points', () => {
    expect(hashtagCount('Fresh #bakery #sourdough_2 and C# #über')).toBe(3);
    expect(hashtagCount(null)).toBe(0);
    expect(captionLength('crème 🍞')).toBe(7);
  });
});

describe('commonalities', () => {
  it('names the most frequent format, weekday and 3-hour band, with their share, and the medians', () => {
    const c = commonalities([
      { format: 'REEL', weekday: 5, hour: 19, captionLength: 40, hashtags: 5 },
      { format: 'REEL', weekday: 5, hour: 20, captionLength: 80, hashtags: 3 },
      { format: 'IMAGE', weekday: 2, hour: 8, captionLength: 10, hashtags: 0 },
      { format: 'REEL', weekday: 5, hour: 18, captionLength: 60, hashtags: 4 },
    ]);
    expect(c.format).toEqual({ value: 'REEL', share: 0.75 });
    expect(c.weekday).toEqual({ value: 'Fri', share: 0.75 });
    expect(c.hours).toEqual({ value: '18–21', share: 0.75 });
    expect(c.median_caption_length).toBe(50);
    expect(c.median_hashtags).toBe(3.5);
    expect(commonalities([]).format).toBeNull();
  });
});

describe('best hours from online_followers', () => {
  it('places each hour key from its window end in the local zone, averages days, ranks the busiest', () => {
    // Two Pacific days (windows end 08:00 UTC): key 0 is 08:00 UTC the day before.
    const end1 = Date.UTC(2026, 10, 24, 8); // Tue 24 Nov 08:00 UTC → window Mon 08:00 UTC – Tue 08:00 UTC
    const end2 = end1 + DAY;
    const day = (end: number, peakKey: number, peak: number) => ({ end, byHourKey: new Map(Array.from({ length: 24 }, (_, k) => [k, k === peakKey ? peak : 10] as [number, number])) });
    const grid = onlineGrid([day(end1, 11, 300), day(end2, 11, 100)], 'UTC');
    // key 11 of the first window is Mon 19:00 UTC; of the second, Tue 19:00 UTC.
    expect(grid[1]![19]).toBe(300);
    expect(grid[2]![19]).toBe(100);
    expect(grid[0]![19]).toBeNull(); // no Sunday seen
    expect(bestHours(grid, 2)).toEqual([
      { weekday: 'Mon', hour: 19, online_followers: 300 },
      { weekday: 'Tue', hour: 19, online_followers: 100 },
    ]);
    // In Berlin (UTC+1 in November) the same instant is Mon 20:00.
    expect(onlineGrid([day(end1, 11, 300)], 'Europe/Berlin')[1]![20]).toBe(300);
  });
});

describe('windows and days', () => {
  it('cuts a span into windows of at most the limit, and names the day a value ends', () => {
    expect(windows(0, 70 * DAY, 30 * DAY)).toEqual([
      [0, 30 * DAY],
      [30 * DAY, 60 * DAY],
      [60 * DAY, 70 * DAY],
    ]);
    expect(dayOf('2026-11-24T08:00:00+0000')).toBe('2026-11-23');
  });
});
