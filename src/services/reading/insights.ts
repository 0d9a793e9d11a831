/**
 * Insights of one media (lifetime values) or of the account (a window of days, time series, audience
 * demographics). Every metric, period, metric type and breakdown is checked against Meta's current
 * rules before a call is spent; removed metrics are refused with their replacement.
 */
import type { Clock } from '../../clock.js';
import { AppError } from '../../errors.js';
import { GraphError } from '../../instagram/errors.js';
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
  type InsightsResult,
  type MediaKind,
  type MetricInfo,
  type MetricType,
} from '../../instagram/insights.js';
import { getMedia } from '../../instagram/media.js';
import type { AccountRecord, Store } from '../../store/index.js';
import type { Caller } from '../accounts.js';
import { Bounds } from './bounds.js';
import { GraphCalls, type ReadingOptions } from './graphCall.js';
import { resolveMediaRef } from './mediaRef.js';
import { parseTimeArg } from './time.js';

const DAY_SECONDS = 24 * 60 * 60;
/** Far more than a real answer holds (20 metrics × 30 days, or a few hundred demographic values). */
const MAX_ROWS = 2000;
const MAX_RANGE_SECONDS = 30 * DAY_SECONDS;

export interface InsightsQuery {
  account?: string;
  /** Media id or tracked post id: that media's insights instead of the account's. */
  mediaId?: string;
  metrics?: string[];
  breakdown?: string;
  period?: string;
  metricType?: string;
  since?: string;
  until?: string;
  timeframe?: string;
}

export type InsightsTarget = { kind: 'media'; id: string; productType: MediaKind } | { kind: 'account'; id: string; username: string };

export interface Insights {
  target: InsightsTarget;
  rows: InsightRow[];
  metrics: string[];
  period: string;
  metricType?: MetricType;
  breakdown?: string;
  /** Window of account insights, epoch ms. */
  since?: number;
  until?: number;
  timeframe?: DemographicTimeframe;
  /** Meta's title and description per metric. */
  metricInfo: MetricInfo[];
  notes: string[];
  /** Media: the values this server kept at fixed ages (1h, 24h, 7d) or before a story expired, oldest first. */
  history?: Array<{ label: string; capturedAt: number; rows: InsightRow[] }>;
}

/** Reach and views of the last 7 days; nulls with a note when Instagram has none or refuses. */
export interface WeekSummary {
  period: 'last_7_days';
  reach: number | null;
  views: number | null;
  note?: string;
}

/**
 * Only the metrics asked for, at most MAX_ROWS rows, every string bounded: a broken or hostile answer
 * cannot grow the result beyond what a real one holds.
 */
function boundedInsights(result: InsightsResult, metrics: string[], notes: string[]): InsightsResult {
  const asked = new Set(metrics);
  const b = new Bounds();
  const str = (v: string) => b.text(v, 'value') ?? '';
  const rows = b.items(result.rows.filter((r) => asked.has(r.metric)), MAX_ROWS, 'insight rows').map(
    (r): InsightRow => ({
      metric: r.metric,
      value: r.value,
      breakdown: r.breakdown ? Object.fromEntries(b.items(Object.entries(r.breakdown), 10, 'breakdown dimensions').map(([k, v]) => [str(k), str(v)])) : null,
      period: str(r.period),
      end_time: r.end_time === null ? null : str(r.end_time),
    }),
  );
  const info = b.items(result.metrics.filter((m) => asked.has(m.metric)), metrics.length, 'metric descriptions').map(
    (m): MetricInfo => ({
      metric: m.metric,
      ...(m.title !== undefined ? { title: b.text(m.title, 'value') ?? '' } : {}),
      ...(m.description !== undefined ? { description: b.text(m.description, 'description') ?? '' } : {}),
    }),
  );
  notes.push(...b.notes());
  return { rows, metrics: info };
}

export class InsightsReader {
  private readonly calls: GraphCalls;
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(o: ReadingOptions) {
    this.calls = new GraphCalls(o.accounts, o.graph);
    this.store = o.store;
    this.clock = o.clock;
  }

