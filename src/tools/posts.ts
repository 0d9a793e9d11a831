/** Post tools: the account's recent posts (and live stories), and one post with its carousel children. */
import { z } from 'zod';
import { defineTool } from '../mcp/tool.js';
import type { Media, MediaChild } from '../services/reading/posts.js';
import { accountArg, accountRef, accountUri, count, cursorArg, detailArg, mediaIdArg, notes, postUri, timeArg, truncate, who, type Detail } from './shapes.js';

const CONCISE_CAPTION = 200;

const childView = z.object({ id: z.string(), media_type: z.string().nullable(), media_url: z.string().optional(), thumbnail_url: z.string().optional() });

export const postView = z.object({
  id: z.string(),
  resource_uri: z.string(),
  media_type: z.string().nullable(),
  product_type: z.string().nullable(),
  caption: z.string().nullable(),
  permalink: z.string().nullable(),
  timestamp: z.string().nullable(),
  like_count: z.number().nullable(),
  comments_count: z.number().nullable(),
  children_count: z.number().optional(),
  children: z.array(childView).optional(),
  media_url: z.string().optional(),
  thumbnail_url: z.string().optional(),
  shortcode: z.string().optional(),
  is_comment_enabled: z.boolean().optional(),
  notes: notes.optional(),
});

function childOut(c: MediaChild, full: boolean): z.infer<typeof childView> {
  return {
    id: c.id,
    media_type: c.mediaType,
    ...(full && c.mediaUrl ? { media_url: c.mediaUrl } : {}),
    ...(full && c.thumbnailUrl ? { thumbnail_url: c.thumbnailUrl } : {}),
  };
}

/** Concise answers cut captions and leave out URLs; the resources always read full. */
export function postOut(m: Media, detail: Detail = 'concise'): z.infer<typeof postView> {
  const full = detail === 'full';
  return {
    id: m.id,
    resource_uri: postUri(m.id),
    media_type: m.mediaType,
    product_type: m.productType,
    caption: m.caption === null ? null : full ? m.caption : truncate(m.caption, CONCISE_CAPTION),
    permalink: m.permalink,
    timestamp: m.timestamp,
    like_count: m.likeCount,
    comments_count: m.commentsCount,
    ...(m.children ? { children_count: m.children.length, children: m.children.map((c) => childOut(c, full)) } : {}),
    ...(full && m.mediaUrl ? { media_url: m.mediaUrl } : {}),
    ...(full && m.thumbnailUrl ? { thumbnail_url: m.thumbnailUrl } : {}),
    ...(full && m.shortcode ? { shortcode: m.shortcode } : {}),
    ...(full && m.commentsEnabled !== null ? { is_comment_enabled: m.commentsEnabled } : {}),
  };
}

export const getPostsTool = defineTool({
  name: 'instagram_get_posts',
  title: 'List recent posts',
  description:
    'The account\'s posts, newest first, with caption, type, permalink, time, likes, comments and carousel children.',
  toolset: 'reading',
  input: z.object({
    account: accountArg,
    limit: z.number().int().min(1).max(100).optional().describe('Default 10.'),
    cursor: cursorArg,
    since: timeArg('Published at or after'),
    until: timeArg('Published at or before'),
    include_stories: z.boolean().optional(),
    detail: detailArg,
  }),
  output: z.object({
    account: accountRef,
    posts: z.array(postView),
    count: z.number(),
    next_cursor: z.string().nullable(),
    stories: z.array(postView).optional(),
    notes,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  summary: (o) => `${count(o.count, 'post')} of @${o.account.username}${o.stories ? ` and ${o.stories.length} live stories` : ''}${o.next_cursor ? '; more with cursor' : ''}.`,
  async handler(args, ctx) {
    const page = await ctx.services.posts.list(
      who(ctx),
      { account: args.account, limit: args.limit, cursor: args.cursor, since: args.since, until: args.until, includeStories: args.include_stories },
      ctx.signal,
    );
    return {
      account: { ...page.account, resource_uri: accountUri(page.account.id) },
      posts: page.posts.map((p) => postOut(p, args.detail)),
      count: page.posts.length,
      next_cursor: page.nextCursor,
      ...(page.stories ? { stories: page.stories.map((s) => postOut(s, args.detail)) } : {}),
      notes: page.notes,
    };
  },
});

export const getPostTool = defineTool({
  name: 'instagram_get_post',
  title: 'Read one post',
  description: 'One post of a connected account with every field and its carousel children.',
  toolset: 'reading',
  input: z.object({ media_id: mediaIdArg, account: accountArg, detail: detailArg }),
  output: z.object({ post: postView, account: accountRef, tracked_post_id: z.string().optional() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  summary: (o) => `Post ${o.post.id} of @${o.account.username}: ${o.post.media_type ?? 'media'}, ${o.post.like_count ?? '?'} likes, ${o.post.comments_count ?? '?'} comments.`,
  async handler(args, ctx) {
    const found = await ctx.services.posts.get(who(ctx), { mediaId: args.media_id, account: args.account }, ctx.signal);
    const post = { ...postOut(found.post, args.detail), ...(found.notes.length ? { notes: found.notes } : {}) };
    return { post, account: found.account, ...(found.trackedPostId ? { tracked_post_id: found.trackedPostId } : {}) };
  },
});

export const postTools = [getPostsTool, getPostTool];
