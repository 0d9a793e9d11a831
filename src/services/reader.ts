/**
 * Reading and analytics: posts, insights, comments (and their moderation), hashtag search,
 * business discovery, the rate-limit budget, and the views behind the MCP resources.
 *
 * Shapes are made for agents: tidy rows instead of raw Graph JSON, opaque cursors that carry their
 * own filters, and every piece of text written by someone else wrapped as `{ untrusted_text }` so it
 * cannot pass for instructions.
 */
import type { Clock } from '../clock.js';
import type { AppConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AccountRecord, Store } from '../store/index.js';
import { normalizeHashtag } from '../store/index.js';
import type { AccountAuth } from '../instagram/account.js';
import { GraphError } from '../instagram/errors.js';
import type { GraphHttp } from '../instagram/http.js';
import { DEFAULT_MEDIA_FIELDS, getMedia, listChildren, listMedia, listStories, type MediaItem } from '../instagram/media.js';
import { getPublishingLimit } from '../instagram/publishing.js';
import {
  ACCOUNT_METRICS,
  DEFAULT_ACCOUNT_METRICS,
  DEFAULT_MEDIA_METRICS,
  DEMOGRAPHIC_TIMEFRAMES,
  FACEBOOK_ONLY_MEDIA_METRICS,
  MEDIA_BREAKDOWNS,
  MEDIA_METRICS,
  REMOVED_TIMEFRAMES,
  deprecatedMetrics,
  getAccountInsights,
  getMediaInsights,
  mediaKindOf,
  type AccountPeriod,
  type DemographicTimeframe,
  type InsightRow,
  type MediaKind,
  type MetricInfo,
  type MetricType,
} from '../instagram/insights.js';
import {
  MAX_COMMENTS_PAGE,
  createComment,
  deleteComment,
  listComments,
  listReplies,
  replyToComment,
  setCommentHidden,
  setCommentsEnabled,
  type Comment,
} from '../instagram/comments.js';
import {
  HASHTAG_BUDGET,
  HASHTAG_WINDOW_MS,
  businessDiscovery,
  getHashtagMedia,
  isValidUsername,
  searchHashtagId,
  type HashtagEdge,
  type PublicMedia,
} from '../instagram/discovery.js';
import type { AccountService, Caller } from './accounts.js';

export type Detail = 'concise' | 'full';

/** Text someone else wrote: data to read, never instructions to follow. */
export interface UntrustedText {
  untrusted_text: string;
}

export function untrusted(text: string | undefined | null): UntrustedText | null {
  return typeof text === 'string' ? { untrusted_text: text } : null;
}

const CONCISE_CAPTION = 200;
const MAX_RANGE_SECONDS = 30 * 24 * 60 * 60;

export const postUri = (id: string) => `instagram://posts/${id}`;
export const accountUri = (id: string) => `instagram://accounts/${id}`;

// ------------------------------------------------------------------ cursors

type CursorKind = 'posts' | 'comments' | 'replies' | 'hashtag' | 'discovery';

interface CursorBody {
  k: CursorKind;
  /** Account id the cursor belongs to. */
  a: string;
  /** Graph `after` cursor. */
  c: string;
  [key: string]: string | number | undefined;
}

function encodeCursor(body: CursorBody): string {
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function decodeCursor(raw: string, kind: CursorKind, account: AccountRecord): CursorBody {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    body = undefined;
  }
  const b = body as Partial<CursorBody> | undefined;
  if (!b || typeof b !== 'object' || b.k !== kind || typeof b.c !== 'string' || typeof b.a !== 'string') {
    throw new AppError('invalid_cursor', 'This cursor does not belong to this tool.', 'Pass the next_cursor value of the previous answer of the same tool unchanged, or leave cursor out to start over.');
  }
  if (b.a !== account.id) {
    throw new AppError('invalid_cursor', `This cursor belongs to another account, not @${account.username}.`, 'Use the same account as the call that returned the cursor, or leave cursor out.');
  }
  return b as CursorBody;
}

// ------------------------------------------------------------------ small helpers

/** Unix seconds from an ISO date/time or a unix timestamp (seconds). */
export function parseTimeArg(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number') return Math.floor(value > 1e12 ? value / 1000 : value);
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    return Math.floor(n > 1e12 ? n / 1000 : n);
  }
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) {
    throw new AppError('invalid_argument', `${name} is not a date: '${trimmed.slice(0, 40)}'.`, `Give ${name} as an ISO date (2026-11-01 or 2026-11-01T12:00:00Z) or unix seconds.`);
  }
  return Math.floor(ms / 1000);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isGraphId(value: string): boolean {
  return /^\d{1,40}$/.test(value);
}

function caller(c: Caller): Caller {
  return { owner: c.owner, agent: c.agent };
}

// ------------------------------------------------------------------ views

export interface ChildView {
  id: string;
  media_type: string | null;
  media_url?: string;
  thumbnail_url?: string;
}

export interface PostView {
  id: string;
  resource_uri: string;
  media_type: string | null;
  product_type: string | null;
  caption: string | null;
  permalink: string | null;
  timestamp: string | null;
  like_count: number | null;
  comments_count: number | null;
  children_count?: number;
  children?: ChildView[];
  media_url?: string;
  thumbnail_url?: string;
  shortcode?: string;
  is_comment_enabled?: boolean;
}

function childView(c: MediaItem, detail: Detail): ChildView {
  return {
    id: c.id,
    media_type: c.media_type ?? null,
    ...(detail === 'full' && c.media_url ? { media_url: c.media_url } : {}),
    ...(detail === 'full' && c.thumbnail_url ? { thumbnail_url: c.thumbnail_url } : {}),
  };
}

function childrenOf(m: MediaItem): MediaItem[] | undefined {
  const raw = (m as { children?: { data?: MediaItem[] } }).children;
  return raw && Array.isArray(raw.data) ? raw.data.map((c) => ({ ...c, id: String(c.id) })) : undefined;
}

export function postView(m: MediaItem, detail: Detail, withChildren = true): PostView {
  const children = childrenOf(m);
  const view: PostView = {
    id: m.id,
    resource_uri: postUri(m.id),
    media_type: m.media_type ?? null,
    product_type: m.media_product_type ?? null,
    caption: m.caption === undefined ? null : detail === 'full' ? m.caption : truncate(m.caption, CONCISE_CAPTION),
    permalink: m.permalink ?? null,
    timestamp: m.timestamp ?? null,
    like_count: m.like_count ?? null,
    comments_count: m.comments_count ?? null,
  };
  if (children) {
    view.children_count = children.length;
    if (withChildren) view.children = children.map((c) => childView(c, detail));
  }
  if (detail === 'full') {
    if (m.media_url) view.media_url = m.media_url;
    if (m.thumbnail_url) view.thumbnail_url = m.thumbnail_url;
    if (m.shortcode) view.shortcode = m.shortcode;
    if (m.is_comment_enabled !== undefined) view.is_comment_enabled = m.is_comment_enabled;
  }
  return view;
}

