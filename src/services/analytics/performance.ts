/**
 * Performance reports: how one account (or each of the owner's accounts) did over a period, against
 * the previous period of the same length, as tidy rows and, when asked, PNG charts.
 *
 * Graph calls, built to the reference (§5): account insights at most 30 days per call and only for
 * the last 90 days (older windows are skipped and said so); `reach` and `follower_count` as daily time
 * series (follower_count only for the last 30 days); `views` has no time series, so it is read as
 * total_value per day (periods up to 31 days) or per week (longer); `online_followers` for the last
 * 28 days; the media list paged by since/until; one insights call per post (lifetime, any age), at
 * most 6 at a time. Stories are not in the media list: expired ones come from the insights the
 * worker kept before they expired (store.insightSnapshots), and are listed apart from the ranking.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../clock.js';
import { AppError } from '../../errors.js';
import { getAccountInsights, getMediaInsights, type InsightRow } from '../../instagram/insights.js';
import { listMedia, type MediaItem } from '../../instagram/media.js';
import { renderCharts, type ChartSpec } from '../../media/charts.js';
import type { AccountRecord, Store } from '../../store/index.js';
import type { Caller } from '../accounts.js';
import { accountRef, GraphCalls, type AccountRef, type ReadingOptions } from '../reading/graphCall.js';
import { parseTimeArg } from '../reading/time.js';
import { checkTimeZone, localDateTime, localParts } from '../timeZones.js';
import {
  bestHours,
  captionLength,
  change,
  commonalities,
  dayOf,
  engagementRate,
  hashtagCount,
  interactionsOf,
  onlineGrid,
  periodEngagementRate,
  WEEKDAYS,
  windows,
  type BestHour,
  type Change,
  type Commonalities,
  type OnlineDay,
  type PostFormat,
} from './compute.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Meta: at most 30 days between since and until; account data kept 90 days (reference §5.2). */
const WINDOW_MS = 30 * DAY_MS;
const RETENTION_MS = 90 * DAY_MS;
const FOLLOWER_COUNT_MS = 30 * DAY_MS;
const ONLINE_DAYS = 28;
const POST_METRICS = ['reach', 'views', 'likes', 'comments', 'saved', 'shares'];
const POST_CONCURRENCY = 6;
const LIST_PAGE = 100;
/** Top and bottom posts shown. */
const RANKED = 5;
const MAX_POST_ROWS = 50;

export type ReportPeriod = '7d' | '30d' | '90d';

export interface PerformanceQuery {
  /** Id or @username; default every connected account of the owner. */
  account?: string;
  period?: ReportPeriod;
  /** ISO or unix seconds; they win over period (until defaults to now, since to 30 days before until). */
  since?: string;
  until?: string;
  timeZone?: string;
  /** PNG charts (default true). */
  charts?: boolean;
}

/** One post's row: what it is, when (local), its counts and engagement rate. */
export interface ReportPost {
  id: string;
  permalink: string | null;
  format: PostFormat;
  /** ISO 8601 UTC. */
  published_at: string;
  local_weekday: (typeof WEEKDAYS)[number];
  local_hour: number;
  caption_length: number;
  hashtags: number;
  reach: number | null;
  views: number | null;
  likes: number | null;
  comments: number | null;
  saved: number | null;
  shares: number | null;
  interactions: number;
  /** (likes + comments + saved + shares) ÷ reach; null without reach. */
  engagement_rate: number | null;
  /** `live`: read now; `kept`: from the insights kept before a story expired. */
  source: 'live' | 'kept';
}

/** One day of the account: null where Instagram has no value (outside its windows). */
export interface ReportDay {
  date: string;
  reach: number | null;
  /** Views of that day, or null when views were read per week (see views_weekly). */
  views: number | null;
  new_followers: number | null;
}

