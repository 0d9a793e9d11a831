/**
 * Content publishing (reference §3): containers, status, publish, quota, permalink, rupload.
 */
import { createReadStream } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import { z } from 'zod';
import { registerSecret } from '../log.js';
import { graphHostFor, parseResponse, seg, zId, zNum, type AccountAuth } from './account.js';
import { classifyGraphError, GraphError } from './errors.js';
import { joinUrl, type GraphHttp } from './http.js';

export type ContainerMediaType = 'REELS' | 'STORIES' | 'VIDEO' | 'CAROUSEL' | 'IMAGE';

export interface UserTag {
  username: string;
  /** 0.0–1.0; required for images, optional for stories, not used for reels. */
  x?: number;
  y?: number;
}

export interface ContainerParams {
  imageUrl?: string;
  videoUrl?: string;
  /** Omit (or IMAGE) for a single image: IMAGE is never sent, Meta infers it. */
  mediaType?: ContainerMediaType;
  isCarouselItem?: boolean;
  caption?: string;
  altText?: string;
  locationId?: string;
  userTags?: UserTag[];
  collaborators?: string[];
  coverUrl?: string;
  /** Milliseconds into the video. */
  thumbOffset?: number;
  shareToFeed?: boolean;
  audioName?: string;
  /** Carousel children container ids (2–10). */
  children?: string[];
  uploadType?: 'resumable';
}

/** The form fields of POST /<IG_ID>/media for these params (exported for tests and the emulator). */
export function containerForm(params: ContainerParams): Record<string, string | undefined> {
  const form: Record<string, string | undefined> = {
    image_url: params.imageUrl,
    video_url: params.videoUrl,
    media_type: params.mediaType && params.mediaType !== 'IMAGE' ? params.mediaType : undefined,
    is_carousel_item: params.isCarouselItem === undefined ? undefined : String(params.isCarouselItem),
    caption: params.caption,
    alt_text: params.altText,
    location_id: params.locationId,
    user_tags: params.userTags?.length
      ? JSON.stringify(
          params.userTags.map((t) => ({
            username: t.username.replace(/^@/, ''),
            ...(t.x !== undefined ? { x: t.x } : {}),
            ...(t.y !== undefined ? { y: t.y } : {}),
          })),
        )
      : undefined,
    collaborators: params.collaborators?.length ? JSON.stringify(params.collaborators.map((c) => c.replace(/^@/, ''))) : undefined,
    cover_url: params.coverUrl,
    thumb_offset: params.thumbOffset === undefined ? undefined : String(Math.round(params.thumbOffset)),
    share_to_feed: params.shareToFeed === undefined ? undefined : String(params.shareToFeed),
    audio_name: params.audioName,
    children: params.children?.length ? params.children.join(',') : undefined,
    upload_type: params.uploadType,
  };
  return form;
}

const zContainerCreated = z.object({ id: zId, uri: z.string().optional() });

export interface ContainerCreated {
  id: string;
  /** rupload URI, present with uploadType 'resumable'. */
  uri?: string;
}

export async function createContainer(
  http: GraphHttp,
  auth: AccountAuth,
  params: ContainerParams,
  signal?: AbortSignal,
): Promise<ContainerCreated> {
  registerSecret(auth.accessToken);
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'POST',
    path: `/${seg(auth.igUserId)}/media`,
    form: containerForm(params),
    token: auth.accessToken,
    accountId: auth.igUserId,
    // A duplicate container is harmless (never published unless asked): retry like a read.
    retry: 'idempotent_write',
    signal,
  });
  const c = parseResponse(zContainerCreated, res.data, 'container creation');
  return c.uri ? { id: c.id, uri: c.uri } : { id: c.id };
}

export type ContainerStatusCode = 'EXPIRED' | 'ERROR' | 'FINISHED' | 'IN_PROGRESS' | 'PUBLISHED';

const zContainerStatus = z.object({
  id: zId,
  status_code: z.enum(['EXPIRED', 'ERROR', 'FINISHED', 'IN_PROGRESS', 'PUBLISHED']),
  status: z.string().optional(),
  video_status: z
    .object({
      uploading_phase: z.object({ status: z.string().optional(), bytes_transferred: zNum.optional() }).optional(),
      processing_phase: z.object({ status: z.string().optional() }).optional(),
    })
    .loose()
    .optional(),
});

export interface ContainerStatus {
  id: string;
  statusCode: ContainerStatusCode;
  status?: string;
  /** Parsed from the status string ("... error code 2207026"). */
  errorSubcode?: number;
  /** video_status.uploading_phase.bytes_transferred (resumable uploads). */
  bytesTransferred?: number;
  uploadingPhase?: string;
  processingPhase?: string;
}

