/**
 * instagram_suggest_times through the MCP client against the emulator (virtual clock): seeded
 * online-follower peaks rank first, thin data is said, offsets are exact across DST changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdnUrl, HOUR_MS } from '../../../src/emulator/state.js';
import { seedOnlineFollowers } from '../../../src/emulator/insights.js';
import type { EmulatorState } from '../../../src/emulator/state.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

const DAY = 24 * HOUR_MS;

/** 24 counts by UTC hour: `low` everywhere, `high` at the peak hours. */
function peaks(hours: number[], high = 500, low = 40): number[] {
  return Array.from({ length: 24 }, (_, h) => (hours.includes(h) ? high : low));
}

function addPost(state: EmulatorState, ownerId: string, timestamp: number, likes: number): void {
  const id = state.newId('179');
  state.addMedia({
    id,
    ownerId,
    mediaType: 'IMAGE',
    productType: 'FEED',
    timestamp,
    shortcode: state.newShortcode(),
    permalink: `https://www.instagram.com/p/${id}/`,
    mediaUrl: cdnUrl(id, 'jpg'),
    likeCount: likes,
    commentsCount: 10,
    isCommentEnabled: true,
    viaApi: false,
  });
}

/** The local wall-clock hour written in an ISO 8601 string with offset. */
const localHourOf = (iso: string) => Number(iso.slice(11, 13));

describe('instagram_suggest_times', () => {
  let h: Harness;
  let businessId: string;
  beforeAll(async () => {
    h = await startHarness(); // 2026-11-24T12:00Z, a Tuesday
    businessId = h.emulator.users.instagramBusiness.id;
    const state = h.emulator.state;
    seedOnlineFollowers(state, businessId, peaks([18, 19], 500, 40).map((v, hour) => (hour === 18 ? 420 : v)));
    // Past Wednesdays at 19:00 UTC did far better than the account's usual post.
    const lastWednesday19 = Date.UTC(2026, 10, 18, 19, 5);
    for (let week = 0; week < 6; week++) addPost(state, businessId, lastWednesday19 - week * 7 * DAY, 6000);
    await h.connectAccount('business');
  });
  afterAll(() => h.close());

  it('ranks the seeded peak hours first, with the evidence for each slot', async () => {
    const out = await h.call('instagram_suggest_times', { time_zone: 'UTC' });
    expect(out.isError).toBe(false);
    expect(out.data.time_zone).toBe('UTC');
    expect(out.data.slots).toHaveLength(5);
    // The peak hour backed by strong Wednesday posts, then only peak hours.
    expect(out.data.slots[0]).toMatchObject({ start: '2026-11-25T19:00:00+00:00', weekday: 'Wed', hour: 19 });
    expect(out.data.slots[0].evidence).toMatchObject({ online_followers: 500, posts: 6, median_engagement: 6010 });
    for (const slot of out.data.slots) expect([18, 19]).toContain(slot.hour);
    const scores = out.data.slots.map((s: { score: number }) => s.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // Every slot is upcoming (after the injected clock's now), within the default 7 days.
    for (const slot of out.data.slots) {
      expect(Date.parse(slot.start)).toBeGreaterThan(h.clock.now());
      expect(Date.parse(slot.start)).toBeLessThanOrEqual(h.clock.now() + 7 * DAY);
    }
    // One insights call and one media list call: no call per post.
    const graphCalls = h.emulator.requestLog().filter((r) => r.path.endsWith('/insights') || r.path.endsWith('/media'));
    expect(graphCalls.length).toBeLessThanOrEqual(2);
  });

  it('writes the slots in the caller\'s time zone, and honours count and days', async () => {
    const out = await h.call('instagram_suggest_times', { time_zone: 'Asia/Kolkata', count: 3, days: 2 });
    expect(out.isError).toBe(false);
    expect(out.data.slots).toHaveLength(3);
    for (const slot of out.data.slots) {
      expect(slot.start).toMatch(/T\d\d:00:00\+05:30$/);
      expect(localHourOf(slot.start)).toBe(slot.hour);
      expect(Date.parse(slot.start)).toBeLessThanOrEqual(h.clock.now() + 2 * DAY);
    }
  });

  it('refuses a time zone that does not exist, saying how to name one', async () => {
    const out = await h.call('instagram_suggest_times', { time_zone: 'Mars/Olympus_Mons' });
    expect(out.isError).toBe(true);
    expect(out.data.error.code).toBe('invalid_time_zone');
    expect(out.data.error.hint).toMatch(/IANA/);
  });
});

describe('instagram_suggest_times with thin data', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { INSTAGRAM_MCP_TIME_ZONE: 'Europe/Berlin' } });
    const state = h.emulator.state;
    const creator = h.emulator.users.instagramCreator;
    state.igUsers.get(creator.id)!.followersCount = 12;
    seedOnlineFollowers(state, creator.id, peaks([9])); // not served: under 100 followers
    for (const m of state.feedMedia(creator.id).slice(3)) state.media.delete(m.id);
    await h.connectAccount('creator');
  });
  afterAll(() => h.close());

  it('still ranks from what there is, and says what is missing', async () => {
    const out = await h.call('instagram_suggest_times', {});
    expect(out.isError).toBe(false);
    expect(out.data.time_zone).toBe('Europe/Berlin'); // INSTAGRAM_MCP_TIME_ZONE, as no time_zone was given
    for (const slot of out.data.slots) expect(slot.start).toMatch(/\+01:00$/);
    expect(out.data.slots).toHaveLength(5);
    for (const slot of out.data.slots) expect(slot.evidence.online_followers).toBeNull();
    const notes = out.data.notes.join(' ');
    expect(notes).toMatch(/100 followers/);
    expect(notes).toMatch(/only 3 past posts/i);
  });
});

