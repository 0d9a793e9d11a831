/**
 * Insights (reference §5): which metrics exist per media product type and for the account, which
 * were removed (and what replaced them), and the calls that read them as tidy rows.
 *
 * The catalogs are plain data so callers can validate a request before spending a call: a
 * deprecated metric or a breakdown on a metric without one must never reach Meta (the latter answers
 * code 1, which looks transient and would be retried).
 */
import { z } from 'zod';
import { graphHostFor, parseResponse, seg, type AccountAuth } from './account.js';
import type { GraphHttp } from './http.js';

export type MediaKind = 'FEED' | 'REELS' | 'STORY';
export type AccountPeriod = 'day' | 'week' | 'days_28' | 'month' | 'lifetime';
export type MetricType = 'total_value' | 'time_series';
export type DemographicTimeframe = 'this_week' | 'this_month';

/** Current media metrics per product type (§5.1). FB-Login-only `total_*` metrics are listed separately. */
export const MEDIA_METRICS: Readonly<Record<MediaKind, readonly string[]>> = {
  FEED: ['views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions', 'follows', 'profile_visits', 'profile_activity', 'reposts'],
  REELS: [
    'views',
    'reach',
    'likes',
    'comments',
    'saved',
    'shares',
    'total_interactions',
    'ig_reels_avg_watch_time',
    'ig_reels_video_view_total_time',
    'reels_skip_rate',
    'reposts',
    'crossposted_views',
    'facebook_views',
  ],
  STORY: ['views', 'reach', 'shares', 'total_interactions', 'follows', 'profile_visits', 'profile_activity', 'replies', 'navigation', 'reposts'],
};

/** Media metrics that include ads and exist only with Facebook Login (2026). */
export const FACEBOOK_ONLY_MEDIA_METRICS: readonly string[] = ['total_views', 'total_likes', 'total_comments'];

/** Media metric → the only breakdown it supports. */
export const MEDIA_BREAKDOWNS: Readonly<Record<string, string>> = {
  profile_activity: 'action_type',
  navigation: 'story_navigation_action_type',
};

/** What an agent gets when it names no metric. */
export const DEFAULT_MEDIA_METRICS: Readonly<Record<MediaKind, readonly string[]>> = {
  FEED: ['views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions'],
  REELS: ['views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions', 'ig_reels_avg_watch_time'],
  STORY: ['views', 'reach', 'replies', 'shares', 'total_interactions'],
};

export interface AccountMetricSpec {
  periods: readonly AccountPeriod[];
  metricTypes: readonly MetricType[];
  breakdowns: readonly string[];
  /** Demographics: lifetime, total_value, a breakdown and a timeframe are required. */
  demographic?: boolean;
}

const interaction = (breakdowns: string[] = []): AccountMetricSpec => ({ periods: ['day'], metricTypes: ['total_value'], breakdowns });

/** Current account metrics (§5.2). */
export const ACCOUNT_METRICS: Readonly<Record<string, AccountMetricSpec>> = {
  reach: { periods: ['day'], metricTypes: ['total_value', 'time_series'], breakdowns: ['media_product_type', 'follow_type'] },
  views: interaction(['follow_type', 'media_product_type']),
  accounts_engaged: interaction(),
  total_interactions: interaction(['media_product_type']),
  likes: interaction(['media_product_type']),
  comments: interaction(['media_product_type']),
  saved: interaction(['media_product_type']),
  shares: interaction(['media_product_type']),
  replies: interaction(),
  reposts: interaction(),
  follows_and_unfollows: interaction(['follow_type']),
  profile_links_taps: interaction(['contact_button_type']),
  follower_count: { periods: ['day'], metricTypes: ['time_series'], breakdowns: [] },
  online_followers: { periods: ['lifetime'], metricTypes: ['time_series'], breakdowns: [] },
  engaged_audience_demographics: { periods: ['lifetime'], metricTypes: ['total_value'], breakdowns: ['age', 'city', 'country', 'gender'], demographic: true },
  follower_demographics: { periods: ['lifetime'], metricTypes: ['total_value'], breakdowns: ['age', 'city', 'country', 'gender'], demographic: true },
};

export const DEFAULT_ACCOUNT_METRICS: readonly string[] = ['reach', 'views', 'accounts_engaged', 'total_interactions'];
export const DEMOGRAPHIC_TIMEFRAMES: readonly DemographicTimeframe[] = ['this_week', 'this_month'];
/** Timeframes Meta removed in v20; named so the error can say so. */
export const REMOVED_TIMEFRAMES: readonly string[] = ['last_14_days', 'last_30_days', 'last_90_days', 'prev_month'];