/** Extracts a publishing subcode from a container status string. */
export function parseStatusSubcode(status: string | undefined): number | undefined {
  if (!status) return undefined;
  const m = /\b(2207\d{3})\b/.exec(status) ?? /error code[:\s]+(\d{4,})/i.exec(status);
  return m ? Number(m[1]) : undefined;
}

export async function getContainerStatus(
  http: GraphHttp,
  auth: AccountAuth,
  containerId: string,
  signal?: AbortSignal,
): Promise<ContainerStatus> {
  const ask = (fields: string) =>
    http.request({
      host: graphHostFor(auth.loginType),
      method: 'GET',
      path: `/${seg(containerId)}`,
      query: { fields },
      token: auth.accessToken,
      accountId: auth.igUserId,
      signal,
    });
  let res;
  try {
    res = await ask('id,status_code,status,video_status');
  } catch (err) {
    // Requesting a field a host does not know fails the whole call: fall back without video_status.
    if (err instanceof GraphError && err.code === 100 && err.subcode === undefined && /video_status/.test(err.message)) {
      res = await ask('id,status_code,status');
    } else {
      throw err;
    }
  }
  const s = parseResponse(zContainerStatus, res.data, 'container status');
  const out: ContainerStatus = { id: s.id, statusCode: s.status_code };
  if (s.status) out.status = s.status;
  const subcode = parseStatusSubcode(s.status);
  if (subcode !== undefined) out.errorSubcode = subcode;
  const uploading = s.video_status?.uploading_phase;
  if (uploading?.bytes_transferred !== undefined) out.bytesTransferred = uploading.bytes_transferred;
  if (uploading?.status) out.uploadingPhase = uploading.status;
  if (s.video_status?.processing_phase?.status) out.processingPhase = s.video_status.processing_phase.status;
  return out;
}

/**
 * POST /<IG_ID>/media_publish. Retry policy `write`: retried only when Meta proves nothing happened.
 * On any other failure, read the container status (PUBLISHED?) before trying again.
 */
export async function publishContainer(
  http: GraphHttp,
  auth: AccountAuth,
  creationId: string,
  signal?: AbortSignal,
): Promise<{ mediaId: string }> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'POST',
    path: `/${seg(auth.igUserId)}/media_publish`,
    form: { creation_id: creationId },
    token: auth.accessToken,
    accountId: auth.igUserId,
    retry: 'write',
    signal,
  });
  const p = parseResponse(z.object({ id: zId }), res.data, 'media_publish');
  return { mediaId: p.id };
}

const zPublishingLimit = z.object({
  data: z.array(
    z.object({
      quota_usage: zNum.optional(),
      config: z.object({ quota_total: zNum.optional(), quota_duration: zNum.optional() }).optional(),
    }),
  ),
});

export interface PublishingLimit {
  quotaUsage: number;
  /** Live value from Meta (50 or 100 in practice); null when Meta did not return it. */
  quotaTotal: number | null;
  /** Rolling window in seconds (86400); null when not returned. */
  quotaDurationSec: number | null;
}

export async function getPublishingLimit(
  http: GraphHttp,
  auth: AccountAuth,
  signal?: AbortSignal,
): Promise<PublishingLimit> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(auth.igUserId)}/content_publishing_limit`,
    query: { fields: 'quota_usage,config' },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal,
  });
  const first = parseResponse(zPublishingLimit, res.data, 'content_publishing_limit').data[0];
  return {
    quotaUsage: first?.quota_usage ?? 0,
    quotaTotal: first?.config?.quota_total ?? null,
    quotaDurationSec: first?.config?.quota_duration ?? null,
  };
}

export async function getMediaPermalink(
  http: GraphHttp,
  auth: AccountAuth,
  mediaId: string,
  signal?: AbortSignal,
): Promise<{ permalink: string | null; shortcode: string | null }> {
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(mediaId)}`,
    query: { fields: 'permalink,shortcode' },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal,
  });
  const p = parseResponse(
    z.object({ permalink: z.string().optional(), shortcode: z.string().optional() }),
    res.data,
    'media permalink',
  );
  return { permalink: p.permalink ?? null, shortcode: p.shortcode ?? null };
}

// ---------------------------------------------------------------------------------------------
// rupload

/**
 * Path of the rupload endpoint for a container. The `uri` Meta returns is used for its path only:
 * the configured rupload base URL (which may carry a prefix) always decides the host.
 */
export function ruploadPath(http: GraphHttp, containerId: string, uri?: string): string {
  if (uri) {
    try {
      let path = new URL(uri, 'https://rupload.invalid').pathname;
      const marker = path.indexOf('/ig-api-upload/');
      if (marker > 0) path = path.slice(marker);
      else {
        // An emulator URI may already carry the configured base's path prefix: do not double it.
        const prefix = new URL(http.baseUrls.rupload).pathname.replace(/\/+$/, '');
        if (prefix && path.startsWith(`${prefix}/`)) path = path.slice(prefix.length);
      }
      if (path && path !== '/') return path;
    } catch {
      // fall through to the documented shape
    }
  }
  return `/ig-api-upload/${http.apiVersion}/${seg(containerId)}`;
}

