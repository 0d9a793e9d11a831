/**
 * Publishing tools: posts (single or carousel), reels, stories, following a post, the daily quota and
 * registering media ahead of time. Each parses its input, calls one service and shapes the result;
 * the workflow (checks, containers, uploads, polling, publishing) lives in services/publishing/.
 */
import { z } from 'zod';
import { registeredMediaView, registeredMediaWire } from '../mcp/views.js';
import { defineTool } from '../mcp/tool.js';
import { withImages } from '../mcp/results.js';
import { unlisted } from '../mcp/jsonSchema.js';
import type { ToolContext } from '../mcp/context.js';
import { MAX_WAIT_MS } from '../services/publishing/bounds.js';
import { CHILD_STATES, POST_STATES, type PostStatusView, type PublishRequest } from '../services/publishing/types.js';
import { carouselItemArg, mediaArg, mediaFields, toMediaInput, toMediaItem, userTag } from './mediaArgs.js';
import { previewImage, previewOutput, previewPost, previewPostTool } from './preview.js';
import { parsePublishAt, type ScheduleRequest } from '../services/publishing/scheduling.js';
import { describeLateness } from '../services/publishing/steps/schedule.js';
import { AppError } from '../errors.js';

// ---------------------------------------------------------------------------------------------- inputs

const account = z.string().min(1).max(100).optional();

/** Scheduling, shared with instagram_reschedule_post. */
export const scheduleFields = {
  publish_at: z.string().max(40).optional().describe('Schedule (ISO 8601, offset).'),
  grace_minutes: z.number().int().min(0).max(1440).optional().describe('Missed: may go this late (180).'),
  when_quota_allows: z.boolean().optional(),
};

const common = {
  account,
  caption: z.string().max(20_000).optional().describe('≤ 2200 characters, 30 hashtags, 20 @mentions.'),
  location_id: z.string().regex(/^\d{1,30}$/, 'a numeric Facebook Page id with a location').optional().describe('Facebook Page id of a place.'),
  collaborators: z.array(z.string().min(1).max(40)).max(10).optional().describe('Usernames (≤ 3).'),
  first_comment: z.string().max(5000).optional().describe('Posted after publishing.'),
  idempotency_key: z.string().max(200).optional().describe('Same key, same post.'),
  allow_duplicate: z.boolean().optional(),
  ...scheduleFields,
  wait_seconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_MS / 1000)
    .optional(),
};
const fixMedia = z
  .enum(['pad', 'crop'])
  .optional()
  .describe('Opt-in image fixes: JPEG, ≤ 8 MiB, ratio by pad or crop.');
const autoDiscover = (what: string) =>
  z
    .union([z.boolean(), z.number().int().min(1).max(10)])
    .optional()
    .describe(`Newest unused ${what} in the media folders (true = 1).`);

// ---------------------------------------------------------------------------------------------- outputs

export const postView = z.object({
  post_id: z.string(),
  state: z.enum(POST_STATES),
  progress: unlisted(z.number()),
  kind: unlisted(z.string()),
  account: unlisted(z.object({ id: z.string(), username: z.string() }).nullable()),
  media_id: z.string().nullable().describe('Instagram media id once published.'),
  permalink: z.string().nullable(),
  container_id: unlisted(z.string().nullable()),
  children: unlisted(z.array(z.object({ index: z.number(), container_id: z.string().nullable(), state: z.enum(CHILD_STATES) })).optional()),
  error: z
    .object({
      code: z.union([z.number(), z.string()]),
      subcode: z.number().nullable(),
      message: z.string(),
      meaning: z.string().nullable(),
    })
    .nullable(),
  first_comment: unlisted(z.object({ status: z.string(), comment_id: z.string().optional(), message: z.string().optional() }).optional()),
  media_fixes: unlisted(z.array(z.string()).optional()),
  auto_discovered: unlisted(z.array(z.string()).optional()),
  attempts: unlisted(z.number()),
  created_at: unlisted(z.string()),
  published_at: z.string().nullable(),
  expires_at: unlisted(z.string().nullable()),
  publish_at: z.string().optional(),
  idempotent_replay: unlisted(z.boolean().optional()),
  note: z.string().optional(),
  resource_uri: unlisted(z.string()),
  next_step: z.string(),
});
type PostOutput = z.infer<typeof postView>;

