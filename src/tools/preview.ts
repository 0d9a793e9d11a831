/**
 * instagram_preview_post: how a feed post will look before it is published (feed and grid crops, the
 * caption cut at "… more", the limits, what would block publishing), as rows plus one PNG (an image
 * block, also written to disk). instagram_create_post with preview: true answers the same.
 */
import { z } from 'zod';
import { PREVIEW_APP_URI } from '../apps/index.js';
import { withImages } from '../mcp/results.js';
import { defineTool } from '../mcp/tool.js';
import type { ToolContext } from '../mcp/context.js';
import type { PreviewRequest, RenderedPreview } from '../services/preview.js';
import { carouselItemArg, toMediaItem } from './mediaArgs.js';
import { accountArg, who } from './shapes.js';

const crop = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
const count = z.object({ count: z.number(), limit: z.number() });

/** The preview's shape (a browser view reads these fields). */
export const previewOutput = z.object({
  account: z.object({ username: z.string() }).nullable(),
  kind: z.enum(['IMAGE', 'CAROUSEL', 'VIDEO', 'REEL']),
  feed: z.object({ ratio: z.number(), width: z.number(), height: z.number() }).describe('Feed frame at 1080 px wide.'),
  items: z.array(
    z.object({
      index: z.number(),
      label: z.string(),
      media_type: z.enum(['IMAGE', 'VIDEO']),
      width: z.number().nullable(),
      height: z.number().nullable(),
      ratio: z.number().nullable(),
      crop: crop.nullable().describe('What the feed shows, in image pixels.'),
      cropped: z.boolean(),
      note: z.string().optional(),
    }),
  ),
  grid: z.object({ ratio: z.literal(0.75), crop: crop.nullable() }),
  caption: z.object({ length: z.number(), limit: z.number(), visible: z.string(), truncated: z.boolean(), hashtags: count, mentions: count }),
  issues: z.array(z.object({ field: z.string(), code: z.string(), message: z.string() })).describe('What would block publishing.'),
  next_step: z.string(),
  path: z.string().optional(),
});
type PreviewOutput = z.infer<typeof previewOutput>;

/** The preview's PNG as an image block. */
export function previewImage(rendered: RenderedPreview): { type: 'image'; data: string; mimeType: string } {
  return { type: 'image', data: rendered.image.png.toString('base64'), mimeType: 'image/png' };
}

/** Runs the previewer for a tool call. */
export function previewPost(ctx: ToolContext, request: PreviewRequest): Promise<RenderedPreview> {
  return ctx.services.previews.preview(who(ctx), request, ctx.signal);
}

export const previewPostTool = defineTool({
  name: 'instagram_preview_post',
  title: 'Preview a post',
  description:
    'How a feed post (one item or a carousel) will look, without publishing: each item\'s feed crop, the 3:4 grid tile, the caption cut at "… more", the limits, what would block publishing. Rows plus a PNG.',
  toolset: 'publishing',
  input: z.object({
    account: accountArg,
    caption: z.string().max(20_000).optional(),
    media: z.union([z.array(carouselItemArg).max(20), carouselItemArg]).describe('As instagram_create_post: one item, or 2–10.'),
  }),
  output: previewOutput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  // The interactive view shows the PNG itself (it reads the image block), so clients keep the image.
  app: { resourceUri: PREVIEW_APP_URI },
  async handler(args, ctx) {
    const rendered = await previewPost(ctx, {
      ...(args.account ? { account: args.account } : {}),
      ...(args.caption !== undefined ? { caption: args.caption } : {}),
      media: (Array.isArray(args.media) ? args.media : [args.media]).map(toMediaItem),
    });
    return withImages<PreviewOutput>(rendered.preview, [previewImage(rendered)]);
  },
});
