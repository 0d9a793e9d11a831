/**
 * Serves local media at the configured public URL so Instagram's servers can fetch it
 * ("We cURL media used in publishing attempts"; video is fetched with HTTP Range requests).
 *
 * Each published item gets an unguessable path (32 random bytes, base64url) under `pathPrefix`,
 * lives until revoked or its TTL passes, and is streamed from disk (constant memory) or from a buffer.
 * A file is pinned to the identity it had when it was checked (device, inode, size, mtime): each request
 * opens it without following links and serves from that descriptor only if it is still that file.
 * Lookups hash the presented token before touching the table and compare with timingSafeEqual, so
 * response timing says nothing about valid tokens. Nothing else is ever served: no listing, no paths
 * derived from the URL.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { lstatSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../clock.js';
import { silentLogger, type Logger } from '../log.js';
import { FileChangedError, fileIdentity, openChecked, type CheckedFile } from './localFiles.js';

export interface HostedMedia {
  token: string;
  /** Public URL to hand to Instagram (`image_url`, `video_url`, `cover_url`). */
  url: string;
  /** Epoch ms after which the URL answers 404. */
  expiresAt: number;
  /** GET requests answered with content (200 or 206); HEAD requests are not counted. */
  fetchCount: number;
}

/** What another process needs to serve an item this one published: a file, never bytes in memory. */
export interface SharedHostedMedia {
  /** sha256 of the token, hex: the token itself is never stored. */
  tokenHash: string;
  name: string;
  mimeType: string;
  path: string;
  identity: string;
  expiresAt: number;
}

/**
 * Where the processes sharing a store (hosted mode's replicas) tell each other what they host, so
 * that any of them answers Instagram's fetch of a URL another one handed out, behind one address.
 */
export interface HostedMediaRegistry {
  add(entry: SharedHostedMedia): Promise<void>;
  find(tokenHash: string, now: number): Promise<SharedHostedMedia | undefined>;
  remove(tokenHash: string): Promise<void>;
  removeExpired(now: number): Promise<void>;
}

export interface MediaHostOptions {
  /** Public origin (optionally with a base path) that reaches this server, e.g. https://example.ngrok.app */
  publicBaseUrl: string | undefined;
  /** Path under which media is served. Default '/media'. */
  pathPrefix?: string;
  clock: Clock;
  /** Lifetime of a published item. Default 1 h. */
  ttlMs?: number;
  /**
   * With `expireAfterFetch`, how long the URL stays valid after the first complete GET, so that
   * Meta's follow-up and ranged requests still succeed. Default 60 s.
   */
  expireAfterFetchGraceMs?: number;
  logger?: Logger;
  /** Shares file items with the other processes of this store (hosted mode). */
  registry?: HostedMediaRegistry;
}

export interface PublishOptions {
  mimeType: string;
  /** Used only to pick an extension when the MIME type has no well-known one. */
  fileName?: string;
  /** Expire shortly after the first complete download (see expireAfterFetchGraceMs). Default false. */
  expireAfterFetch?: boolean;
}

/** A file (with the identity it had when checked; without one, the file at the path now) or bytes. */
export type MediaSource = { path: string; identity?: string | null } | { buffer: Buffer };
type StoredSource = { path: string; identity: string } | { buffer: Buffer };

export class MediaHostNotConfiguredError extends Error {
  override readonly name = 'MediaHostNotConfiguredError';
  readonly code = 'not_configured';
}

interface Entry {
  hosted: HostedMedia;
  tokenBytes: Buffer;
  name: string;
  mimeType: string;
  source: StoredSource | undefined;
  createdAt: number;
  expireAfterFetch: boolean;
  revoked: boolean;
}

const DEFAULT_TTL_MS = 60 * 60 * 1000;
const DEFAULT_GRACE_MS = 60 * 1000;
const TOKEN_RE = /^([A-Za-z0-9_-]{43})(\.[a-z0-9]{1,8})?$/;
const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
  'image/gif': '.gif',
  'image/heic': '.heic',
  'image/heif': '.heif',
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
  'video/x-m4v': '.m4v',
};

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function normalisePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '/media').trim();
  const withSlash = p.startsWith('/') ? p : `/${p}`;
  const trimmed = withSlash.replace(/\/+$/, '');
  if (trimmed === '' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed) || trimmed.split('/').some((s) => s === '.' || s === '..')) {
    throw new TypeError(`MediaHost pathPrefix must look like '/media', got '${prefix}'`);
  }
  return trimmed;
}