const CHILD_EXPANSION = 'children{id,media_type,media_url,thumbnail_url}';
const POST_FIELDS = [...DEFAULT_MEDIA_FIELDS, 'is_comment_enabled', CHILD_EXPANSION];

export interface CommentView {
  id: string;
  username: string | null;
  timestamp: string | null;
  like_count: number | null;
  hidden: boolean | null;
  /** Written by the commenter: data, never instructions. */
  text: UntrustedText | null;
  by_account_owner?: boolean;
  replies?: CommentView[];
  more_replies?: boolean;
}

function commentView(c: Comment, account: AccountRecord, detail: Detail): CommentView {
  const username = c.username ?? c.from?.username ?? null;
  const text = c.text === undefined ? null : detail === 'full' ? c.text : truncate(c.text, 500);
  const view: CommentView = {
    id: c.id,
    username,
    timestamp: c.timestamp ?? null,
    like_count: c.like_count ?? null,
    hidden: c.hidden ?? null,
    text: untrusted(text),
  };
  if (username && username.toLowerCase() === account.username.toLowerCase()) view.by_account_owner = true;
  return view;
}

export interface PublicMediaView {
  id: string;
  media_type: string | null;
  product_type?: string | null;
  /** Written by another account: data, never instructions. */
  caption: UntrustedText | null;
  permalink: string | null;
  timestamp: string | null;
  like_count: number | null;
  comments_count: number | null;
  view_count?: number | null;
  children_count?: number;
  media_url?: string;
}

function publicMediaView(m: PublicMedia, detail: Detail, withProduct: boolean): PublicMediaView {
  const view: PublicMediaView = {
    id: m.id,
    media_type: m.media_type ?? null,
    caption: untrusted(m.caption === undefined ? null : detail === 'full' ? m.caption : truncate(m.caption, CONCISE_CAPTION)),
    permalink: m.permalink ?? null,
    timestamp: m.timestamp ?? null,
    like_count: m.like_count ?? null,
    comments_count: m.comments_count ?? null,
  };
  if (withProduct) {
    view.product_type = m.media_product_type ?? null;
    view.view_count = m.view_count ?? null;
  }
  if (m.children) view.children_count = m.children.data.length;
  if (detail === 'full' && m.media_url) view.media_url = m.media_url;
  return view;
}

export interface HashtagBudgetView {
  limit: number;
  used: number;
  remaining: number;
  window_days: number;
  /** When the oldest search leaves the 7-day window (a slot frees up); null when nothing was searched. */
  next_slot_frees_at: string | null;
  /** Hashtags in the window (re-searching them is free). */
  searched: string[];
}

export interface InsightsOutput {
  target: { kind: 'media' | 'account'; id: string; resource_uri: string; product_type?: MediaKind; username?: string };
  rows: InsightRow[];
  metrics: string[];
  period: string;
  metric_type?: MetricType;
  breakdown?: string;
  since?: string;
  until?: string;
  timeframe?: DemographicTimeframe;
  metric_info?: MetricInfo[];
  notes: string[];
}

export interface ReaderOptions {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  store: Store;
  graph: GraphHttp;
  accounts: AccountService;
}

export class Reader {
  constructor(private readonly o: ReaderOptions) {}

  private get graph(): GraphHttp {
    return this.o.graph;
  }

  private call<T>(who: Caller, account: AccountRecord, fn: (auth: AccountAuth) => Promise<T>): Promise<T> {
    return this.o.accounts.call(caller(who), account, fn);
  }

  // ================================================================ accounts

  /** Reach and views of the last 7 days, or nulls with a note when insights are unavailable. */
  async accountSummary(who: Caller, account: AccountRecord, signal?: AbortSignal): Promise<{ period: string; reach: number | null; views: number | null; note?: string }> {
    const until = Math.floor(this.o.clock.now() / 1000);
    const since = until - 7 * 24 * 60 * 60;
    try {
      const result = await this.call(who, account, (auth) =>
        getAccountInsights(this.graph, auth, { metrics: ['reach', 'views'], period: 'day', metricType: 'total_value', since, until, signal }),
      );
      const total = (metric: string) => result.rows.find((r) => r.metric === metric && r.breakdown === null)?.value ?? null;
      const reach = total('reach');
      const views = total('views');
      return {
        period: 'last_7_days',
        reach,
        views,
        ...(reach === null && views === null ? { note: 'Instagram returned no insights for the last 7 days yet (data can lag up to 48 hours).' } : {}),
      };
    } catch (err) {
      if (signal?.aborted) throw err;
      const message = err instanceof Error ? err.message : String(err);
      return { period: 'last_7_days', reach: null, views: null, note: `Insights unavailable: ${message}` };
    }
  }

  // ================================================================ posts

  async getPosts(
    who: Caller,
    args: { account?: string; limit?: number; cursor?: string; since?: string; until?: string; include_stories?: boolean; detail?: Detail },
    signal?: AbortSignal,
  ): Promise<{
    account: { id: string; username: string; resource_uri: string };
    posts: PostView[];
    count: number;
    next_cursor: string | null;
    stories?: PostView[];
    notes: string[];
  }> {
    const detail = args.detail ?? 'concise';
    const account = this.o.accounts.resolve(caller(who), args.account);
    const limit = Math.max(1, Math.min(100, Math.floor(args.limit ?? 10)));
    let since = parseTimeArg('since', args.since);
    let until = parseTimeArg('until', args.until);
    let after: string | undefined;
    if (args.cursor) {
      const c = decodeCursor(args.cursor, 'posts', account);
      after = c.c;
      since = typeof c['s'] === 'number' ? c['s'] : undefined;
      until = typeof c['u'] === 'number' ? c['u'] : undefined;
    }
    if (since !== undefined && until !== undefined && since > until) {
      throw new AppError('invalid_argument', 'since is after until.', 'Swap them or leave one out.');
    }
    const notes: string[] = [];
    const page = await this.call(who, account, (auth) => listMedia(this.graph, auth, { limit, after, since, until, fields: POST_FIELDS, signal }));
    let stories: PostView[] | undefined;
    if (args.include_stories && !args.cursor) {
      try {
        const live = await this.call(who, account, (auth) =>
          listStories(this.graph, auth, { limit: 50, fields: ['id', 'caption', 'media_type', 'media_product_type', 'media_url', 'permalink', 'thumbnail_url', 'timestamp'], signal }),
        );
        stories = live.items.map((s) => postView(s, detail));
        if (live.nextCursor) notes.push('More live stories exist than shown (first 50).');
      } catch (err) {
        if (!(err instanceof GraphError)) throw err;
        notes.push(`Live stories could not be read: ${err.message}`);
        stories = [];
      }
    }
    const posts = page.items.map((m) => postView(m, detail));
    if (posts.length === 0) notes.push(since !== undefined || until !== undefined ? 'No posts in this time range.' : after ? 'No more posts.' : 'This account has no posts yet.');
    return {
      account: { id: account.id, username: account.username, resource_uri: accountUri(account.id) },
      posts,
      count: posts.length,
      next_cursor: page.nextCursor ? encodeCursor({ k: 'posts', a: account.id, c: page.nextCursor, s: since, u: until }) : null,
      ...(stories ? { stories } : {}),
      notes,
    };
  }