/** instagram_create_post answers a post, or with preview: true only { preview, next_step }. */
const createPostOutput = postView.partial().extend({ preview: previewOutput.optional(), next_step: z.string().optional() });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function viewPost(post: PostStatusView): PostOutput {
  const { firstComment } = post;
  return {
    post_id: post.postId,
    state: post.state,
    progress: Math.round(post.progress * 1000) / 1000,
    kind: post.kind,
    account: post.account,
    media_id: post.mediaId,
    permalink: post.permalink,
    container_id: post.containerId,
    ...(post.children ? { children: post.children.map((c) => ({ index: c.index, container_id: c.containerId, state: c.state })) } : {}),
    error: post.error,
    ...(firstComment
      ? { first_comment: { status: firstComment.status, ...(firstComment.commentId ? { comment_id: firstComment.commentId } : {}), ...(firstComment.message ? { message: firstComment.message } : {}) } }
      : {}),
    ...(post.fixes.length ? { media_fixes: post.fixes } : {}),
    ...(post.autoDiscovered.length ? { auto_discovered: post.autoDiscovered } : {}),
    attempts: post.attempts,
    created_at: new Date(post.createdAt).toISOString(),
    published_at: iso(post.publishedAt),
    expires_at: iso(post.expiresAt),
    ...(post.publishAt !== undefined ? { publish_at: new Date(post.publishAt).toISOString() } : {}),
    ...(post.replayed ? { idempotent_replay: true } : {}),
    ...(post.note ? { note: post.note } : {}),
    resource_uri: `instagram://posts/${post.postId}`,
    next_step: nextStep(post),
  };
}

function nextStep(post: PostStatusView): string {
  const replay = post.replayed
    ? 'This idempotency_key was used before: this is that post, nothing new was published. '
    : post.duplicateOf
      ? `The same media and caption were sent to this account less than 15 minutes ago: this is that post (${post.duplicateOf}), it was not published again. To publish it a second time, call again with allow_duplicate: true. `
      : '';
  const took = post.autoDiscovered.length ? `auto_discover took ${post.autoDiscovered.join(', ')}. ` : '';
  return `${took}${nextStepOf(post, replay)}`;
}

function nextStepOf(post: PostStatusView, replay: string): string {
  if (post.state === 'completed') {
    const where = post.permalink ? ` It is live at ${post.permalink}.` : post.mediaId ? ' Its link is not available yet: instagram_post_status fetches it.' : '';
    const story = post.kind === 'story' && post.expiresAt ? ` The story disappears at ${new Date(post.expiresAt).toISOString()}.` : '';
    const unconfirmed = post.firstComment && post.firstComment.status !== 'posted' && post.firstComment.status !== 'pending';
    const commentNote = unconfirmed ? ' The first comment was not confirmed (see first_comment); add it by hand if needed.' : '';
    const late = post.lateMs !== undefined && post.publishAt !== undefined ? ` It went out ${describeLateness(post.lateMs)} after its publish_at (${new Date(post.publishAt).toISOString()}): no server was running at its time, or the quota was full.` : '';
    return `${replay}Published.${where}${late}${story}${commentNote}`;
  }
  if (post.state === 'failed') {
    const key = post.hasIdempotencyKey ? ' with a new idempotency_key (this one stays bound to this failed post)' : '';
    return `${replay}Not published: ${post.error?.meaning ?? post.error?.message ?? 'the post failed'} Fix that and create the post again${key}; nothing went live.`;
  }
  if (post.state === 'cancelled') return `${replay}Cancelled: nothing was published.`;
  if (post.state === 'skipped') return `${replay}${post.note ?? 'Skipped: its time was missed by more than its grace window; nothing was published.'}`;
  if (post.publishAt !== undefined && post.state !== 'publishing') {
    const ahead = post.state === 'scheduled' ? '' : post.state === 'ready' ? ' Its media is processed and waiting.' : ` Its media is being prepared ahead of time (${Math.round(post.progress * 100)}%).`;
    return `${replay}Scheduled for ${new Date(post.publishAt).toISOString()}.${ahead} It publishes by itself while this server or \`instagram-mcp worker\` runs. See instagram_list_scheduled; change it with instagram_reschedule_post or instagram_cancel_post (post_id "${post.postId}").`;
  }
  if (post.drivenElsewhere) {
    return `${replay}Another running instance of this server is publishing this post. Check again with instagram_post_status (post_id "${post.postId}").`;
  }
  const doing =
    post.state === 'uploading' ? 'uploading the video' : post.state === 'publishing' ? 'publishing' : post.state === 'processing' ? 'processing the media on Instagram' : 'preparing the post';
  return `${replay}Still ${doing} (${Math.round(post.progress * 100)}%). It continues in the background: call instagram_post_status with post_id "${post.postId}" to wait for it and get the link.`;
}

