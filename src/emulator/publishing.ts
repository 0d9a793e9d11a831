/**
 * Content publishing (reference §3): container creation with the documented validation, the
 * container state machine (IN_PROGRESS → FINISHED / ERROR, EXPIRED after 24 h, PUBLISHED),
 * `media_publish` with the rolling-24 h quota, and `content_publishing_limit`.
 *
 * Choices: image problems (fetch, size, format, aspect ratio) answer synchronously from POST /media,
 * as Meta usually does; video problems (fetch, format, size, duration, thumb_offset beyond the
 * video) surface asynchronously as a container ERROR whose `status` carries the subcode. The
 * emulator fetches media during the POST (so tests are deterministic) but only reveals the video
 * outcome once the processing time has elapsed on the emulator clock.
 */
import { isIgUserNode, requireOwner, requireToken, resolveIgUser } from './auth.js';
import { CONTAINER_FAILURES, containerErrorStatus, errors } from './errors.js';
import { fetchMedia } from './fetchMedia.js';
import { parseFields, renderNode, type NodeSchema } from './fields.js';
import { IMAGE_HEAD_BYTES, VIDEO_HEAD_BYTES, probeImage, probeVideo } from './mediaProbe.js';
import type { RequestContext, RouteModule, RouteResult } from './router.js';
import { GRAPH_HOSTS } from './router.js';
import { cdnUrl, permalinkFor, type EmulatorState } from './state.js';
import type {
  ContainerFailure,
  ContainerMediaType,
  ContainerStatusCode,
  EmulatedContainer,
  EmulatedIgUser,
  EmulatedMedia,
  ProductType,
} from './types.js';

export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
export const MAX_CAPTION_CHARS = 2200;
export const MAX_HASHTAGS = 30;
export const MAX_MENTIONS = 20;
export const MIN_ASPECT_RATIO = 0.8;
export const MAX_ASPECT_RATIO = 1.91;
/** Reels / carousel video ≤ 300 MB, story video ≤ 100 MB (reference §3.7). */
export const MAX_REEL_BYTES = 300 * 1024 * 1024;
export const MAX_STORY_VIDEO_BYTES = 100 * 1024 * 1024;

const MEDIA_TYPES: readonly string[] = ['IMAGE', 'VIDEO', 'REELS', 'STORIES', 'CAROUSEL'];

export const publishingRoutes: RouteModule = (router) => {
  router.post(GRAPH_HOSTS, '/:id/media', createContainer, (ctx, p) => isIgUserNode(ctx, p['id']!));
  router.post(GRAPH_HOSTS, '/:id/media_publish', publishContainer, (ctx, p) => isIgUserNode(ctx, p['id']!));
  router.get(GRAPH_HOSTS, '/:id/content_publishing_limit', publishingLimit, (ctx, p) => isIgUserNode(ctx, p['id']!));
  router.get(GRAPH_HOSTS, '/:id', containerNode, (ctx, p) => ctx.state.containers.has(p['id']!));
};

// ---------- parameter parsing ----------

