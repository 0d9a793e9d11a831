/** Performance report: tidy rows for the agent, PNG charts (image blocks, also written to disk) for the person. */
import { z } from 'zod';
import { REPORT_APP_URI } from '../apps/index.js';
import { withImages } from '../mcp/results.js';
import { defineTool } from '../mcp/tool.js';
import type { PerformanceReport } from '../services/analytics/performance.js';
import { accountArg, notes, timeArg, who } from './shapes.js';

const num = z.number().nullable();
const changeShape = z.object({ current: num, previous: num, change: num.describe('(current − previous) ÷ previous') });

const post = z.object({
  id: z.string(),
  permalink: z.string().nullable(),
  format: z.enum(['IMAGE', 'CAROUSEL', 'REEL', 'VIDEO', 'STORY']),
  published_at: z.string(),
  local_weekday: z.string(),
  local_hour: z.number(),
  caption_length: z.number(),
  hashtags: z.number(),
  reach: num,
  views: num,
  likes: num,
  comments: num,
  saved: num,
  shares: num,
  interactions: z.number(),
  engagement_rate: num,
  source: z.enum(['live', 'kept']),
});

const share = <T extends z.ZodType>(value: T) => z.object({ value, share: z.number() }).nullable();
const common = z.object({
  posts: z.number(),
  format: share(z.string()),
  weekday: share(z.string()),
  hours: share(z.string()),
  median_caption_length: num,
  median_hashtags: num,
});

const accountReport = z.object({
  account: z.object({ id: z.string(), username: z.string() }),
  followers: z.object({ current: num, gained: num, gained_previous: num }),
  totals: z.object({ reach: changeShape, views: changeShape, interactions: changeShape, posts: changeShape, engagement_rate: changeShape }),
  daily: z.array(z.object({ date: z.string(), reach: num, views: num, new_followers: num })),
  views_weekly: z.array(z.object({ week_start: z.string(), days: z.number(), views: num })),
  posts_total: z.number(),
  posts: z.array(post),
  top_posts: z.array(post),
  bottom_posts: z.array(post),
  common: z.object({ top: common, bottom: common }),
  stories: z.array(post),
  online_grid: z.array(z.array(num)).nullable().describe('Followers online, weekday (Sun first) × local hour.'),
  best_hours: z.array(z.object({ weekday: z.string(), hour: z.number(), online_followers: z.number() })),
  notes,
});

const output = z.object({
  time_zone: z.string(),
  period: z.object({ label: z.string(), since: z.string(), until: z.string(), days: z.number() }),
  previous_period: z.object({ since: z.string(), until: z.string() }),
  accounts: z.array(accountReport),
  charts: z.array(z.object({ name: z.string(), title: z.string(), account: z.string(), path: z.string(), width: z.number(), height: z.number() })),
  notes,
});

/** The structured result: the report without the PNG bytes (those go as image blocks). */
function reportOut(r: PerformanceReport): z.infer<typeof output> {
  return { ...r, charts: r.charts.map(({ png: _png, ...chart }) => chart) };
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${Math.round(v * 1000) / 10}%`);

export const performanceReportTool = defineTool({
  name: 'instagram_performance_report',
  title: 'Performance report',
  description:
    'How an account (default: each connected one) did over 7d/30d/90d or since/until vs the previous period: follower growth, daily reach and views, engagement rate per post, top and bottom posts and what they share, best hours. Rows plus PNG charts.',
  toolset: 'insights',
  input: z.object({
    account: accountArg,
    period: z.enum(['7d', '30d', '90d']).optional().describe('Default 30d.'),
    since: timeArg('From'),
    until: timeArg('To'),
    time_zone: z.string().max(64).optional().describe('IANA name for weekdays and hours; default the configured one.'),
    charts: z.boolean().optional().describe('PNG charts; default true.'),
  }),
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  // Hosts that render MCP Apps show the interactive report, which draws the charts itself from the rows.
  app: { resourceUri: REPORT_APP_URI, replacesImages: true },
  summary: (o) =>
    [
      ...o.accounts.map(
        (a) =>
          `@${a.account.username} ${o.period.label === 'custom' ? `${o.period.days} days` : o.period.label}: ${a.posts_total} posts, reach ${a.totals.reach.current ?? 'n/a'} (${pct(a.totals.reach.change)}), engagement ${a.totals.engagement_rate.current === null ? 'n/a' : `${Math.round(a.totals.engagement_rate.current * 1000) / 10}%`} (${pct(a.totals.engagement_rate.change)}), followers +${a.followers.gained ?? 'n/a'}.`,
      ),
      ...(o.charts.length ? [`Charts written to ${o.charts.map((c) => c.path).join(', ')}.`] : []),
    ].join(' '),
  async handler(args, ctx) {
    const report = await ctx.services.reports.report(
      who(ctx),
      { account: args.account, period: args.period, since: args.since, until: args.until, timeZone: args.time_zone, charts: args.charts },
      ctx.signal,
    );
    return withImages(
      reportOut(report),
      report.charts.map((c) => ({ type: 'image' as const, data: c.png.toString('base64'), mimeType: 'image/png' })),
    );
  },
});

export const analyticsTools = [performanceReportTool];