// ---------------------------------------------------------------------------------------------- helpers

const caller = (ctx: ToolContext) => ({ owner: ctx.owner, agent: ctx.agent });

function waitOptions(ctx: ToolContext, waitSeconds: number | undefined) {
  return { signal: ctx.signal, progress: ctx.progress, ...(waitSeconds !== undefined ? { waitMs: waitSeconds * 1000 } : {}) };
}

const discoverCount = (v: boolean | number | undefined) => (v === true ? 1 : typeof v === 'number' ? v : 0);

function commonRequest(args: {
  account?: string;
  caption?: string;
  location_id?: string;
  collaborators?: string[];
  first_comment?: string;
  idempotency_key?: string;
  allow_duplicate?: boolean;
  publish_at?: string;
  grace_minutes?: number;
  when_quota_allows?: boolean;
}): Partial<PublishRequest> {
  const schedule = scheduleOf(args);
  return {
    ...(schedule ? { schedule } : {}),
    ...(args.account ? { account: args.account } : {}),
    ...(args.caption !== undefined ? { caption: args.caption } : {}),
    ...(args.location_id ? { locationId: args.location_id } : {}),
    ...(args.collaborators ? { collaborators: args.collaborators } : {}),
    ...(args.first_comment !== undefined ? { firstComment: args.first_comment } : {}),
    ...(args.idempotency_key !== undefined ? { idempotencyKey: args.idempotency_key } : {}),
    ...(args.allow_duplicate ? { allowDuplicate: true } : {}),
  };
}

/** The schedule a call asks for: none without publish_at (grace and quota policy alone are refused). */
export function scheduleOf(args: { publish_at?: string; grace_minutes?: number; when_quota_allows?: boolean }): ScheduleRequest | undefined {
  if (args.publish_at === undefined) {
    if (args.grace_minutes !== undefined || args.when_quota_allows !== undefined) {
      throw new AppError('invalid_argument', 'grace_minutes and when_quota_allows apply to scheduled posts only.', 'Add publish_at (ISO 8601 with an offset), or leave them out to publish now.');
    }
    return undefined;
  }
  return {
    publishAt: parsePublishAt(args.publish_at),
    ...(args.grace_minutes !== undefined ? { graceMs: args.grace_minutes * 60_000 } : {}),
    ...(args.when_quota_allows !== undefined ? { whenQuotaAllows: args.when_quota_allows } : {}),
  };
}

const publishAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true } as const;

// ---------------------------------------------------------------------------------------------- tools

export const createPostTool = defineTool({
  name: 'instagram_create_post',
  title: 'Publish an Instagram post',
  description:
    'Publishes a feed post: one image or video (a video becomes a reel shown in the feed) or a carousel of 2–10. All is checked before anything is sent (JPEG, ≤ 8 MiB, ratio 4:5–1.91:1, caption, ≤ 3 collaborators, alt text ≤ 1000).',
  toolset: 'publishing',
  input: z.object({
    ...common,
    media: z
      .union([z.array(carouselItemArg).max(20), carouselItemArg])
      .optional()
      .describe('One item, or 2–10 for a carousel.'),
    auto_discover: autoDiscover('photos or videos'),
    alt_text: z.string().max(5000).optional(),
    user_tags: z.array(userTag).max(50).optional(),
    fix_media: fixMedia,
    preview: z.boolean().optional().describe('true: return the preview instead of publishing; nothing is sent to Instagram.'),
  }),
  output: createPostOutput,
  annotations: publishAnnotations,
  async handler(args, ctx) {
    const media = (Array.isArray(args.media) ? args.media : args.media === undefined ? [] : [args.media]).map(toMediaItem);
    if (args.preview) {
      const rendered = await previewPost(ctx, {
        ...(args.account ? { account: args.account } : {}),
        ...(args.caption !== undefined ? { caption: args.caption } : {}),
        media,
        autoDiscover: discoverCount(args.auto_discover),
      });
      return withImages({ preview: rendered.preview, next_step: rendered.preview.next_step }, [previewImage(rendered)]);
    }
    const request: PublishRequest = {
      surface: 'feed',
      ...commonRequest(args),
      media,
      autoDiscover: discoverCount(args.auto_discover),
      ...(args.alt_text !== undefined ? { altText: args.alt_text } : {}),
      ...(args.user_tags ? { userTags: args.user_tags } : {}),
      ...(args.fix_media ? { fixMedia: args.fix_media } : {}),
    };
    return viewPost(await ctx.services.publisher.createPost(caller(ctx), request, waitOptions(ctx, args.wait_seconds)));
  },
});

