/**
 * Insights (reference §5): `/{media-id}/insights` and `/{ig-user-id}/insights`.
 *
 * Media: metrics valid per product type (FEED / REELS / STORY); a metric of another type → 100;
 * removed metrics → 100 naming the version and the replacement (impressions/plays/… still answer on
 * v21 and older for media created before 2024-07-01, as documented); a story with fewer than 5
 * viewers → 10 "Not enough viewers"; a breakdown on a metric without one → 1 "An unknown error has
 * occurred." (documented); album children → 100. Values are deterministic per media and grow with
 * its age (a fresh story gains a viewer every 10 minutes).
 *
 * Account: period, metric_type (total_value / time_series), breakdowns, since/until (at most 30 days
 * apart, data kept 90 days, default the last 24 h), demographics with timeframe (this_week /
 * this_month), metrics needing 100 followers omitted below that. Daily values are deterministic per
 * account and day (days end at 08:00 UTC, Pacific midnight, as in the documented samples).
 */
import { graphTimestamp } from '../clock.js';
import { isIgUserNode, requireToken, resolveIgUser } from './auth.js';
import { EmulatedGraphError, errors } from './errors.js';
import { loadMedia } from './reading.js';
import { Prng } from './random.js';
import type { RequestContext, RouteModule, RouteResult } from './router.js';
import { GRAPH_HOSTS } from './router.js';
import { DAY_MS, HOUR_MS, type EmulatorState } from './state.js';
import type { EmulatedIgUser, EmulatedMedia } from './types.js';

// ---------------------------------------------------------------- deterministic numbers

/** FNV-1a: a stable 32-bit hash for deterministic emulated data. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function prngFor(...parts: Array<string | number>): Prng {
  return new Prng(hash32(parts.join('|')));
}

/** Splits a total into parts by deterministic weights (sums exactly to the total). */
function split(total: number, keys: readonly string[], seed: string): Array<[string, number]> {
  const prng = prngFor(seed);
  const weights = keys.map(() => 0.2 + prng.next());
  const sum = weights.reduce((a, b) => a + b, 0);
  let left = total;
  return keys.map((key, i) => {
    const value = i === keys.length - 1 ? left : Math.min(left, Math.floor((total * weights[i]!) / sum));
    left -= value;
    return [key, value] as [string, number];
  });
}

// ---------------------------------------------------------------- seeded audience

/**
 * Online followers per UTC hour (24 counts) for one account, answered instead of the generated ones
 * (each day's hour keys count from the start of its window); null goes back to generated values.
 */
export function seedOnlineFollowers(state: EmulatorState, igUserId: string, byUtcHour: readonly number[] | null): void {
  if (byUtcHour && (byUtcHour.length !== 24 || byUtcHour.some((v) => !Number.isFinite(v) || v < 0))) {
    throw new Error('online followers need 24 counts (≥ 0), one per UTC hour 0–23');
  }
  if (!state.igUsers.has(igUserId)) throw new Error(`No such IG user: ${igUserId}`);
  const seeded = onlineSeeds(state);
  if (byUtcHour) seeded.set(igUserId, [...byUtcHour]);
  else seeded.delete(igUserId);
}

function onlineSeeds(state: EmulatorState): Map<string, number[]> {
  let seeded = state.extensions.get('onlineFollowers') as Map<string, number[]> | undefined;
  if (!seeded) {
    seeded = new Map();
    state.extensions.set('onlineFollowers', seeded);
  }
  return seeded;
}

// ---------------------------------------------------------------- catalogs (reference §5)

type Kind = 'FEED' | 'REELS' | 'STORY';

const MEDIA_METRICS: Record<Kind, readonly string[]> = {
  FEED: ['views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions', 'follows', 'profile_visits', 'profile_activity', 'reposts'],
  REELS: ['views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions', 'ig_reels_avg_watch_time', 'ig_reels_video_view_total_time', 'reels_skip_rate', 'reposts', 'crossposted_views', 'facebook_views'],
  STORY: ['views', 'reach', 'shares', 'total_interactions', 'follows', 'profile_visits', 'profile_activity', 'replies', 'navigation', 'reposts'],
};
/** Ads included; Facebook Login only. */
const FACEBOOK_ONLY = ['total_views', 'total_likes', 'total_comments'];

