/**
 * Reading media (reference §4): list with cursors, one media, carousel children, live stories.
 */
import { z } from 'zod';
import { graphHostFor, parseResponse, seg, zId, zNum, type AccountAuth } from './account.js';
import type { GraphHttp } from './http.js';

export const DEFAULT_MEDIA_FIELDS = [
  'id',
  'caption',
  'media_type',
  'media_product_type',
  'media_url',
  'permalink',
  'shortcode',
  'thumbnail_url',
  'timestamp',
  'like_count',
  'comments_count',
] as const;

export const DEFAULT_CHILD_FIELDS = ['id', 'media_type', 'media_url', 'thumbnail_url', 'timestamp'] as const;

/**
 * One IG media as returned by Meta: known fields typed, everything else (requested through
 * `fields`) kept as is. Ids are always exact strings.
 */
export const zMediaItem = z
  .object({
    id: zId,
    caption: z.string().optional(),
    media_type: z.string().optional(),
    media_product_type: z.string().optional(),
    media_url: z.string().optional(),
    permalink: z.string().optional(),
    shortcode: z.string().optional(),
    thumbnail_url: z.string().optional(),
    timestamp: z.string().optional(),
    like_count: zNum.optional(),
    comments_count: zNum.optional(),
    username: z.string().optional(),
    alt_text: z.string().optional(),
    is_comment_enabled: z.boolean().optional(),
    is_shared_to_feed: z.boolean().optional(),
    owner: z.object({ id: zId }).loose().optional(),
  })
  .loose();

export type MediaItem = z.output<typeof zMediaItem>;

const zPage = z.object({
  data: z.array(zMediaItem),
  paging: z
    .object({
      cursors: z.object({ after: z.string().optional(), before: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});

export interface MediaPage {
  items: MediaItem[];
  /** The `after` cursor, only when Meta says there is a next page. */
  nextCursor: string | null;
}

function toPage(data: unknown, what: string): MediaPage {
  const parsed = parseResponse(zPage, data, what);
  const nextCursor = parsed.paging?.next ? (parsed.paging.cursors?.after ?? null) : null;
  return { items: parsed.data, nextCursor };
}

function fieldList(fields: readonly string[] | string | undefined, fallback: readonly string[]): string {
  if (fields === undefined) return fallback.join(',');
  return typeof fields === 'string' ? fields : fields.join(',');
}

/** Unix seconds for since/until; accepts seconds, a Date or an ISO string. */
function unixSeconds(value: number | string | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (typeof value === 'number') return Math.floor(value);
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`Not a date: ${value}`);
  return Math.floor(ms / 1000);
}

export interface ListMediaOptions {
  limit?: number;
  after?: string;
  /** Unix seconds, Date or ISO string. */
  since?: number | string | Date;
  until?: number | string | Date;
  fields?: readonly string[] | string;
  signal?: AbortSignal;
}

export async function listMedia(http: GraphHttp, auth: AccountAuth, opts: ListMediaOptions = {}): Promise<MediaPage> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(auth.igUserId)}/media`,
    query: {
      fields: fieldList(opts.fields, DEFAULT_MEDIA_FIELDS),
      limit: opts.limit,
      after: opts.after,
      since: unixSeconds(opts.since),
      until: unixSeconds(opts.until),
    },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal: opts.signal,
  });
  return toPage(res.data, 'the media list');
}

export async function getMedia(
  http: GraphHttp,
  auth: AccountAuth,
  mediaId: string,
  fields?: readonly string[] | string,
  signal?: AbortSignal,
): Promise<MediaItem> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(mediaId)}`,
    query: { fields: fieldList(fields, DEFAULT_MEDIA_FIELDS) },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal,
  });
  return parseResponse(zMediaItem, res.data, 'a media');
}

/** Children of a carousel album (all of them: at most 10, one page). */
export async function listChildren(
  http: GraphHttp,
  auth: AccountAuth,
  mediaId: string,
  fields?: readonly string[] | string,
  signal?: AbortSignal,
): Promise<MediaItem[]> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(mediaId)}/children`,
    query: { fields: fieldList(fields, DEFAULT_CHILD_FIELDS) },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal,
  });
  return toPage(res.data, 'carousel children').items;
}

/** Currently live stories (last 24 h). */
export async function listStories(
  http: GraphHttp,
  auth: AccountAuth,
  opts: { limit?: number; after?: string; fields?: readonly string[] | string; signal?: AbortSignal } = {},
): Promise<MediaPage> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(auth.igUserId)}/stories`,
    query: {
      fields: fieldList(opts.fields, ['id', 'media_type', 'media_url', 'permalink', 'thumbnail_url', 'timestamp']),
      limit: opts.limit,
      after: opts.after,
    },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal: opts.signal,
  });
  return toPage(res.data, 'the stories list');
}
