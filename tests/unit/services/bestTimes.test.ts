/** The scoring behind instagram_suggest_times: pure functions over numbers, no network. */
import { describe, expect, it } from 'vitest';
import type { InsightRow } from '../../../src/instagram/insights.js';
import { onlineProfile, rankSlots, upcomingHourStarts } from '../../../src/services/reading/bestTimes.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 24, 12, 0); // Tuesday

const flat = (value: number, overrides: Record<number, number> = {}) => Array.from({ length: 24 }, (_, h) => overrides[h] ?? value);

describe('onlineProfile', () => {
  it('places each hour key from the start of its 24 h window and averages the days', () => {
    const rows: InsightRow[] = [];
    for (const [end, bump] of [['2026-11-23T08:00:00+0000', 100], ['2026-11-24T08:00:00+0000', 300]] as const) {
      for (let k = 0; k < 24; k++) rows.push({ metric: 'online_followers', value: k === 10 ? bump : 10, breakdown: { hour: String(k) }, period: 'lifetime', end_time: end });
    }
    const profile = onlineProfile(rows)!;
    expect(profile.days).toBe(2);
    // Key 10 of a window starting 08:00 UTC is 18:00 UTC.
    expect(profile.byUtcHour[18]).toBe(200);
    expect(profile.byUtcHour[8]).toBe(10);
  });

  it('is null when Instagram sent nothing', () => {
    expect(onlineProfile([])).toBeNull();
  });
});

describe('upcomingHourStarts', () => {
  it('starts at the next local full hour and steps by local hours', () => {
    const starts = upcomingHourStarts(NOW + 1, 1, 'UTC');
    expect(starts[0]).toBe(NOW + HOUR);
    expect(starts).toHaveLength(24);
  });

  it('follows half-hour zones', () => {
    const starts = upcomingHourStarts(NOW, 1, 'Asia/Kolkata');
    for (const s of starts) expect(new Date(s).getUTCMinutes()).toBe(30);
  });

  it('has 25 local hours on a fall-back day and 23 on a spring-forward day', () => {
    // From 00:00 EDT on 1 November to 00:00 EST on the 2nd; from 00:00 EST on 14 March to 00:00 EDT on the 15th.
    const fallDay = upcomingHourStarts(Date.UTC(2026, 10, 1, 4) - 1, 2, 'America/New_York');
    expect(fallDay.filter((s) => s < Date.UTC(2026, 10, 2, 5))).toHaveLength(25);
    const springDay = upcomingHourStarts(Date.UTC(2027, 2, 14, 5) - 1, 2, 'America/New_York');
    expect(springDay.filter((s) => s < Date.UTC(2027, 2, 15, 4))).toHaveLength(23);
  });
});

describe('rankSlots', () => {
  const base = { now: NOW, timeZone: 'UTC', days: 7, count: 5 };

  it('puts the hours with the most followers online first', () => {
    const slots = rankSlots({ ...base, onlineByUtcHour: flat(20, { 18: 400, 19: 500 }), posts: [] });
    expect(slots.map((s) => s.hour)).toEqual([19, 19, 19, 19, 19]);
    expect(slots[0]!.evidence).toEqual({ onlineFollowers: 500, posts: 0, medianEngagement: null });
    // Equal scores: the earliest first.
    expect(slots.map((s) => s.start)).toEqual([...slots.map((s) => s.start)].sort((a, b) => a - b));
  });

  it('lets past posts of a weekday and hour break ties between equally busy hours', () => {
    const thursday18 = Date.UTC(2026, 10, 19, 18, 10);
    const posts = [
      ...Array.from({ length: 20 }, (_, i) => ({ at: NOW - (i + 1) * 37 * HOUR, engagement: 100 })),
      { at: thursday18, engagement: 900 },
      { at: thursday18 - 7 * 24 * HOUR, engagement: 800 },
    ];
    const slots = rankSlots({ ...base, onlineByUtcHour: flat(20, { 18: 500, 19: 500 }), posts });
    expect(slots[0]).toMatchObject({ weekday: 'Thu', hour: 18, evidence: { posts: 2, medianEngagement: 850 } });
  });

  it('trusts several good posts over one lucky post', () => {
    const monday10 = Date.UTC(2026, 10, 16, 10);
    const friday15 = Date.UTC(2026, 10, 20, 15);
    const posts = [
      ...Array.from({ length: 20 }, (_, i) => ({ at: NOW - (i + 1) * 37 * HOUR, engagement: 100 })),
      { at: monday10, engagement: 1000 }, // one post at 10× the median
      ...Array.from({ length: 5 }, (_, i) => ({ at: friday15 - i * 7 * 24 * HOUR, engagement: 250 })), // five at 2.5×
    ];
    const slots = rankSlots({ ...base, count: 2, onlineByUtcHour: null, posts });
    expect(slots.map((s) => `${s.weekday} ${s.hour}`)).toEqual(['Fri 15', 'Mon 10']);
  });

  it('ranks by posts alone without online followers, and by time alone without either', () => {
    const none = rankSlots({ ...base, onlineByUtcHour: null, posts: [] });
    expect(none.map((s) => s.start)).toEqual([1, 2, 3, 4, 5].map((i) => NOW + i * HOUR));
    expect(new Set(none.map((s) => s.score)).size).toBe(1);
  });

  it('returns at most the hours in the window', () => {
    expect(rankSlots({ ...base, days: 1, count: 24, onlineByUtcHour: null, posts: [] })).toHaveLength(24);
  });
});