export class MediaHost {
  private base: string | undefined;
  private basePath = '';
  private configError: string | undefined;
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly graceMs: number;
  private readonly log: Logger;
  private readonly entries = new Map<string, Entry>();
  private readonly registry: HostedMediaRegistry | undefined;

  constructor(opts: MediaHostOptions) {
    this.clock = opts.clock;
    this.registry = opts.registry;
    this.prefix = normalisePrefix(opts.pathPrefix);
    this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    this.graceMs = opts.expireAfterFetchGraceMs ?? DEFAULT_GRACE_MS;
    this.log = opts.logger ?? silentLogger;
    this.configure(opts.publicBaseUrl, 'warn');
  }

  /**
   * Sets (or clears) the public base URL after construction, e.g. to the local HTTP listener's own
   * address in sandbox mode where the emulator fetches from this machine. Items already published
   * keep their URL.
   */
  setPublicBaseUrl(publicBaseUrl: string | undefined): void {
    this.configure(publicBaseUrl, 'debug');
  }

  private configure(publicBaseUrl: string | undefined, level: 'warn' | 'debug'): void {
    this.base = undefined;
    this.basePath = '';
    this.configError = undefined;
    const raw = publicBaseUrl?.trim();
    if (!raw) return;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      this.configError = 'INSTAGRAM_MCP_PUBLIC_URL is set but is not a valid URL';
      this.log.warn('public media URL is invalid; local media hosting disabled', { reason: this.configError });
      return;
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) {
      this.configError =
        'INSTAGRAM_MCP_PUBLIC_URL must be a plain http(s) address such as https://example.ngrok.app (no query, fragment or credentials)';
      this.log.warn('public media URL is invalid; local media hosting disabled', { reason: this.configError });
      return;
    }
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.base = `${url.origin}${this.basePath}`;
    if (url.protocol === 'http:') {
      this.log[level]('public media URL is plain http; Instagram may refuse to fetch it, prefer https');
    }
    if (/^(localhost|127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|\[::1\]|0\.0\.0\.0)/i.test(url.hostname)) {
      this.log[level]('public media URL points at a private/loopback host; Instagram cannot reach it', { host: url.hostname });
    }
  }

  isConfigured(): boolean {
    return this.base !== undefined;
  }

  publish(source: MediaSource, opts: PublishOptions): HostedMedia {
    if (this.base === undefined) {
      throw new MediaHostNotConfiguredError(
        `Cannot publish a local file: ${this.configError ?? 'no public URL is configured'}. Instagram fetches media from a public URL, so either ` +
          `(1) set INSTAGRAM_MCP_PUBLIC_URL to an https address that reaches this server (a reverse proxy, or a tunnel such as cloudflared or ngrok) and restart, ` +
          `(2) pass a public https URL of the media instead of a local path, or ` +
          `(3) for videos, use the resumable upload, which sends the file directly and needs no public URL.`,
      );
    }
    if (typeof opts.mimeType !== 'string' || !/^[a-z]+\/[a-z0-9.+-]+$/i.test(opts.mimeType)) {
      throw new TypeError(`MediaHost.publish: invalid mimeType '${String(opts.mimeType)}'`);
    }
    let stored: StoredSource;
    if ('buffer' in source) {
      if (!Buffer.isBuffer(source.buffer)) throw new TypeError('MediaHost.publish: buffer must be a Buffer');
      stored = { buffer: source.buffer };
    } else {
      // The link itself, never its target: a link (or anything but a regular file) is refused.
      const st = lstatSync(source.path, { bigint: true });
      if (!st.isFile()) throw st.isSymbolicLink() ? new FileChangedError() : new TypeError('MediaHost.publish: path is not a regular file');
      const now = fileIdentity(st);
      if (source.identity && source.identity !== now) throw new FileChangedError();
      stored = { path: source.path, identity: source.identity || now };
    }
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    const name = `${token}${extensionFor(opts.mimeType, opts.fileName)}`;
    const now = this.clock.now();
    const hosted: HostedMedia = {
      token,
      url: `${this.base}${this.prefix}/${name}`,
      expiresAt: now + this.ttlMs,
      fetchCount: 0,
    };
    this.entries.set(hashToken(token), {
      hosted,
      tokenBytes: Buffer.from(token),
      name,
      mimeType: opts.mimeType.toLowerCase(),
      source: stored,
      createdAt: now,
      expireAfterFetch: opts.expireAfterFetch ?? false,
      revoked: false,
    });
    this.log.debug('media published', { ref: token.slice(0, 6), mimeType: opts.mimeType, expiresAt: hosted.expiresAt });
    return hosted;
  }

  /**
   * publish, and with a registry also told to the other processes before it returns, so whichever of
   * them Instagram's fetch reaches can serve the file. A registry that fails leaves the item served
   * here only (logged).
   */
  async publishShared(source: MediaSource, opts: PublishOptions): Promise<HostedMedia> {
    const hosted = this.publish(source, opts);
    const entry = this.registry ? this.lookup(hosted.token) : undefined;
    if (entry?.source && 'path' in entry.source) {
      const shared = { tokenHash: hashToken(hosted.token), name: entry.name, mimeType: entry.mimeType, path: entry.source.path, identity: entry.source.identity, expiresAt: hosted.expiresAt };
      await this.registry!.add(shared).catch((err: unknown) => this.log.warn('could not share a hosted file with the other replicas; only this one serves it', { error: String(err) }));
    }
    return hosted;
  }

  /** The live record for a token (its fetchCount and expiresAt update), while it is still tracked. */
  get(token: string): HostedMedia | undefined {
    return this.lookup(token)?.hosted;
  }

  /** Stops serving the item now. `wasFetched` keeps answering until the next sweep. */
  revoke(token: string): void {
    const entry = this.lookup(token);
    if (!entry) return;
    entry.revoked = true;
    entry.source = undefined;
    entry.hosted.expiresAt = Math.min(entry.hosted.expiresAt, this.clock.now());
    this.registry?.remove(hashToken(token)).catch((err: unknown) => this.log.warn('could not withdraw a shared hosted file', { error: String(err) }));
  }

  wasFetched(token: string): boolean {
    return (this.lookup(token)?.hosted.fetchCount ?? 0) > 0;
  }

  /** Drops expired and revoked entries. */
  sweep(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) {
      if (entry.revoked || now >= entry.hosted.expiresAt) this.entries.delete(key);
    }
  }

  /** Drops the shared registry's expired items (any process may: they are everyone's). */
  async sweepShared(): Promise<void> {
    await this.registry?.removeExpired(this.clock.now());
  }

  handle(req: IncomingMessage, res: ServerResponse): boolean {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://host.invalid').pathname;
    } catch {
      return false;
    }
    const rest = this.matchPrefix(pathname);
    if (rest === undefined) return false;

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': '0' });
      res.end();
      return true;
    }
    const entry = this.active(rest);
    if (!entry) {
      if (this.registry) this.serveSharedFile(req, res, rest);
      else notFound(res);
      return true;
    }
    const source = entry.source!;
    if ('buffer' in source) this.serveBuffer(req, res, entry, source.buffer);
    else this.serveFileOrFail(req, res, entry, source);
    return true;
  }

  /* ---------------------------------------------------------------------------------------------- */

  private serveFileOrFail(req: IncomingMessage, res: ServerResponse, entry: Entry, source: { path: string; identity: string }): void {
    this.serveFile(req, res, entry, source).catch((err: unknown) => {
      // A fetcher closing the connection early (common with ranged video reads) is not a failure.
      const aborted = (err as NodeJS.ErrnoException | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
      this.log[aborted ? 'debug' : 'warn']('media serve failed', { ref: entry.hosted.token.slice(0, 6), error: String(err) });
      if (!res.headersSent) notFound(res);
      else res.destroy();
    });
  }

  /**
   * An item another process published (not known here): looked up in the registry on every request,
   * so a withdrawal there stops it at once, and served from its file under the same identity check.
   */
  private serveSharedFile(req: IncomingMessage, res: ServerResponse, name: string): void {
    const m = TOKEN_RE.exec(name);
    if (!m) return void notFound(res);
    const token = m[1]!;
    const now = this.clock.now();
    this.registry!.find(hashToken(token), now).then(
      (shared) => {
        if (!shared || shared.name !== name || now >= shared.expiresAt) return void notFound(res);
        const entry: Entry = {
          hosted: { token, url: '', expiresAt: shared.expiresAt, fetchCount: 0 },
          tokenBytes: Buffer.from(token),
          name,
          mimeType: shared.mimeType,
          source: { path: shared.path, identity: shared.identity },
          createdAt: now,
          expireAfterFetch: false,
          revoked: false,
        };
        this.serveFileOrFail(req, res, entry, { path: shared.path, identity: shared.identity });
      },
      (err: unknown) => {
        this.log.warn('could not look up a shared hosted file', { error: String(err) });
        if (!res.headersSent) notFound(res);
      },
    );
  }

  private lookup(token: string): Entry | undefined {
    if (typeof token !== 'string' || token.length !== 43) return undefined;
    const entry = this.entries.get(hashToken(token));
    if (!entry) return undefined;
    const presented = Buffer.from(token);
    if (presented.length !== entry.tokenBytes.length || !timingSafeEqual(presented, entry.tokenBytes)) return undefined;
    return entry;
  }

  /** The path below the prefix, or undefined when the request is not for us. */
  private matchPrefix(pathname: string): string | undefined {
    const prefixes = this.basePath ? [this.prefix, `${this.basePath}${this.prefix}`] : [this.prefix];
    for (const p of prefixes) {
      if (pathname === p) return '';
      if (pathname.startsWith(`${p}/`)) return pathname.slice(p.length + 1);
    }
    return undefined;
  }

  private active(name: string): Entry | undefined {
    const m = TOKEN_RE.exec(name);
    if (!m) return undefined;
    const entry = this.lookup(m[1]!);
    if (!entry || entry.name !== name || entry.revoked || !entry.source) return undefined;
    if (this.clock.now() >= entry.hosted.expiresAt) return undefined;
    return entry;
  }

  private serveBuffer(req: IncomingMessage, res: ServerResponse, entry: Entry, buffer: Buffer): void {
    const size = buffer.length;
    const etag = `"b${size.toString(16)}-${entry.createdAt.toString(16)}"`;
    const plan = planResponse(req, size, etag, undefined);
    writeHeaders(res, plan, entry.mimeType, size, etag, undefined);
    if (req.method === 'HEAD' || plan.status === 416) {
      res.end();
      return;
    }
    this.countFetch(entry, plan, size);
    res.end(buffer.subarray(plan.start, plan.end + 1));
    this.completeFetch(entry, plan, size);
  }

  private async serveFile(req: IncomingMessage, res: ServerResponse, entry: Entry, source: { path: string; identity: string }): Promise<void> {
    let file: CheckedFile;
    try {
      file = await openChecked(source.path, source.identity);
    } catch (err) {
      if (!(err instanceof FileChangedError)) throw err;
      // Swapped since it was checked (for a link, or other bytes): never served, and never again.
      this.log.warn('hosted file changed since it was checked; not served', { ref: entry.hosted.token.slice(0, 6) });
      entry.source = undefined;
      notFound(res);
      return;
    }
    const fh = file.handle;
    let handedOff = false;
    try {
      const size = file.sizeBytes;
      const lastModified = new Date(Math.floor(file.mtimeMs / 1000) * 1000).toUTCString();
      const etag = `"f${size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
      const plan = planResponse(req, size, etag, lastModified);
      writeHeaders(res, plan, entry.mimeType, size, etag, lastModified);
      if (req.method === 'HEAD' || plan.status === 416 || plan.end < plan.start) {
        res.end();
        return;
      }
      this.countFetch(entry, plan, size);
      const stream = fh.createReadStream({ start: plan.start, end: plan.end, autoClose: true });
      handedOff = true;
      await pipeline(stream, res);
      this.completeFetch(entry, plan, size);
    } finally {
      if (!handedOff) await fh.close();
    }
  }

  private countFetch(entry: Entry, plan: ResponsePlan, size: number): void {
    entry.hosted.fetchCount++;
    this.log.info('media fetched', {
      ref: entry.hosted.token.slice(0, 6),
      status: plan.status,
      range: plan.status === 206 ? `${plan.start}-${plan.end}/${size}` : undefined,
    });
  }

  /** With expireAfterFetch, a response that delivered the last byte ends the item's life (after grace). */
  private completeFetch(entry: Entry, plan: ResponsePlan, size: number): void {
    if (!entry.expireAfterFetch || plan.end < size - 1) return;
    entry.hosted.expiresAt = Math.min(entry.hosted.expiresAt, this.clock.now() + this.graceMs);
  }
}

/* ------------------------------------------------------------------------------------------------ */

interface ResponsePlan {
  status: 200 | 206 | 416;
  start: number;
  /** Inclusive; -1 for an empty body. */
  end: number;
}

const UNSATISFIABLE: ResponsePlan = { status: 416, start: 0, end: -1 };

/**
 * `bytes=` ranges (RFC 9110 §14.1.2): one satisfiable range gets 206; a range set none of whose ranges
 * can be satisfied (every first byte at or past the end, a zero-length suffix, any range of an empty
 * file) gets 416 with a `Content-Range` of `*` and the size; several ranges with one satisfiable, other units
 * or a malformed header get the full body.
 */
function planResponse(req: IncomingMessage, size: number, etag: string, lastModified: string | undefined): ResponsePlan {
  const full: ResponsePlan = { status: 200, start: 0, end: size - 1 };
  const header = req.headers.range;
  if (typeof header !== 'string') return full;
  const ifRange = req.headers['if-range'];
  if (typeof ifRange === 'string' && ifRange !== etag && ifRange !== lastModified) return full;
  const set = /^\s*bytes\s*=(.*)$/is.exec(header);
  if (!set) return full;
  const ranges: ResponsePlan[] = [];
  for (const spec of set[1]!.split(',')) {
    if (spec.trim() === '') continue;
    const m = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(spec);
    if (!m || (m[1] === '' && m[2] === '')) return full;
    if (m[1] === '') {
      // Digits beyond 2^53 are still a number larger than any file: the whole file.
      const suffix = Number(m[2]);
      ranges.push(suffix === 0 || size === 0 ? UNSATISFIABLE : { status: 206, start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(m[1]);
    const last = m[2] === '' ? Infinity : Number(m[2]);
    if (last < start) return full; // invalid, not unsatisfiable: the header is ignored
    ranges.push(start >= size ? UNSATISFIABLE : { status: 206, start, end: Math.min(last, size - 1) });
  }
  if (ranges.length === 0) return full;
  const satisfiable = ranges.filter((r) => r.status === 206);
  if (satisfiable.length === 0) return UNSATISFIABLE;
  return ranges.length === 1 ? satisfiable[0]! : full;
}

function writeHeaders(
  res: ServerResponse,
  plan: ResponsePlan,
  mimeType: string,
  size: number,
  etag: string,
  lastModified: string | undefined,
): void {
  const headers: Record<string, string> = {
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ETag: etag,
  };
  if (lastModified) headers['Last-Modified'] = lastModified;
  if (plan.status === 416) {
    headers['Content-Range'] = `bytes */${size}`;
    headers['Content-Length'] = '0';
  } else {
    headers['Content-Type'] = mimeType;
    headers['Content-Length'] = String(Math.max(0, plan.end - plan.start + 1));
    if (plan.status === 206) headers['Content-Range'] = `bytes ${plan.start}-${plan.end}/${size}`;
  }
  res.writeHead(plan.status, headers);
}

function notFound(res: ServerResponse): void {
  const body = 'Not found\n';
  res.writeHead(404, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

function extensionFor(mimeType: string, fileName: string | undefined): string {
  const known = EXTENSIONS[mimeType.toLowerCase()];
  if (known) return known;
  const m = fileName ? /\.([A-Za-z0-9]{1,8})$/.exec(fileName) : null;
  return m ? `.${m[1]!.toLowerCase()}` : '';
}