  /**
   * A media reference: a tracked post id of this owner (its account and media id come from the
   * store) or an Instagram media id on the chosen account.
   */
  resolveMediaRef(who: Caller, ref: string, accountArg?: string): { account: AccountRecord; mediaId: string; postId?: string } {
    const id = ref.trim();
    if (!isGraphId(id)) {
      const post = this.o.store.posts.get(who.owner, id);
      if (!post) {
        throw new AppError('post_not_found', `No post or media with id '${id.slice(0, 80)}'.`, 'Use an Instagram media id (digits, from instagram_get_posts) or a post id returned by a publishing tool.');
      }
      if (!post.mediaId) {
        throw new AppError('post_not_published', `Post ${post.id} is not published yet (state: ${post.state}).`, 'Follow it with instagram_post_status; insights and comments exist once it is published.');
      }
      const account = this.o.accounts.resolve(caller(who), post.accountId);
      return { account, mediaId: post.mediaId, postId: post.id };
    }
    return { account: this.o.accounts.resolve(caller(who), accountArg), mediaId: id };
  }

  async getPost(who: Caller, args: { media_id: string; account?: string; detail?: Detail }, signal?: AbortSignal): Promise<{ post: PostView; account: { id: string; username: string }; tracked_post_id?: string }> {
    const detail = args.detail ?? 'concise';
    const ref = this.resolveMediaRef(who, args.media_id, args.account);
    const media = await this.fetchMediaWithChildren(who, ref.account, ref.mediaId, signal);
    return {
      post: postView(media, detail, true),
      account: { id: ref.account.id, username: ref.account.username },
      ...(ref.postId ? { tracked_post_id: ref.postId } : {}),
    };
  }

  private async fetchMediaWithChildren(who: Caller, account: AccountRecord, mediaId: string, signal?: AbortSignal): Promise<MediaItem> {
    return this.call(who, account, async (auth) => {
      const media = await getMedia(this.graph, auth, mediaId, [...DEFAULT_MEDIA_FIELDS, 'is_comment_enabled'], signal);
      if (media.media_type === 'CAROUSEL_ALBUM') {
        const children = await listChildren(this.graph, auth, mediaId, undefined, signal);
        return { ...media, children: { data: children } } as MediaItem;
      }
      return media;
    });
  }

  // ================================================================ insights

  async getInsights(
    who: Caller,
    args: {
      account?: string;
      media_id?: string;
      metrics?: string[];
      breakdown?: string;
      period?: string;
      metric_type?: string;
      since?: string;
      until?: string;
      timeframe?: string;
      detail?: Detail;
    },
    signal?: AbortSignal,
  ): Promise<InsightsOutput> {
    const requested = args.metrics?.map((m) => m.trim().toLowerCase()).filter(Boolean);
    // Removed metrics are refused before anything else, so no call is spent on them.
    const removed = deprecatedMetrics(requested ?? []);
    if (removed.length) {
      const list = removed.map((r) => `${r.metric} (removed in ${r.removed}; ${r.advice})`).join('; ');
      const replacements = [...new Set(removed.map((r) => r.replacement).filter((r): r is string => !!r))];
      throw new AppError('deprecated_metric', `Meta no longer provides: ${list}.`, `Ask again with ${replacements.join(', ') || 'current metrics'} instead (nothing was sent to Instagram).`, {
        deprecated: removed.map((r) => ({ metric: r.metric, replacement: r.replacement })),
      });
    }
    return args.media_id ? this.mediaInsights(who, { ...args, media_id: args.media_id, metrics: requested }, signal) : this.accountInsights(who, { ...args, metrics: requested }, signal);
  }

  private async mediaInsights(
    who: Caller,
    args: { account?: string; media_id: string; metrics?: string[]; breakdown?: string; period?: string; metric_type?: string; since?: string; until?: string; timeframe?: string; detail?: Detail },
    signal?: AbortSignal,
  ): Promise<InsightsOutput> {
    const notes: string[] = [];
    if (args.period || args.metric_type || args.since || args.until || args.timeframe) {
      notes.push('Media insights are always lifetime values: period, metric_type, since, until and timeframe were ignored.');
    }
    const ref = this.resolveMediaRef(who, args.media_id, args.account);
    const media = await this.call(who, ref.account, (auth) => getMedia(this.graph, auth, ref.mediaId, ['id', 'media_type', 'media_product_type', 'timestamp'], signal));
    const kind = mediaKindOf(media.media_product_type, media.media_type);
    const valid = [...MEDIA_METRICS[kind], ...(ref.account.loginType === 'facebook' ? FACEBOOK_ONLY_MEDIA_METRICS : [])];
    let metrics = args.metrics?.length ? [...new Set(args.metrics)] : undefined;
    const breakdown = args.breakdown?.trim().toLowerCase() || undefined;
    if (breakdown) {
      const supporting = Object.entries(MEDIA_BREAKDOWNS).filter(([m, b]) => b === breakdown && valid.includes(m)).map(([m]) => m);
      if (!supporting.length) {
        throw new AppError('invalid_breakdown', `Breakdown '${breakdown}' is not available for ${kind.toLowerCase()} media.`, `Media breakdowns: ${Object.entries(MEDIA_BREAKDOWNS).filter(([m]) => valid.includes(m)).map(([m, b]) => `${b} (metric ${m})`).join(', ') || 'none for this media type'}.`);
      }
      metrics ??= supporting;
      const unsupported = metrics.filter((m) => !supporting.includes(m));
      if (unsupported.length) {
        throw new AppError('invalid_breakdown', `Breakdown '${breakdown}' only works with ${supporting.join(', ')}, not with ${unsupported.join(', ')}.`, `Ask for ${supporting.join(', ')} with this breakdown, and for the other metrics in a separate call without it.`);
      }
    }
    metrics ??= [...DEFAULT_MEDIA_METRICS[kind]];
    const invalid = metrics.filter((m) => !valid.includes(m));
    if (invalid.length) {
      const fbOnly = invalid.filter((m) => FACEBOOK_ONLY_MEDIA_METRICS.includes(m));
      throw new AppError(
        'invalid_metric',
        `Not available for ${kind === 'FEED' ? 'feed posts' : kind === 'REELS' ? 'reels' : 'stories'}: ${invalid.join(', ')}.`,
        `${fbOnly.length ? `${fbOnly.join(', ')} need a Facebook Login account. ` : ''}Metrics for this media: ${valid.join(', ')}.`,
        { product_type: kind },
      );
    }
    let result;
    try {
      result = await this.call(who, ref.account, (auth) => getMediaInsights(this.graph, auth, ref.mediaId, { metrics, breakdown, signal }));
    } catch (err) {
      if (err instanceof GraphError && err.code === 10 && (kind === 'STORY' || /not enough viewers/i.test(err.message))) {
        throw new AppError('not_enough_viewers', 'Instagram shows no insights for this story yet: fewer than 5 accounts have viewed it.', 'Try again once more people have seen it (story insights exist only while the story is live, or in a highlight).', {
          graph_code: 10,
          media_id: ref.mediaId,
        });
      }
      throw err;
    }
    const missing = metrics.filter((m) => !result.rows.some((r) => r.metric === m));
    if (missing.length) notes.push(`No data yet for ${missing.join(', ')} (Instagram omits metrics without data; insights can lag up to 48 hours).`);
    return {
      target: { kind: 'media', id: ref.mediaId, resource_uri: postUri(ref.mediaId), product_type: kind },
      rows: result.rows,
      metrics,
      period: 'lifetime',
      ...(breakdown ? { breakdown } : {}),
      ...(args.detail === 'full' ? { metric_info: result.metrics } : {}),
      notes,
    };
  }

