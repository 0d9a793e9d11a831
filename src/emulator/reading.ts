/**
 * Reading media (reference §4): `/{ig-user-id}/media` with cursor paging and since/until, the media
 * node with field selection and `children{…}` expansion, `/{media-id}/children`, `/{ig-user-id}/stories`
 * (live for 24 h), and the comment_enabled update.
 */
import { graphTimestamp } from '../clock.js';
import { isIgUserNode, requireOwner, requireToken, resolveIgUser } from './auth.js';
import { errors } from './errors.js';
import { parseFields, renderNode, validateFields, type FieldSpec, type NodeSchema } from './fields.js';
import type { RequestContext, RouteModule, RouteResult } from './router.js';
import { GRAPH_HOSTS } from './router.js';
import type { EmulatedIgUser, EmulatedMedia } from './types.js';

export const DEFAULT_PAGE_LIMIT = 25;
export const MAX_PAGE_LIMIT = 100;

export const mediaSchema: NodeSchema<EmulatedMedia> = {
  typeName: 'IGMedia',
  id: (m) => m.id,
  fields: {
    caption: (m) => (m.parentId ? undefined : m.caption),
    media_type: (m) => m.mediaType,
    media_product_type: (m) => m.productType,
    media_url: (m, _spec, ctx) => {
      if (m.mediaType === 'CAROUSEL_ALBUM') return ctx.state.media.get(m.children?.[0] ?? '')?.mediaUrl ?? m.mediaUrl;
      return m.mediaUrl;
    },
    thumbnail_url: (m) => (m.mediaType === 'VIDEO' ? m.thumbnailUrl : undefined),
    permalink: (m) => m.permalink,
    shortcode: (m) => m.shortcode,
    timestamp: (m) => graphTimestamp(m.timestamp),
    like_count: (m) => (m.parentId ? undefined : m.likeCount),
    comments_count: (m) => (m.parentId ? undefined : m.commentsCount),
    is_comment_enabled: (m) => (m.parentId ? undefined : m.isCommentEnabled),
    is_shared_to_feed: (m) => (m.productType === 'REELS' ? (m.isSharedToFeed ?? true) : undefined),
    username: (m, _spec, ctx) => ctx.state.igUsers.get(m.ownerId)?.username,
    owner: (m) => ({ id: m.ownerId }),
    alt_text: (m) => m.altText,
    legacy_instagram_media_id: (m) => m.id.slice(-10),
    is_ai_generated: (m) => m.isAiGenerated ?? false,
    children: (m, spec, ctx) => {
      if (!m.children) return undefined;
      validateFields(mediaSchema, spec.children);
      const data = m.children
        .map((id) => ctx.state.media.get(id))
        .filter((c): c is EmulatedMedia => !!c)
        .map((child) => renderNode(mediaSchema, child, spec.children, ctx));
      return { data };
    },
  },
  defaultFields: ['id'],
};

export const readingRoutes: RouteModule = (router) => {
  router.get(GRAPH_HOSTS, '/:id/media', listMedia, (ctx, p) => isIgUserNode(ctx, p['id']!));
  router.get(GRAPH_HOSTS, '/:id/stories', listStories, (ctx, p) => isIgUserNode(ctx, p['id']!));
  router.get(GRAPH_HOSTS, '/:id', mediaNode, (ctx, p) => ctx.state.media.has(p['id']!));
  router.get(GRAPH_HOSTS, '/:id/children', mediaChildren, (ctx, p) => ctx.state.media.has(p['id']!));
  router.post(GRAPH_HOSTS, '/:id', updateMedia, (ctx, p) => ctx.state.media.has(p['id']!));
};

// ---------- paging ----------

export interface PageRequest {
  limit: number;
  after?: string;
  before?: string;
}

export interface Page<T> {
  items: T[];
  hasNext: boolean;
  hasPrevious: boolean;
  before?: string;
  after?: string;
}

