/**
 * Best times to post: the upcoming local hours of a time zone, ranked from when the account's
 * followers are online (`online_followers`) and how its past posts did by weekday and hour. Two
 * Graph calls per answer (one insights call, one media list page), never one per post.
 *
 * Score of a slot, 0–100 = 100 × (wOnline × online + wPosts × posts):
 * - online: followers online during that hour ÷ the busiest hour's (0–1);
 * - posts: the median engagement (likes + comments) of past posts in the same local weekday × hour,
 *   ÷ the account's median, capped at 3× and scaled to 0–1 (so "as usual" is 1/3), shrunk toward
 *   1/3 by n / (n + 3) for n posts: one lucky post counts less than several good ones;
 * - weights 0.6 / 0.4; without online followers the posts decide alone (and vice versa when the
 *   account has no posts). Equal scores: the earliest slot first.
 */
import type { Clock } from '../../clock.js';
import { getAccountInsights, type InsightRow } from '../../instagram/insights.js';
import { listMedia } from '../../instagram/media.js';
import type { Caller } from '../accounts.js';
import { checkTimeZone, isoInZone, localParts } from '../timeZones.js';
import { accountRef, GraphCalls, type AccountRef, type ReadingOptions } from './graphCall.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const QUARTER_MS = 15 * 60_000;
/** Meta keeps online_followers for the last 30 days; 28 stays inside that and the 30-day window rule. */
const ONLINE_DAYS = 28;
const POSTS_READ = 50;
const THIN_POSTS = 10;
const ONLINE_WEIGHT = 0.6;
const POSTS_WEIGHT = 0.4;
const MAX_LIFT = 3;
const NEUTRAL = 1 / MAX_LIFT;
const SHRINK_POSTS = 3;

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BestTimesQuery {
  account?: string;
  timeZone?: string;
  /** Upcoming days to rank, 1–14 (default 7). */
  days?: number;
  /** Slots to return, 1–24 (default 5). */
  count?: number;
}

export interface SlotEvidence {
  /** Followers online in that hour on an average day; null without online_followers data. */
  onlineFollowers: number | null;
  /** Past posts published in the same local weekday and hour. */
  posts: number;
  medianEngagement: number | null;
}

export interface RankedSlot {
  /** Epoch ms of the local hour's start. */
  start: number;
  /** The same instant as ISO 8601 with the zone's offset then. */
  startIso: string;
  weekday: Weekday;
  hour: number;
  score: number;
  evidence: SlotEvidence;
}

export interface BestTimes {
  account: AccountRef;
  timeZone: string;
  days: number;
  slots: RankedSlot[];
  notes: string[];
}

export interface PastPost {
  /** Epoch ms it was published. */
  at: number;
  engagement: number;
}

// ---------------------------------------------------------------- time

function local(instant: number, timeZone: string): { weekday: Weekday; hour: number; minute: number } {
  const p = localParts(instant, timeZone);
  return { weekday: WEEKDAYS[p.weekday]!, hour: p.hour, minute: p.minute };
}

/**
 * Every local full hour that starts after `now` and within `days`: found by stepping through the
 * instants (offsets are whole quarter hours), so a skipped hour is absent and a repeated one twice.
 */
export function upcomingHourStarts(now: number, days: number, timeZone: string): number[] {
  const starts: number[] = [];
  const end = now + days * DAY_MS;
  for (let t = Math.floor(now / QUARTER_MS) * QUARTER_MS + QUARTER_MS; t <= end; t += QUARTER_MS) {
    if (local(t, timeZone).minute === 0) starts.push(t);
  }
  return starts;
}

// ---------------------------------------------------------------- evidence

/**
 * Average followers online per UTC hour. Each row's hour key counts from the start of the 24 h
 * window ending at its end_time: Meta's lifetime periods end at UTC−07:00 (Pacific days, per Meta's
 * IG User insights reference; the shared reference is silent), so key 0 is 07:00 or 08:00 UTC.
 * Placing keys from end_time keeps the hours exact whatever zone Meta counts in.
 */
export function onlineProfile(rows: readonly InsightRow[]): { byUtcHour: number[]; days: number } | null {
  const sums = new Array<number>(24).fill(0);
  const counts = new Array<number>(24).fill(0);
  const days = new Set<string>();
  for (const row of rows) {
    const key = Number(row.breakdown?.['hour']);
    const end = row.end_time ? Date.parse(row.end_time) : NaN;
    if (row.metric !== 'online_followers' || row.value === null || !Number.isInteger(key) || Number.isNaN(end)) continue;
    const utcHour = new Date(end - DAY_MS + key * HOUR_MS).getUTCHours();
    sums[utcHour]! += row.value;
    counts[utcHour]! += 1;
    days.add(row.end_time!);
  }
  if (!days.size) return null;
  return { byUtcHour: sums.map((s, h) => (counts[h] ? s / counts[h]! : 0)), days: days.size };
}

function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Followers online during [t, t + 1 h): the UTC hours it overlaps, by overlap (half-hour zones). */
function onlineDuring(t: number, byUtcHour: readonly number[]): number {
  const into = (t % HOUR_MS) / HOUR_MS;
  const first = new Date(t).getUTCHours();
  return byUtcHour[first]! * (1 - into) + byUtcHour[(first + 1) % 24]! * into;
}