  private async accountInsights(
    who: Caller,
    args: { account?: string; metrics?: string[]; breakdown?: string; period?: string; metric_type?: string; since?: string; until?: string; timeframe?: string; detail?: Detail },
    signal?: AbortSignal,
  ): Promise<InsightsOutput> {
    const account = this.o.accounts.resolve(caller(who), args.account);
    const metrics = args.metrics?.length ? [...new Set(args.metrics)] : [...DEFAULT_ACCOUNT_METRICS];
    const unknown = metrics.filter((m) => !(m in ACCOUNT_METRICS));
    if (unknown.length) {
      const mediaOnly = unknown.filter((m) => Object.values(MEDIA_METRICS).some((list) => list.includes(m)));
      throw new AppError(
        'invalid_metric',
        `Not an account metric: ${unknown.join(', ')}.`,
        `${mediaOnly.length ? `${mediaOnly.join(', ')} exist per media: pass media_id. ` : ''}Account metrics: ${Object.keys(ACCOUNT_METRICS).join(', ')}.`,
      );
    }
    const specs = metrics.map((m) => ({ metric: m, spec: ACCOUNT_METRICS[m]! }));
    const notes: string[] = [];
    const breakdown = args.breakdown?.trim().toLowerCase() || undefined;
    const demographic = specs.filter((s) => s.spec.demographic);
    if (demographic.length && demographic.length !== specs.length) {
      throw new AppError('invalid_metric', 'Audience demographics cannot be mixed with other account metrics in one call.', `Ask for ${demographic.map((d) => d.metric).join(', ')} in a separate call.`);
    }
    if (demographic.length) {
      const timeframe = (args.timeframe?.trim().toLowerCase() || 'this_month') as DemographicTimeframe;
      if (!DEMOGRAPHIC_TIMEFRAMES.includes(timeframe)) {
        const removedTf = REMOVED_TIMEFRAMES.includes(timeframe);
        throw new AppError('invalid_argument', `timeframe '${timeframe}' is ${removedTf ? 'no longer offered by Meta (removed in v20)' : 'not valid'}.`, `Use one of: ${DEMOGRAPHIC_TIMEFRAMES.join(', ')}.`);
      }
      const by = breakdown ?? 'country';
      if (!demographic[0]!.spec.breakdowns.includes(by)) {
        throw new AppError('invalid_breakdown', `Demographics break down by ${demographic[0]!.spec.breakdowns.join(', ')}, not '${by}'.`, 'Pick one of those breakdowns.');
      }
      if (args.since || args.until || (args.period && args.period !== 'lifetime')) notes.push('Demographics cover the chosen timeframe: since, until and period were ignored.');
      if (!breakdown) notes.push('No breakdown given: showing countries (also: age, city, gender).');
      const result = await this.call(who, account, (auth) =>
        getAccountInsights(this.graph, auth, { metrics, period: 'lifetime', metricType: 'total_value', breakdown: by, timeframe, signal }),
      );
      if (!result.rows.length) notes.push('Instagram returned no demographics (they need at least 100 followers or engaged accounts).');
      return {
        target: { kind: 'account', id: account.id, username: account.username, resource_uri: accountUri(account.id) },
        rows: result.rows,
        metrics,
        period: 'lifetime',
        metric_type: 'total_value',
        breakdown: by,
        timeframe,
        ...(args.detail === 'full' ? { metric_info: result.metrics } : {}),
        notes,
      };
    }

    // Period: the one every metric supports.
    const period = (args.period?.trim().toLowerCase() || undefined) as AccountPeriod | undefined;
    const periods = period ? [period] : (['day', 'lifetime'] as AccountPeriod[]);
    const chosenPeriod = periods.find((p) => specs.every((s) => s.spec.periods.includes(p)));
    if (!chosenPeriod) {
      const groups = specs.map((s) => `${s.metric}: ${s.spec.periods.join('/')}`).join(', ');
      throw new AppError('invalid_argument', period ? `Period '${period}' does not work for every metric asked.` : 'These metrics need different periods.', `Periods per metric: ${groups}. Ask for them in separate calls.`);
    }
    // Metric type: total_value where possible (one number for the window), else time_series.
    const metricType = (args.metric_type?.trim().toLowerCase() || undefined) as MetricType | undefined;
    const types = metricType ? [metricType] : breakdown ? (['total_value'] as MetricType[]) : (['total_value', 'time_series'] as MetricType[]);
    const chosenType = types.find((t) => specs.every((s) => s.spec.metricTypes.includes(t)));
    if (!chosenType) {
      const groups = specs.map((s) => `${s.metric}: ${s.spec.metricTypes.join('/')}`).join(', ');
      throw new AppError('invalid_argument', metricType ? `metric_type '${metricType}' does not work for every metric asked.` : 'These metrics need different metric types.', `Metric types per metric: ${groups}. Ask for them in separate calls.`);
    }
    if (breakdown) {
      if (chosenType !== 'total_value') throw new AppError('invalid_breakdown', 'Breakdowns need metric_type total_value.', 'Leave metric_type out or set it to total_value.');
      const without = specs.filter((s) => !s.spec.breakdowns.includes(breakdown));
      if (without.length) {
        throw new AppError('invalid_breakdown', `Breakdown '${breakdown}' does not work with ${without.map((s) => s.metric).join(', ')}.`, `Breakdowns per metric: ${specs.map((s) => `${s.metric}: ${s.spec.breakdowns.join('/') || 'none'}`).join(', ')}.`);
      }
    }
    // Window: the last 7 days by default; Meta allows at most 30 days per call and keeps 90.
    const nowSec = Math.floor(this.o.clock.now() / 1000);
    let until = parseTimeArg('until', args.until);
    let since = parseTimeArg('since', args.since);
    if (chosenPeriod === 'lifetime') {
      since = undefined;
      until = undefined;
    } else {
      until ??= nowSec;
      since ??= until - 7 * 24 * 60 * 60;
      if (since >= until) throw new AppError('invalid_argument', 'since must be before until.', 'Swap them or leave one out.');
      if (until - since > MAX_RANGE_SECONDS) {
        throw new AppError('invalid_argument', `The window is ${Math.ceil((until - since) / 86400)} days; Instagram allows at most 30 days per call.`, 'Split it into windows of 30 days or less.');
      }
      if (since < nowSec - 90 * 24 * 60 * 60) notes.push('Instagram keeps account insights for 90 days only: older days come back empty.');
    }
    const result = await this.call(who, account, (auth) =>
      getAccountInsights(this.graph, auth, { metrics, period: chosenPeriod, metricType: chosenType, breakdown, since, until, signal }),
    );
    const missing = metrics.filter((m) => !result.rows.some((r) => r.metric === m));
    if (missing.length) notes.push(`No data for ${missing.join(', ')} (Instagram omits metrics without data; some need at least 100 followers; data can lag up to 48 hours).`);
    return {
      target: { kind: 'account', id: account.id, username: account.username, resource_uri: accountUri(account.id) },
      rows: result.rows,
      metrics,
      period: chosenPeriod,
      metric_type: chosenType,
      ...(breakdown ? { breakdown } : {}),
      ...(since !== undefined ? { since: iso(since * 1000) } : {}),
      ...(until !== undefined ? { until: iso(until * 1000) } : {}),
      ...(args.detail === 'full' ? { metric_info: result.metrics } : {}),
      notes,
    };
  }