  async weekSummary(who: Caller, account: AccountRecord, signal?: AbortSignal): Promise<WeekSummary> {
    const until = Math.floor(this.clock.now() / 1000);
    const since = until - 7 * DAY_SECONDS;
    try {
      const result = await this.calls.call(who, account, (auth) =>
        getAccountInsights(this.calls.graph, auth, { metrics: ['reach', 'views'], period: 'day', metricType: 'total_value', since, until, signal }),
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

  async read(who: Caller, query: InsightsQuery, signal?: AbortSignal): Promise<Insights> {
    const requested = query.metrics?.map((m) => m.trim().toLowerCase()).filter(Boolean);
    // Removed metrics are refused before anything else, so no call is spent on them.
    const removed = deprecatedMetrics(requested ?? []);
    if (removed.length) {
      const list = removed.map((r) => `${r.metric} (removed in ${r.removed}; ${r.advice})`).join('; ');
      const replacements = [...new Set(removed.map((r) => r.replacement).filter((r): r is string => !!r))];
      throw new AppError('deprecated_metric', `Meta no longer provides: ${list}.`, `Ask again with ${replacements.join(', ') || 'current metrics'} instead (nothing was sent to Instagram).`, {
        deprecated: removed.map((r) => ({ metric: r.metric, replacement: r.replacement })),
      });
    }
    const q = { ...query, metrics: requested };
    return q.mediaId ? this.media(who, { ...q, mediaId: q.mediaId }, signal) : this.account(who, q, signal);
  }

  private async media(who: Caller, q: InsightsQuery & { mediaId: string }, signal?: AbortSignal): Promise<Insights> {
    const notes: string[] = [];
    if (q.period || q.metricType || q.since || q.until || q.timeframe) {
      notes.push('Media insights are always lifetime values: period, metric_type, since, until and timeframe were ignored.');
    }
    const ref = await resolveMediaRef(this.calls, this.store, who, q.mediaId, q.account);
    let media;
    try {
      media = await this.calls.call(who, ref.account, (auth) => getMedia(this.calls.graph, auth, ref.mediaId, ['id', 'media_type', 'media_product_type', 'timestamp'], signal));
    } catch (err) {
      // An expired story is gone from Instagram: answer from what the worker kept before it expired.
      const kept = await this.fromHistory(who, ref.mediaId, q.metrics);
      if (kept && !signal?.aborted) return kept;
      throw err;
    }
    const kind = mediaKindOf(media.media_product_type, media.media_type);
    const valid = [...MEDIA_METRICS[kind], ...(ref.account.loginType === 'facebook' ? FACEBOOK_ONLY_MEDIA_METRICS : [])];
    let metrics = q.metrics?.length ? [...new Set(q.metrics)] : undefined;
    const breakdown = q.breakdown?.trim().toLowerCase() || undefined;
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
      result = await this.calls.call(who, ref.account, (auth) => getMediaInsights(this.calls.graph, auth, ref.mediaId, { metrics, breakdown, signal }));
    } catch (err) {
      if (err instanceof GraphError && err.code === 10 && (kind === 'STORY' || /not enough viewers/i.test(err.message))) {
        throw new AppError('not_enough_viewers', 'Instagram shows no insights for this story yet: fewer than 5 accounts have viewed it.', 'Try again once more people have seen it (story insights exist only while the story is live, or in a highlight).', {
          graph_code: 10,
          media_id: ref.mediaId,
        });
      }
      throw err;
    }
    result = boundedInsights(result, metrics, notes);
    const missing = metrics.filter((m) => !result.rows.some((r) => r.metric === m));
    if (missing.length) notes.push(`No data yet for ${missing.join(', ')} (Instagram omits metrics without data; insights can lag up to 48 hours).`);
    const history = breakdown ? [] : (await this.historyOf(who, ref.mediaId, metrics));
    return {
      target: { kind: 'media', id: ref.mediaId, productType: kind },
      rows: result.rows,
      metrics,
      period: 'lifetime',
      ...(breakdown ? { breakdown } : {}),
      metricInfo: result.metrics,
      notes,
      ...(history.length ? { history } : {}),
    };
  }

  /** What was kept of a media's insights over its life (a post's growth over its first week). */
  private async historyOf(who: Caller, mediaId: string, metrics: string[]): Promise<NonNullable<Insights['history']>> {
    return (await this.store.insightSnapshots.list(who.owner, mediaId)).map((snap) => ({
      label: snap.label,
      capturedAt: snap.capturedAt,
      rows: (snap.rows as InsightRow[]).filter((r) => metrics.includes(r.metric)),
    }));
  }

  /** The latest capture of a media that Instagram no longer answers for (an expired story), if one was kept. */
  private async fromHistory(who: Caller, mediaId: string, metrics: string[] | undefined): Promise<Insights | undefined> {
    const snapshots = await this.store.insightSnapshots.list(who.owner, mediaId);
    const latest = snapshots[snapshots.length - 1];
    if (!latest) return undefined;
    const rows = (latest.rows as InsightRow[]).filter((r) => !metrics?.length || metrics.includes(r.metric));
    return {
      target: { kind: 'media', id: mediaId, productType: latest.label === 'before_expiry' ? 'STORY' : 'FEED' },
      rows,
      metrics: [...new Set(rows.map((r) => r.metric))],
      period: 'lifetime',
      metricInfo: [],
      notes: [`Instagram no longer has this media's insights (a story is gone 24 hours after posting); these were kept by this server at ${new Date(latest.capturedAt).toISOString()} (${latest.label.replace('_', ' ')}).`],
    };
  }

  private async account(who: Caller, q: InsightsQuery, signal?: AbortSignal): Promise<Insights> {
    const account = await this.calls.resolve(who, q.account);
    const target = { kind: 'account' as const, id: account.id, username: account.username };
    const metrics = q.metrics?.length ? [...new Set(q.metrics)] : [...DEFAULT_ACCOUNT_METRICS];
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
    const breakdown = q.breakdown?.trim().toLowerCase() || undefined;
    const demographic = specs.filter((s) => s.spec.demographic);
    if (demographic.length && demographic.length !== specs.length) {
      throw new AppError('invalid_metric', 'Audience demographics cannot be mixed with other account metrics in one call.', `Ask for ${demographic.map((d) => d.metric).join(', ')} in a separate call.`);
    }
    if (demographic.length) {
      const timeframe = (q.timeframe?.trim().toLowerCase() || 'this_month') as DemographicTimeframe;
      if (!DEMOGRAPHIC_TIMEFRAMES.includes(timeframe)) {
        const removedTf = REMOVED_TIMEFRAMES.includes(timeframe);
        throw new AppError('invalid_argument', `timeframe '${timeframe}' is ${removedTf ? 'no longer offered by Meta (removed in v20)' : 'not valid'}.`, `Use one of: ${DEMOGRAPHIC_TIMEFRAMES.join(', ')}.`);
      }
      const by = breakdown ?? 'country';
      if (!demographic[0]!.spec.breakdowns.includes(by)) {
        throw new AppError('invalid_breakdown', `Demographics break down by ${demographic[0]!.spec.breakdowns.join(', ')}, not '${by}'.`, 'Pick one of those breakdowns.');
      }
      if (q.since || q.until || (q.period && q.period !== 'lifetime')) notes.push('Demographics cover the chosen timeframe: since, until and period were ignored.');
      if (!breakdown) notes.push('No breakdown given: showing countries (also: age, city, gender).');
      const result = boundedInsights(
        await this.calls.call(who, account, (auth) => getAccountInsights(this.calls.graph, auth, { metrics, period: 'lifetime', metricType: 'total_value', breakdown: by, timeframe, signal })),
        metrics,
        notes,
      );
      if (!result.rows.length) notes.push('Instagram returned no demographics (they need at least 100 followers or engaged accounts).');
      return { target, rows: result.rows, metrics, period: 'lifetime', metricType: 'total_value', breakdown: by, timeframe, metricInfo: result.metrics, notes };
    }

    // Period: the one every metric supports.
    const period = (q.period?.trim().toLowerCase() || undefined) as AccountPeriod | undefined;
    const periods = period ? [period] : (['day', 'lifetime'] as AccountPeriod[]);
    const chosenPeriod = periods.find((p) => specs.every((s) => s.spec.periods.includes(p)));
    if (!chosenPeriod) {
      const groups = specs.map((s) => `${s.metric}: ${s.spec.periods.join('/')}`).join(', ');
      throw new AppError('invalid_argument', period ? `Period '${period}' does not work for every metric asked.` : 'These metrics need different periods.', `Periods per metric: ${groups}. Ask for them in separate calls.`);
    }
    // Metric type: total_value where possible (one number for the window), else time_series.
    const metricType = (q.metricType?.trim().toLowerCase() || undefined) as MetricType | undefined;
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
    const nowSec = Math.floor(this.clock.now() / 1000);
    let until = parseTimeArg('until', q.until);
    let since = parseTimeArg('since', q.since);
    if (chosenPeriod === 'lifetime') {
      since = undefined;
      until = undefined;
    } else {
      until ??= nowSec;
      since ??= until - 7 * DAY_SECONDS;
      if (since >= until) throw new AppError('invalid_argument', 'since must be before until.', 'Swap them or leave one out.');
      if (until - since > MAX_RANGE_SECONDS) {
        throw new AppError('invalid_argument', `The window is ${Math.ceil((until - since) / 86400)} days; Instagram allows at most 30 days per call.`, 'Split it into windows of 30 days or less.');
      }
      if (since < nowSec - 90 * DAY_SECONDS) notes.push('Instagram keeps account insights for 90 days only: older days come back empty.');
    }
    const result = boundedInsights(
      await this.calls.call(who, account, (auth) => getAccountInsights(this.calls.graph, auth, { metrics, period: chosenPeriod, metricType: chosenType, breakdown, since, until, signal })),
      metrics,
      notes,
    );
    const missing = metrics.filter((m) => !result.rows.some((r) => r.metric === m));
    if (missing.length) notes.push(`No data for ${missing.join(', ')} (Instagram omits metrics without data; some need at least 100 followers; data can lag up to 48 hours).`);
    return {
      target,
      rows: result.rows,
      metrics,
      period: chosenPeriod,
      metricType: chosenType,
      ...(breakdown ? { breakdown } : {}),
      ...(since !== undefined ? { since: since * 1000 } : {}),
      ...(until !== undefined ? { until: until * 1000 } : {}),
      metricInfo: result.metrics,
      notes,
    };
  }
}