describe('instagram_suggest_times across daylight-saving changes', () => {
  let h: Harness;
  beforeAll(async () => {
    // Saturday 2026-10-24 12:00 UTC: Berlin falls back on the 25th, New York on 1 November.
    h = await startHarness({ clockStart: Date.UTC(2026, 9, 24, 12) });
    const users = h.emulator.users;
    seedOnlineFollowers(h.emulator.state, users.instagramBusiness.id, peaks([0, 1]));
    seedOnlineFollowers(h.emulator.state, users.instagramCreator.id, peaks([5, 6]));
    await h.connectAccount('business');
    await h.connectAccount('creator');
  });
  afterAll(() => h.close());

  it('gives Berlin\'s repeated 02:00 twice, each with its own offset and instant', async () => {
    const out = await h.call('instagram_suggest_times', { account: '@sandbox_bakery', time_zone: 'Europe/Berlin', days: 2, count: 4 });
    expect(out.isError).toBe(false);
    const starts = out.data.slots.map((s: { start: string }) => s.start);
    // 00:00Z is 02:00 CEST; 01:00Z is 02:00 CET (the clocks went back at 01:00Z).
    expect(starts).toContain('2026-10-25T02:00:00+02:00');
    expect(starts).toContain('2026-10-25T02:00:00+01:00');
    const instants = out.data.slots.map((s: { start: string }) => Date.parse(s.start));
    expect(instants).toContain(Date.UTC(2026, 9, 25, 0));
    expect(instants).toContain(Date.UTC(2026, 9, 25, 1));
    for (const slot of out.data.slots) {
      expect(localHourOf(slot.start)).toBe(slot.hour);
      expect(new Date(Date.parse(slot.start)).getUTCHours()).toBeLessThanOrEqual(1);
    }
  });

  it('gives New York\'s repeated 01:00 on 1 November twice, 05:00Z and 06:00Z', async () => {
    const out = await h.call('instagram_suggest_times', { account: '@sandbox_creator', time_zone: 'America/New_York', days: 8, count: 16 });
    expect(out.isError).toBe(false);
    expect(out.data.slots).toHaveLength(16);
    // Every peak hour (05Z and 06Z on each of the 8 days) and nothing else.
    for (const slot of out.data.slots) expect([5, 6]).toContain(new Date(Date.parse(slot.start)).getUTCHours());
    const nov1 = out.data.slots.filter((s: { start: string }) => s.start.startsWith('2026-11-01'));
    expect(nov1.map((s: { start: string }) => s.start).sort()).toEqual(['2026-11-01T01:00:00-04:00', '2026-11-01T01:00:00-05:00']);
    expect(nov1.map((s: { start: string }) => Date.parse(s.start)).sort()).toEqual([Date.UTC(2026, 10, 1, 5), Date.UTC(2026, 10, 1, 6)]);
    for (const slot of nov1) expect(slot).toMatchObject({ weekday: 'Sun', hour: 1 });
    // A week earlier the same UTC hours are 01:00 and 02:00 EDT.
    const oct25 = out.data.slots.filter((s: { start: string }) => s.start.startsWith('2026-10-25')).map((s: { start: string }) => s.start);
    expect(oct25.sort()).toEqual(['2026-10-25T01:00:00-04:00', '2026-10-25T02:00:00-04:00']);
  });
});