export interface AccountReport {
  account: AccountRef;
  followers: { current: number | null; gained: number | null; gained_previous: number | null };
  totals: {
    reach: Change;
    views: Change;
    interactions: Change;
    posts: Change;
    engagement_rate: Change;
  };
  daily: ReportDay[];
  /** Views per 7-day bucket (periods over 31 days), start date of each bucket. */
  views_weekly: Array<{ week_start: string; days: number; views: number | null }>;
  posts_total: number;
  /** The newest posts of the period (up to 50), feed and reels. */
  posts: ReportPost[];
  top_posts: ReportPost[];
  bottom_posts: ReportPost[];
  common: { top: Commonalities; bottom: Commonalities };
  stories: ReportPost[];
  /** online_followers by local weekday (Sunday first) × hour; null where no data. */
  online_grid: Array<Array<number | null>> | null;
  best_hours: BestHour[];
  notes: string[];
}

export interface ReportChart {
  name: string;
  title: string;
  account: string;
  /** Where the PNG was written. */
  path: string;
  width: number;
  height: number;
  png: Buffer;
}

export interface PerformanceReport {
  time_zone: string;
  period: { label: ReportPeriod | 'custom'; since: string; until: string; days: number };
  previous_period: { since: string; until: string };
  accounts: AccountReport[];
  charts: ReportChart[];
  notes: string[];
}

const PERIOD_DAYS: Record<ReportPeriod, number> = { '7d': 7, '30d': 30, '90d': 90 };

function formatOf(item: Pick<MediaItem, 'media_type' | 'media_product_type'>): PostFormat {
  if (item.media_product_type === 'STORY') return 'STORY';
  if (item.media_product_type === 'REELS') return 'REEL';
  if (item.media_type === 'CAROUSEL_ALBUM') return 'CAROUSEL';
  return item.media_type === 'VIDEO' ? 'VIDEO' : 'IMAGE';
}

const valueOf = (rows: readonly InsightRow[], metric: string): number | null => rows.find((r) => r.metric === metric && r.breakdown === null)?.value ?? null;

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * A post's lifetime insights, once read, are reused for this long: switching the period or the
 * account in the interactive report asks for mostly the same posts again, and re-reading each one
 * would spend the account's hourly call budget on numbers that have barely moved.
 */
export const POST_INSIGHTS_REUSE_MS = 15 * 60_000;
const POST_INSIGHTS_KEPT = 5_000;

export class PerformanceReports {
  private readonly calls: GraphCalls;
  /** `<owner>:<account id>:<media id>` → rows and when they were read (insertion order: oldest first). */
  private readonly recentPostInsights = new Map<string, { rows: InsightRow[]; readAt: number }>();
  private readonly clock: Clock;
  private readonly store: Store;
  private readonly defaultTimeZone: string;
  private readonly dataDir: string;

  /** Charts are written under `<dataDir>/reports/`. */
  constructor(o: ReadingOptions) {
    this.calls = new GraphCalls(o.accounts, o.graph);
    this.clock = o.clock;
    this.store = o.store;
    this.defaultTimeZone = o.timeZone ?? 'UTC';
    this.dataDir = o.dataDir;
  }

  /** A post's insight rows: reused when read within POST_INSIGHTS_REUSE_MS, else read and kept. */
  private async postInsights(ownerAccount: string, mediaId: string, read: () => Promise<{ rows: InsightRow[] }>): Promise<InsightRow[]> {
    const key = `${ownerAccount}:${mediaId}`;
    const now = this.clock.now();
    const kept = this.recentPostInsights.get(key);
    if (kept && now - kept.readAt < POST_INSIGHTS_REUSE_MS) return kept.rows;
    const { rows } = await read();
    this.recentPostInsights.delete(key);
    this.recentPostInsights.set(key, { rows, readAt: this.clock.now() });
    if (this.recentPostInsights.size > POST_INSIGHTS_KEPT) this.recentPostInsights.delete(this.recentPostInsights.keys().next().value!);
    return rows;
  }