const MEDIA_BREAKDOWNS: Record<string, { metric: string; values: readonly string[] }> = {
  action_type: { metric: 'profile_activity', values: ['bio_link_clicked', 'call', 'direction', 'email', 'other', 'text'] },
  story_navigation_action_type: { metric: 'navigation', values: ['swipe_forward', 'tap_back', 'tap_exit', 'tap_forward'] },
};

/** Removed media metrics: the version that removed them and the replacement named in the error. */
const REMOVED_MEDIA: Record<string, { version: number; replacement: string }> = {
  impressions: { version: 22, replacement: 'views' },
  plays: { version: 22, replacement: 'views' },
  clips_replays_count: { version: 22, replacement: 'views' },
  ig_reels_aggregated_all_plays_count: { version: 22, replacement: 'views' },
  video_views: { version: 18, replacement: 'views' },
  engagement: { version: 18, replacement: 'total_interactions' },
  carousel_album_impressions: { version: 18, replacement: 'views' },
  carousel_album_reach: { version: 18, replacement: 'reach' },
  carousel_album_engagement: { version: 18, replacement: 'total_interactions' },
  carousel_album_saved: { version: 18, replacement: 'saved' },
  carousel_album_video_views: { version: 18, replacement: 'views' },
  taps_forward: { version: 18, replacement: 'navigation' },
  taps_back: { version: 18, replacement: 'navigation' },
  exits: { version: 18, replacement: 'navigation' },
};
/** v22-removed metrics keep answering on ≤ v21 for media created before this date (reference §5.1). */
const LEGACY_MEDIA_CUTOFF = Date.UTC(2024, 6, 1, 23, 59, 59);

const REMOVED_ACCOUNT: Record<string, { version: number; replacement: string }> = {
  impressions: { version: 22, replacement: 'views' },
  profile_views: { version: 21, replacement: 'profile_links_taps' },
  website_clicks: { version: 21, replacement: 'profile_links_taps' },
  email_contacts: { version: 21, replacement: 'profile_links_taps' },
  phone_call_clicks: { version: 21, replacement: 'profile_links_taps' },
  text_message_clicks: { version: 21, replacement: 'profile_links_taps' },
  get_directions_clicks: { version: 21, replacement: 'profile_links_taps' },
};

interface AccountMetric {
  periods: readonly string[];
  types: readonly ('total_value' | 'time_series')[];
  breakdowns: readonly string[];
  demographic?: boolean;
  /** Only reported for accounts with at least 100 followers. */
  needs100?: boolean;
  title: string;
}