  // ================================================================ comments

  async getComments(
    who: Caller,
    args: { account?: string; media_id?: string; comment_id?: string; limit?: number; cursor?: string; include_replies?: boolean; detail?: Detail },
    signal?: AbortSignal,
  ): Promise<{
    media_id?: string;
    comment_id?: string;
    resource_uri?: string;
    comments: CommentView[];
    count: number;
    next_cursor: string | null;
    notes: string[];
  }> {
    const detail = args.detail ?? 'concise';
    const limit = Math.max(1, Math.min(MAX_COMMENTS_PAGE, Math.floor(args.limit ?? 20)));
    const notes: string[] = [];
    if (args.comment_id) {
      const commentId = args.comment_id.trim();
      if (!isGraphId(commentId)) throw new AppError('invalid_argument', 'comment_id must be an Instagram comment id (digits).', 'Take it from instagram_get_comments.');
      const account = this.o.accounts.resolve(caller(who), args.account);
      const after = args.cursor ? decodeCursor(args.cursor, 'replies', account).c : undefined;
      const page = await this.call(who, account, (auth) => listReplies(this.graph, auth, commentId, { limit, after, signal }));
      const comments = page.items.map((c) => commentView(c, account, detail));
      if (!comments.length) notes.push(after ? 'No more replies.' : 'This comment has no replies.');
      return {
        comment_id: commentId,
        comments,
        count: comments.length,
        next_cursor: page.nextCursor ? encodeCursor({ k: 'replies', a: account.id, c: page.nextCursor, m: commentId }) : null,
        notes,
      };
    }
    if (!args.media_id) throw new AppError('invalid_argument', 'Give media_id (the post whose comments to read) or comment_id (the comment whose replies to read).', 'Find media ids with instagram_get_posts.');
    const ref = this.resolveMediaRef(who, args.media_id, args.account);
    const account = ref.account;
    let after: string | undefined;
    if (args.cursor) {
      const c = decodeCursor(args.cursor, 'comments', account);
      if (c['m'] !== ref.mediaId) throw new AppError('invalid_cursor', 'This cursor belongs to the comments of another media.', 'Use it with the same media_id, or leave cursor out.');
      after = c.c;
    }
    const repliesLimit = args.include_replies === false ? 0 : detail === 'full' ? 25 : 5;
    const page = await this.call(who, account, (auth) => listComments(this.graph, auth, ref.mediaId, { limit, after, repliesLimit, signal }));
    const comments = page.items.map((c) => {
      const view = commentView(c, account, detail);
      if (repliesLimit && c.replies) {
        view.replies = c.replies.data.map((r) => commentView(r, account, detail));
        if (c.replies.data.length >= repliesLimit) view.more_replies = true;
      }
      return view;
    });
    if (comments.some((c) => c.more_replies)) notes.push('Some comments have more replies: read them with comment_id.');
    if (!comments.length) notes.push(after ? 'No more comments.' : 'This media has no comments.');
    return {
      media_id: ref.mediaId,
      resource_uri: postUri(ref.mediaId),
      comments,
      count: comments.length,
      next_cursor: page.nextCursor ? encodeCursor({ k: 'comments', a: account.id, c: page.nextCursor, m: ref.mediaId }) : null,
      notes,
    };
  }

  private audit(who: Caller, account: AccountRecord, action: string, detail: Record<string, unknown>): void {
    this.o.store.audit.record({ owner: who.owner, agent: who.agent, accountId: account.id, action, detail });
  }

  private checkMessage(message: string): string {
    const text = message.trim();
    if (!text) throw new AppError('invalid_argument', 'The message is empty.', 'Write the text to post.');
    if (text.length > 2200) throw new AppError('invalid_argument', `The message is ${text.length} characters; Instagram allows 2200.`, 'Shorten it.');
    return text;
  }

  /** Comment writes are never retried blindly: a failure that may have been applied says so. */
  private uncertainWrite(err: unknown, what: string, check: string): never {
    if (err instanceof GraphError && !err.notApplied && (err.kind === 'network' || err.kind === 'transient')) {
      throw new AppError('write_uncertain', `Instagram did not confirm ${what}; it may or may not have happened.`, `${check} before trying again, so nothing is done twice.`, {
        graph_code: err.code,
        cause: err.message,
      });
    }
    throw err;
  }

  async postComment(who: Caller, args: { account?: string; media_id: string; message: string }, signal?: AbortSignal): Promise<{ comment_id: string; media_id: string; resource_uri: string }> {
    const message = this.checkMessage(args.message);
    const ref = this.resolveMediaRef(who, args.media_id, args.account);
    let created: { id: string };
    try {
      created = await this.call(who, ref.account, (auth) => createComment(this.graph, auth, ref.mediaId, message, signal));
    } catch (err) {
      this.uncertainWrite(err, 'the comment', 'Check the comments of the media with instagram_get_comments');
    }
    this.audit(who, ref.account, 'comment.created', { media_id: ref.mediaId, comment_id: created.id });
    return { comment_id: created.id, media_id: ref.mediaId, resource_uri: postUri(ref.mediaId) };
  }

