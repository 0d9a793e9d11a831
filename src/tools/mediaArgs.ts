/**
 * The media arguments the publishing and preview tools share: one item as a string (URL, local path or
 * reference id) or an object (inline data, media_type, a carousel item's alt text and tags), and their
 * translation into the services' media requests.
 */
import { z } from 'zod';
import { MAX_INLINE_BASE64_CHARS } from '../services/publishing/bounds.js';
import type { MediaItemRequest } from '../services/publishing/types.js';
import type { MediaInput } from '../services/mediaLibrary.js';

export const userTag = z.strictObject({
  username: z.string().min(1).max(40),
  x: z.number().optional().describe('0–1 from the left; required on images.'),
  y: z.number().optional().describe('0–1 from the top; required on images.'),
});

export const mediaFields = {
  source: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('URL, local path or reference_id.'),
  data: z.string().max(MAX_INLINE_BASE64_CHARS).optional().describe('Base64 (≤ 8 MiB), with mime_type.'),
  mime_type: z.string().max(100).optional(),
  media_type: z.enum(['image', 'video']).optional().describe('If the URL does not say.'),
};
const mediaObject = z.strictObject(mediaFields);
export const mediaArg = z.union([z.string().min(1).max(4096), mediaObject]);
export const carouselItemArg = z.union([
  z.string().min(1).max(4096),
  mediaObject.extend({ alt_text: z.string().max(5000).optional(), user_tags: z.array(userTag).max(50).optional() }),
]);

type MediaArg = z.infer<typeof carouselItemArg>;

export function toMediaItem(arg: MediaArg): MediaItemRequest {
  if (typeof arg === 'string') return { source: arg };
  const item = arg as z.infer<typeof mediaObject> & { alt_text?: string; user_tags?: z.infer<typeof userTag>[] };
  return {
    ...(item.source !== undefined ? { source: item.source } : {}),
    ...(item.data !== undefined ? { data: item.data } : {}),
    ...(item.mime_type ? { mimeType: item.mime_type } : {}),
    ...(item.media_type ? { mediaType: item.media_type } : {}),
    ...(item.alt_text !== undefined ? { altText: item.alt_text } : {}),
    ...(item.user_tags ? { userTags: item.user_tags } : {}),
  };
}

export function toMediaInput(arg: z.infer<typeof mediaArg>): MediaInput {
  const { altText: _a, userTags: _u, ...input } = toMediaItem(arg);
  return input;
}