const ACCOUNT_METRICS: Record<string, AccountMetric> = {
  reach: { periods: ['day'], types: ['total_value', 'time_series'], breakdowns: ['media_product_type', 'follow_type'], title: 'Accounts reached' },
  views: { periods: ['day'], types: ['total_value'], breakdowns: ['follow_type', 'media_product_type'], title: 'Views' },
  accounts_engaged: { periods: ['day'], types: ['total_value'], breakdowns: [], title: 'Accounts engaged' },
  total_interactions: { periods: ['day'], types: ['total_value'], breakdowns: ['media_product_type'], title: 'Content interactions' },
  likes: { periods: ['day'], types: ['total_value'], breakdowns: ['media_product_type'], title: 'Likes' },
  comments: { periods: ['day'], types: ['total_value'], breakdowns: ['media_product_type'], title: 'Comments' },
  saved: { periods: ['day'], types: ['total_value'], breakdowns: ['media_product_type'], title: 'Saved' },
  shares: { periods: ['day'], types: ['total_value'], breakdowns: ['media_product_type'], title: 'Shares' },
  replies: { periods: ['day'], types: ['total_value'], breakdowns: [], title: 'Replies' },
  reposts: { periods: ['day'], types: ['total_value'], breakdowns: [], title: 'Reposts' },
  follows_and_unfollows: { periods: ['day'], types: ['total_value'], breakdowns: ['follow_type'], needs100: true, title: 'Follows and unfollows' },
  profile_links_taps: { periods: ['day'], types: ['total_value'], breakdowns: ['contact_button_type'], title: 'Profile links taps' },
  follower_count: { periods: ['day'], types: ['time_series'], breakdowns: [], needs100: true, title: 'Follower count' },
  online_followers: { periods: ['lifetime'], types: ['time_series'], breakdowns: [], needs100: true, title: 'Online followers' },
  engaged_audience_demographics: { periods: ['lifetime'], types: ['total_value'], breakdowns: ['age', 'city', 'country', 'gender'], demographic: true, needs100: true, title: 'Engaged audience demographics' },
  follower_demographics: { periods: ['lifetime'], types: ['total_value'], breakdowns: ['age', 'city', 'country', 'gender'], demographic: true, needs100: true, title: 'Follower demographics' },
};

const ACCOUNT_BREAKDOWN_VALUES: Record<string, readonly string[]> = {
  media_product_type: ['FEED', 'REELS', 'STORY'],
  follow_type: ['FOLLOWER', 'NON_FOLLOWER', 'UNKNOWN'],
  contact_button_type: ['BOOK_NOW', 'CALL', 'DIRECTION', 'EMAIL', 'INSTANT_EXPERIENCE', 'TEXT', 'UNDEFINED'],
  age: ['13-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65+'],
  gender: ['F', 'M', 'U'],
  country: ['US', 'GB', 'DE', 'FR', 'IT', 'ES', 'BR', 'IN', 'CA', 'AU'],
  city: ['New York, New York', 'London, England', 'Berlin, Berlin', 'Paris, Île-de-France', 'Milan, Lombardy', 'São Paulo, São Paulo', 'Toronto, Ontario'],
};

const TIMEFRAMES = ['this_week', 'this_month'];
const MAX_RANGE_S = 30 * 86_400;
const RETENTION_MS = 90 * DAY_MS;

const TITLES: Record<string, string> = {
  views: 'Views',
  reach: 'Accounts reached',
  likes: 'Likes',
  comments: 'Comments',
  saved: 'Saved',
  shares: 'Shares',
  total_interactions: 'Interactions',
  follows: 'Follows',
  profile_visits: 'Profile visits',
  profile_activity: 'Profile activity',
  replies: 'Replies',
  navigation: 'Navigation',
  reposts: 'Reposts',
  ig_reels_avg_watch_time: 'Average watch time',
  ig_reels_video_view_total_time: 'Watch time',
  reels_skip_rate: 'Skip rate',
  crossposted_views: 'Crossposted views',
  facebook_views: 'Facebook views',
  total_views: 'Total views',
  total_likes: 'Total likes',
  total_comments: 'Total comments',
};

// ---------------------------------------------------------------- helpers

function versionNumber(ctx: RequestContext): number {
  const v = ctx.version ?? ctx.state.config.defaultApiVersion;
  const m = /^v(\d+)/.exec(v);
  return m ? Number(m[1]) : 99;
}

function kindOf(media: EmulatedMedia): Kind {
  if (media.productType === 'STORY') return 'STORY';
  if (media.productType === 'REELS') return 'REELS';
  return 'FEED';
}

