/** The calendar of scheduled posts: listing by day, moving a post to another time, cancelling one. */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { defineTool } from '../mcp/tool.js';
import type { ToolContext } from '../mcp/context.js';
import { POST_STATES } from '../services/publishing/types.js';
import { isoInZone } from '../services/timeZones.js';
import { postView, scheduleFields, scheduleOf, viewPost } from './publishing.js';

const caller = (ctx: ToolContext) => ({ owner: ctx.owner, agent: ctx.agent });
const postId = z.string().min(1).max(100);

export const listScheduledTool = defineTool({
  name: 'instagram_list_scheduled',
  title: 'Calendar of scheduled posts',
  description: 'Posts with a publish_at from `from` (default now) for `days` (default 14), by day in time_zone, with their state.',
  toolset: 'publishing',
  input: z.object({
    account: z.string().min(1).max(100).optional(),
    time_zone: z.string().max(64).optional().describe('IANA name; default the configured one.'),
    from: z.string().max(40).optional(),
    days: z.number().int().min(1).max(62).optional(),
  }),
  output: z.object({
    time_zone: z.string(),
    from: z.string(),
    to: z.string(),
    days: z.array(z.object({ date: z.string(), posts: z.array(z.object({ post_id: z.string(), publish_at: z.string(), local_time: z.string(), kind: z.string(), state: z.enum(POST_STATES), account: z.string(), caption: z.string().nullable() })) })),
    total: z.number(),
    next_step: z.string(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const fromMs = args.from === undefined ? undefined : Date.parse(args.from);
    if (fromMs !== undefined && !Number.isFinite(fromMs)) throw new AppError('invalid_argument', `from "${args.from?.slice(0, 40)}" is not a date.`, 'Give from as ISO 8601, e.g. 2026-12-01 or 2026-12-01T00:00:00+01:00.');
    const { from, to, timeZone, days } = await ctx.services.publisher.listScheduled(caller(ctx), {
      days: args.days ?? 14,
      ...(fromMs !== undefined ? { from: fromMs } : {}),
      ...(args.time_zone !== undefined ? { timeZone: args.time_zone } : {}),
      ...(args.account ? { account: args.account } : {}),
    });
    const total = days.reduce((n, d) => n + d.posts.length, 0);
    return {
      time_zone: timeZone,
      from: isoInZone(from, timeZone),
      to: isoInZone(to, timeZone),
      days: days.map((d) => ({
        date: d.date,
        posts: d.posts.map((p) => ({ post_id: p.postId, publish_at: isoInZone(p.publishAt, timeZone), local_time: p.localTime, kind: p.kind, state: p.state, account: p.account, caption: p.caption === null ? null : p.caption.slice(0, 120) })),
      })),
      total,
      next_step: total
        ? 'Move a post with instagram_reschedule_post or cancel it with instagram_cancel_post; instagram_suggest_times proposes good slots.'
        : 'Nothing is scheduled in this range. Pass publish_at to a publishing tool to schedule a post; instagram_suggest_times proposes good slots.',
    };
  },
});

export const reschedulePostTool = defineTool({
  name: 'instagram_reschedule_post',
  title: 'Move a scheduled post',
  description: 'Gives a post not yet published a new publish_at (checked as when scheduling: token, quota); its containers are made again if they would expire first.',
  toolset: 'publishing',
  input: z.object({ post_id: postId, ...scheduleFields, publish_at: z.string().min(1).max(40) }),
  output: postView,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    // The post is looked up before the new time is read, so a wrong post_id is what the error names.
    return viewPost(await ctx.services.publisher.reschedule(caller(ctx), args.post_id, () => scheduleOf(args)!));
  },
});

export const cancelPostTool = defineTool({
  name: 'instagram_cancel_post',
  title: 'Cancel a scheduled post',
  description: 'Cancels a post before media_publish: nothing is published, a container already made expires unused. A live post cannot be cancelled.',
  toolset: 'publishing',
  input: z.object({ post_id: postId }),
  output: postView,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    return viewPost(await ctx.services.publisher.cancel(caller(ctx), args.post_id));
  },
});

export const calendarTools = [listScheduledTool, reschedulePostTool, cancelPostTool];
