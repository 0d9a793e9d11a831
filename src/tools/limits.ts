/** The API budget tool: usage per app and account, publishing quota, hashtag budget, throttling. */
import { z } from 'zod';
import { defineTool } from '../mcp/tool.js';
import type { AccountLimits, RateLimits, UsagePct } from '../services/reading/limits.js';
import { budgetOut, hashtagBudget } from './discovery.js';
import { accountArg, iso, who } from './shapes.js';

const usagePct = { call_count_pct: z.number(), total_time_pct: z.number(), total_cputime_pct: z.number() };

const accountLimits = z.object({
  id: z.string(),
  username: z.string(),
  login_type: z.string(),
  usage: z.array(z.object({ type: z.string(), ...usagePct, estimated_time_to_regain_access_min: z.number(), observed_at: z.string() })),
  blocked_until: z.string().nullable(),
  publishing: z.union([
    z.object({ quota_usage: z.number(), quota_total: z.number().nullable(), remaining: z.number().nullable(), window_hours: z.number().nullable() }),
    z.object({ error: z.string() }),
  ]),
  hashtag_budget: z.union([hashtagBudget, z.object({ available: z.literal(false), reason: z.string() })]),
});

const pct = (u: UsagePct) => ({ call_count_pct: u.callCountPct, total_time_pct: u.totalTimePct, total_cputime_pct: u.totalCputimePct });
const highestOf = (u: UsagePct) => Math.max(u.callCountPct, u.totalTimePct, u.totalCputimePct);

function accountOut(a: AccountLimits): z.infer<typeof accountLimits> {
  const p = a.publishing;
  return {
    id: a.id,
    username: a.username,
    login_type: a.loginType,
    usage: a.usage.map((u) => ({ type: u.type, ...pct(u), estimated_time_to_regain_access_min: u.estimatedTimeToRegainAccessMin, observed_at: iso(u.observedAt) })),
    blocked_until: a.blockedUntil === null ? null : iso(a.blockedUntil),
    publishing: 'error' in p ? p : { quota_usage: p.quotaUsage, quota_total: p.quotaTotal, remaining: p.remaining, window_hours: p.windowHours },
    hashtag_budget: 'used' in a.hashtagBudget ? budgetOut(a.hashtagBudget) : a.hashtagBudget,
  };
}

/** One sentence an agent can act on: throttled or not, and each account's headroom. */
function summaryOf(r: RateLimits): string {
  const parts = [
    r.app ? `app usage ${highestOf(r.app)}%` : 'no app usage reported yet',
    ...r.accounts.map((a) => {
      const pub = 'error' in a.publishing ? 'publishing quota unknown' : `${a.publishing.quotaUsage}/${a.publishing.quotaTotal ?? '?'} posts in 24 h`;
      const acct = a.usage.length ? `${Math.max(...a.usage.map(highestOf))}% of the account's call budget` : 'no account usage reported';
      const tags = 'used' in a.hashtagBudget ? `, ${a.hashtagBudget.remaining}/${a.hashtagBudget.limit} new hashtags left this week` : '';
      return `@${a.username}: ${acct}, ${pub}${tags}`;
    }),
  ];
  const state =
    r.accessReturnsAt !== null ? `THROTTLED until ${iso(r.accessReturnsAt)} — stop calling until then. ` : r.highestUsagePct >= 80 ? 'Usage is high: calls are being slowed down. ' : '';
  return `${state}${parts.join('; ')}.`;
}

export const getRateLimitsTool = defineTool({
  name: 'instagram_get_rate_limits',
  title: 'Show the API budget',
  description:
    'Meta\'s usage percentages per app and account, the publishing quota, the hashtag budget, and when access returns if throttled.',
  toolset: 'insights',
  input: z.object({ account: accountArg.describe('Default: all enabled.') }),
  output: z.object({
    app: z.object({ ...usagePct, observed_at: z.string() }).nullable(),
    accounts: z.array(accountLimits),
    throttled: z.boolean(),
    access_returns_at: z.string().nullable(),
    highest_usage_pct: z.number(),
    summary: z.string(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const r = await ctx.services.rateLimits.read(who(ctx), args, ctx.signal);
    return {
      app: r.app ? { ...pct(r.app), observed_at: iso(r.app.observedAt) } : null,
      accounts: r.accounts.map(accountOut),
      throttled: r.throttled,
      access_returns_at: r.accessReturnsAt === null ? null : iso(r.accessReturnsAt),
      highest_usage_pct: r.highestUsagePct,
      summary: summaryOf(r),
    };
  },
});

export const limitTools = [getRateLimitsTool];