export const createReelTool = defineTool({
  name: 'instagram_create_reel',
  title: 'Publish an Instagram reel',
  description:
    'Publishes a reel from one video (MP4/MOV, H.264/HEVC, 3 s–15 min, ≤ 300 MB); a local file is uploaded directly. Processing can take minutes, with progress notifications.',
  toolset: 'publishing',
  input: z.object({
    ...common,
    video: mediaArg.optional(),
    auto_discover: z.boolean().optional(),
    cover: mediaArg.optional().describe('Cover image (JPEG ≤ 8 MiB); wins over thumb_offset.'),
    thumb_offset: z.number().int().min(0).optional().describe('Cover frame, ms from the start.'),
    share_to_feed: z.boolean().optional().describe('Default true.'),
    audio_name: z.string().max(200).optional().describe('Original audio name (set once).'),
    user_tags: z.array(userTag).max(50).optional().describe('Username only.'),
    fix_media: fixMedia,
  }),
  output: postView,
  annotations: publishAnnotations,
  async handler(args, ctx) {
    const request: PublishRequest = {
      surface: 'reel',
      ...commonRequest(args),
      media: args.video ? [toMediaInput(args.video)] : [],
      autoDiscover: args.auto_discover ? 1 : 0,
      ...(args.cover ? { cover: toMediaInput(args.cover) } : {}),
      ...(args.thumb_offset !== undefined ? { thumbOffsetMs: args.thumb_offset } : {}),
      ...(args.share_to_feed !== undefined ? { shareToFeed: args.share_to_feed } : {}),
      ...(args.audio_name ? { audioName: args.audio_name } : {}),
      ...(args.user_tags ? { userTags: args.user_tags } : {}),
      ...(args.fix_media ? { fixMedia: args.fix_media } : {}),
    };
    return viewPost(await ctx.services.publisher.createPost(caller(ctx), request, waitOptions(ctx, args.wait_seconds)));
  },
});

export const createStoryTool = defineTool({
  name: 'instagram_create_story',
  title: 'Publish an Instagram story',
  description:
    'Publishes a story from one image (JPEG ≤ 8 MiB, 9:16 best) or video (3–60 s, ≤ 100 MB); it disappears after 24 h. No stickers or links through the API.',
  toolset: 'publishing',
  input: z.object({
    account,
    media: mediaArg.optional(),
    auto_discover: z.boolean().optional(),
    user_tags: z.array(userTag).max(50).optional().describe('x and y optional.'),
    fix_media: fixMedia,
    idempotency_key: common.idempotency_key,
    allow_duplicate: common.allow_duplicate,
    ...scheduleFields,
    wait_seconds: common.wait_seconds,
  }),
  output: postView,
  annotations: publishAnnotations,
  async handler(args, ctx) {
    const request: PublishRequest = {
      surface: 'story',
      ...commonRequest(args),
      media: args.media ? [toMediaInput(args.media)] : [],
      autoDiscover: args.auto_discover ? 1 : 0,
      ...(args.user_tags ? { userTags: args.user_tags } : {}),
      ...(args.fix_media ? { fixMedia: args.fix_media } : {}),
    };
    return viewPost(await ctx.services.publisher.createPost(caller(ctx), request, waitOptions(ctx, args.wait_seconds)));
  },
});

