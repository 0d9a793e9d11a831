/**
 * Hashtag search and business discovery (reference §7). Both exist only on graph.facebook.com
 * (Facebook Login); an Instagram-Login account gets Meta's own failure, which callers should
 * prevent by checking the login type first.
 *
 * Budget: 30 unique hashtags per IG account per rolling 7 days, counted on `ig_hashtag_search`
 * (ids are global and never change, so reusing a known id costs nothing).
 */
import { z } from 'zod';
import { graphHostFor, parseResponse, seg, zId, zNum, type AccountAuth } from './account.js';
import type { GraphHttp } from './http.js';

export const HASHTAG_BUDGET = 30;
export const HASHTAG_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
export const MAX_HASHTAG_MEDIA_PAGE = 50;

export const HASHTAG_MEDIA_FIELDS = ['id', 'caption', 'media_type', 'permalink', 'timestamp', 'like_count', 'comments_count', 'media_url', 'children{id,media_type,media_url}'] as const;

export const BUSINESS_PROFILE_FIELDS = ['id', 'username', 'name', 'biography', 'website', 'followers_count', 'media_count', 'profile_picture_url'] as const;
export const BUSINESS_MEDIA_FIELDS = [
  'id',
  'caption',
  'media_type',
  'media_product_type',
  'permalink',
  'timestamp',
  'like_count',
  'comments_count',
  'view_count',
  'media_url',
] as const;

const zPaging = z
  .object({ cursors: z.object({ after: z.string().optional(), before: z.string().optional() }).optional(), next: z.string().optional() })
  .optional();

export const zPublicMedia = z
  .object({
    id: zId,
    caption: z.string().optional(),
    media_type: z.string().optional(),
    media_product_type: z.string().optional(),
    media_url: z.string().optional(),
    permalink: z.string().optional(),
    timestamp: z.string().optional(),
    like_count: zNum.optional(),
    comments_count: zNum.optional(),
    view_count: zNum.optional(),
    children: z.object({ data: z.array(z.object({ id: zId }).loose()) }).loose().optional(),
  })
  .loose();

export type PublicMedia = z.output<typeof zPublicMedia>;

export interface PublicMediaPage {
  items: PublicMedia[];
  nextCursor: string | null;
}

/** GET /ig_hashtag_search?user_id=&q= → the hashtag id, or null when Meta knows no such tag. */
export async function searchHashtagId(http: GraphHttp, auth: AccountAuth, hashtag: string, signal?: AbortSignal): Promise<string | null> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: '/ig_hashtag_search',
    query: { user_id: auth.igUserId, q: hashtag },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal,
  });
  const parsed = parseResponse(z.object({ data: z.array(z.object({ id: zId }).loose()) }), res.data, 'hashtag search');
  return parsed.data[0]?.id ?? null;
}

export type HashtagEdge = 'top' | 'recent';

/** GET /<hashtag-id>/top_media or /recent_media (recent: last 24 h only). */
export async function getHashtagMedia(
  http: GraphHttp,
  auth: AccountAuth,
  hashtagId: string,
  edge: HashtagEdge,
  opts: { limit?: number; after?: string; fields?: readonly string[]; signal?: AbortSignal } = {},
): Promise<PublicMediaPage> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(hashtagId)}/${edge === 'top' ? 'top_media' : 'recent_media'}`,
    query: {
      user_id: auth.igUserId,
      fields: (opts.fields ?? HASHTAG_MEDIA_FIELDS).join(','),
      limit: opts.limit ? Math.min(MAX_HASHTAG_MEDIA_PAGE, opts.limit) : undefined,
      after: opts.after,
    },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal: opts.signal,
  });
  const parsed = parseResponse(z.object({ data: z.array(zPublicMedia), paging: zPaging }), res.data, 'hashtag media');
  return { items: parsed.data, nextCursor: parsed.paging?.next ? (parsed.paging.cursors?.after ?? null) : null };
}

const zBusinessProfile = z
  .object({
    id: zId,
    username: z.string().optional(),
    name: z.string().optional(),
    biography: z.string().optional(),
    website: z.string().optional(),
    followers_count: zNum.optional(),
    follows_count: zNum.optional(),
    media_count: zNum.optional(),
    profile_picture_url: z.string().optional(),
    media: z.object({ data: z.array(zPublicMedia), paging: zPaging }).loose().optional(),
  })
  .loose();

export interface BusinessProfile {
  id: string;
  username?: string;
  name?: string;
  biography?: string;
  website?: string;
  followers_count?: number;
  follows_count?: number;
  media_count?: number;
  profile_picture_url?: string;
}

export interface BusinessDiscoveryResult {
  profile: BusinessProfile;
  media: PublicMediaPage;
}

/** Instagram usernames: letters, digits, periods and underscores, at most 30. */
export function isValidUsername(username: string): boolean {
  return /^[A-Za-z0-9._]{1,30}$/.test(username);
}

/**
 * Another professional account's public profile and recent media through field expansion:
 * `business_discovery.username(x){…,media.limit(n).after(c){…}}`. Expanded edges carry cursors
 * but no `next`, so a full page is taken to mean there may be more.
 */
export async function businessDiscovery(
  http: GraphHttp,
  auth: AccountAuth,
  username: string,
  opts: { mediaLimit?: number; after?: string; profileFields?: readonly string[]; mediaFields?: readonly string[]; signal?: AbortSignal } = {},
): Promise<BusinessDiscoveryResult> {
  const clean = username.replace(/^@/, '');
  if (!isValidUsername(clean)) throw new RangeError(`Not an Instagram username: ${username.slice(0, 40)}`);
  const limit = Math.max(1, Math.min(MAX_HASHTAG_MEDIA_PAGE, Math.floor(opts.mediaLimit ?? 10)));
  // The cursor goes inside the field expression: refuse anything that could break out of it.
  if (opts.after !== undefined && !/^[A-Za-z0-9_\-=]+$/.test(opts.after)) throw new RangeError('Not a business discovery cursor');
  const after = opts.after ? `.after(${opts.after})` : '';
  const mediaPart = limit > 0 ? `,media.limit(${limit})${after}{${(opts.mediaFields ?? BUSINESS_MEDIA_FIELDS).join(',')}}` : '';
  const fields = `business_discovery.username(${clean}){${(opts.profileFields ?? BUSINESS_PROFILE_FIELDS).join(',')}${mediaPart}}`;
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(auth.igUserId)}`,
    query: { fields },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal: opts.signal,
  });
  const parsed = parseResponse(z.object({ business_discovery: zBusinessProfile }).loose(), res.data, 'business discovery');
  const bd = parsed.business_discovery;
  const media = bd.media;
  const profile: BusinessProfile = {
    id: bd.id,
    username: bd.username,
    name: bd.name,
    biography: bd.biography,
    website: bd.website,
    followers_count: bd.followers_count,
    follows_count: bd.follows_count,
    media_count: bd.media_count,
    profile_picture_url: bd.profile_picture_url,
  };
  const items = media?.data ?? [];
  const cursor = media?.paging?.cursors?.after ?? null;
  const nextCursor = media?.paging?.next ? cursor : items.length >= limit ? cursor : null;
  return { profile, media: { items, nextCursor } };
}