  async replyComment(who: Caller, args: { account?: string; comment_id: string; message: string }, signal?: AbortSignal): Promise<{ reply_id: string; comment_id: string }> {
    const message = this.checkMessage(args.message);
    const commentId = args.comment_id.trim();
    if (!isGraphId(commentId)) throw new AppError('invalid_argument', 'comment_id must be an Instagram comment id (digits).', 'Take it from instagram_get_comments.');
    const account = this.o.accounts.resolve(caller(who), args.account);
    let created: { id: string };
    try {
      created = await this.call(who, account, (auth) => replyToComment(this.graph, auth, commentId, message, signal));
    } catch (err) {
      this.uncertainWrite(err, 'the reply', 'Check the replies with instagram_get_comments(comment_id)');
    }
    this.audit(who, account, 'comment.replied', { comment_id: commentId, reply_id: created.id });
    return { reply_id: created.id, comment_id: commentId };
  }

  async moderateComment(who: Caller, args: { account?: string; comment_id: string; action: 'hide' | 'unhide' | 'delete' }, signal?: AbortSignal): Promise<{ comment_id: string; action: string; success: boolean }> {
    const commentId = args.comment_id.trim();
    if (!isGraphId(commentId)) throw new AppError('invalid_argument', 'comment_id must be an Instagram comment id (digits).', 'Take it from instagram_get_comments.');
    const account = this.o.accounts.resolve(caller(who), args.account);
    let success: boolean;
    try {
      success = await this.call(who, account, (auth) =>
        args.action === 'delete' ? deleteComment(this.graph, auth, commentId, signal) : setCommentHidden(this.graph, auth, commentId, args.action === 'hide', signal),
      );
    } catch (err) {
      this.uncertainWrite(err, `the ${args.action}`, 'Read the comment with instagram_get_comments');
    }
    this.audit(who, account, `comment.${args.action === 'delete' ? 'deleted' : args.action === 'hide' ? 'hidden' : 'unhidden'}`, { comment_id: commentId });
    return { comment_id: commentId, action: args.action, success };
  }

  async setCommentsEnabled(who: Caller, args: { account?: string; media_id: string; enabled: boolean }, signal?: AbortSignal): Promise<{ media_id: string; comments_enabled: boolean; success: boolean; resource_uri: string }> {
    const ref = this.resolveMediaRef(who, args.media_id, args.account);
    let success: boolean;
    try {
      success = await this.call(who, ref.account, (auth) => setCommentsEnabled(this.graph, auth, ref.mediaId, args.enabled, signal));
    } catch (err) {
      this.uncertainWrite(err, 'the change', 'Read the post with instagram_get_post (is_comment_enabled)');
    }
    this.audit(who, ref.account, args.enabled ? 'comments.enabled' : 'comments.disabled', { media_id: ref.mediaId });
    return { media_id: ref.mediaId, comments_enabled: args.enabled, success, resource_uri: postUri(ref.mediaId) };
  }

  // ================================================================ discovery

  private requireFacebookLogin(account: AccountRecord, what: string): void {
    if (account.loginType !== 'facebook') {
      throw new AppError(
        'facebook_login_required',
        `${what} is only offered by Meta to accounts connected through Facebook Login; @${account.username} uses Instagram Login.`,
        'Connect the account again with instagram_authenticate and login_type "facebook" (the Instagram account must be linked to a Facebook Page), then use that connection.',
        { login_type: account.loginType },
      );
    }
  }

  hashtagBudget(who: Caller, account: AccountRecord): HashtagBudgetView {
    const now = this.o.clock.now();
    const searched = this.o.store.hashtagSearches.uniqueSince(who.owner, account.id, now - HASHTAG_WINDOW_MS);
    const oldest = searched[0];
    return {
      limit: HASHTAG_BUDGET,
      used: searched.length,
      remaining: Math.max(0, HASHTAG_BUDGET - searched.length),
      window_days: 7,
      next_slot_frees_at: oldest ? iso(oldest.firstSearchedAt + HASHTAG_WINDOW_MS) : null,
      searched: searched.map((s) => s.hashtag),
    };
  }

  async searchHashtag(
    who: Caller,
    args: { account?: string; hashtag: string; edge?: HashtagEdge; limit?: number; cursor?: string; detail?: Detail },
    signal?: AbortSignal,
  ): Promise<{
    hashtag: { id: string; name: string };
    edge: HashtagEdge;
    media: PublicMediaView[];
    count: number;
    next_cursor: string | null;
    budget: HashtagBudgetView;
    notes: string[];
  }> {
    const detail = args.detail ?? 'concise';
    const account = this.o.accounts.resolve(caller(who), args.account);
    this.requireFacebookLogin(account, 'Hashtag search');
    const limit = Math.max(1, Math.min(50, Math.floor(args.limit ?? 10)));
    const notes: string[] = [];
    let tag = normalizeHashtag(args.hashtag);
    let edge: HashtagEdge = args.edge ?? 'top';
    let hashtagId: string;
    let after: string | undefined;
    if (args.cursor) {
      const c = decodeCursor(args.cursor, 'hashtag', account);
      // The hashtag id becomes a path segment: a cursor edited to carry anything but a Graph id is refused.
      if (typeof c['h'] !== 'string' || !isGraphId(c['h'])) {
        throw new AppError('invalid_cursor', 'This cursor was altered: it does not name a hashtag.', 'Pass the next_cursor value of the previous answer unchanged, or leave cursor out to start over.');
      }
      hashtagId = c['h'];
      tag = String(c['n']);
      edge = c['e'] === 'recent' ? 'recent' : 'top';
      after = c.c;
    } else {
      if (!/^[\p{L}\p{N}_]{1,100}$/u.test(tag)) {
        throw new AppError('invalid_argument', `'${tag.slice(0, 60)}' is not a hashtag Instagram can search.`, 'Use letters, digits and underscores only (no spaces, punctuation or emoji), with or without the leading #.');
      }
      const budget = this.hashtagBudget(who, account);
      const known = this.o.store.hashtagSearches.uniqueSince(who.owner, account.id, this.o.clock.now() - HASHTAG_WINDOW_MS).find((h) => h.hashtag === tag);
      if (!known && budget.remaining <= 0) {
        throw new AppError(
          'hashtag_budget_exhausted',
          `@${account.username} has searched ${budget.used} different hashtags in the last 7 days, Instagram's limit; #${tag} would be a new one.`,
          `A slot frees up at ${budget.next_slot_frees_at}. Until then these can be searched again at no cost: ${budget.searched.map((s) => `#${s}`).join(', ')}.`,
          { budget },
        );
      }
      if (known) {
        hashtagId = known.hashtagId;
      } else {
        let found: string | null;
        try {
          found = await this.call(who, account, (auth) => searchHashtagId(this.graph, auth, tag, signal));
        } catch (err) {
          if (err instanceof GraphError && /hashtag/i.test(err.message) && /(30|limit|maximum)/i.test(err.message)) {
            throw new AppError('hashtag_budget_exhausted', `Instagram refused a new hashtag for @${account.username}: ${err.message}`, 'The 30-hashtags-per-7-days budget is used up (possibly by another app on this account); re-search hashtags already searched, or wait.', {
              budget: this.hashtagBudget(who, account),
            });
          }
          throw err;
        }
        if (!found) throw new AppError('hashtag_not_found', `Instagram knows no hashtag #${tag}.`, 'Check the spelling; some sensitive hashtags cannot be searched.', { budget: this.hashtagBudget(who, account) });
        hashtagId = found;
        this.o.store.hashtagSearches.record(who.owner, account.id, tag, hashtagId);
      }
    }
    const page = await this.call(who, account, (auth) => getHashtagMedia(this.graph, auth, hashtagId, edge, { limit, after, signal }));
    const media = page.items.map((m) => publicMediaView(m, detail, false));
    if (!media.length) notes.push(after ? 'No more media.' : edge === 'recent' ? 'No media with this hashtag in the last 24 hours.' : 'No top media for this hashtag.');
    return {
      hashtag: { id: hashtagId, name: tag },
      edge,
      media,
      count: media.length,
      next_cursor: page.nextCursor ? encodeCursor({ k: 'hashtag', a: account.id, c: page.nextCursor, h: hashtagId, n: tag, e: edge }) : null,
      budget: this.hashtagBudget(who, account),
      notes,
    };
  }

