/**
 * The media library: turns whatever an agent passes as media (a public URL, a local path inside
 * INSTAGRAM_MCP_MEDIA_DIRS, a reference id, inline base64, an HTTP upload, or "the newest unused
 * files") into checked, publishable media; registers uploads under reference ids that expire; hosts
 * local images for Instagram to fetch; applies `fix_media` on request (never silently).
 *
 * URLs are never fetched here: they go to Instagram as they are (so no server-side request can be
 * pointed at a private address), and only what the URL itself says can be checked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp, realpathSync } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../clock.js';
import type { AppConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  checkMedia,
  discoverNewest,
  FileChangedError,
  fileIdentity,
  fixImage,
  isImageTarget,
  MediaFixError,
  MediaHostNotConfiguredError,
  MediaPathError,
  openChecked,
  openLocalMedia,
  probeBuffer,
  probeOpenFile,
  LIMITS,
  type CheckedFile,
  type MediaHost,
  type MediaInfo,
  type MediaIssue,
  type RatioFix,
  type TargetKind,
} from '../media/index.js';
import { isMediaId, type MediaRecord, type Store } from '../store/index.js';
import { MAX_INLINE_BYTES, MAX_INLINE_BASE64_CHARS } from './publishing/bounds.js';
export { MAX_INLINE_BYTES, MAX_INLINE_BASE64_CHARS };

/** Reference ids (uploads, registered files and URLs) live this long. */
export const REFERENCE_TTL_MS = 24 * 60 * 60 * 1000;
/** Largest streamed upload: the largest media Instagram accepts (a 300 MB reel). */
export const MAX_UPLOAD_BYTES = LIMITS.reel.maxBytes;
const STALE_PART_MS = 60 * 60 * 1000;

export type MediaKind = 'image' | 'video';

/** One media input as the tools accept it. */
export interface MediaInput {
  /** A public http(s) URL, a local path inside the media folders, or a 32-hex reference id. */
  source?: string;
  /** Inline base64 bytes (small media), with mime_type. */
  data?: string;
  mimeType?: string;
  /** Says whether a URL is an image or a video when its extension does not. */
  mediaType?: MediaKind;
}

/** A media input after resolution: what the publisher persists with the post and hands to Instagram. */
export interface PreparedMedia {
  kind: MediaKind;
  /** How it reaches Instagram: a URL as given, or a file of ours (hosted or uploaded). */
  delivery: 'url' | 'file';
  url?: string;
  /** Real path of the file (delivery 'file'). */
  path?: string;
  mimeType?: string;
  sizeBytes?: number;
  width?: number;
  height?: number;
  durationMs?: number;
  /** Reference id of the media row (local files, uploads, fixed copies). */
  referenceId?: string;
  /** What fix_media changed. */
  fixes?: string[];
  /** Short, safe label for messages (a file name or the URL's host and file name). */
  label: string;
}

/** A media input as read for a preview: probed bytes (images carry them), or a URL left for the caller. */
export type PreviewMedia =
  | { delivery: 'bytes'; label: string; info: MediaInfo; bytes?: Buffer }
  | { delivery: 'url'; label: string; url: string };

export interface PrepareItem {
  input: MediaInput;
  /** The target whose rules apply, once the media's kind is known (a local file's kind comes from its bytes). */
  targetFor: (kind: MediaKind) => TargetKind;
  /** Kind assumed for a URL whose extension says nothing (and no media_type was given). */
  defaultKind: MediaKind;
  /** Position for messages, e.g. "media[2]" or "cover". */
  field: string;
}

export interface ValidationIssue {
  field: string;
  code: string;
  message: string;
  fixable: boolean;
}

/** A registered piece of media: what a reference id stands for (a URL's type and size are unknown here). */
export interface RegisteredMedia {
  referenceId: string;
  mimeType: string | null;
  sizeBytes: number | null;
  expiresAt: number;
  kind: MediaKind | 'unknown';
  source: 'local' | 'url' | 'upload';
  width: number | null;
  height: number | null;
  durationMs: number | null;
}

export interface MediaLibraryOptions {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  store: Store;
  mediaHost: MediaHost;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|heic|heif|tiff?|avif|bmp)$/i;
const VIDEO_EXT = /\.(mp4|mov|m4v|webm|mkv|avi)$/i;
const EXT_FOR_MIME: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
  'image/gif': '.gif',
  'image/heic': '.heic',
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
};

/** Thrown for an upload that must be answered with an HTTP status (413, 415, 400). */
function httpError(status: number, code: string, message: string, hint?: string): AppError {
  return Object.assign(new AppError(code, message, hint), { status });
}