/** Parses strict JSON or Meta's relaxed form `[{username:'x',x:0.5}]`. */
export function parseRelaxedJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    const strict = raw
      .replace(/'([^'\\]*(?:\\.[^'\\]*)*)'/g, (_m, inner: string) => JSON.stringify(inner.replace(/\\'/g, "'")))
      .replace(/([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:/g, '$1"$2":');
    return JSON.parse(strict);
  }
}

/** `a,b,c`, `["a","b"]` or `[a,b]` → list of ids / names. */
export function parseList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const trimmed = raw.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed = parseRelaxedJson(trimmed);
      if (Array.isArray(parsed)) return parsed.map((v) => String(v).trim()).filter(Boolean);
    } catch {
      return trimmed.slice(1, -1).split(',').map((s) => s.trim().replace(/^["']|["']$/g, '')).filter(Boolean);
    }
  }
  return trimmed.split(',').map((s) => s.trim()).filter(Boolean);
}

export function countHashtags(caption: string): number {
  return (caption.match(/#[\p{L}\p{N}_]+/gu) ?? []).length;
}

export function countMentions(caption: string): number {
  return (caption.match(/(^|[^\w@])@[A-Za-z0-9._]+/g) ?? []).length;
}

function ratioText(width: number, height: number): string {
  return String(Math.round((width / height) * 1000) / 1000);
}

// ---------- container creation ----------

async function createContainer(ctx: RequestContext): Promise<RouteResult> {
  const { state, params } = ctx;
  const record = requireToken(ctx, 'publish');
  const user = resolveIgUser(ctx, record, ctx.routeParams['id']!);

  const rawType = params['media_type'];
  if (rawType !== undefined && !MEDIA_TYPES.includes(rawType)) throw errors.unknownMediaType(rawType);
  const mediaType = (rawType ?? 'IMAGE') as ContainerMediaType;
  const isCarouselItem = params['is_carousel_item'] === 'true';
  const resumable = params['upload_type'] === 'resumable';
  if (mediaType === 'REELS' && isCarouselItem) throw errors.invalidParam('Reels cannot be carousel items; use media_type=VIDEO');

  // Caption rules apply where a caption is accepted (not on carousel children or stories).
  const caption = params['caption'];
  const captionApplies = !isCarouselItem && mediaType !== 'STORIES';
  if (caption !== undefined && captionApplies) {
    const length = Array.from(caption).length;
    if (length > MAX_CAPTION_CHARS) throw errors.captionTooLong(length);
    if (state.config.hashtagLimit === 'error' && countHashtags(caption) > MAX_HASHTAGS) throw errors.tooManyTags(MAX_HASHTAGS, 'hashtags');
    if (countMentions(caption) > MAX_MENTIONS) throw errors.tooManyTags(MAX_MENTIONS);
  }

  parseUserTags(params['user_tags'], mediaType === 'STORIES' || !!params['video_url'] || mediaType === 'REELS');
  const thumbOffset = parseThumbOffset(params['thumb_offset']);

  const base = {
    id: state.newId('178'),
    ownerId: user.id,
    createdAt: state.now(),
    mediaType,
    isCarouselItem,
    resumable,
    caption: captionApplies ? caption : undefined,
    altText: params['alt_text'],
    params: { ...params },
    readCount: 0,
  };
  delete base.params['access_token'];

  if (mediaType === 'CAROUSEL') return createCarousel(ctx, user, base);

  const isVideo =
    mediaType === 'REELS' || mediaType === 'VIDEO' || (mediaType === 'STORIES' && (!!params['video_url'] || resumable));
  const productType: ProductType = mediaType === 'STORIES' ? 'STORY' : isVideo && !isCarouselItem ? 'REELS' : 'FEED';

  if (!isVideo) {
    if (resumable) throw errors.invalidParam('upload_type=resumable is only supported for video media');
    const imageUrl = params['image_url'];
    if (!imageUrl) throw errors.paramRequired('image_url');
    const source = await fetchImage(state, imageUrl, productType !== 'STORY');
    const container: EmulatedContainer = {
      ...base,
      kind: 'image',
      productType,
      source,
      processingMs: state.config.processing.imageMs,
      processingStartedAt: state.now(),
    };
    state.containers.set(container.id, container);
    return { json: { id: container.id } };
  }

  if (params['cover_url']) await fetchImage(state, params['cover_url'], false);
  const container: EmulatedContainer = {
    ...base,
    kind: 'video',
    productType,
    processingMs: state.config.processing.videoMs,
    processingStartedAt: null,
  };
  if (resumable) {
    container.upload = { bytesReceived: 0, complete: false };
    state.containers.set(container.id, container);
    const version = ctx.version ?? state.config.defaultApiVersion;
    return { json: { id: container.id, uri: `${state.baseUrl}/rupload.facebook.com/ig-api-upload/${version}/${container.id}` } };
  }
  const videoUrl = params['video_url'];
  if (!videoUrl) throw errors.paramRequired('video_url');
  state.containers.set(container.id, container);
  await fetchVideoInto(state, container, videoUrl, 'video_url', thumbOffset);
  return { json: { id: container.id } };
}

function createCarousel(
  ctx: RequestContext,
  user: EmulatedIgUser,
  base: Omit<EmulatedContainer, 'kind' | 'productType' | 'processingMs' | 'processingStartedAt'>,
): RouteResult {
  const { state } = ctx;
  const children = parseList(ctx.params['children']);
  if (children.length < 2 || children.length > 10) throw errors.carouselChildren();
  for (const childId of children) {
    const child = state.containers.get(childId);
    if (!child || child.ownerId !== user.id || !child.isCarouselItem || child.publishedMediaId) throw errors.mediaNotFound(childId);
  }
  const container: EmulatedContainer = {
    ...base,
    kind: 'carousel',
    productType: 'FEED',
    children,
    source: { via: 'children', bytes: 0 },
    processingMs: state.config.processing.imageMs,
    processingStartedAt: state.now(),
  };
  state.containers.set(container.id, container);
  return { json: { id: container.id } };
}

function parseUserTags(raw: string | undefined, positionsOptional: boolean): unknown[] | undefined {
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = parseRelaxedJson(raw);
  } catch {
    throw errors.invalidParam('Param user_tags must be a JSON array of {username, x, y}');
  }
  if (!Array.isArray(parsed)) throw errors.invalidParam('Param user_tags must be a JSON array of {username, x, y}');
  if (parsed.length > MAX_MENTIONS) throw errors.tooManyTags(MAX_MENTIONS);
  for (const tag of parsed) {
    const t = tag as { username?: unknown; x?: unknown; y?: unknown };
    if (!t || typeof t.username !== 'string') throw errors.invalidParam('Each user tag needs a username');
    const hasPosition = t.x !== undefined || t.y !== undefined;
    if (!hasPosition && positionsOptional) continue;
    const x = Number(t.x);
    const y = Number(t.y);
    if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) throw errors.invalidParam('User tag x and y must be between 0.0 and 1.0');
  }
  return parsed;
}

function parseThumbOffset(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw errors.thumbOffset('the video length');
  return value;
}

/** Fetches and checks an image synchronously (fetch, size, format, aspect ratio). */
async function fetchImage(state: EmulatorState, url: string, checkRatio: boolean): Promise<EmulatedContainer['source']> {
  const result = await fetchMedia(url, {
    maxBytes: MAX_IMAGE_BYTES,
    headBytes: IMAGE_HEAD_BYTES,
    allowPrivate: state.config.allowPrivateFetch,
  });
  if (!result.ok) throw errors.fetchFailed(url);
  if (result.tooLarge) throw errors.imageTooLarge();
  const probe = probeImage(result.head);
  if (probe.format !== 'jpeg') throw errors.imageFormat(probe.format === 'unknown' ? 'unknown' : probe.format.toUpperCase());
  if (checkRatio && probe.width && probe.height) {
    const ratio = probe.width / probe.height;
    // 4:5 is exact; "1.91:1" is itself rounded, so crops such as 1200×628 (1.9108) pass.
    if (ratio < MIN_ASPECT_RATIO || ratio > MAX_ASPECT_RATIO + 0.005) throw errors.aspectRatio(ratioText(probe.width, probe.height));
  }
  return { via: 'image_url', url, bytes: result.bytes, sha256: result.sha256, format: probe.format, width: probe.width, height: probe.height };
}

/**
 * Fetches a video URL into a container; problems become the container's (delayed) ERROR. For a
 * resumable container (`file_url` header) an unreachable URL leaves the upload open for a retry and
 * returns false.
 */
export async function fetchVideoInto(
  state: EmulatorState,
  container: EmulatedContainer,
  url: string,
  via: 'video_url' | 'file_url',
  thumbOffset = parseThumbOffsetLoose(container.params['thumb_offset']),
): Promise<boolean> {
  const maxBytes = container.productType === 'STORY' ? MAX_STORY_VIDEO_BYTES : MAX_REEL_BYTES;
  const result = await fetchMedia(url, {
    maxBytes,
    headBytes: VIDEO_HEAD_BYTES,
    range: true,
    allowPrivate: state.config.allowPrivateFetch,
  });
  if (!result.ok && container.upload) return false;
  if (!result.ok) {
    container.source = { via, url, bytes: 0 };
    container.failure = CONTAINER_FAILURES.fetch(url);
  } else if (state.config.requireRangeSupport && result.status !== 206) {
    container.source = { via, url, bytes: result.bytes };
    container.failure = CONTAINER_FAILURES.rangeUnsupported();
  } else {
    container.source = { via, url, bytes: result.bytes, sha256: result.sha256 };
    container.failure = result.tooLarge ? CONTAINER_FAILURES.videoTooLarge() : inspectVideo(container, result.head, thumbOffset);
  }
  if (container.upload) {
    container.upload.bytesReceived = container.source.bytes;
    container.upload.fileSize = container.source.bytes;
    container.upload.complete = true;
    container.upload.sha256 = container.source.sha256;
  }
  // Processing starts once the bytes are in.
  container.processingStartedAt = state.now();
  return true;
}

function parseThumbOffsetLoose(raw: string | undefined): number | undefined {
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** Checks video bytes (container format, duration range, thumb_offset); returns the failure, if any. */
export function inspectVideo(container: EmulatedContainer, head: Buffer, thumbOffset?: number): ContainerFailure | undefined {
  const probe = probeVideo(head);
  if (probe.container === 'unknown') return CONTAINER_FAILURES.videoFormat();
  if (container.source) {
    container.source.format = probe.container;
    if (probe.durationMs !== undefined) container.source.durationMs = probe.durationMs;
  }
  if (probe.durationMs !== undefined) {
    const maxMs = container.productType === 'STORY' ? 60_000 : 15 * 60_000;
    if (probe.durationMs < 3_000 || probe.durationMs > maxMs) return CONTAINER_FAILURES.videoFormat();
    if (thumbOffset !== undefined && thumbOffset >= probe.durationMs) return CONTAINER_FAILURES.thumbOffset(probe.durationMs);
  }
  return undefined;
}

// ---------- container status ----------

const STATUS_TEXT: Record<Exclude<ContainerStatusCode, 'ERROR'>, string> = {
  IN_PROGRESS: 'In Progress: Media is still being processed.',
  FINISHED: 'Finished: Media has been uploaded and it is ready to be published.',
  PUBLISHED: 'Published: Media has been successfully published.',
  EXPIRED: 'Expired: Media was not published within 24 hours of its creation.',
};

/** A container read as a lagging replica would answer it (a stale_status fault); other answers pass as they are. */
export function staleContainerView(json: unknown, statusCode: ContainerStatusCode): unknown {
  if (!json || typeof json !== 'object' || !('status_code' in json)) return json;
  const view: Record<string, unknown> = { ...json, status_code: statusCode };
  if ('status' in view) view['status'] = statusCode === 'ERROR' ? containerErrorStatus(2207001) : STATUS_TEXT[statusCode];
  return view;
}

export const containerSchema: NodeSchema<EmulatedContainer> = {
  typeName: 'ShadowIGMediaBuilder',
  id: (c) => c.id,
  fields: {
    status_code: (c, _s, ctx) => ctx.state.containerStatus(c),
    status: (c, _s, ctx) => {
      const code = ctx.state.containerStatus(c);
      if (code === 'ERROR') return containerErrorStatus(ctx.state.containerFailure(c)?.subcode ?? 2207001);
      return STATUS_TEXT[code];
    },
    video_status: (c, _s, ctx) => (c.resumable ? videoStatus(ctx.state, c) : undefined),
    copyright_check_status: (c, _s, ctx) => {
      if (c.kind !== 'video') return undefined;
      const done = ctx.state.processingDone(c);
      return { status: done ? 'completed' : c.processingStartedAt === null ? 'not_started' : 'in_progress', matches_found: false };
    },
  },
  defaultFields: ['id'],
};

export function videoStatus(state: EmulatorState, c: EmulatedContainer): Record<string, unknown> {
  const upload = c.upload ?? { bytesReceived: c.source?.bytes ?? 0, complete: c.processingStartedAt !== null };
  const uploading = {
    status: upload.complete ? 'complete' : upload.bytesReceived > 0 ? 'in_progress' : 'not_started',
    bytes_transferred: upload.bytesReceived,
  };
  let processing: Record<string, unknown>;
  if (!upload.complete) processing = { status: 'not_started' };
  else if (!state.processingDone(c)) processing = { status: 'in_progress' };
  else if (c.failure) processing = { status: 'error', errors: [{ code: c.failure.subcode, message: c.failure.message }] };
  else processing = { status: 'complete' };
  const publishing = { status: c.publishedMediaId ? 'complete' : 'not_started' };
  return { uploading_phase: uploading, processing_phase: processing, publishing_phase: publishing };
}

function containerNode(ctx: RequestContext): RouteResult {
  const { state } = ctx;
  const record = requireToken(ctx);
  const container = state.containers.get(ctx.routeParams['id']!)!;
  requireOwner(ctx, record, container.ownerId, container.id);
  container.readCount++;
  if (container.readCount === 1 && state.config.notFoundAfterCreateRate > 0 && state.prng.next() < state.config.notFoundAfterCreateRate) {
    throw errors.unsupportedRequest('get', container.id);
  }
  return { json: renderNode(containerSchema, container, parseFields(ctx.params['fields']), ctx) };
}

// ---------- publish ----------

function publishContainer(ctx: RequestContext): RouteResult {
  const { state, params } = ctx;
  const record = requireToken(ctx, 'publish');
  const user = resolveIgUser(ctx, record, ctx.routeParams['id']!);
  const creationId = params['creation_id'];
  if (!creationId) throw errors.paramRequired('creation_id');
  const container = state.containers.get(creationId);
  if (!container || container.ownerId !== user.id) throw errors.mediaNotFound(creationId);
  const status = state.containerStatus(container);
  if (status === 'PUBLISHED') {
    throw state.config.republishError === 'builder_not_found'
      ? errors.builderNotFound(creationId)
      : errors.invalidParam(`The media with creation id = ${creationId} has already been published`);
  }
  if (status === 'EXPIRED') {
    throw state.config.expiredPublishError === 'builder_not_found' ? errors.builderNotFound(creationId) : errors.mediaExpired();
  }
  if (container.isCarouselItem) {
    throw errors.invalidParam('A carousel item cannot be published on its own; publish its CAROUSEL container');
  }
  if (state.quotaUsage(user.id) >= state.config.quotaTotal) throw errors.quotaReached();
  if (status !== 'FINISHED') throw errors.notReady();
  const media = publishMedia(state, container, user);
  return { json: { id: media.id } };
}

/** Turns a FINISHED container into a media object (and its children) readable through /media. */
export function publishMedia(state: EmulatorState, container: EmulatedContainer, user: EmulatedIgUser): EmulatedMedia {
  const now = state.now();
  const id = state.newId('179');
  const media: EmulatedMedia = {
    id,
    ownerId: user.id,
    mediaType: container.kind === 'carousel' ? 'CAROUSEL_ALBUM' : container.kind === 'video' ? 'VIDEO' : 'IMAGE',
    productType: container.productType,
    caption: container.caption,
    timestamp: now,
    shortcode: state.newShortcode(),
    mediaUrl: cdnUrl(id, container.kind === 'video' ? 'mp4' : 'jpg'),
    thumbnailUrl: container.kind === 'video' ? cdnUrl(id, 'jpg') : undefined,
    likeCount: 0,
    commentsCount: 0,
    isCommentEnabled: true,
    isSharedToFeed: container.productType === 'REELS' ? container.params['share_to_feed'] !== 'false' : undefined,
    altText: container.altText,
    containerId: container.id,
    viaApi: true,
    collaborators: container.params['collaborators'] ? parseList(container.params['collaborators']) : undefined,
    locationId: container.params['location_id'],
    isAiGenerated: container.params['is_ai_generated'] === 'true' ? true : undefined,
  };
  if (container.params['user_tags']) {
    try {
      media.userTags = parseRelaxedJson(container.params['user_tags']);
    } catch {
      // validated at creation
    }
  }
  media.permalink = permalinkFor(media, user.username, state.permalinkBase);
  if (container.kind === 'carousel') {
    media.children = [];
    for (const childId of container.children ?? []) {
      const childContainer = state.containers.get(childId);
      if (!childContainer) continue;
      const childId2 = state.newId('179');
      const child: EmulatedMedia = {
        id: childId2,
        ownerId: user.id,
        mediaType: childContainer.kind === 'video' ? 'VIDEO' : 'IMAGE',
        productType: 'FEED',
        timestamp: now,
        shortcode: state.newShortcode(),
        mediaUrl: cdnUrl(childId2, childContainer.kind === 'video' ? 'mp4' : 'jpg'),
        thumbnailUrl: childContainer.kind === 'video' ? cdnUrl(childId2, 'jpg') : undefined,
        likeCount: 0,
        commentsCount: 0,
        isCommentEnabled: true,
        altText: childContainer.altText,
        parentId: id,
        containerId: childId,
        viaApi: true,
      };
      state.addMedia(child);
      childContainer.publishedMediaId = childId2;
      childContainer.publishedAt = now;
      media.children.push(childId2);
    }
  }
  state.addMedia(media);
  container.publishedMediaId = id;
  container.publishedAt = now;
  return media;
}

// ---------- content_publishing_limit ----------

function publishingLimit(ctx: RequestContext): RouteResult {
  const { state, params } = ctx;
  const record = requireToken(ctx, 'basic');
  const user = resolveIgUser(ctx, record, ctx.routeParams['id']!);
  let sinceMs: number | undefined;
  if (params['since']) {
    const since = Number(params['since']);
    if (!Number.isFinite(since)) throw errors.invalidParam('Param since must be a unix timestamp');
    sinceMs = since * 1000;
  }
  const usage = state.quotaUsage(user.id, sinceMs);
  const specs = parseFields(params['fields']);
  const entry: Record<string, unknown> = {};
  for (const spec of specs ?? [{ name: 'quota_usage', modifiers: {} }]) {
    if (spec.name === 'quota_usage') entry['quota_usage'] = usage;
    else if (spec.name === 'config') entry['config'] = { quota_total: state.config.quotaTotal, quota_duration: 86400 };
    else if (spec.name === 'rate_limit_settings') continue; // legacy field: ignored
    else throw errors.nonexistingField(spec.name, 'ContentPublishingLimitResponse');
  }
  return { json: { data: [entry] } };
}