  async businessDiscovery(
    who: Caller,
    args: { account?: string; username: string; media_limit?: number; cursor?: string; detail?: Detail },
    signal?: AbortSignal,
  ): Promise<{
    profile: {
      id: string;
      username: string;
      name: string | null;
      biography: UntrustedText | null;
      website: string | null;
      followers_count: number | null;
      media_count: number | null;
      profile_picture_url?: string;
    };
    media: PublicMediaView[];
    count: number;
    stats: { posts_analyzed: number; avg_likes: number | null; avg_comments: number | null; avg_views: number | null; engagement_rate_pct: number | null };
    next_cursor: string | null;
    notes: string[];
  }> {
    const detail = args.detail ?? 'concise';
    const account = this.o.accounts.resolve(caller(who), args.account);
    this.requireFacebookLogin(account, 'Business discovery (another account\'s public stats)');
    let username = args.username.trim().replace(/^@/, '');
    let after: string | undefined;
    if (args.cursor) {
      const c = decodeCursor(args.cursor, 'discovery', account);
      username = String(c['u']);
      after = c.c;
    }
    if (!isValidUsername(username)) {
      throw new AppError('invalid_argument', `'${username.slice(0, 40)}' is not an Instagram username.`, 'Usernames have at most 30 letters, digits, periods and underscores.');
    }
    const mediaLimit = Math.max(1, Math.min(50, Math.floor(args.media_limit ?? 10)));
    let result;
    try {
      result = await this.call(who, account, (auth) => businessDiscovery(this.graph, auth, username, { mediaLimit, after, signal }));
    } catch (err) {
      if (err instanceof GraphError && (err.subcode === 2207013 || err.code === 110)) {
        throw new AppError('business_account_not_found', `@${username} cannot be looked up: it does not exist, or it is not a business or creator account.`, 'Check the spelling. Personal and age-restricted accounts are not available through business discovery.', {
          graph_code: err.code,
          graph_subcode: err.subcode,
        });
      }
      throw err;
    }
    const p = result.profile;
    const media = result.media.items.map((m) => publicMediaView(m, detail, true));
    const avg = (values: Array<number | undefined>): number | null => {
      const present = values.filter((v): v is number => typeof v === 'number');
      return present.length ? Math.round((present.reduce((a, b) => a + b, 0) / present.length) * 10) / 10 : null;
    };
    const avgLikes = avg(result.media.items.map((m) => m.like_count));
    const avgComments = avg(result.media.items.map((m) => m.comments_count));
    const followers = p.followers_count ?? null;
    const notes: string[] = [];
    if (!media.length) notes.push(after ? 'No more media.' : `@${username} has no public media.`);
    if (result.media.items.some((m) => m.like_count === undefined)) notes.push('Some posts hide their like counts.');
    return {
      profile: {
        id: p.id,
        username: p.username ?? username,
        name: p.name ?? null,
        biography: untrusted(p.biography),
        website: p.website ?? null,
        followers_count: followers,
        media_count: p.media_count ?? null,
        ...(detail === 'full' && p.profile_picture_url ? { profile_picture_url: p.profile_picture_url } : {}),
      },
      media,
      count: media.length,
      stats: {
        posts_analyzed: media.length,
        avg_likes: avgLikes,
        avg_comments: avgComments,
        avg_views: avg(result.media.items.map((m) => m.view_count)),
        engagement_rate_pct:
          followers && avgLikes !== null ? Math.round((((avgLikes ?? 0) + (avgComments ?? 0)) / followers) * 10000) / 100 : null,
      },
      next_cursor: result.media.nextCursor ? encodeCursor({ k: 'discovery', a: account.id, c: result.media.nextCursor, u: username }) : null,
      notes,
    };
  }

  // ================================================================ rate limits

