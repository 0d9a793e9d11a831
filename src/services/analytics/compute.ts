/**
 * The pure arithmetic of a performance report: numbers in, numbers out, no calls.
 *
 * - Engagement rate of a post = (likes + comments + saved + shares) ÷ reach (Meta's "interactions per
 *   account reached"; null when reach is 0 or unknown). A period's rate is reach-weighted: the sum of
 *   its posts' interactions ÷ the sum of their reach, so one tiny post cannot swing it.
 * - Change vs the previous period of the same length: (current − previous) ÷ previous, null when the
 *   previous value is 0 or unknown.
 * - Best hours: online_followers averaged per local weekday × hour of the account's time zone.
 * - What posts have in common: the most frequent format, weekday and hour band, the median caption
 *   length and hashtag count.
 */
import { localParts } from '../timeZones.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export type PostFormat = 'IMAGE' | 'CAROUSEL' | 'REEL' | 'VIDEO' | 'STORY';

export interface PostCounts {
  likes: number | null;
  comments: number | null;
  saved: number | null;
  shares: number | null;
  reach: number | null;
}

export function interactionsOf(c: PostCounts): number {
  return (c.likes ?? 0) + (c.comments ?? 0) + (c.saved ?? 0) + (c.shares ?? 0);
}

export function engagementRate(c: PostCounts): number | null {
  if (!c.reach || c.reach <= 0) return null;
  return round4(interactionsOf(c) / c.reach);
}

/** Reach-weighted rate of several posts. */
export function periodEngagementRate(posts: readonly PostCounts[]): number | null {
  let interactions = 0;
  let reach = 0;
  for (const p of posts) {
    if (!p.reach || p.reach <= 0) continue;
    interactions += interactionsOf(p);
    reach += p.reach;
  }
  return reach > 0 ? round4(interactions / reach) : null;
}

export interface Change {
  current: number | null;
  previous: number | null;
  /** (current − previous) ÷ previous, rounded to 4 places; null without a base. */
  change: number | null;
}

export function change(current: number | null, previous: number | null): Change {
  const ratio = current !== null && previous !== null && previous !== 0 ? round4((current - previous) / previous) : null;
  return { current, previous, change: ratio };
}

export function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

export function hashtagCount(caption: string | null | undefined): number {
  return caption ? (caption.match(/(^|\s)#[\p{L}\p{N}_]+/gu) ?? []).length : 0;
}

/** Characters as people count them (code points). */
export function captionLength(caption: string | null | undefined): number {
  return caption ? [...caption].length : 0;
}

export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mostCommon<T extends string | number>(values: readonly T[]): { value: T; count: number } | null {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: { value: T; count: number } | null = null;
  for (const [value, count] of counts) if (!best || count > best.count) best = { value, count };
  return best;
}

export interface PostTraits {
  format: PostFormat;
  /** 0 = Sunday, in the report's time zone. */
  weekday: number;
  hour: number;
  captionLength: number;
  hashtags: number;
}

export interface Commonalities {
  posts: number;
  format: { value: PostFormat; share: number } | null;
  weekday: { value: (typeof WEEKDAYS)[number]; share: number } | null;
  /** Local hours in blocks of 3 (e.g. "18–21"). */
  hours: { value: string; share: number } | null;
  median_caption_length: number | null;
  median_hashtags: number | null;
}

const band = (hour: number) => {
  const start = Math.floor(hour / 3) * 3;
  return `${String(start).padStart(2, '0')}–${String(start + 3).padStart(2, '0')}`;
};

/** What a group of posts (the top or the bottom ones) share. */
export function commonalities(posts: readonly PostTraits[]): Commonalities {
  const share = (count: number) => round4(count / posts.length);
  const format = mostCommon(posts.map((p) => p.format));
  const weekday = mostCommon(posts.map((p) => p.weekday));
  const hours = mostCommon(posts.map((p) => band(p.hour)));
  return {
    posts: posts.length,
    format: format ? { value: format.value, share: share(format.count) } : null,
    weekday: weekday ? { value: WEEKDAYS[weekday.value]!, share: share(weekday.count) } : null,
    hours: hours ? { value: hours.value, share: share(hours.count) } : null,
    median_caption_length: median(posts.map((p) => p.captionLength)),
    median_hashtags: median(posts.map((p) => p.hashtags)),
  };
}

export interface OnlineDay {
  /** End of the 24 h window (ms); hour key k counts from end − 24 h + k hours. */
  end: number;
  byHourKey: ReadonlyMap<number, number>;
}

export interface BestHour {
  weekday: (typeof WEEKDAYS)[number];
  hour: number;
  online_followers: number;
}

/**
 * Followers online by local weekday (rows, Sunday first) × local hour (24 columns), averaged over the
 * days seen; null where no day covered that slot. Placing each key from its window's end keeps the
 * hours exact whatever zone Meta counts its days in.
 */
export function onlineGrid(days: readonly OnlineDay[], timeZone: string): Array<Array<number | null>> {
  const sums = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const counts = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const day of days) {
    for (const [key, value] of day.byHourKey) {
      const p = localParts(day.end - DAY_MS + key * HOUR_MS, timeZone);
      sums[p.weekday]![p.hour]! += value;
      counts[p.weekday]![p.hour]! += 1;
    }
  }
  return sums.map((row, d) => row.map((s, h) => (counts[d]![h] ? Math.round((s / counts[d]![h]!) * 10) / 10 : null)));
}

/** The `count` best weekday × hour slots of a grid, busiest first (ties: earlier in the week). */
export function bestHours(grid: ReadonlyArray<ReadonlyArray<number | null>>, count = 5): BestHour[] {
  const slots: BestHour[] = [];
  grid.forEach((row, d) => row.forEach((v, h) => v !== null && slots.push({ weekday: WEEKDAYS[d]!, hour: h, online_followers: v })));
  return slots.sort((a, b) => b.online_followers - a.online_followers).slice(0, count);
}

/** The calendar day (YYYY-MM-DD) a daily insight value belongs to: the day that ends at its end_time. */
export function dayOf(endTime: string): string {
  return new Date(Date.parse(endTime) - 12 * HOUR_MS).toISOString().slice(0, 10);
}

/** [since, until) cut into windows of at most `maxMs` (Meta: 30 days per account-insights call). */
export function windows(since: number, until: number, maxMs: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = since; s < until; s += maxMs) out.push([s, Math.min(until, s + maxMs)]);
  return out;
}