export interface DeprecatedMetric {
  /** The metric to ask for instead, or null when there is none. */
  replacement: string | null;
  /** When Meta removed it. */
  removed: string;
  /** How to get the same information now. */
  advice: string;
}

const removedV22 = 'Graph API v22.0 (and every version after 2025-04-21)';
const removedV18 = 'Graph API v18.0 (December 2023)';
const removedV21 = 'Graph API v21.0 (2025-01-08)';

/** Metrics Meta removed (§5.1, §5.2), with their replacements. */
export const DEPRECATED_METRICS: Readonly<Record<string, DeprecatedMetric>> = {
  impressions: { replacement: 'views', removed: removedV22, advice: 'use views' },
  plays: { replacement: 'views', removed: removedV22, advice: 'use views' },
  clips_replays_count: { replacement: 'views', removed: removedV22, advice: 'use views' },
  ig_reels_aggregated_all_plays_count: { replacement: 'views', removed: removedV22, advice: 'use views' },
  video_views: { replacement: 'views', removed: removedV18, advice: 'use views' },
  engagement: { replacement: 'total_interactions', removed: removedV18, advice: 'use total_interactions' },
  carousel_album_impressions: { replacement: 'views', removed: removedV18, advice: 'use views on the album' },
  carousel_album_reach: { replacement: 'reach', removed: removedV18, advice: 'use reach on the album' },
  carousel_album_engagement: { replacement: 'total_interactions', removed: removedV18, advice: 'use total_interactions on the album' },
  carousel_album_saved: { replacement: 'saved', removed: removedV18, advice: 'use saved on the album' },
  carousel_album_video_views: { replacement: 'views', removed: removedV18, advice: 'use views on the album' },
  taps_forward: { replacement: 'navigation', removed: removedV18, advice: 'use navigation with breakdown story_navigation_action_type (tap_forward)' },
  taps_back: { replacement: 'navigation', removed: removedV18, advice: 'use navigation with breakdown story_navigation_action_type (tap_back)' },
  exits: { replacement: 'navigation', removed: removedV18, advice: 'use navigation with breakdown story_navigation_action_type (tap_exit)' },
  profile_views: { replacement: 'profile_visits', removed: removedV21, advice: 'use profile_visits per media (there is no account-level replacement)' },
  website_clicks: { replacement: 'profile_links_taps', removed: removedV21, advice: 'use profile_links_taps with breakdown contact_button_type (account) or profile_activity (media)' },
  email_contacts: { replacement: 'profile_links_taps', removed: removedV21, advice: 'use profile_links_taps with breakdown contact_button_type' },
  phone_call_clicks: { replacement: 'profile_links_taps', removed: removedV21, advice: 'use profile_links_taps with breakdown contact_button_type' },
  text_message_clicks: { replacement: 'profile_links_taps', removed: removedV21, advice: 'use profile_links_taps with breakdown contact_button_type' },
  get_directions_clicks: { replacement: 'profile_links_taps', removed: removedV21, advice: 'use profile_links_taps with breakdown contact_button_type' },
};

export function deprecatedMetrics(metrics: readonly string[]): Array<{ metric: string } & DeprecatedMetric> {
  return metrics.filter((m) => m in DEPRECATED_METRICS).map((metric) => ({ metric, ...DEPRECATED_METRICS[metric]! }));
}

/** The insights family of a media: reels and stories have their own metrics; everything else is feed. */
export function mediaKindOf(productType: string | undefined, mediaType?: string): MediaKind {
  const p = (productType ?? '').toUpperCase();
  if (p === 'REELS') return 'REELS';
  if (p === 'STORY') return 'STORY';
  // Without media_product_type (some hosts omit it) a video is a reel since 2023-07.
  if (!p && (mediaType ?? '').toUpperCase() === 'VIDEO') return 'REELS';
  return 'FEED';
}

/** One fact an agent can reason over: a metric's value, optionally for one breakdown value or one day. */
export interface InsightRow {
  metric: string;
  value: number | null;
  /** Dimension → value (e.g. { follow_type: 'FOLLOWER' }); null for the total. */
  breakdown: Record<string, string> | null;
  period: string;
  /** End of the day for time series; null for totals and lifetime values. */
  end_time: string | null;
}