export interface RankInput {
  now: number;
  timeZone: string;
  days: number;
  count: number;
  /** Average followers online per UTC hour (24), or null when Instagram gave none. */
  onlineByUtcHour: readonly number[] | null;
  posts: readonly PastPost[];
}

/** The best `count` upcoming slots, highest score first (pure: the numbers in, the ranking out). */
export function rankSlots(input: RankInput): RankedSlot[] {
  const { timeZone } = input;
  const byBucket = new Map<string, number[]>();
  for (const post of input.posts) {
    const l = local(post.at, timeZone);
    const key = `${l.weekday} ${l.hour}`;
    byBucket.set(key, [...(byBucket.get(key) ?? []), post.engagement]);
  }
  const accountMedian = median(input.posts.map((p) => p.engagement));
  const online = input.onlineByUtcHour;
  const busiest = online ? Math.max(...online) : 0;
  const hasOnline = online !== null && busiest > 0;
  const hasPosts = accountMedian !== null && accountMedian > 0;
  const [wOnline, wPosts] = hasOnline && hasPosts ? [ONLINE_WEIGHT, POSTS_WEIGHT] : hasOnline ? [1, 0] : [0, 1];

  const slots = upcomingHourStarts(input.now, input.days, timeZone).map((start): RankedSlot & { raw: number } => {
    const l = local(start, timeZone);
    const engagements = byBucket.get(`${l.weekday} ${l.hour}`) ?? [];
    const bucketMedian = median(engagements);
    let postsTerm = NEUTRAL;
    if (hasPosts && bucketMedian !== null) {
      const lift = Math.min(MAX_LIFT, bucketMedian / accountMedian) / MAX_LIFT;
      const trust = engagements.length / (engagements.length + SHRINK_POSTS);
      postsTerm = trust * lift + (1 - trust) * NEUTRAL;
    }
    const onlineNow = online ? onlineDuring(start, online) : null;
    const onlineTerm = hasOnline && onlineNow !== null ? onlineNow / busiest : 0;
    const raw = wOnline * onlineTerm + wPosts * postsTerm;
    return {
      start,
      startIso: isoInZone(start, timeZone),
      weekday: l.weekday,
      hour: l.hour,
      score: Math.round(raw * 1000) / 10,
      evidence: { onlineFollowers: onlineNow === null ? null : Math.round(onlineNow), posts: engagements.length, medianEngagement: bucketMedian },
      raw,
    };
  });
  slots.sort((a, b) => b.raw - a.raw || a.start - b.start);
  return slots.slice(0, input.count).map(({ raw: _raw, ...slot }) => slot);
}

// ---------------------------------------------------------------- the service

export class BestTimesReader {
  private readonly calls: GraphCalls;
  private readonly clock: Clock;

  private readonly defaultTimeZone: string;

  constructor(o: ReadingOptions) {
    this.calls = new GraphCalls(o.accounts, o.graph);
    this.clock = o.clock;
    this.defaultTimeZone = o.timeZone ?? 'UTC';
  }

  async suggest(who: Caller, q: BestTimesQuery, signal?: AbortSignal): Promise<BestTimes> {
    const timeZone = checkTimeZone(q.timeZone?.trim() || this.defaultTimeZone);
    const days = Math.min(14, Math.max(1, Math.floor(q.days ?? 7)));
    const count = Math.min(24, Math.max(1, Math.floor(q.count ?? 5)));
    const account = await this.calls.resolve(who, q.account);
    const now = this.clock.now();
    const notes: string[] = [];

    let online: ReturnType<typeof onlineProfile> = null;
    try {
      const until = Math.floor(now / 1000);
      const result = await this.calls.call(who, account, (auth) =>
        getAccountInsights(this.calls.graph, auth, { metrics: ['online_followers'], period: 'lifetime', metricType: 'time_series', since: until - ONLINE_DAYS * 86_400, until, signal }),
      );
      online = onlineProfile(result.rows);
      if (!online) notes.push('Instagram gave no online_followers for this account (it needs at least 100 followers): ranked from past posts only.');
    } catch (err) {
      if (signal?.aborted) throw err;
      notes.push(`Online followers unavailable (${err instanceof Error ? err.message : String(err)}): ranked from past posts only.`);
    }

    const page = await this.calls.call(who, account, (auth) =>
      listMedia(this.calls.graph, auth, { limit: POSTS_READ, fields: ['id', 'timestamp', 'like_count', 'comments_count'], signal }),
    );
    const posts: PastPost[] = [];
    for (const item of page.items) {
      const at = item.timestamp ? Date.parse(item.timestamp) : NaN;
      if (!Number.isNaN(at)) posts.push({ at, engagement: (item.like_count ?? 0) + (item.comments_count ?? 0) });
    }
    if (!posts.length) notes.push(online ? 'No past posts to learn from: ranked from online followers only.' : 'No past posts and no online followers: these are simply the next hours.');
    else if (posts.length < THIN_POSTS) notes.push(`Only ${posts.length} past posts to learn from (fewer than ${THIN_POSTS}): their weekday and hour are weak evidence.`);

    const slots = rankSlots({ now, timeZone, days, count, onlineByUtcHour: online?.byUtcHour ?? null, posts });
    notes.push(
      `Score 0–100: followers online that hour${online ? ` (average of ${online.days} days)` : ''} and engagement (likes + comments) of the last ${posts.length} posts at that weekday and hour vs the account's median.`,
    );
    return { account: accountRef(account), timeZone, days, slots, notes };
  }
}