  /** The report; charts rendered and written when `charts` is not false. */
  async report(who: Caller, q: PerformanceQuery, signal?: AbortSignal): Promise<PerformanceReport> {
    const timeZone = checkTimeZone(q.timeZone?.trim() || this.defaultTimeZone);
    const now = this.clock.now();
    let since: number;
    let until: number;
    let label: ReportPeriod | 'custom';
    const sinceArg = parseTimeArg('since', q.since);
    const untilArg = parseTimeArg('until', q.until);
    if (sinceArg !== undefined || untilArg !== undefined) {
      until = Math.min(untilArg !== undefined ? untilArg * 1000 : now, now);
      since = sinceArg !== undefined ? sinceArg * 1000 : until - 30 * DAY_MS;
      label = 'custom';
      if (since >= until) throw new AppError('invalid_period', 'since must be before until (and before now).', 'Give since earlier than until, or use period: 7d, 30d or 90d.');
      if (until - since > 366 * DAY_MS) throw new AppError('invalid_period', 'A report covers at most 366 days.', 'Use a shorter since/until.');
    } else {
      label = q.period ?? '30d';
      until = now;
      since = now - PERIOD_DAYS[label] * DAY_MS;
    }
    const length = until - since;
    const prevSince = since - length;
    const accounts = q.account ? [await this.calls.resolve(who, q.account)] : (await this.calls.connected(who));
    if (!accounts.length) throw new AppError('no_account', 'No connected Instagram account to report on.', 'Connect one with instagram_connect_account first.');

    const reports: AccountReport[] = [];
    for (const account of accounts) reports.push(await this.accountReport(who, account, { since, until, prevSince, now, timeZone }, signal));

    const notes = [
      'Engagement rate = (likes + comments + saved + shares) ÷ reach per post; a period\'s rate is reach-weighted over its posts. Changes are (current − previous) ÷ previous.',
      `Weekdays and hours are in ${timeZone}.`,
    ];
    const report: PerformanceReport = {
      time_zone: timeZone,
      period: { label, since: new Date(since).toISOString(), until: new Date(until).toISOString(), days: Math.round((length / DAY_MS) * 10) / 10 },
      previous_period: { since: new Date(prevSince).toISOString(), until: new Date(since).toISOString() },
      accounts: reports,
      charts: [],
      notes,
    };
    if (q.charts !== false) report.charts = await this.drawCharts(report, now);
    return report;
  }

