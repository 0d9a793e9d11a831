/** Comment writes: comment, reply, hide/unhide/delete, and turning comments on or off. Never retried blindly. */
import { z } from 'zod';
import { defineTool } from '../mcp/tool.js';
import { accountArg, mediaIdArg, postUri, who } from './shapes.js';

const messageArg = z.string().min(1).max(2200).describe('≤ 2200 characters.');

export const postCommentTool = defineTool({
  name: 'instagram_post_comment',
  title: 'Comment on a post',
  description: 'Comments as the account on its own post. Never retried: if the outcome is uncertain, check the comments first.',
  toolset: 'comments',
  input: z.object({ account: accountArg, media_id: mediaIdArg, message: messageArg }),
  output: z.object({ comment_id: z.string(), media_id: z.string(), resource_uri: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  summary: (o) => `Comment ${o.comment_id} posted on ${o.media_id}.`,
  async handler(args, ctx) {
    const done = await ctx.services.commenting.comment(who(ctx), { account: args.account, mediaId: args.media_id, message: args.message }, ctx.signal);
    return { comment_id: done.commentId, media_id: done.mediaId, resource_uri: postUri(done.mediaId) };
  },
});

export const replyCommentTool = defineTool({
  name: 'instagram_reply_comment',
  title: 'Reply to a comment',
  description: 'Replies publicly to a comment on the account\'s post (a reply to a reply goes under the top-level comment). Never retried.',
  toolset: 'comments',
  input: z.object({ account: accountArg, comment_id: z.string().min(1).max(40), message: messageArg }),
  output: z.object({ reply_id: z.string(), comment_id: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  summary: (o) => `Reply ${o.reply_id} posted under comment ${o.comment_id}.`,
  async handler(args, ctx) {
    const done = await ctx.services.commenting.reply(who(ctx), { account: args.account, commentId: args.comment_id, message: args.message }, ctx.signal);
    return { reply_id: done.replyId, comment_id: done.commentId };
  },
});

export const moderateCommentTool = defineTool({
  name: 'instagram_moderate_comment',
  title: 'Hide, unhide or delete a comment',
  description: 'Hides (only the commenter still sees it), unhides or deletes (permanently) a comment on the account\'s post.',
  toolset: 'comments',
  input: z.object({
    account: accountArg,
    comment_id: z.string().min(1).max(40),
    action: z.enum(['hide', 'unhide', 'delete']),
  }),
  output: z.object({ comment_id: z.string(), action: z.string(), success: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  summary: (o) => `Comment ${o.comment_id}: ${o.action} ${o.success ? 'done' : 'not confirmed'}.`,
  async handler(args, ctx) {
    const done = await ctx.services.commenting.moderate(who(ctx), { account: args.account, commentId: args.comment_id, action: args.action }, ctx.signal);
    return { comment_id: done.commentId, action: done.action, success: done.success };
  },
});

export const setCommentsEnabledTool = defineTool({
  name: 'instagram_set_comments_enabled',
  title: 'Turn comments on or off',
  description: 'Turns commenting on or off for a post; existing comments stay.',
  toolset: 'comments',
  input: z.object({ account: accountArg, media_id: mediaIdArg, enabled: z.boolean() }),
  output: z.object({ media_id: z.string(), comments_enabled: z.boolean(), success: z.boolean(), resource_uri: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  summary: (o) => `Comments ${o.comments_enabled ? 'on' : 'off'} for ${o.media_id}.`,
  async handler(args, ctx) {
    const done = await ctx.services.commenting.setEnabled(who(ctx), { account: args.account, mediaId: args.media_id, enabled: args.enabled }, ctx.signal);
    return { media_id: done.mediaId, comments_enabled: done.enabled, success: done.success, resource_uri: postUri(done.mediaId) };
  },
});

export const commentingTools = [postCommentTool, replyCommentTool, moderateCommentTool, setCommentsEnabledTool];
