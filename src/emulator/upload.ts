/**
 * Resumable upload on rupload.facebook.com (reference §3.6): `POST /ig-api-upload/{version}/{container}`
 * with `Authorization: OAuth <token>`, `offset` and `file_size` headers and a binary body, or a
 * `file_url` header. The body is streamed: bytes are counted and hashed as they arrive and only the
 * head is kept for the ftyp/mvhd check. Bytes received before a connection dies still count, so
 * `video_status.uploading_phase.bytes_transferred` tells a client where to resume.
 */
import { extractToken, lookupAnyToken } from './auth.js';
import { ByteAccumulator } from './fetchMedia.js';
import { VIDEO_HEAD_BYTES } from './mediaProbe.js';
import { MAX_REEL_BYTES, MAX_STORY_VIDEO_BYTES, fetchVideoInto, inspectVideo } from './publishing.js';
import type { RequestContext, RouteModule, RouteResult } from './router.js';
import { CONTAINER_FAILURES } from './errors.js';
import type { EmulatedContainer } from './types.js';

export const uploadRoutes: RouteModule = (router) => {
  router.post(['rupload'], '/ig-api-upload/:id', upload);
};

/** Hash and head of an upload in progress, kept across the requests of one container. */
const progress = new WeakMap<EmulatedContainer, ByteAccumulator>();
/** Containers with a body being received right now (one writer at a time). */
const receiving = new WeakSet<EmulatedContainer>();

function failure(ctx: RequestContext, message: string, status = 400, retriable = false): RouteResult {
  ctx.req.resume(); // discard any body we will not read
  return {
    status,
    json: {
      debug_info: {
        retriable,
        type: 'ProcessingFailedError',
        message: JSON.stringify({ success: false, error: { message } }),
      },
    },
  };
}

const SUCCESS = { success: true, message: 'Upload successful.' };

async function upload(ctx: RequestContext): Promise<RouteResult> {
  const { state } = ctx;
  const token = extractToken({ params: {}, headers: ctx.headers }) ?? ctx.params['access_token'];
  const record = token ? lookupAnyToken(ctx, token) : undefined;
  if (!record) return failure(ctx, 'unauthorized user request', 400);
  const container = state.containers.get(ctx.routeParams['id']!);
  if (!container || !container.resumable) return failure(ctx, `Invalid container id ${ctx.routeParams['id']}`);
  if (!state.accessibleIgUsers(record).some((u) => u.id === container.ownerId)) return failure(ctx, 'unauthorized user request');
  const upload = (container.upload ??= { bytesReceived: 0, complete: false });
  if (upload.complete) {
    return failure(ctx, `The upload is already complete (bytes_transferred = ${upload.bytesReceived}).`);
  }

  const fileUrl = header(ctx, 'file_url');
  if (fileUrl) {
    ctx.req.resume();
    if (receiving.has(container)) return failure(ctx, 'Another upload to this container is still being received.', 409, true);
    if (!(await fetchVideoInto(state, container, fileUrl, 'file_url'))) {
      return failure(ctx, `The media could not be fetched from this uri: ${fileUrl}`, 400, true);
    }
    return { json: SUCCESS };
  }

  const fileSize = Number.parseInt(header(ctx, 'file_size') ?? '', 10);
  if (!Number.isFinite(fileSize) || fileSize <= 0) return failure(ctx, 'The file_size header is required (total bytes of the file).');
  const offset = Number.parseInt(header(ctx, 'offset') ?? '0', 10);
  if (receiving.has(container)) {
    return failure(ctx, `Another upload to this container is still being received (${upload.bytesReceived} bytes so far).`, 409, true);
  }
  if (upload.fileSize !== undefined && upload.fileSize !== fileSize) {
    return failure(ctx, `file_size ${fileSize} does not match the size declared earlier (${upload.fileSize}).`);
  }
  if (!Number.isFinite(offset) || offset !== upload.bytesReceived) {
    return failure(
      ctx,
      `Invalid offset ${header(ctx, 'offset') ?? '(missing)'}: ${upload.bytesReceived} bytes were received so far; resume with offset: ${upload.bytesReceived} (video_status.uploading_phase.bytes_transferred).`,
    );
  }
  upload.fileSize = fileSize;
  let acc = progress.get(container);
  if (!acc) {
    acc = new ByteAccumulator(VIDEO_HEAD_BYTES);
    progress.set(container, acc);
  }

  let overflow = false;
  receiving.add(container);
  try {
    for await (const chunk of ctx.req) {
      const buffer = chunk as Buffer;
      const room = fileSize - upload.bytesReceived;
      if (buffer.length > room) overflow = true;
      const kept = buffer.length > room ? buffer.subarray(0, room) : buffer;
      if (kept.length) {
        acc.push(kept);
        upload.bytesReceived += kept.length;
      }
    }
  } catch {
    // Connection died mid-body: what arrived is recorded; nobody is left to answer.
    return { handled: true };
  } finally {
    receiving.delete(container);
  }
  if (ctx.req.readableAborted || ctx.res.destroyed) return { handled: true };
  if (overflow) return failure(ctx, `The body holds more bytes than file_size (${fileSize}) minus offset (${offset}).`);

  if (upload.bytesReceived === fileSize) {
    upload.complete = true;
    upload.sha256 = acc.digest();
    progress.delete(container);
    container.source = { via: 'upload', bytes: fileSize, sha256: upload.sha256 };
    const limit = container.productType === 'STORY' ? MAX_STORY_VIDEO_BYTES : MAX_REEL_BYTES;
    const thumb = Number(container.params['thumb_offset']);
    container.failure =
      fileSize > limit
        ? CONTAINER_FAILURES.videoTooLarge()
        : inspectVideo(container, acc.head(), Number.isInteger(thumb) && thumb >= 0 ? thumb : undefined);
    // Video processing starts when the last byte arrives.
    container.processingStartedAt = state.now();
  }
  return { json: SUCCESS };
}

function header(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.headers[name] ?? ctx.headers[name.replace(/_/g, '-')];
  return Array.isArray(value) ? value[0] : value;
}
