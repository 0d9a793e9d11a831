/** When to post: the best upcoming hours from online followers and past posts. */
import { z } from 'zod';
import { defineTool } from '../mcp/tool.js';
import type { BestTimes } from '../services/reading/bestTimes.js';
import { accountArg, notes, who } from './shapes.js';

const slot = z.object({
  start: z.string(),
  weekday: z.string(),
  hour: z.number(),
  score: z.number(),
  evidence: z.object({ online_followers: z.number().nullable(), posts: z.number(), median_engagement: z.number().nullable() }),
});

const output = z.object({
  account: z.object({ id: z.string(), username: z.string() }),
  time_zone: z.string(),
  slots: z.array(slot),
  notes,
});

function bestTimesOut(r: BestTimes): z.infer<typeof output> {
  return {
    account: r.account,
    time_zone: r.timeZone,
    slots: r.slots.map((s) => ({
      start: s.startIso,
      weekday: s.weekday,
      hour: s.hour,
      score: s.score,
      evidence: { online_followers: s.evidence.onlineFollowers, posts: s.evidence.posts, median_engagement: s.evidence.medianEngagement },
    })),
    notes: r.notes,
  };
}

export const suggestTimesTool = defineTool({
  name: 'instagram_suggest_times',
  title: 'Suggest times to post',
  description: 'Best upcoming hours to post, ranked from when followers are online and how past posts did by weekday and hour, with the evidence for each.',
  toolset: 'insights',
  input: z.object({
    account: accountArg,
    time_zone: z.string().max(64).optional().describe('IANA name; default the configured one.'),
    days: z.number().int().min(1).max(14).optional(),
    count: z.number().int().min(1).max(24).optional(),
  }),
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  summary: (o) => `Best times for @${o.account.username} (${o.time_zone}): ${o.slots.slice(0, 3).map((s) => s.start).join(', ') || 'none'}.`,
  async handler(args, ctx) {
    const { time_zone: timeZone, ...rest } = args;
    return bestTimesOut(await ctx.services.bestTimes.suggest(who(ctx), { ...rest, timeZone }, ctx.signal));
  },
});

export const schedulingTools = [suggestTimesTool];