const zRuploadResult = z.object({ success: z.boolean(), message: z.string().optional() }).loose();

function ruploadResult(data: unknown, status: number): { success: true; message?: string } {
  const parsed = zRuploadResult.safeParse(data);
  if (parsed.success && parsed.data.success) {
    return parsed.data.message ? { success: true, message: parsed.data.message } : { success: true };
  }
  const err = classifyGraphError(data, status);
  if (err.kind === 'unknown') err.hint = 'The upload was not accepted: read the container status (bytes transferred) and resume.';
  throw err;
}

export interface ResumableUploadParams {
  /** The `uri` returned by createContainer; only its path is used. */
  uri?: string;
  containerId: string;
  token: string;
  /** The video: a path, or a file the caller opened (and checked), read through that descriptor only. */
  file: { path: string } | { handle: FileHandle };
  /** Byte offset to resume from (video_status.uploading_phase.bytes_transferred); 0 for a new upload. */
  offset: number;
  /** Total size of the file in bytes. */
  fileSize: number;
  signal?: AbortSignal;
  onProgress?: (bytesSent: number) => void;
  /** Overall timeout of the upload request; default 30 minutes. */
  timeoutMs?: number;
  accountId?: string;
}

/**
 * Streams `file` from `offset` to rupload (constant memory). Never retried automatically (a
 * stream cannot be replayed): on failure read the container's bytesTransferred and call again.
 */
export async function uploadVideoResumable(
  http: GraphHttp,
  p: ResumableUploadParams,
): Promise<{ success: true; message?: string }> {
  registerSecret(p.token);
  if (!Number.isInteger(p.offset) || p.offset < 0 || p.offset > p.fileSize) {
    throw new RangeError(`Invalid upload offset ${p.offset} for a file of ${p.fileSize} bytes`);
  }
  const info = 'handle' in p.file ? await p.file.handle.stat() : await stat(p.file.path);
  if (info.size !== p.fileSize) {
    throw new RangeError(`File size changed: expected ${p.fileSize} bytes, found ${info.size}${'path' in p.file ? ` at ${p.file.path}` : ''}`);
  }
  const remaining = p.fileSize - p.offset;
  let sent = p.offset;
  const counter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      sent += chunk.length;
      try {
        p.onProgress?.(sent);
      } catch {
        // a progress callback must not break the upload
      }
      cb(null, chunk);
    },
  });
  const source =
    remaining <= 0 ? undefined : 'handle' in p.file ? p.file.handle.createReadStream({ start: p.offset, end: p.fileSize - 1, autoClose: false }) : createReadStream(p.file.path, { start: p.offset });
  if (source) pipeline(source, counter, () => {});
  else counter.end();

  try {
    const res = await http.request({
      host: 'rupload',
      method: 'POST',
      path: ruploadPath(http, p.containerId, p.uri),
      versioned: false,
      headers: {
        offset: String(p.offset),
        file_size: String(p.fileSize),
        'content-type': 'application/octet-stream',
        'content-length': String(remaining),
      },
      body: counter,
      token: p.token,
      tokenScheme: 'OAuth',
      retry: 'write',
      signal: p.signal,
      timeoutMs: p.timeoutMs ?? 30 * 60_000,
      accountId: p.accountId,
    });
    return ruploadResult(res.data, res.status);
  } finally {
    if (!counter.destroyed) counter.destroy();
    if (source && !source.destroyed) source.destroy();
  }
}

/** Asks Meta to fetch the video from a public URL (file_url header, no body). */
export async function uploadVideoFromUrl(
  http: GraphHttp,
  p: { uri?: string; containerId: string; token: string; fileUrl: string; signal?: AbortSignal; accountId?: string },
): Promise<{ success: true; message?: string }> {
  registerSecret(p.token);
  const res = await http.request({
    host: 'rupload',
    method: 'POST',
    path: ruploadPath(http, p.containerId, p.uri),
    versioned: false,
    headers: { file_url: p.fileUrl },
    token: p.token,
    tokenScheme: 'OAuth',
    retry: 'idempotent_write',
    signal: p.signal,
    accountId: p.accountId,
  });
  return ruploadResult(res.data, res.status);
}

/** Full rupload URL for a container (for display/diagnostics; contains no secret). */
export function ruploadUrl(http: GraphHttp, containerId: string, uri?: string): string {
  return joinUrl(http.baseUrls.rupload, ruploadPath(http, containerId, uri));
}