export interface MetricInfo {
  metric: string;
  title?: string;
  description?: string;
}

export interface InsightsResult {
  rows: InsightRow[];
  metrics: MetricInfo[];
}

const zValue = z.union([z.number(), z.string(), z.record(z.string(), z.union([z.number(), z.string()])), z.null()]);

const zBreakdown = z
  .object({
    dimension_keys: z.array(z.string()).optional(),
    results: z
      .array(z.object({ dimension_values: z.array(z.union([z.string(), z.number()])).optional(), value: zValue.optional() }).loose())
      .optional(),
  })
  .loose();

const zInsight = z
  .object({
    name: z.string(),
    period: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    values: z.array(z.object({ value: zValue.optional(), end_time: z.string().optional() }).loose()).optional(),
    total_value: z.object({ value: zValue.optional(), breakdowns: z.array(zBreakdown).optional() }).loose().optional(),
  })
  .loose();

const zInsightsResponse = z.object({ data: z.array(zInsight) }).loose();

function num(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** Turns a Graph insights answer into rows: one per value, per day, per breakdown value. */
export function toInsightRows(data: unknown): InsightsResult {
  const parsed = parseResponse(zInsightsResponse, data, 'insights');
  const rows: InsightRow[] = [];
  const metrics: MetricInfo[] = [];
  for (const item of parsed.data) {
    const period = item.period ?? 'lifetime';
    metrics.push({ metric: item.name, ...(item.title ? { title: item.title } : {}), ...(item.description ? { description: item.description } : {}) });
    let total: number | null | undefined;
    for (const v of item.values ?? []) {
      if (v.value !== null && typeof v.value === 'object') {
        // e.g. online_followers: { "0": 12, "1": 8, … } per hour of the day.
        const key = item.name === 'online_followers' ? 'hour' : 'key';
        for (const [k, inner] of Object.entries(v.value)) {
          rows.push({ metric: item.name, value: num(inner), breakdown: { [key]: k }, period, end_time: v.end_time ?? null });
        }
        continue;
      }
      const value = num(v.value);
      if (!v.end_time && (item.values?.length ?? 0) === 1) total = value;
      rows.push({ metric: item.name, value, breakdown: null, period, end_time: v.end_time ?? null });
    }
    const tv = item.total_value;
    if (tv) {
      const value = num(tv.value);
      if (tv.value !== undefined && total === undefined) {
        rows.push({ metric: item.name, value, breakdown: null, period, end_time: null });
      }
      for (const b of tv.breakdowns ?? []) {
        const keys = b.dimension_keys ?? [];
        for (const r of b.results ?? []) {
          const values = (r.dimension_values ?? []).map(String);
          const breakdown: Record<string, string> = {};
          values.forEach((dv, i) => {
            breakdown[keys[i] ?? `dimension_${i}`] = dv;
          });
          rows.push({ metric: item.name, value: num(r.value), breakdown, period, end_time: null });
        }
      }
    }
  }
  return { rows, metrics };
}

export interface MediaInsightsOptions {
  metrics: readonly string[];
  breakdown?: string;
  signal?: AbortSignal;
}

/** GET /<media-id>/insights. Validate metrics first (see the catalogs above). */
export async function getMediaInsights(http: GraphHttp, auth: AccountAuth, mediaId: string, opts: MediaInsightsOptions): Promise<InsightsResult> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(mediaId)}/insights`,
    query: { metric: opts.metrics.join(','), breakdown: opts.breakdown },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal: opts.signal,
  });
  return toInsightRows(res.data);
}

export interface AccountInsightsOptions {
  metrics: readonly string[];
  period: AccountPeriod;
  metricType?: MetricType;
  breakdown?: string;
  /** Unix seconds. */
  since?: number;
  until?: number;
  timeframe?: DemographicTimeframe;
  signal?: AbortSignal;
}

/** GET /<IG_ID>/insights. */
export async function getAccountInsights(http: GraphHttp, auth: AccountAuth, opts: AccountInsightsOptions): Promise<InsightsResult> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(auth.igUserId)}/insights`,
    query: {
      metric: opts.metrics.join(','),
      period: opts.period,
      metric_type: opts.metricType,
      breakdown: opts.breakdown,
      since: opts.since,
      until: opts.until,
      timeframe: opts.timeframe,
    },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal: opts.signal,
  });
  return toInsightRows(res.data);
}
