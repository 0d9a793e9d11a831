/** The insights tool: one media's lifetime insights, or the account's over a window or by audience. */
import { z } from 'zod';
import { defineTool } from '../mcp/tool.js';
import type { Insights } from '../services/reading/insights.js';
import { accountArg, accountUri, count, detailArg, iso, mediaIdArg, notes, postUri, timeArg, who, type Detail } from './shapes.js';

const insightRow = z.object({
  metric: z.string(),
  value: z.number().nullable(),
  breakdown: z.record(z.string(), z.string()).nullable().describe('Dimension → value for this row; null for the total.'),
  period: z.string(),
  end_time: z.string().nullable().describe('End of the day for time series; null for totals.'),
});

const insightsOutput = z.object({
  target: z.object({
    kind: z.enum(['media', 'account']),
    id: z.string(),
    resource_uri: z.string(),
    product_type: z.enum(['FEED', 'REELS', 'STORY']).optional(),
    username: z.string().optional(),
  }),
  rows: z.array(insightRow),
  metrics: z.array(z.string()),
  period: z.string(),
  metric_type: z.enum(['total_value', 'time_series']).optional(),
  breakdown: z.string().optional(),
  since: z.string().optional(),
  until: z.string().optional(),
  timeframe: z.enum(['this_week', 'this_month']).optional(),
  metric_info: z.array(z.object({ metric: z.string(), title: z.string().optional(), description: z.string().optional() })).optional(),
  notes,
  history: z.array(z.object({ label: z.string(), captured_at: z.string(), rows: z.array(insightRow) })).optional().describe('Media: values kept at 1h, 24h, 7d.'),
});

function insightsOut(r: Insights, detail: Detail | undefined): z.infer<typeof insightsOutput> {
  const t = r.target;
  return {
    target:
      t.kind === 'media'
        ? { kind: 'media', id: t.id, resource_uri: postUri(t.id), product_type: t.productType }
        : { kind: 'account', id: t.id, username: t.username, resource_uri: accountUri(t.id) },
    rows: r.rows,
    metrics: r.metrics,
    period: r.period,
    ...(r.metricType ? { metric_type: r.metricType } : {}),
    ...(r.breakdown ? { breakdown: r.breakdown } : {}),
    ...(r.since !== undefined ? { since: iso(r.since) } : {}),
    ...(r.until !== undefined ? { until: iso(r.until) } : {}),
    ...(r.timeframe ? { timeframe: r.timeframe } : {}),
    ...(detail === 'full' ? { metric_info: r.metricInfo } : {}),
    notes: r.notes,
    ...(r.history ? { history: r.history.map((h) => ({ label: h.label, captured_at: new Date(h.capturedAt).toISOString(), rows: h.rows })) } : {}),
  };
}

export const getInsightsTool = defineTool({
  name: 'instagram_get_insights',
  title: 'Read Instagram insights',
  description:
    'Insights rows of one media (media_id; none for stories under 5 viewers) or the account (default 7 days; windows ≤ 30 days within 90; time series: reach, follower_count, online_followers; audience: follower_demographics, engaged_audience_demographics). Removed metrics are refused with their replacement.',
  toolset: 'insights',
  input: z.object({
    account: accountArg,
    media_id: mediaIdArg.optional(),
    metrics: z.array(z.string().min(1).max(64)).max(20).optional().describe('Default: media views, reach, likes, comments, saved, shares, total_interactions; account reach, views, accounts_engaged, total_interactions.'),
    breakdown: z.string().max(64).optional().describe('Media: action_type, story_navigation_action_type; account: media_product_type, follow_type, contact_button_type; audience: age, city, country, gender.'),
    period: z.enum(['day', 'week', 'days_28', 'month', 'lifetime']).optional().describe('Account; default day.'),
    metric_type: z.enum(['total_value', 'time_series']).optional().describe('Account; default total_value.'),
    since: timeArg('Account: from'),
    until: timeArg('Account: to'),
    timeframe: z.string().max(32).optional().describe('Audience: this_week or this_month (default).'),
    detail: detailArg,
  }),
  output: insightsOutput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  summary: (o) => `${count(o.rows.length, 'insight row')} of ${o.target.kind} ${o.target.username ? `@${o.target.username}` : o.target.id}: ${o.metrics.join(', ')}.`,
  async handler(args, ctx) {
    const { media_id: mediaId, metric_type: metricType, detail, ...rest } = args;
    return insightsOut(await ctx.services.insights.read(who(ctx), { ...rest, mediaId, metricType }, ctx.signal), detail);
  },
});

export const insightTools = [getInsightsTool];