function listParam(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function mustBeOneOf(param: string, index: number, allowed: readonly string[]): EmulatedGraphError {
  return errors.invalidParam(`${param}[${index}] must be one of the following values: ${allowed.join(', ')}`);
}

function removedError(metric: string, info: { version: number; replacement: string }): EmulatedGraphError {
  return errors.invalidParam(`Starting from version v${info.version}.0, the ${metric} metric is no longer supported. Please use ${info.replacement} instead.`);
}

/** Accounts that have seen a story: 1 per 10 minutes since it was posted, up to a per-story ceiling. */
export function storyViewers(state: { now(): number }, media: EmulatedMedia): number {
  const ceiling = 40 + (hash32(media.id) % 400);
  const minutes = Math.max(0, (state.now() - media.timestamp) / 60_000);
  return Math.min(ceiling, Math.floor(minutes / 10));
}

/** Deterministic lifetime values of a media (grow over its first 48 h). */
function mediaValues(ctx: RequestContext, media: EmulatedMedia, owner: EmulatedIgUser): Record<string, number> {
  const h = hash32(media.id);
  const kind = kindOf(media);
  const growth = Math.min(1, Math.max(0, (ctx.state.now() - media.timestamp) / (48 * HOUR_MS)));
  // Seeded media are older than 48 h; media published through the API build up their numbers.
  const factor = media.viaApi ? growth : 1;
  const reach = kind === 'STORY' ? storyViewers(ctx.state, media) : Math.round((media.likeCount * (4 + (h % 6)) + (owner.followersCount % 97)) * factor);
  const views = Math.round(reach * (1.2 + (h % 9) / 10));
  const likes = kind === 'STORY' ? 0 : media.likeCount;
  const comments = kind === 'STORY' ? 0 : media.commentsCount;
  const saved = Math.floor(likes * 0.08);
  const shares = Math.floor(reach * 0.02);
  const replies = kind === 'STORY' ? Math.floor(reach * 0.03) : 0;
  const avgWatch = 2500 + (h % 9000);
  return {
    views,
    reach,
    likes,
    comments,
    saved,
    shares,
    replies,
    total_interactions: likes + comments + saved + shares + replies,
    follows: Math.floor(reach * 0.01),
    profile_visits: Math.floor(reach * 0.04),
    profile_activity: Math.floor(reach * 0.015),
    navigation: Math.floor(views * 0.9),
    reposts: Math.floor(shares / 3),
    ig_reels_avg_watch_time: avgWatch,
    ig_reels_video_view_total_time: avgWatch * views,
    reels_skip_rate: Math.round(((h >>> 8) % 600) / 10) / 100,
    crossposted_views: Math.floor(views * 0.1),
    facebook_views: Math.floor(views * 0.05),
    total_views: Math.round(views * 1.15),
    total_likes: likes + Math.floor(likes * 0.1),
    total_comments: comments,
    // Legacy metrics (≤ v21, old media only).
    impressions: Math.round(views * 0.95),
    plays: views,
    clips_replays_count: Math.floor(views * 0.2),
    ig_reels_aggregated_all_plays_count: Math.round(views * 1.2),
  };
}

// ---------------------------------------------------------------- routes

export const insightsRoutes: RouteModule = (router) => {
  router.get(GRAPH_HOSTS, '/:id/insights', mediaInsights, (ctx, p) => ctx.state.media.has(p['id']!));
  router.get(GRAPH_HOSTS, '/:id/insights', accountInsights, (ctx, p) => isIgUserNode(ctx, p['id']!));
};

function mediaInsights(ctx: RequestContext): RouteResult {
  const media = loadMedia(ctx, 'insights');
  const owner = ctx.state.igUsers.get(media.ownerId)!;
  const metrics = listParam(ctx.params['metric']);
  if (!metrics.length) throw errors.paramRequired('metric');
  if (media.parentId) throw errors.invalidParam('Media Insights API does not support carousel album children');
  const kind = kindOf(media);
  const version = versionNumber(ctx);
  const valid = [...MEDIA_METRICS[kind], ...(ctx.hostRole === 'facebook_graph' ? FACEBOOK_ONLY : [])];
  for (const metric of metrics) {
    const removed = REMOVED_MEDIA[metric];
    if (removed) {
      const legacyOk = removed.version === 22 && version <= 21 && media.timestamp <= LEGACY_MEDIA_CUTOFF && kind !== 'STORY';
      if (!legacyOk) throw removedError(metric, removed);
      continue;
    }
    if (!valid.includes(metric)) {
      const known = [...new Set([...Object.values(MEDIA_METRICS).flat(), ...FACEBOOK_ONLY])];
      if (!known.includes(metric)) throw mustBeOneOf('metric', metrics.indexOf(metric), known);
      throw errors.invalidParam(`The Media Insights API does not support the ${metric} metric for this media product type.`);
    }
  }
  const breakdowns = listParam(ctx.params['breakdown']);
  for (const [i, b] of breakdowns.entries()) {
    const spec = MEDIA_BREAKDOWNS[b];
    if (!spec) throw mustBeOneOf('breakdown', i, Object.keys(MEDIA_BREAKDOWNS));
    // Documented: a breakdown on a metric that does not support it is "An unknown error" (code 1).
    if (metrics.some((m) => m !== spec.metric)) throw new EmulatedGraphError({ code: 1, message: 'An unknown error has occurred.' });
  }
  if (kind === 'STORY' && storyViewers(ctx.state, media) < 5) {
    throw new EmulatedGraphError({ code: 10, message: '(#10) Not enough viewers for the media to show insights' });
  }
  const values = mediaValues(ctx, media, owner);
  const data = metrics.map((name) => {
    const value = values[name] ?? 0;
    const entry: Record<string, unknown> = {
      name,
      period: 'lifetime',
      values: [{ value }],
      title: TITLES[name] ?? name,
      description: `Lifetime ${TITLES[name]?.toLowerCase() ?? name} of the media (emulated).`,
      id: `${media.id}/insights/${name}/lifetime`,
    };
    const breakdown = breakdowns.find((b) => MEDIA_BREAKDOWNS[b]!.metric === name);
    if (breakdown) {
      const results = split(value, MEDIA_BREAKDOWNS[breakdown]!.values, `${media.id}:${name}`)
        .filter(([, v]) => v > 0)
        .map(([key, v]) => ({ dimension_values: [key], value: v }));
      entry['total_value'] = { value, breakdowns: [{ dimension_keys: [breakdown], results }] };
    }
    return entry;
  });
  return { json: { data } };
}

/** End of the emulated day containing `ms` (days end at 08:00 UTC). */
function dayEnd(ms: number): number {
  const shifted = ms - 8 * HOUR_MS;
  return Math.floor(shifted / DAY_MS) * DAY_MS + DAY_MS + 8 * HOUR_MS;
}

/** Daily value of an account metric on the day ending at `end`. */
function dailyValue(user: EmulatedIgUser, metric: string, end: number): number {
  const prng = prngFor(user.id, metric, end);
  const base = Math.max(20, Math.round(user.followersCount * 0.12));
  const jitter = 0.6 + prng.next() * 0.8;
  const reach = Math.round(base * (0.6 + prngFor(user.id, 'reach', end).next() * 0.8));
  switch (metric) {
    case 'reach':
      return reach;
    case 'views':
      return Math.round(reach * 2.3 * jitter);
    case 'accounts_engaged':
      return Math.round(reach * 0.08 * jitter);
    case 'likes':
      return Math.round(reach * 0.06 * jitter);
    case 'comments':
      return Math.round(reach * 0.008 * jitter);
    case 'saved':
      return Math.round(reach * 0.01 * jitter);
    case 'shares':
      return Math.round(reach * 0.006 * jitter);
    case 'replies':
      return Math.round(reach * 0.003 * jitter);
    case 'reposts':
      return Math.round(reach * 0.002 * jitter);
    case 'total_interactions':
      return ['likes', 'comments', 'saved', 'shares', 'replies'].reduce((sum, m) => sum + dailyValue(user, m, end), 0);
    case 'follows_and_unfollows':
      return Math.round(user.followersCount * 0.004 * jitter) + 1;
    case 'profile_links_taps':
      return Math.round(reach * 0.01 * jitter);
    case 'impressions':
      return Math.round(dailyValue(user, 'views', end) * 1.1);
    case 'follower_count':
      return Math.round(user.followersCount * 0.003 * jitter);
    default:
      return 0;
  }
}

function parseUnix(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (/^-?\d+$/.test(raw)) return Number(raw) * 1000;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw errors.invalidParam(`Param ${name} must be a unix timestamp`);
  return ms;
}

function accountInsights(ctx: RequestContext): RouteResult {
  const record = requireToken(ctx, 'insights');
  const user = resolveIgUser(ctx, record, ctx.routeParams['id']!);
  const metrics = listParam(ctx.params['metric']);
  if (!metrics.length) throw errors.paramRequired('metric');
  const version = versionNumber(ctx);
  for (const [i, metric] of metrics.entries()) {
    const removed = REMOVED_ACCOUNT[metric];
    if (removed && version >= removed.version) throw removedError(metric, removed);
    if (!ACCOUNT_METRICS[metric] && !removed) throw mustBeOneOf('metric', i, Object.keys(ACCOUNT_METRICS));
  }
  const period = ctx.params['period'];
  if (!period) throw errors.paramRequired('period');
  if (!['day', 'week', 'days_28', 'month', 'lifetime'].includes(period)) {
    throw errors.invalidParam('period must be one of the following values: day, week, days_28, month, lifetime');
  }
  const metricType = ctx.params['metric_type'] || 'time_series';
  if (metricType !== 'total_value' && metricType !== 'time_series') {
    throw errors.invalidParam('metric_type must be one of the following values: total_value, time_series');
  }
  const specs = metrics.map((m) => ({ name: m, spec: ACCOUNT_METRICS[m] ?? ACCOUNT_METRICS['views']! }));
  for (const { name, spec } of specs) {
    if (!spec.periods.includes(period)) {
      throw errors.invalidParam(`Incompatible period (${period}) for metric ${name}. Supported: ${spec.periods.join(', ')}`);
    }
  }
  const needTotal = specs.filter((s) => !s.spec.types.includes(metricType as 'total_value'));
  if (needTotal.length) {
    const other = metricType === 'time_series' ? 'total_value' : 'time_series';
    throw errors.invalidParam(`The following metrics (${needTotal.map((s) => s.name).join(', ')}) should be specified with parameter metric_type=${other}`);
  }
  const breakdowns = listParam(ctx.params['breakdown']);
  if (breakdowns.length > 1) throw errors.invalidParam('Only one breakdown is supported per request');
  const breakdown = breakdowns[0];
  if (breakdown) {
    if (metricType !== 'total_value') throw errors.invalidParam('breakdown is only supported with metric_type=total_value');
    const without = specs.filter((s) => !s.spec.breakdowns.includes(breakdown));
    if (without.length) {
      throw errors.invalidParam(`The breakdown (${breakdown}) is not supported for the metric(s) ${without.map((s) => s.name).join(', ')}`);
    }
  }
  const demographic = specs.some((s) => s.spec.demographic);
  const now = ctx.state.now();
  const enough = user.followersCount >= 100;

  if (demographic) {
    if (!breakdown) throw errors.invalidParam('Demographic metrics require a breakdown: one of age, city, country, gender');
    const timeframe = ctx.params['timeframe'];
    if (!timeframe) throw errors.paramRequired('timeframe');
    if (!TIMEFRAMES.includes(timeframe)) throw errors.invalidParam(`timeframe must be one of the following values: ${TIMEFRAMES.join(', ')}`);
    const data = specs
      .filter(() => enough)
      .map(({ name, spec }) => {
        const audience = Math.round(user.followersCount * (name === 'follower_demographics' ? 1 : 0.15) * (timeframe === 'this_week' ? 0.5 : 1));
        const results = split(audience, ACCOUNT_BREAKDOWN_VALUES[breakdown]!, `${user.id}:${name}:${breakdown}:${timeframe}`)
          .filter(([, v]) => v > 0)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 45)
          .map(([key, v]) => ({ dimension_values: [timeframe.toUpperCase(), key], value: v }));
        return {
          name,
          period: 'lifetime',
          title: spec.title,
          description: `${spec.title} of the account (emulated).`,
          total_value: { breakdowns: [{ dimension_keys: ['timeframe', breakdown], results }] },
          id: `${user.id}/insights/${name}/lifetime`,
        };
      });
    return { json: { data } };
  }

  // Window: default the last 24 h; at most 30 days between since and until.
  let until = parseUnix(ctx.params['until'], 'until') ?? now;
  let since = parseUnix(ctx.params['since'], 'since') ?? until - DAY_MS;
  if (since > until) throw errors.invalidParam('The since parameter must be earlier than the until parameter');
  if ((until - since) / 1000 > MAX_RANGE_S) {
    throw errors.invalidParam(`There cannot be more than 30 days (${MAX_RANGE_S} s) between since and until`);
  }
  until = Math.min(until, now);
  since = Math.max(since, now - RETENTION_MS);

  const data: Array<Record<string, unknown>> = [];
  for (const { name, spec } of specs) {
    if (spec.needs100 && !enough) continue; // omitted, not zero (reference §5.2)
    const entry: Record<string, unknown> = { name, period, title: spec.title, description: `${spec.title} (emulated).` };
    if (name === 'online_followers') {
      const values = [];
      for (let end = dayEnd(since); end <= dayEnd(until) && end - DAY_MS < until; end += DAY_MS) {
        const hours: Record<string, number> = {};
        const prng = prngFor(user.id, 'online', end);
        const seeded = onlineSeeds(ctx.state).get(user.id);
        for (let hour = 0; hour < 24; hour++) {
          hours[String(hour)] = seeded ? seeded[new Date(end - DAY_MS + hour * HOUR_MS).getUTCHours()]! : Math.round(user.followersCount * (0.02 + 0.08 * prng.next()));
        }
        values.push({ value: hours, end_time: graphTimestamp(end) });
      }
      entry['values'] = values;
    } else if (metricType === 'time_series') {
      const values = [];
      for (let end = dayEnd(since); end - DAY_MS < until; end += DAY_MS) {
        if (end > dayEnd(now)) break;
        values.push({ value: dailyValue(user, name, end), end_time: graphTimestamp(end) });
      }
      entry['values'] = values;
    } else {
      // One number for the window: each day weighted by how much of it the window covers.
      let total = 0;
      const parts: Array<[number, number]> = [];
      for (let end = dayEnd(since); end - DAY_MS < until; end += DAY_MS) {
        const overlap = Math.max(0, Math.min(end, until) - Math.max(end - DAY_MS, since)) / DAY_MS;
        if (overlap <= 0) continue;
        parts.push([end, overlap]);
        total += dailyValue(user, name, end) * overlap;
      }
      const value = Math.round(total);
      const tv: Record<string, unknown> = { value };
      if (breakdown) {
        const results = split(value, ACCOUNT_BREAKDOWN_VALUES[breakdown]!, `${user.id}:${name}:${breakdown}:${Math.floor(since / DAY_MS)}`)
          .filter(([, v]) => v > 0)
          .map(([key, v]) => ({ dimension_values: [key], value: v }));
        tv['breakdowns'] = [{ dimension_keys: [breakdown], results }];
      }
      entry['total_value'] = tv;
    }
    entry['id'] = `${user.id}/insights/${name}/${period}`;
    data.push(entry);
  }
  const span = Math.max(1, Math.round((until - since) / 1000));
  const link = (s: number, u: number) => {
    const query = new URLSearchParams(ctx.query);
    query.set('since', String(Math.floor(s)));
    query.set('until', String(Math.floor(u)));
    return `${ctx.hostUrl}/${ctx.version ?? ctx.state.config.defaultApiVersion}${ctx.path}?${query.toString()}`;
  };
  const s = Math.floor(since / 1000);
  const u = Math.floor(until / 1000);
  return { json: { data, paging: { previous: link(s - span, s), next: link(u, u + span) } } };
}