  private async accountReport(
    who: Caller,
    account: AccountRecord,
    w: { since: number; until: number; prevSince: number; now: number; timeZone: string },
    signal?: AbortSignal,
  ): Promise<AccountReport> {
    const notes: string[] = [];
    const call = <T>(fn: Parameters<GraphCalls['call']>[2]) => this.calls.call(who, account, fn) as Promise<T>;
    const retained = w.now - RETENTION_MS + HOUR_MS;
    const s = (ms: number) => Math.floor(ms / 1000);
    const { since, until, prevSince, timeZone } = w;

    // Daily reach and new followers (time series), ≤ 30 days per call, inside the 90 days kept.
    const byDay = new Map<string, ReportDay>();
    const day = (date: string) => {
      let d = byDay.get(date);
      if (!d) byDay.set(date, (d = { date, reach: null, views: null, new_followers: null }));
      return d;
    };
    const from = Math.max(since, retained);
    if (from < since + 1 || since < retained) notes.push('Instagram keeps account insights for 90 days: days before that have no reach, views or follower values.');
    for (const [a, b] of windows(from, until, WINDOW_MS)) {
      const followerFrom = Math.max(a, w.now - FOLLOWER_COUNT_MS + HOUR_MS);
      const metrics = followerFrom < b ? ['reach', 'follower_count'] : ['reach'];
      const result = await call<{ rows: InsightRow[] }>((auth) => getAccountInsights(this.calls.graph, auth, { metrics, period: 'day', metricType: 'time_series', since: s(a), until: s(b), signal }));
      for (const row of result.rows) {
        if (!row.end_time || row.breakdown !== null) continue;
        const end = Date.parse(row.end_time);
        if (end - DAY_MS < a - HOUR_MS || end > b + DAY_MS) continue;
        const d = day(dayOf(row.end_time));
        if (row.metric === 'reach') d.reach = row.value;
        if (row.metric === 'follower_count' && end - DAY_MS >= followerFrom - DAY_MS) d.new_followers = row.value;
      }
    }
    if (since < w.now - FOLLOWER_COUNT_MS) notes.push('Instagram gives follower_count for the last 30 days only: new followers are counted for those days.');

    // Views: total_value only (no time series): per day up to 31 days, per week beyond.
    const weekly = until - since > 31 * DAY_MS;
    const viewsWeekly: AccountReport['views_weekly'] = [];
    for (const [a, b] of windows(from, until, weekly ? 7 * DAY_MS : DAY_MS)) {
      const result = await call<{ rows: InsightRow[] }>((auth) => getAccountInsights(this.calls.graph, auth, { metrics: ['views'], period: 'day', metricType: 'total_value', since: s(a), until: s(b), signal }));
      const views = valueOf(result.rows, 'views');
      if (weekly) viewsWeekly.push({ week_start: localDateTime(a, timeZone).date, days: Math.round(((b - a) / DAY_MS) * 10) / 10, views });
      else day(localDateTime(a, timeZone).date).views = views;
    }

    // Totals of both periods: one total_value call per ≤ 30-day window.
    const totals = async (a0: number, b0: number) => {
      const start = Math.max(a0, retained);
      if (start >= b0) return null;
      const sum: Record<string, number> = { reach: 0, views: 0, total_interactions: 0 };
      for (const [a, b] of windows(start, b0, WINDOW_MS)) {
        const result = await call<{ rows: InsightRow[] }>((auth) =>
          getAccountInsights(this.calls.graph, auth, { metrics: ['reach', 'views', 'total_interactions'], period: 'day', metricType: 'total_value', since: s(a), until: s(b), signal }),
        );
        for (const m of Object.keys(sum)) sum[m]! += valueOf(result.rows, m) ?? 0;
      }
      return sum;
    };
    const current = await totals(since, until);
    const previous = await totals(prevSince, since);
    if (!previous) notes.push('The previous period is older than the 90 days Instagram keeps account insights: its account totals are unknown (its posts still count).');
    if (until - since > WINDOW_MS) notes.push('Reach over more than 30 days is the sum of 30-day windows (people reached in two windows count twice).');

    // Followers gained over the previous period (within follower_count's 30 days only).
    let gainedPrevious: number | null = null;
    const prevFollowerFrom = Math.max(prevSince, w.now - FOLLOWER_COUNT_MS + HOUR_MS);
    if (prevFollowerFrom < since) {
      const result = await call<{ rows: InsightRow[] }>((auth) => getAccountInsights(this.calls.graph, auth, { metrics: ['follower_count'], period: 'day', metricType: 'time_series', since: s(prevFollowerFrom), until: s(since), signal }));
      gainedPrevious = result.rows.filter((r) => r.metric === 'follower_count' && r.end_time && Date.parse(r.end_time) <= since + DAY_MS).reduce((t, r) => t + (r.value ?? 0), 0);
    }

    // Online followers: the last 28 days (Meta keeps 30).
    let grid: Array<Array<number | null>> | null = null;
    try {
      const result = await call<{ rows: InsightRow[] }>((auth) =>
        getAccountInsights(this.calls.graph, auth, { metrics: ['online_followers'], period: 'lifetime', metricType: 'time_series', since: s(w.now - ONLINE_DAYS * DAY_MS), until: s(w.now), signal }),
      );
      const days = new Map<string, OnlineDay>();
      for (const row of result.rows) {
        const key = Number(row.breakdown?.['hour']);
        if (row.metric !== 'online_followers' || !row.end_time || row.value === null || !Number.isInteger(key)) continue;
        let d = days.get(row.end_time);
        if (!d) days.set(row.end_time, (d = { end: Date.parse(row.end_time), byHourKey: new Map() }));
        (d.byHourKey as Map<number, number>).set(key, row.value);
      }
      if (days.size) grid = onlineGrid([...days.values()], timeZone);
      else notes.push('Instagram gave no online_followers (it needs at least 100 followers): no best hours.');
    } catch (err) {
      if (signal?.aborted) throw err;
      notes.push(`Online followers unavailable (${err instanceof Error ? err.message : String(err)}).`);
    }

    // Posts of both periods, each with its lifetime insights.
    const items: MediaItem[] = [];
    let after: string | undefined;
    do {
      const page = await call<{ items: MediaItem[]; nextCursor: string | null }>((auth) =>
        listMedia(this.calls.graph, auth, { limit: LIST_PAGE, after, since: s(prevSince), until: s(until), fields: ['id', 'caption', 'media_type', 'media_product_type', 'timestamp', 'permalink', 'like_count', 'comments_count'], signal }),
      );
      items.push(...page.items);
      after = page.nextCursor ?? undefined;
    } while (after);
    const inWindow = items.filter((m) => m.timestamp && Date.parse(m.timestamp) >= prevSince && Date.parse(m.timestamp) < until);
    let failed = 0;
    const rows = await mapLimited(inWindow, POST_CONCURRENCY, async (m): Promise<ReportPost> => {
      let insight: InsightRow[] = [];
      try {
        insight = await this.postInsights(`${account.owner}:${account.id}`, m.id, () => call<{ rows: InsightRow[] }>((auth) => getMediaInsights(this.calls.graph, auth, m.id, { metrics: POST_METRICS, signal })));
      } catch (err) {
        if (signal?.aborted) throw err;
        failed++;
      }
      return postRow(m, insight, timeZone, 'live');
    });
    if (failed) notes.push(`${failed} post(s) gave no insights (too new, or Instagram refused): their rate is unknown and likes/comments come from the media list.`);
    const at = (p: ReportPost) => Date.parse(p.published_at);
    const currentPosts = rows.filter((p) => at(p) >= since).sort((a, b) => at(b) - at(a));
    const previousPosts = rows.filter((p) => at(p) < since);

    const stories = (await this.store.insightSnapshots.keptStories(account.owner, account.id, since, until)).map(({ post, snapshot }) =>
      postRow(
        { id: post.mediaId!, caption: post.caption ?? undefined, media_type: 'IMAGE', media_product_type: 'STORY', timestamp: new Date(post.publishedAt!).toISOString() } as MediaItem,
        snapshot.rows as InsightRow[],
        timeZone,
        'kept',
      ),
    );

    const ranked = currentPosts.filter((p) => p.engagement_rate !== null).sort((a, b) => b.engagement_rate! - a.engagement_rate! || at(b) - at(a));
    const top = ranked.slice(0, RANKED);
    const bottom = ranked.length > RANKED ? ranked.slice(-RANKED).reverse() : [];
    const traits = (p: ReportPost) => ({ format: p.format, weekday: WEEKDAYS.indexOf(p.local_weekday), hour: p.local_hour, captionLength: p.caption_length, hashtags: p.hashtags });
    if (currentPosts.length > MAX_POST_ROWS) notes.push(`${currentPosts.length} posts in the period: the ${MAX_POST_ROWS} newest are listed; totals, top and bottom count them all.`);

    const gained = [...byDay.values()].reduce((t, d) => (d.new_followers === null ? t : t + d.new_followers), 0);
    const hasFollowerDays = [...byDay.values()].some((d) => d.new_followers !== null);
    const interactions = (ps: ReportPost[]) => ps.reduce((t, p) => t + p.interactions, 0);
    return {
      account: accountRef(account),
      followers: { current: account.followersCount ?? null, gained: hasFollowerDays ? gained : null, gained_previous: gainedPrevious },
      totals: {
        reach: change(current?.reach ?? null, previous?.reach ?? null),
        views: change(current?.views ?? null, previous?.views ?? null),
        interactions: change(interactions(currentPosts), interactions(previousPosts)),
        posts: change(currentPosts.length, previousPosts.length),
        engagement_rate: change(periodEngagementRate(currentPosts), periodEngagementRate(previousPosts)),
      },
      daily: [...byDay.values()].sort((a, b) => a.date.localeCompare(b.date)),
      views_weekly: viewsWeekly,
      posts_total: currentPosts.length,
      posts: currentPosts.slice(0, MAX_POST_ROWS),
      top_posts: top,
      bottom_posts: bottom,
      common: { top: commonalities(top.map(traits)), bottom: commonalities(bottom.map(traits)) },
      stories,
      online_grid: grid,
      best_hours: grid ? bestHours(grid) : [],
      notes,
    };
  }