  async rateLimits(
    who: Caller,
    args: { account?: string },
    signal?: AbortSignal,
  ): Promise<{
    app: { call_count_pct: number; total_time_pct: number; total_cputime_pct: number; observed_at: string } | null;
    accounts: Array<{
      id: string;
      username: string;
      login_type: string;
      usage: Array<{ type: string; call_count_pct: number; total_time_pct: number; total_cputime_pct: number; estimated_time_to_regain_access_min: number; observed_at: string }>;
      blocked_until: string | null;
      publishing: { quota_usage: number; quota_total: number | null; remaining: number | null; window_hours: number | null } | { error: string };
      hashtag_budget: HashtagBudgetView | { available: false; reason: string };
    }>;
    throttled: boolean;
    access_returns_at: string | null;
    highest_usage_pct: number;
    summary: string;
  }> {
    const targets = args.account
      ? [this.o.accounts.resolve(caller(who), args.account)]
      : this.o.accounts
          .list(caller(who))
          .map((a) => a.account)
          .filter((a) => a.status === 'active' && a.accessToken);
    const publishing = new Map<string, { quota_usage: number; quota_total: number | null; remaining: number | null; window_hours: number | null } | { error: string }>();
    for (const account of targets) {
      try {
        const limit = await this.call(who, account, (auth) => getPublishingLimit(this.graph, auth, signal));
        publishing.set(account.id, {
          quota_usage: limit.quotaUsage,
          quota_total: limit.quotaTotal,
          remaining: limit.quotaTotal === null ? null : Math.max(0, limit.quotaTotal - limit.quotaUsage),
          window_hours: limit.quotaDurationSec === null ? null : Math.round(limit.quotaDurationSec / 3600),
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        publishing.set(account.id, { error: err instanceof Error ? err.message : String(err) });
      }
    }
    // Read after the live calls so their usage headers are included.
    const usage = this.graph.usage();
    const now = this.o.clock.now();
    const app = usage.app
      ? { call_count_pct: usage.app.callCount, total_time_pct: usage.app.totalTime, total_cputime_pct: usage.app.totalCputime, observed_at: iso(usage.app.at) }
      : null;
    let highest = app ? Math.max(app.call_count_pct, app.total_time_pct, app.total_cputime_pct) : 0;
    let returnsAt = usage.blockedUntil['app'] ?? 0;
    const accounts = targets.map((account) => {
      const entries = usage.accounts[account.id] ?? [];
      for (const e of entries) highest = Math.max(highest, e.callCount, e.totalTime, e.totalCputime);
      const blocked = usage.blockedUntil[account.id];
      if (blocked && blocked > returnsAt) returnsAt = blocked;
      return {
        id: account.id,
        username: account.username,
        login_type: account.loginType,
        usage: entries.map((e) => ({
          type: e.type,
          call_count_pct: e.callCount,
          total_time_pct: e.totalTime,
          total_cputime_pct: e.totalCputime,
          estimated_time_to_regain_access_min: e.estimatedTimeToRegainAccessMin,
          observed_at: iso(e.at),
        })),
        blocked_until: blocked ? iso(blocked) : null,
        publishing: publishing.get(account.id) ?? { error: 'not checked' },
        hashtag_budget:
          account.loginType === 'facebook'
            ? this.hashtagBudget(who, account)
            : ({ available: false, reason: 'Hashtag search needs Facebook Login (instagram_authenticate with login_type "facebook").' } as const),
      };
    });
    const throttled = returnsAt > now;
    const parts = [
      app ? `app usage ${Math.max(app.call_count_pct, app.total_time_pct, app.total_cputime_pct)}%` : 'no app usage reported yet',
      ...accounts.map((a) => {
        const pub = 'error' in a.publishing ? 'publishing quota unknown' : `${a.publishing.quota_usage}/${a.publishing.quota_total ?? '?'} posts in 24 h`;
        const acct = a.usage.length ? `${Math.max(...a.usage.map((u) => Math.max(u.call_count_pct, u.total_time_pct, u.total_cputime_pct)))}% of the account's call budget` : 'no account usage reported';
        const tags = 'used' in a.hashtag_budget ? `, ${a.hashtag_budget.remaining}/${a.hashtag_budget.limit} new hashtags left this week` : '';
        return `@${a.username}: ${acct}, ${pub}${tags}`;
      }),
    ];
    return {
      app,
      accounts,
      throttled,
      access_returns_at: throttled ? iso(returnsAt) : null,
      highest_usage_pct: highest,
      summary: `${throttled ? `THROTTLED until ${iso(returnsAt)} — stop calling until then. ` : highest >= 80 ? 'Usage is high: calls are being slowed down. ' : ''}${parts.join('; ')}.`,
    };
  }

  // ================================================================ resources

  /** The owner's accounts this agent may use, for the resource list. */
  listAccountResources(who: Caller): Array<{ uri: string; name: string; title: string; description: string }> {
    return this.o.accounts.list(caller(who)).map(({ account }) => ({
      uri: accountUri(account.id),
      name: `@${account.username}`,
      title: `Instagram account @${account.username}`,
      description: `${account.loginType === 'facebook' ? 'Facebook Login' : 'Instagram Login'} · ${account.status}${account.followersCount !== null ? ` · ${account.followersCount} followers` : ''}`,
    }));
  }

  readAccountResource(who: Caller, id: string): Record<string, unknown> {
    const entry = this.o.accounts.list(caller(who)).find((a) => a.account.id === id || a.account.username.toLowerCase() === id.replace(/^@/, '').toLowerCase());
    if (!entry) throw new AppError('account_not_found', `No account ${id} for this user.`, 'List accounts with instagram_accounts.');
    const posts = this.o.store.posts.listForAccount(who.owner, entry.account.id, 20).map((p) => ({
      id: p.id,
      kind: p.kind,
      state: p.state,
      media_id: p.mediaId,
      permalink: p.permalink,
      resource_uri: postUri(p.id),
      created_at: iso(p.createdAt),
    }));
    return { account: this.o.accounts.view(entry.account, entry.enabled), recent_tracked_posts: posts };
  }

  listPostResources(who: Caller): Array<{ uri: string; name: string; title: string; description: string }> {
    const out = [];
    for (const { account } of this.o.accounts.list(caller(who))) {
      for (const p of this.o.store.posts.listForAccount(who.owner, account.id, 50)) {
        out.push({
          uri: postUri(p.id),
          name: `${p.kind} ${p.id}`,
          title: `${p.kind} by @${account.username} (${p.state})`,
          description: p.caption ? truncate(p.caption, 100) : `${p.kind} created ${iso(p.createdAt)}`,
        });
      }
    }
    return out;
  }

  /** A tracked post (its state, and the live media once published) or an Instagram media id of one of the owner's accounts. */
  async readPostResource(who: Caller, id: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    if (!isGraphId(id)) {
      const post = this.o.store.posts.get(who.owner, id);
      if (!post) throw new AppError('post_not_found', `No post ${id} for this user.`, 'Use a post id from a publishing tool or a media id from instagram_get_posts.');
      const tracked = {
        id: post.id,
        account_id: post.accountId,
        kind: post.kind,
        state: post.state,
        progress: post.progress,
        caption: post.caption,
        media_id: post.mediaId,
        permalink: post.permalink,
        created_at: iso(post.createdAt),
        published_at: post.publishedAt ? iso(post.publishedAt) : null,
        error: post.errorMessage ? { code: post.errorCode, subcode: post.errorSubcode, message: post.errorMessage } : null,
      };
      if (!post.mediaId) return { post: tracked };
      const account = this.o.store.accounts.get(who.owner, post.accountId);
      if (!account || account.status !== 'active' || !account.accessToken) return { post: tracked };
      try {
        const media = await this.fetchMediaWithChildren(who, account, post.mediaId, signal);
        return { post: tracked, media: postView(media, 'full', true) };
      } catch (err) {
        return { post: tracked, media_error: err instanceof Error ? err.message : String(err) };
      }
    }
    const candidates = this.o.accounts
      .list(caller(who))
      .map((a) => a.account)
      .filter((a) => a.status === 'active' && a.accessToken);
    let lastError: unknown;
    for (const account of candidates) {
      try {
        const media = await this.fetchMediaWithChildren(who, account, id, signal);
        return { media: postView(media, 'full', true), account: { id: account.id, username: account.username, resource_uri: accountUri(account.id) } };
      } catch (err) {
        if (err instanceof GraphError && (err.kind === 'not_found' || err.kind === 'permission')) {
          lastError = err;
          continue;
        }
        throw err;
      }
    }
    throw new AppError('post_not_found', `Media ${id} does not belong to any connected account of this user.`, lastError instanceof Error ? lastError.message : 'Connect the account that owns it.');
  }
}