/** Cursor over a newest-first list: encodes (timestamp, id), so it survives inserts. */
export function mediaCursor(m: Pick<EmulatedMedia, 'timestamp' | 'id'>): string {
  return Buffer.from(`ts:${m.timestamp}:${m.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { timestamp: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^ts:(-?\d+):(\d+)$/.exec(text);
  if (!match) throw errors.invalidParam('The after/before cursor is invalid');
  return { timestamp: Number(match[1]), id: match[2]! };
}

/** Order of a newest-first list: negative when a comes before b. */
function compareNewestFirst(a: { timestamp: number; id: string }, b: { timestamp: number; id: string }): number {
  return b.timestamp - a.timestamp || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function paginate(items: EmulatedMedia[], request: PageRequest): Page<EmulatedMedia> {
  let start = 0;
  let end = items.length;
  if (request.after) {
    const cursor = decodeCursor(request.after);
    start = items.findIndex((m) => compareNewestFirst(m, cursor) > 0);
    if (start < 0) start = items.length;
    end = Math.min(items.length, start + request.limit);
  } else if (request.before) {
    const cursor = decodeCursor(request.before);
    let stop = items.findIndex((m) => compareNewestFirst(m, cursor) >= 0);
    if (stop < 0) stop = items.length;
    end = stop;
    start = Math.max(0, end - request.limit);
  } else {
    end = Math.min(items.length, request.limit);
  }
  const page = items.slice(start, end);
  return {
    items: page,
    hasNext: end < items.length,
    hasPrevious: start > 0,
    before: page.length ? mediaCursor(page[0]!) : undefined,
    after: page.length ? mediaCursor(page[page.length - 1]!) : undefined,
  };
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_LIMIT;
  const value = Number.parseInt(raw, 10);
  if (!Number.isFinite(value)) throw errors.invalidParam('Param limit must be a number');
  return Math.min(MAX_PAGE_LIMIT, Math.max(1, value));
}

function parseTime(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (/^-?\d+$/.test(raw)) return Number(raw) * 1000;
  const parsed = Date.parse(raw);
  if (Number.isNaN(parsed)) throw errors.invalidParam(`Param ${name} must be a unix timestamp`);
  return parsed;
}

function filterTime(items: EmulatedMedia[], since?: number, until?: number): EmulatedMedia[] {
  return items.filter((m) => (since === undefined || m.timestamp >= since) && (until === undefined || m.timestamp <= until));
}

/** Full URL of the same request with a different cursor (Graph puts the access token in it too). */
function pagingUrl(ctx: RequestContext, cursor: { after?: string; before?: string }, limit: number): string {
  const query = new URLSearchParams();
  for (const [key, value] of ctx.query) if (key !== 'after' && key !== 'before' && key !== 'limit') query.set(key, value);
  if (!query.has('access_token')) {
    const header = /^\s*(?:Bearer|OAuth)\s+(\S+)/i.exec(String(ctx.headers['authorization'] ?? ''))?.[1];
    if (header) query.set('access_token', header);
  }
  query.set('limit', String(limit));
  if (cursor.after) query.set('after', cursor.after);
  if (cursor.before) query.set('before', cursor.before);
  const version = ctx.version ?? ctx.state.config.defaultApiVersion;
  return `${ctx.hostUrl}/${version}${ctx.path}?${query.toString()}`;
}

function listResponse(ctx: RequestContext, all: EmulatedMedia[], specs: FieldSpec[] | undefined): RouteResult {
  validateFields(mediaSchema, specs);
  const limit = parseLimit(ctx.params['limit']);
  const page = paginate(all, { limit, after: ctx.params['after'], before: ctx.params['before'] });
  const data = page.items.map((m) => renderNode(mediaSchema, m, specs, ctx));
  if (!page.items.length) return { json: { data } };
  const paging: Record<string, unknown> = { cursors: { before: page.before, after: page.after } };
  if (page.hasPrevious) paging['previous'] = pagingUrl(ctx, { before: page.before }, limit);
  if (page.hasNext) paging['next'] = pagingUrl(ctx, { after: page.after }, limit);
  return { json: { data, paging } };
}

function listMedia(ctx: RequestContext): RouteResult {
  const record = requireToken(ctx, 'basic');
  const user = resolveIgUser(ctx, record, ctx.routeParams['id']!);
  const since = parseTime(ctx.params['since'], 'since');
  const until = parseTime(ctx.params['until'], 'until');
  const items = filterTime(ctx.state.feedMedia(user.id), since, until);
  return listResponse(ctx, items, parseFields(ctx.params['fields']));
}

function listStories(ctx: RequestContext): RouteResult {
  const record = requireToken(ctx, 'basic');
  const user = resolveIgUser(ctx, record, ctx.routeParams['id']!);
  return listResponse(ctx, ctx.state.liveStories(user.id), parseFields(ctx.params['fields']));
}

/** `media{…}` expansion on a user: cursors without next/previous (reference §4.2). */
export function edgeField(items: (user: EmulatedIgUser, ctx: RequestContext) => EmulatedMedia[]) {
  return (user: EmulatedIgUser, spec: FieldSpec, ctx: RequestContext): unknown => {
    validateFields(mediaSchema, spec.children);
    const limit = parseLimit(spec.modifiers['limit']);
    const page = paginate(items(user, ctx), { limit, after: spec.modifiers['after'], before: spec.modifiers['before'] });
    const data = page.items.map((m) => renderNode(mediaSchema, m, spec.children, ctx));
    return page.items.length ? { data, paging: { cursors: { before: page.before, after: page.after } } } : { data };
  };
}

export const mediaEdgeField = edgeField((user, ctx) => ctx.state.feedMedia(user.id));
export const storiesEdgeField = edgeField((user, ctx) => ctx.state.liveStories(user.id));

/** The media named by the route, readable by this token (expired stories are gone). */
export function loadMedia(ctx: RequestContext, capability: 'basic' | 'comments' | 'insights' = 'basic'): EmulatedMedia {
  const record = requireToken(ctx, capability);
  const media = ctx.state.media.get(ctx.routeParams['id']!)!;
  requireOwner(ctx, record, media.ownerId, media.id);
  if (!ctx.state.isLive(media)) throw errors.unsupportedRequest(ctx.method, media.id);
  return media;
}

function mediaNode(ctx: RequestContext): RouteResult {
  const media = loadMedia(ctx);
  return { json: renderNode(mediaSchema, media, parseFields(ctx.params['fields']), ctx) };
}

function mediaChildren(ctx: RequestContext): RouteResult {
  const media = loadMedia(ctx);
  const specs = parseFields(ctx.params['fields']);
  validateFields(mediaSchema, specs);
  const data = (media.children ?? [])
    .map((id) => ctx.state.media.get(id))
    .filter((c): c is EmulatedMedia => !!c)
    .map((child) => renderNode(mediaSchema, child, specs, ctx));
  return { json: { data } };
}

function updateMedia(ctx: RequestContext): RouteResult {
  const media = loadMedia(ctx, 'comments');
  const value = ctx.params['comment_enabled'];
  if (value === undefined) throw errors.paramRequired('comment_enabled');
  if (value !== 'true' && value !== 'false') throw errors.invalidParam('Param comment_enabled must be a boolean');
  media.isCommentEnabled = value === 'true';
  return { json: { success: true } };
}