  private async drawCharts(report: PerformanceReport, now: number): Promise<ReportChart[]> {
    const specs: Array<{ account: string; spec: ChartSpec }> = [];
    for (const a of report.accounts) {
      const who = `@${a.account.username}`;
      const key = a.account.username.replace(/[^A-Za-z0-9_.-]/g, '_');
      const weekly = a.views_weekly.length > 0;
      specs.push({
        account: a.account.username,
        spec: weekly
          ? { kind: 'line', name: `${key}_reach_views`, title: `${who}: reach per day, views as weekly daily averages`, labels: a.daily.map((d) => d.date), series: [{ name: 'reach (daily)', values: a.daily.map((d) => d.reach) }, { name: 'views (weekly avg per day)', values: weeklyAsDaily(a) }] }
          : { kind: 'line', name: `${key}_reach_views`, title: `${who}: reach and views per day`, labels: a.daily.map((d) => d.date), series: [{ name: 'reach', values: a.daily.map((d) => d.reach) }, { name: 'views', values: a.daily.map((d) => d.views) }] },
      });
      const followerDays = a.daily.filter((d) => d.new_followers !== null);
      if (followerDays.length) {
        specs.push({ account: a.account.username, spec: { kind: 'line', bars: true, name: `${key}_followers`, title: `${who}: new followers per day`, labels: followerDays.map((d) => d.date), series: [{ name: 'new followers', values: followerDays.map((d) => d.new_followers) }] } });
      }
      if (a.online_grid) {
        specs.push({ account: a.account.username, spec: { kind: 'heatmap', name: `${key}_best_hours`, title: `${who}: followers online (${report.time_zone})`, rows: [...WEEKDAYS], values: a.online_grid.map((r) => r.map((v) => v ?? 0)) } });
      }
      if (a.top_posts.length) {
        specs.push({
          account: a.account.username,
          spec: { kind: 'bar', name: `${key}_top_posts`, title: `${who}: top posts by engagement rate`, valueName: 'engagement rate %', labels: a.top_posts.map((p) => `${p.published_at.slice(0, 10)} ${p.format.toLowerCase()}`), values: a.top_posts.map((p) => Math.round((p.engagement_rate ?? 0) * 1000) / 10) },
        });
      }
    }
    const pngs = await renderCharts(specs.map((s) => s.spec));
    const dir = path.join(this.dataDir, 'reports', `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return pngs.map((png, i) => {
      const file = path.join(dir, `${png.name}.png`);
      writeFileSync(file, png.png, { mode: 0o600 });
      return { name: png.name, title: png.title, account: specs[i]!.account, path: file, width: png.width, height: png.height, png: png.png };
    });
  }
}

/** Weekly views spread over their days (÷ 7) so they share the daily axis with reach. */
function weeklyAsDaily(a: AccountReport): Array<number | null> {
  return a.daily.map((d) => {
    const bucket = [...a.views_weekly].reverse().find((w) => w.week_start <= d.date);
    return bucket?.views != null && bucket.days > 0 ? Math.round(bucket.views / bucket.days) : null;
  });
}

function postRow(m: MediaItem, insight: readonly InsightRow[], timeZone: string, source: ReportPost['source']): ReportPost {
  const publishedAt = Date.parse(m.timestamp!);
  const local = localParts(publishedAt, timeZone);
  const counts = {
    reach: valueOf(insight, 'reach'),
    likes: valueOf(insight, 'likes') ?? m.like_count ?? null,
    comments: valueOf(insight, 'comments') ?? m.comments_count ?? null,
    saved: valueOf(insight, 'saved'),
    shares: valueOf(insight, 'shares'),
  };
  return {
    id: m.id,
    permalink: m.permalink ?? null,
    format: formatOf(m),
    published_at: new Date(publishedAt).toISOString(),
    local_weekday: WEEKDAYS[local.weekday]!,
    local_hour: local.hour,
    caption_length: captionLength(m.caption),
    hashtags: hashtagCount(m.caption),
    ...counts,
    views: valueOf(insight, 'views'),
    interactions: interactionsOf(counts),
    engagement_rate: engagementRate(counts),
    source,
  };
}