export const postStatusTool = defineTool({
  name: 'instagram_post_status',
  title: 'Follow a post being published',
  description:
    'A post\'s state, progress, error and its meaning, media id and permalink; waits up to wait_seconds for one in progress. Never publishes twice.',
  toolset: 'publishing',
  input: z.object({
    post_id: z.string().min(1).max(100),
    wait_seconds: common.wait_seconds,
  }),
  output: postView,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    return viewPost(await ctx.services.publisher.status(caller(ctx), args.post_id, waitOptions(ctx, args.wait_seconds)));
  },
});

export const publishingLimitTool = defineTool({
  name: 'instagram_get_publishing_limit',
  title: 'Publishing quota',
  description: 'Posts published through the API in the rolling window (usually 24 h) and how many more are allowed, read live.',
  toolset: 'publishing',
  input: z.object({ account }),
  output: z.object({
    account: z.object({ id: z.string(), username: z.string() }),
    quota_usage: z.number(),
    quota_total: z.number().nullable(),
    quota_duration_seconds: z.number().nullable(),
    remaining: z.number().nullable(),
    frees_at: z.string().nullable().describe('When the quota is used up: estimated time the next slot frees (from posts this server published).'),
    next_step: z.string(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const l = await ctx.services.publisher.publishingLimit(caller(ctx), args.account, ctx.signal);
    const hours = Math.round((l.quotaDurationSec ?? 86_400) / 3600);
    return {
      account: l.account,
      quota_usage: l.quotaUsage,
      quota_total: l.quotaTotal,
      quota_duration_seconds: l.quotaDurationSec,
      remaining: l.remaining,
      frees_at: iso(l.freesAt),
      next_step:
        l.remaining === null
          ? `@${l.account.username} published ${l.quotaUsage} posts in the last ${hours} hours; Instagram did not report the limit.`
          : l.remaining > 0
            ? `@${l.account.username} can publish ${l.remaining} more post(s) in the current ${hours}-hour window.`
            : `@${l.account.username} has used its quota; ${l.freesAt ? `a slot should free around ${iso(l.freesAt)}` : 'slots free up as posts leave the rolling window'}.`,
    };
  },
});

const registeredMediaOutput = registeredMediaWire.extend({
  checks: z.array(z.object({ target: z.string(), ok: z.boolean(), issues: z.array(z.string()) })),
  next_step: z.string(),
});

export const uploadMediaTool = defineTool({
  name: 'instagram_upload_media',
  title: 'Register media for later posts',
  description:
    'Registers media: a reference_id (valid 24 h) for the publishing tools and whether it meets Instagram\'s rules for each use. Over HTTP, large files can go to POST /uploads?filename=….',
  toolset: 'publishing',
  input: z.object({
    source: mediaFields.source,
    data: mediaFields.data,
    mime_type: mediaFields.mime_type,
    media_type: mediaFields.media_type,
    file_name: z.string().max(200).optional(),
  }),
  output: registeredMediaOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    const library = ctx.services.library;
    const registered = registeredMediaView(await library.register(ctx.owner, {
      ...(args.source !== undefined ? { source: args.source } : {}),
      ...(args.data !== undefined ? { data: args.data } : {}),
      ...(args.mime_type ? { mimeType: args.mime_type } : {}),
      ...(args.media_type ? { mediaType: args.media_type } : {}),
      ...(args.file_name ? { fileName: args.file_name } : {}),
    }));
    const checks = await library.checksFor(ctx.owner, registered.reference_id);
    const usable = checks.filter((c) => c.ok).map((c) => c.target.replace('_', ' '));
    return {
      ...registered,
      checks,
      next_step: `Use "${registered.reference_id}" as media in instagram_create_post, instagram_create_reel or instagram_create_story before ${registered.expires_at}.${
        checks.length ? (usable.length ? ` It meets the rules for: ${usable.join(', ')}.` : " It does not meet Instagram's rules as is: see checks (fix_media can fix image problems marked fixable).") : ''
      }`,
    };
  },
});

export const publishingTools = [createPostTool, previewPostTool, createReelTool, createStoryTool, postStatusTool, publishingLimitTool, uploadMediaTool];