export class MediaLibrary {
  readonly uploadsDir: string;

  constructor(private readonly o: MediaLibraryOptions) {
    this.uploadsDir = o.config.uploadsDir ?? path.join(o.config.dataDir, 'uploads');
  }

  // ------------------------------------------------------------------ registering media ahead of time

  /**
   * `POST /uploads` (HTTP mode): streams the body to `<dataDir>/uploads/` in constant memory, stopping
   * at MAX_UPLOAD_BYTES, probes it and registers a reference id.
   */
  async registerUpload(owner: string, stream: Readable, meta: { fileName?: string; mimeType?: string } = {}): Promise<RegisteredMedia> {
    await this.ensureUploadsDir();
    const id = randomBytes(16).toString('hex');
    const part = path.join(this.uploadsDir, `${id}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        size += chunk.length;
        if (size > MAX_UPLOAD_BYTES) {
          cb(httpError(413, 'upload_too_large', `The upload is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB, the most Instagram accepts for any media.`, 'Compress or trim the media and upload it again.'));
          return;
        }
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(stream, meter, createWriteStream(part, { mode: 0o600, flags: 'wx' }));
    } catch (err) {
      await fsp.rm(part, { force: true });
      if (err instanceof AppError) throw err;
      throw httpError(400, 'upload_failed', `The upload did not complete (${err instanceof Error ? err.message : String(err)}).`, 'Send the file again.');
    }
    if (size === 0) {
      await fsp.rm(part, { force: true });
      throw httpError(400, 'upload_empty', 'The upload was empty.', 'Send the file bytes as the request body.');
    }
    return this.adoptFile(owner, id, part, hash.digest('hex'), meta.fileName);
  }

  /** `instagram_upload_media`: registers a URL, a local file or inline bytes under a reference id. */
  async register(owner: string, input: MediaInput & { fileName?: string }): Promise<RegisteredMedia> {
    const expiresAt = this.o.clock.now() + REFERENCE_TTL_MS;
    if (input.data !== undefined) {
      const buffer = decodeInline(input.data, 'data');
      await this.checkInlineQuota(owner, buffer.length);
      await this.ensureUploadsDir();
      const id = randomBytes(16).toString('hex');
      const part = path.join(this.uploadsDir, `${id}.part`);
      await fsp.writeFile(part, buffer, { mode: 0o600, flag: 'wx' });
      return this.adoptFile(owner, id, part, createHash('sha256').update(buffer).digest('hex'), input.fileName);
    }
    const source = (input.source ?? '').trim();
    if (!source) throw new AppError('media_missing', 'Give the media to register: source (a URL or a local path) or data (base64) with mime_type.');
    if (isMediaId(source)) {
      const existing = await this.lookup(owner, source, 'source');
      return this.registeredView(existing);
    }
    const kind = classifySource(source);
    if (kind === 'url') {
      const url = normaliseUrl(source, 'source');
      const record = await this.o.store.media.create({
        owner,
        source: 'url',
        localPath: null,
        url,
        checksum: null,
        mimeType: null,
        sizeBytes: null,
        width: null,
        height: null,
        durationMs: null,
        expiresAt,
      });
      return { ...this.registeredView(record), kind: input.mediaType ?? guessKindFromName(url) ?? 'unknown' };
    }
    const file = await this.openLocal(source, 'source');
    try {
      const { record } = await this.registerLocalFile(owner, file);
      return this.registeredView(record);
    } finally {
      await file.handle.close();
    }
  }

  /**
   * Inline bytes are kept as uploads, so they count against the same per-owner quota as `POST /uploads`
   * (INSTAGRAM_MCP_UPLOAD_QUOTA_MB / _FILES): repeated inline calls cannot fill the disk either.
   */
  private async checkInlineQuota(owner: string, bytes: number): Promise<void> {
    const limits = this.o.config.http.uploadQuota;
    const held = await this.o.store.media.heldUploads(owner);
    const hint =
      'Publish or use the media already sent (a file used in a post no longer counts), or wait for their reference ids to expire (24 hours after upload); an operator can raise INSTAGRAM_MCP_UPLOAD_QUOTA_MB and INSTAGRAM_MCP_UPLOAD_QUOTA_FILES.';
    if (held.files + 1 > limits.files) {
      throw new AppError('upload_quota_files', `This identity already holds ${held.files} uploaded files, the most allowed (${limits.files} files).`, hint, { limit: 'files', max_files: limits.files, held_files: held.files });
    }
    if (held.bytes + bytes > limits.bytes) {
      const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
      throw new AppError('upload_quota_bytes', `This media (${mib(bytes)}) would take this identity's uploads past the ${mib(limits.bytes)} allowed (${mib(held.bytes)} held).`, hint, {
        limit: 'bytes',
        max_bytes: limits.bytes,
        held_bytes: held.bytes,
      });
    }
  }

  /** Checks a registered file against the usual targets of its kind (for the upload tool's answer). */
  async checksFor(owner: string, referenceId: string): Promise<Array<{ target: TargetKind; ok: boolean; issues: string[] }>> {
    const record = await this.o.store.media.get(owner, referenceId);
    if (!record?.localPath) return [];
    const info = await this.withFile(record, (file) => probeOpenFile(file.handle)).catch(() => undefined);
    if (!info || info.kind === 'unknown') return [];
    const targets: TargetKind[] = info.kind === 'video' ? ['reel', 'story_video', 'carousel_video'] : ['feed_image', 'carousel_image', 'story_image'];
    return targets.map((target) => {
      const issues = checkMedia(info, target);
      return { target, ok: issues.length === 0, issues: issues.map((i) => i.message) };
    });
  }

  /** Moves a finished `.part` file into place, probes it and creates its media row. */
  private async adoptFile(owner: string, id: string, part: string, checksum: string, fileName?: string): Promise<RegisteredMedia> {
    let info: MediaInfo;
    let identity: string;
    try {
      const file = await openChecked(part, null);
      try {
        info = await probeOpenFile(file.handle);
        identity = file.identity;
      } finally {
        await file.handle.close();
      }
    } catch (err) {
      await fsp.rm(part, { force: true });
      throw err;
    }
    if (info.kind === 'unknown') {
      await fsp.rm(part, { force: true });
      throw httpError(
        415,
        'unsupported_media',
        `The ${fileName ? `file ${safeLabel(fileName)}` : 'upload'} is not a photo or video this server recognises (${info.mimeType}).`,
        'Upload a JPEG (or PNG/WebP to convert with fix_media) image, or an MP4/MOV video.',
      );
    }
    const finalPath = path.join(this.uploadsDir, `${id}${EXT_FOR_MIME[info.mimeType] ?? ''}`);
    await fsp.rename(part, finalPath); // the same inode: the identity holds
    const record = await this.o.store.media.create({
      id,
      owner,
      source: 'upload',
      localPath: finalPath,
      url: null,
      checksum,
      fileIdentity: identity,
      mimeType: info.mimeType,
      sizeBytes: info.sizeBytes,
      width: info.width ?? null,
      height: info.height ?? null,
      durationMs: info.durationMs ?? null,
      expiresAt: this.o.clock.now() + REFERENCE_TTL_MS,
    });
    this.o.logger.info('media registered', { ref: id.slice(0, 8), mimeType: info.mimeType, sizeBytes: info.sizeBytes });
    return this.registeredView(record);
  }

  private registeredView(record: MediaRecord): RegisteredMedia {
    const kind: RegisteredMedia['kind'] = record.mimeType?.startsWith('image/') ? 'image' : record.mimeType?.startsWith('video/') ? 'video' : 'unknown';
    return {
      referenceId: record.id,
      mimeType: record.mimeType,
      sizeBytes: record.sizeBytes,
      expiresAt: record.expiresAt,
      kind,
      source: record.source,
      width: record.width || null,
      height: record.height || null,
      durationMs: record.durationMs || null,
    };
  }

  // ------------------------------------------------------------------ preparing media for a post

  /**
   * Resolves and checks every item before anything reaches Instagram. Problems of all items are
   * collected into one error naming each field and what to fix. With `fixMedia`, fixable image
   * problems are fixed into a new JPEG (reported in `fixes`).
   */
  /** Probes a checked local file through its descriptor and records it as a reference, pinned to its identity. */
  private async registerLocalFile(owner: string, file: CheckedFile): Promise<{ record: MediaRecord; info: MediaInfo }> {
    const info = await probeOpenFile(file.handle);
    const record = await this.o.store.media.create({
      owner,
      source: 'local',
      localPath: file.realPath,
      url: null,
      checksum: null,
      fileIdentity: file.identity,
      mimeType: info.mimeType,
      sizeBytes: info.sizeBytes,
      width: info.width ?? null,
      height: info.height ?? null,
      durationMs: info.durationMs ?? null,
      expiresAt: this.o.clock.now() + REFERENCE_TTL_MS,
    });
    return { record, info };
  }

  async prepare(owner: string, items: PrepareItem[], options: { fixMedia?: RatioFix } = {}): Promise<PreparedMedia[]> {
    const issues: ValidationIssue[] = [];
    const prepared: Array<PreparedMedia | undefined> = [];
    for (const item of items) {
      try {
        prepared.push(await this.prepareOne(owner, item, options.fixMedia, issues));
      } catch (err) {
        prepared.push(undefined);
        issues.push(toIssue(item.field, err));
      }
    }
    const needsHost = prepared.some((p) => p && p.delivery === 'file' && p.kind === 'image');
    if (needsHost && !this.o.mediaHost.isConfigured()) {
      issues.push({
        field: 'media',
        code: 'public_url_required',
        message:
          'Local images must be served to Instagram from a public URL, and none is configured. Either set INSTAGRAM_MCP_PUBLIC_URL to an https address that reaches this server (a reverse proxy, or a tunnel such as cloudflared or ngrok) and restart, or pass a public https URL of the image instead of a local file. (Local videos need no public URL: they go by resumable upload.)',
        fixable: false,
      });
    }
    if (issues.length > 0) throw validationError(issues);
    return prepared as PreparedMedia[];
  }

  /** The newest files in the media folders that no post of this owner used yet. */
  /** The newest unused files: each real path, and its name relative to its media folder (what the user sees). */
  async discover(owner: string, count: number, kinds?: MediaKind[]): Promise<Array<{ path: string; name: string }>> {
    let found;
    try {
      found = await discoverNewest(this.o.config.mediaDirs, { exclude: await this.o.store.media.usedLocalPaths(owner), limit: count, kinds });
    } catch (err) {
      throw toAppError('auto_discover', err);
    }
    if (found.length < count) {
      throw new AppError(
        'auto_discover_short',
        `auto_discover wanted ${count} unused ${kinds?.length === 1 ? `${kinds[0]}s` : 'photos/videos'} in the media folders but found ${found.length}.`,
        `Put the files in ${this.o.config.mediaDirs.join(', ') || 'INSTAGRAM_MCP_MEDIA_DIRS'} (files already used in a post are skipped), or pass the media explicitly.`,
      );
    }
    const dirs = this.o.config.mediaDirs.map((d) => {
      try {
        return realpathSync(d);
      } catch {
        return path.resolve(d);
      }
    });
    return found.map((f) => {
      const dir = dirs.find((d) => f.realPath.startsWith(d + path.sep));
      return { path: f.realPath, name: dir ? path.relative(dir, f.realPath) : path.basename(f.realPath) };
    });
  }

  private async prepareOne(owner: string, item: PrepareItem, fixMedia: RatioFix | undefined, issues: ValidationIssue[]): Promise<PreparedMedia | undefined> {
    const { input, field } = item;
    if (input.data !== undefined) {
      if (!input.mimeType) throw new AppError('mime_type_required', `${field}: inline data needs mime_type (e.g. image/jpeg).`);
      const registered = await this.register(owner, { data: input.data, mimeType: input.mimeType });
      return this.prepareFile(owner, await this.lookup(owner, registered.referenceId, field), item, fixMedia, issues);
    }
    const source = (input.source ?? '').trim();
    if (!source) throw new AppError('media_missing', `${field}: no media given.`);

    if (isMediaId(source)) {
      const record = await this.lookup(owner, source, field);
      if (record.source === 'url') return this.prepareUrl(record.url!, item, issues);
      return this.prepareFile(owner, record, item, fixMedia, issues);
    }
    if (classifySource(source) === 'url') return this.prepareUrl(normaliseUrl(source, field), item, issues);

    const file = await this.openLocal(source, field);
    try {
      // A row per local file used: the reference keeps the probe, and marks the file used for auto_discover.
      const { record, info } = await this.registerLocalFile(owner, file);
      return await this.checkFile(owner, record, file, info, item, fixMedia, issues);
    } finally {
      await file.handle.close();
    }
  }

  private prepareUrl(url: string, item: PrepareItem, issues: ValidationIssue[]): PreparedMedia {
    // No bytes to check (URLs are never fetched here): only what the URL says. An explicit media_type wins
    // over the extension, so a misleading extension never blocks.
    const kind = item.input.mediaType ?? guessKindFromName(url) ?? item.defaultKind;
    const target = item.targetFor(kind);
    const wantKind: MediaKind = isImageTarget(target) ? 'image' : 'video';
    if (kind !== wantKind) {
      issues.push({
        field: item.field,
        code: 'wrong_media_kind',
        message: `${item.field} looks like ${kind === 'video' ? 'a video' : 'an image'} (${urlLabel(url)}) but ${describeTarget(target)} needs ${wantKind === 'video' ? 'a video' : 'an image'}. Pass the right media, or set media_type if the URL's extension misleads.`,
        fixable: false,
      });
    }
    return { kind: wantKind, delivery: 'url', url, label: urlLabel(url) };
  }

  /** A registered file: opened as it was registered (a changed or replaced file is refused), probed through that descriptor. */
  private async prepareFile(owner: string, record: MediaRecord, item: PrepareItem, fixMedia: RatioFix | undefined, issues: ValidationIssue[]): Promise<PreparedMedia | undefined> {
    return this.withFile(record, async (file) => {
      const info = await probeOpenFile(file.handle).catch((err: unknown) => {
        throw new AppError('media_unreadable', `${item.field}: the file of reference ${record.id} can no longer be read (${err instanceof Error ? err.message : String(err)}).`, 'Register the media again.');
      });
      return this.checkFile(owner, record, file, info, item, fixMedia, issues);
    }, item.field);
  }

  private async checkFile(
    owner: string,
    record: MediaRecord,
    file: CheckedFile,
    info: MediaInfo,
    item: PrepareItem,
    fixMedia: RatioFix | undefined,
    issues: ValidationIssue[],
  ): Promise<PreparedMedia | undefined> {
    const filePath = record.localPath!;
    const label = safeLabel(path.basename(filePath));
    const target = item.targetFor(info.kind === 'video' ? 'video' : info.kind === 'image' ? 'image' : item.defaultKind);
    const found = checkMedia(info, target);
    if (found.length === 0) return fromInfo(record, filePath, info, label);

    const allFixable = found.every((i) => i.fixable);
    if (fixMedia && allFixable && isImageTarget(target)) {
      // The bytes come from the descriptor that was checked, never from the path again.
      const fixed = await fixImage(await readAll(file), target, { ratio: fixMedia }).catch((err: unknown) => {
        throw toAppError(item.field, err);
      });
      const copy = await this.storeFixed(owner, fixed.buffer, fixed.info);
      return { ...fromInfo(copy, copy.localPath!, fixed.info, `${label} (fixed)`), fixes: fixed.applied };
    }
    for (const issue of found) issues.push(issueFrom(item.field, label, issue, Boolean(fixMedia)));
    return undefined;
  }

  /** Writes a fixed JPEG under the uploads folder and registers it (it expires like any upload). */
  private async storeFixed(owner: string, buffer: Buffer, info: MediaInfo): Promise<MediaRecord> {
    await this.ensureUploadsDir();
    const id = randomBytes(16).toString('hex');
    const file = path.join(this.uploadsDir, `${id}.jpg`);
    await fsp.writeFile(file, buffer, { mode: 0o600, flag: 'wx' });
    return this.o.store.media.create({
      id,
      owner,
      source: 'upload',
      localPath: file,
      url: null,
      checksum: createHash('sha256').update(buffer).digest('hex'),
      fileIdentity: fileIdentity(await fsp.lstat(file, { bigint: true })),
      mimeType: info.mimeType,
      sizeBytes: info.sizeBytes,
      width: info.width ?? null,
      height: info.height ?? null,
      durationMs: info.durationMs ?? null,
      expiresAt: this.o.clock.now() + REFERENCE_TTL_MS,
    });
  }

  private async lookup(owner: string, id: string, field: string): Promise<MediaRecord> {
    const record = await this.o.store.media.get(owner, id);
    if (!record) {
      throw new AppError('reference_not_found', `${field}: no media with reference id ${id}.`, 'Register the media with instagram_upload_media (or pass a URL or local path) and use the reference id it returns.');
    }
    if (record.expiresAt <= this.o.clock.now()) {
      throw new AppError('reference_expired', `${field}: reference id ${id} expired at ${new Date(record.expiresAt).toISOString()}.`, 'Register the media again with instagram_upload_media.');
    }
    if (record.source !== 'url' && !record.localPath) {
      throw new AppError('reference_not_found', `${field}: reference id ${id} has no file.`, 'Register the media again.');
    }
    return record;
  }

  /** Checks a local path and keeps it open: everything about the file is read through that descriptor. */
  private async openLocal(source: string, field: string): Promise<CheckedFile> {
    try {
      return await openLocalMedia(source, this.o.config.mediaDirs);
    } catch (err) {
      throw toAppError(field, err);
    }
  }

  /**
   * Opens the file of a media row as it was registered (no link followed, the same device, inode, size
   * and mtime), runs `use` on it and closes it; a changed or replaced file is refused.
   */
  private async withFile<T>(record: MediaRecord, use: (file: CheckedFile) => Promise<T>, field?: string): Promise<T> {
    let file: CheckedFile;
    try {
      file = await this.openRow(record);
    } catch (err) {
      if (!(err instanceof FileChangedError)) throw toAppError(field ?? 'media', err);
      throw new AppError(
        'media_changed',
        `${field ? `${field}: ` : ''}the file of reference id ${record.id} (${safeLabel(path.basename(record.localPath!))}) was changed or replaced since it was registered, so it was not used.`,
        'Check the file, then register the file again with instagram_upload_media (or pass its path) and use the new reference id.',
      );
    }
    try {
      return await use(file);
    } finally {
      await file.handle.close();
    }
  }

  /** A row's file as registered; a row from before identities were recorded must still lie in its folders. */
  private openRow(record: MediaRecord): Promise<CheckedFile> {
    if (record.fileIdentity) return openChecked(record.localPath!, record.fileIdentity);
    return openChecked(record.localPath!, null, record.source === 'local' ? this.o.config.mediaDirs : [this.uploadsDir]);
  }

  /**
   * The file of a post's medium, opened for upload as it was checked when the post was planned; the
   * caller reads it through the handle and closes it. A changed or replaced file is an AppError.
   */
  async openForUpload(media: Pick<PreparedMedia, 'path' | 'referenceId' | 'label'>): Promise<CheckedFile> {
    const record = media.referenceId ? (await this.o.store.media.getById(media.referenceId)) : undefined;
    try {
      if (record && record.localPath === media.path) return await this.openRow(record);
      return await openChecked(media.path!, null, [...this.o.config.mediaDirs, this.uploadsDir]);
    } catch (err) {
      if (err instanceof FileChangedError) throw changedInFlight(media.label);
      throw err;
    }
  }

  // ------------------------------------------------------------------ previews (read only)

  /**
   * One media input resolved for a preview, read only: nothing is registered, marked used or hosted.
   * A local file (inside the media folders), a reference id's file or inline bytes come back probed,
   * with the bytes of an image; a URL comes back as it is (this library never fetches URLs).
   * Unusable input (a path outside the media folders, an unknown reference, bad base64) is an AppError.
   */
  async readForPreview(owner: string, input: MediaInput, field: string): Promise<PreviewMedia> {
    if (input.data !== undefined) {
      const bytes = decodeInline(input.data, field);
      const info = probeBuffer(bytes);
      return { delivery: 'bytes', label: `inline ${info.mimeType}`, info, ...(info.kind === 'image' ? { bytes } : {}) };
    }
    const source = (input.source ?? '').trim();
    if (!source) throw new AppError('media_missing', `${field}: no media given.`, 'Pass a local path inside the media folders, a reference id, a URL, or data (base64).');
    if (isMediaId(source)) {
      const record = await this.lookup(owner, source, field);
      if (record.source === 'url') return { delivery: 'url', url: record.url!, label: urlLabel(record.url!) };
      return this.withFile(record, (file) => readPreviewFile(file), field);
    }
    if (classifySource(source) === 'url') {
      const url = normaliseUrl(source, field);
      return { delivery: 'url', url, label: urlLabel(url) };
    }
    const file = await this.openLocal(source, field);
    try {
      return await readPreviewFile(file);
    } finally {
      await file.handle.close();
    }
  }

  private async ensureUploadsDir(): Promise<void> {
    await fsp.mkdir(this.uploadsDir, { recursive: true, mode: 0o700 });
  }

  // ------------------------------------------------------------------ hosting

  /** Serves a file of ours at the public URL until revoked or fetched (plus the host's grace period). */
  async host(media: PreparedMedia): Promise<{ url: string; token: string }> {
    // Pinned to the file as it was checked: the route serves nothing once it is changed or replaced.
    const record = media.referenceId ? (await this.o.store.media.getById(media.referenceId)) : undefined;
    const identity = record?.localPath === media.path ? record?.fileIdentity : undefined;
    try {
      const hosted = await this.o.mediaHost.publishShared({ path: media.path!, identity }, { mimeType: media.mimeType ?? 'application/octet-stream', fileName: media.label, expireAfterFetch: true });
      return { url: hosted.url, token: hosted.token };
    } catch (err) {
      if (err instanceof MediaHostNotConfiguredError) throw new AppError('public_url_required', err.message);
      if (err instanceof FileChangedError) throw changedInFlight(media.label);
      throw err;
    }
  }

  canHost(): boolean {
    return this.o.mediaHost.isConfigured();
  }

  revoke(token: string): void {
    this.o.mediaHost.revoke(token);
  }

  async markUsed(media: PreparedMedia[], postId: string): Promise<void> {
    const ids = media.map((m) => m.referenceId).filter((id): id is string => Boolean(id));
    await this.o.store.media.markUsed(ids, postId);
  }

  // ------------------------------------------------------------------ cleanup

  /**
   * Deletes expired references and the files this server owns (uploads, fixed copies), except those
   * a post still in flight needs. Rows of local files that were used stay: they remember which files
   * auto_discover must skip. The user's own files are never deleted.
   */
  async cleanupExpired(): Promise<{ deleted: number; kept: number }> {
    let deleted = 0;
    let kept = 0;
    const inFlight = new Set((await this.o.store.posts.listInFlight()).map((p) => p.id));
    for (const record of (await this.o.store.media.listExpired())) {
      if (record.usedByPostId && inFlight.has(record.usedByPostId)) {
        kept++;
        continue;
      }
      if (record.source === 'local' && record.usedByPostId) {
        kept++;
        continue;
      }
      if (record.source === 'upload' && record.localPath && isInside(record.localPath, this.uploadsDir)) {
        await fsp.rm(record.localPath, { force: true }).catch((err: unknown) => this.o.logger.warn('could not delete an expired upload', { ref: record.id.slice(0, 8), error: String(err) }));
      }
      await this.o.store.media.delete(record.id);
      deleted++;
    }
    await this.removeStaleParts();
    if (deleted) this.o.logger.info('expired media cleaned up', { deleted, kept });
    return { deleted, kept };
  }

  private async removeStaleParts(): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.uploadsDir);
    } catch {
      return;
    }
    const now = Date.now(); // file mtimes are wall-clock time
    for (const name of names) {
      if (!name.endsWith('.part')) continue;
      const file = path.join(this.uploadsDir, name);
      const st = await fsp.stat(file).catch(() => undefined);
      if (st && now - st.mtimeMs > STALE_PART_MS) await fsp.rm(file, { force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------- helpers

export function classifySource(source: string): 'url' | 'reference' | 'path' {
  if (isMediaId(source)) return 'reference';
  // Any scheme but file:// is a URL (and normaliseUrl refuses the ones Instagram cannot fetch).
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !/^file:/i.test(source)) return 'url';
  return 'path';
}

/** Checks the scheme and makes the URL US-ASCII (Instagram's requirement) by percent-encoding. */
export function normaliseUrl(source: string, field: string): string {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new AppError('invalid_url', `${field}: '${source.slice(0, 100)}' is not a valid URL.`, 'Pass a public http(s) URL, a local file path inside the media folders, or a reference id.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('invalid_url', `${field}: only http(s) URLs can be given to Instagram (got ${url.protocol}).`, 'Pass a public https URL, or a local file path.');
  }
  if (url.username || url.password) {
    throw new AppError('invalid_url', `${field}: the URL carries credentials, which must not be sent to Instagram.`, 'Use a public URL without user:password.');
  }
  return url.href;
}

export function guessKindFromName(name: string): MediaKind | undefined {
  let pathname = name;
  try {
    pathname = new URL(name).pathname;
  } catch {
    // a file name
  }
  if (VIDEO_EXT.test(pathname)) return 'video';
  if (IMAGE_EXT.test(pathname)) return 'image';
  return undefined;
}

function urlLabel(url: string): string {
  try {
    const u = new URL(url);
    const file = u.pathname.split('/').filter(Boolean).pop() ?? '';
    return safeLabel(`${u.host}/${file}`);
  } catch {
    return 'the URL';
  }
}

function safeLabel(name: string): string {
  return name.replace(/[^\w.\-/ ()@]/g, '_').slice(0, 80);
}

function describeTarget(target: TargetKind): string {
  return `a ${target.replace('_', ' ')}`;
}

function isInside(child: string, dir: string): boolean {
  const rel = path.relative(dir, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** A post's file found changed between its check and its use. */
function changedInFlight(label: string): AppError {
  return new AppError(
    'media_changed',
    `The file ${label} was changed or replaced after it was checked, so it was not sent to Instagram.`,
    'Check the file, then publish it again (pass its path, or register it again with instagram_upload_media).',
  );
}

/** The whole file, read through its checked descriptor (images fix_media handles are small). */
async function readAll(file: CheckedFile): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(file.sizeBytes);
  let got = 0;
  while (got < buffer.length) {
    const { bytesRead } = await file.handle.read(buffer, got, buffer.length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buffer.subarray(0, got);
}

/** Images larger than this are not read for a preview (no photo is; the limit keeps memory bounded). */
const PREVIEW_MAX_IMAGE_BYTES = 64 * 1024 * 1024;

async function readPreviewFile(file: CheckedFile): Promise<PreviewMedia> {
  const info = await probeOpenFile(file.handle);
  const label = safeLabel(path.basename(file.realPath));
  const readable = info.kind === 'image' && file.sizeBytes <= PREVIEW_MAX_IMAGE_BYTES;
  return { delivery: 'bytes', label, info, ...(readable ? { bytes: await readAll(file) } : {}) };
}

function fromInfo(record: MediaRecord, filePath: string, info: MediaInfo, label: string): PreparedMedia {
  return {
    kind: info.kind === 'video' ? 'video' : 'image',
    delivery: 'file',
    path: filePath,
    mimeType: info.mimeType,
    sizeBytes: info.sizeBytes,
    ...(info.width ? { width: info.width } : {}),
    ...(info.height ? { height: info.height } : {}),
    ...(info.durationMs !== undefined ? { durationMs: info.durationMs } : {}),
    referenceId: record.id,
    label,
  };
}

function issueFrom(field: string, label: string, issue: MediaIssue, fixRequested: boolean): ValidationIssue {
  const suffix = issue.fixable && !fixRequested ? " Retry with fix_media: 'pad' or 'crop' to have it fixed (the fixed copy is a new JPEG; your file is not changed)." : '';
  return { field, code: issue.code, message: `${field} (${label}): ${issue.message}${suffix}`, fixable: issue.fixable };
}

function decodeInline(data: string, field: string): Buffer {
  const clean = data.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
  if (clean.length > MAX_INLINE_BASE64_CHARS) {
    throw new AppError('inline_too_large', `${field}: inline media is limited to ${MAX_INLINE_BYTES / 1024 / 1024} MiB.`, 'Pass a local file path, a URL, or upload larger media through the /uploads endpoint.');
  }
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) {
    throw new AppError('inline_not_base64', `${field}: inline data must be base64.`, 'Encode the file bytes as base64.');
  }
  const buffer = Buffer.from(clean, clean.includes('-') || clean.includes('_') ? 'base64url' : 'base64');
  if (buffer.length === 0) throw new AppError('inline_empty', `${field}: inline data is empty.`);
  if (buffer.length > MAX_INLINE_BYTES) {
    throw new AppError('inline_too_large', `${field}: inline media is limited to ${MAX_INLINE_BYTES / 1024 / 1024} MiB.`, 'Pass a local file path or a URL instead.');
  }
  const info = probeBuffer(buffer);
  if (info.kind === 'unknown') throw new AppError('unsupported_media', `${field}: the inline bytes are not a photo or video this server recognises.`, 'Send a JPEG/PNG/WebP image or an MP4/MOV video.');
  return buffer;
}

/** The media layer's messages say what is wrong, then what to do: "<problem>. <Remedy…>". */
function problemAndRemedy(message: string): [string, string | undefined] {
  const split = /\.\s+(?=[A-Z])/.exec(message);
  return split ? [message.slice(0, split.index + 1), message.slice(split.index + split[0].length)] : [message, undefined];
}

/** Turns media-layer errors into agent errors that say what to do. */
export function toAppError(field: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof MediaPathError || err instanceof MediaFixError) {
    const [problem, remedy] = problemAndRemedy(err.message);
    return new AppError(`${err instanceof MediaPathError ? 'media' : 'fix'}_${err.code}`, `${field}: ${problem}`, remedy);
  }
  if (err instanceof MediaHostNotConfiguredError) return new AppError('public_url_required', err.message);
  return new AppError('media_error', `${field}: ${err instanceof Error ? err.message : String(err)}`);
}

function toIssue(field: string, err: unknown): ValidationIssue {
  if (err instanceof AppError && err.code === 'validation_failed') {
    const nested = (err.details?.issues as ValidationIssue[] | undefined)?.[0];
    if (nested) return nested;
  }
  const e = toAppError(field, err);
  return { field, code: e.code, message: e.hint ? `${e.message} ${e.hint}` : e.message, fixable: false };
}

/** One error listing every problem found before any API call. */
export function validationError(issues: ValidationIssue[]): AppError {
  const fixable = issues.some((i) => i.fixable);
  const lines = issues.map((i) => `- ${i.message}`).join('\n');
  return new AppError(
    'validation_failed',
    `Nothing was sent to Instagram: ${issues.length === 1 ? 'one problem needs' : `${issues.length} problems need`} fixing first.\n${lines}`,
    fixable ? "Fix the items listed; the ones marked fixable are fixed for you when you retry with fix_media: 'pad' (adds borders) or 'crop'." : 'Fix the items listed and call again.',
    { issues },
  );
}
