/**
 * Post previews: how a feed post will look (the feed frame and each item's crop, the grid tile, the
 * caption cut at "… more", the limits) without publishing anything and without a public URL. Local
 * files, reference ids and inline bytes are read through the media library (read only); an http(s) URL
 * is fetched here, bounded in size and time, and one that cannot be fetched becomes a placeholder with
 * a note. What would block publishing is listed in `issues`, never thrown; only unusable input is.
 */
import { randomBytes } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { promises as fsp } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkCarouselSize, checkMedia, probeBuffer, type MediaInfo, type TargetKind } from '../media/index.js';
import { cropRect, feedFrame, feedRatioOf, GRID_RATIO, gridCrop, previewCaption, renderPreviewPng, type CropRect, type PreviewRenderItem } from '../media/preview.js';
import type { AccountService, Caller } from './accounts.js';
import { guessKindFromName, type MediaInput, type MediaLibrary } from './mediaLibrary.js';

/** A URL is fetched for a preview only this far: an image larger than this is no photo Instagram takes (8 MiB). */
export const PREVIEW_FETCH = { maxBytes: 9 * 1024 * 1024, timeoutMs: 15_000, maxRedirects: 3 } as const;

export type PreviewKind = 'IMAGE' | 'CAROUSEL' | 'VIDEO' | 'REEL';

export interface PreviewRequest {
  account?: string;
  caption?: string;
  media: MediaInput[];
  /** Also take this many of the newest unused files in the media folders (read only: none is marked used). */
  autoDiscover?: number;
}

export interface PreviewItem {
  index: number;
  label: string;
  media_type: 'IMAGE' | 'VIDEO';
  width: number | null;
  height: number | null;
  ratio: number | null;
  crop: CropRect | null;
  cropped: boolean;
  note?: string;
}

export interface PreviewIssue {
  field: string;
  code: string;
  message: string;
}

/** The preview as tools return it (the fields a browser view reads). */
export interface PostPreview {
  account: { username: string } | null;
  kind: PreviewKind;
  feed: { ratio: number; width: number; height: number };
  items: PreviewItem[];
  grid: { ratio: typeof GRID_RATIO; crop: CropRect | null };
  caption: {
    length: number;
    limit: number;
    visible: string;
    truncated: boolean;
    hashtags: { count: number; limit: number };
    mentions: { count: number; limit: number };
  };
  issues: PreviewIssue[];
  next_step: string;
  /** Where the PNG was written. */
  path?: string;
}

export interface RenderedPreview {
  preview: PostPreview;
  image: { png: Buffer; width: number; height: number };
}

export interface PostPreviewerOptions {
  dataDir: string;
  clock: Clock;
  logger: Logger;
  library: MediaLibrary;
  accounts: AccountService;
  /** The fetch for URLs (tests inject one); default the global fetch. */
  fetch?: typeof fetch;
  /**
   * Refuse URLs whose host is (or resolves to) a loopback, private or link-local address, at every
   * redirect: set when callers are remote (HTTP transports), so a preview cannot be pointed at the
   * server's own network. A local (stdio) user reaches that network anyway.
   */
  refusePrivateHosts?: boolean;
}

interface ResolvedItem {
  kind: 'image' | 'video';
  label: string;
  info?: MediaInfo;
  image?: Buffer;
  note?: string;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

export class PostPreviewer {
  private readonly fetch: typeof fetch;

  constructor(private readonly o: PostPreviewerOptions) {
    this.fetch = o.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The preview of a feed post (one item, or a carousel), rendered to a PNG that is also written under `<dataDir>/reports/previews/`. */
  async preview(who: Caller, request: PreviewRequest, signal?: AbortSignal): Promise<RenderedPreview> {
    const account = await this.accountOf(who, request.account);
    const inputs = [...request.media];
    if (request.autoDiscover) {
      for (const found of await this.o.library.discover(who.owner, request.autoDiscover)) inputs.push({ source: found.path });
    }
    if (inputs.length === 0) {
      throw new AppError('media_missing', 'No media to preview.', 'Pass media: a local path inside the media folders, a reference id, a URL or data (base64), or a list of 2–10 for a carousel.');
    }
    const carousel = inputs.length > 1;
    const fieldOf = (i: number) => (carousel ? `media[${i}]` : 'media');
    const resolved = await Promise.all(inputs.map((input, i) => this.resolve(who.owner, input, fieldOf(i), signal)));
    signal?.throwIfAborted();

    const feedRatio = feedRatioOf({ width: resolved[0]!.info?.width ?? null, height: resolved[0]!.info?.height ?? null });
    const issues: PreviewIssue[] = [];
    if (carousel) for (const issue of checkCarouselSize(inputs.length)) issues.push({ field: 'media', code: issue.code, message: `media: ${issue.message}` });
    const items: PreviewItem[] = resolved.map((r, index) => {
      const width = r.info?.width ?? null;
      const height = r.info?.height ?? null;
      const fit = width && height ? cropRect(width, height, feedRatio) : null;
      if (r.info) issues.push(...mediaIssues(r, fieldOf(index), carousel));
      return {
        index,
        label: r.label,
        media_type: r.kind === 'video' ? 'VIDEO' : 'IMAGE',
        width,
        height,
        ratio: width && height ? round4(width / height) : null,
        crop: fit?.crop ?? null,
        cropped: fit?.cropped ?? false,
        ...(r.note ? { note: r.note } : {}),
      };
    });
    const caption = previewCaption(request.caption);
    for (const issue of caption.issues) issues.push({ field: 'caption', code: issue.code, message: `caption: ${issue.message}` });
    const first = items[0]!;
    const grid = first.width && first.height ? gridCrop(first.width, first.height, feedRatio) : null;
    const kind: PreviewKind = carousel ? 'CAROUSEL' : first.media_type === 'VIDEO' ? 'REEL' : 'IMAGE';

    const renderItems: PreviewRenderItem[] = resolved.map((r, i) => ({
      kind: r.kind,
      ...(r.image ? { image: r.image } : {}),
      width: items[i]!.width,
      height: items[i]!.height,
      crop: items[i]!.crop,
      label: r.label,
    }));
    const notesOf = () => items.filter((i) => i.note).map((i) => `${fieldOf(i.index)} (${i.label}): ${i.note}`);
    const rendered = await renderPreviewPng({
      username: account?.username ?? null,
      feedRatio,
      items: renderItems,
      gridCrop: grid,
      caption,
      issues: issues.map((i) => i.message),
      notes: notesOf(),
    });
    for (const index of rendered.undecodable) {
      const item = items[index]!;
      item.note = [item.note, 'could not be decoded, drawn as a placeholder'].filter(Boolean).join('; ');
    }
    const file = await this.write(rendered.png);

    const preview: PostPreview = {
      account,
      kind,
      feed: { ratio: round4(feedRatio), ...feedFrame(feedRatio) },
      items,
      grid: { ratio: GRID_RATIO, crop: grid },
      caption: { length: caption.length, limit: caption.limit, visible: caption.visible, truncated: caption.truncated, hashtags: caption.hashtags, mentions: caption.mentions },
      issues,
      next_step: nextStep({ kind, items, issues, feedRatio, truncated: caption.truncated, file, size: rendered }),
      ...(file ? { path: file } : {}),
    };
    return { preview, image: { png: rendered.png, width: rendered.width, height: rendered.height } };
  }

  /** The account given, or the only one connected; none (or several) is fine for a preview. */
  private async accountOf(who: Caller, accountArg: string | undefined): Promise<{ username: string } | null> {
    if (accountArg?.trim()) return { username: (await this.o.accounts.resolve(who, accountArg)).username };
    const usable = (await this.o.accounts.list(who)).filter((a) => a.account.status !== 'disconnected');
    return usable.length === 1 ? { username: usable[0]!.account.username } : null;
  }

  private async resolve(owner: string, input: MediaInput, field: string, signal?: AbortSignal): Promise<ResolvedItem> {
    const read = await this.o.library.readForPreview(owner, input, field);
    if (read.delivery === 'bytes') return describe(read.label, read.info, read.bytes);
    const declared = input.mediaType ?? guessKindFromName(read.url);
    if (declared === 'video') return { kind: 'video', label: read.label, note: 'video: cover not rendered (a video URL is not downloaded for a preview)' };
    const fetched = await this.fetchUrl(read.url, signal);
    if ('note' in fetched) return { kind: 'image', label: read.label, note: fetched.note };
    return describe(read.label, probeBuffer(fetched.bytes), fetched.bytes);
  }

  /**
   * GET with a size cap and a timeout (on the injected clock), redirects followed by hand (each hop
   * checked like the first); a failure is a note, a cancelled call throws.
   */
  private async fetchUrl(url: string, signal?: AbortSignal): Promise<{ bytes: Buffer } | { note: string }> {
    const { maxBytes, timeoutMs, maxRedirects } = PREVIEW_FETCH;
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = this.o.clock.setTimer(timeoutMs, () => {
      timedOut = true;
      abort.abort(new Error('timeout'));
    });
    const unreachable = (why: string) => ({ note: `could not be fetched for the preview (${why}); Instagram fetches the URL itself when publishing, so check that it is public` });
    const tooLarge = { note: `larger than ${maxBytes / 1024 / 1024} MiB, not downloaded for the preview (Instagram takes images up to 8 MiB)` };
    try {
      let current = url;
      for (let hop = 0; ; hop++) {
        if (this.o.refusePrivateHosts && (await isPrivateHost(new URL(current).hostname))) {
          return { note: 'not fetched for the preview: its host is a loopback, private or link-local address' };
        }
        const res = await this.fetch(current, { signal: abort.signal, redirect: 'manual', headers: { accept: 'image/*' } });
        const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
        if (location) {
          await res.body?.cancel().catch(() => {});
          const next = new URL(location, current);
          if (hop >= maxRedirects || (next.protocol !== 'https:' && next.protocol !== 'http:')) return unreachable(`too many or odd redirects (HTTP ${res.status})`);
          current = next.href;
          continue;
        }
        if (!res.ok || !res.body) {
          await res.body?.cancel().catch(() => {});
          return unreachable(`HTTP ${res.status}`);
        }
        if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
          await res.body.cancel().catch(() => {});
          return tooLarge;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        // Leaving the loop early cancels the body: the rest is never downloaded.
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          size += chunk.length;
          if (size > maxBytes) break;
          chunks.push(Buffer.from(chunk));
        }
        return size > maxBytes ? tooLarge : { bytes: Buffer.concat(chunks) };
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      if (timedOut) return { note: `did not answer within ${timeoutMs / 1000} s, not shown in the preview` };
      return unreachable(fetchFailure(err));
    } finally {
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The PNG under `<dataDir>/reports/previews/` (next to the report charts); a failure to write is logged, not fatal. */
  private async write(png: Buffer): Promise<string | undefined> {
    const dir = path.join(this.o.dataDir, 'reports', 'previews');
    const file = path.join(dir, `${new Date(this.o.clock.now()).toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.png`);
    try {
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      await fsp.writeFile(file, png, { mode: 0o600, flag: 'wx' });
      return file;
    } catch (err) {
      this.o.logger.warn('could not write the preview image', { error: err });
      return undefined;
    }
  }
}

function describe(label: string, info: MediaInfo, bytes: Buffer | undefined): ResolvedItem {
  if (info.kind === 'video') return { kind: 'video', label, info, note: 'video: cover not rendered' };
  if (info.kind === 'unknown') return { kind: 'image', label, info, note: `not a photo or video this server recognises (${info.mimeType})` };
  if (!bytes) return { kind: 'image', label, info, note: 'too large to draw in the preview' };
  return { kind: 'image', label, info, image: bytes };
}

/** Instagram's rules for the item where it stands (single image or reel, carousel image or video). */
function mediaIssues(item: ResolvedItem, field: string, carousel: boolean): PreviewIssue[] {
  const target: TargetKind = item.kind === 'video' ? (carousel ? 'carousel_video' : 'reel') : carousel ? 'carousel_image' : 'feed_image';
  return checkMedia(item.info!, target).map((issue) => ({
    field,
    code: issue.code,
    message: `${field} (${item.label}): ${issue.message}${issue.code === 'aspect_ratio_out_of_range' && !carousel && item.kind === 'image' ? " The preview shows it cropped to the nearest allowed ratio, as fix_media: 'crop' would." : ''}`,
  }));
}

/** Loopback, private, link-local, shared, multicast and reserved ranges (IPv4, IPv6, and IPv4 inside IPv6). */
const PRIVATE_RANGES = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) {
    list.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) list.addSubnet(net, prefix, 'ipv6');
  return list;
})();

function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE_RANGES.check(mapped[1]!, 'ipv4');
  return PRIVATE_RANGES.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** Whether a URL's host is, or resolves to, a private address (an unresolvable host is left to fetch to fail). */
async function isPrivateHost(hostname: string): Promise<boolean> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isPrivateAddress(host);
  if (/^localhost\.?$/i.test(host) || /\.localhost\.?$/i.test(host)) return true;
  const found = await dns.lookup(host, { all: true, verbatim: true }).catch(() => []);
  return found.some((a) => isPrivateAddress(a.address));
}

function fetchFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message.slice(0, 120);
  return err instanceof Error ? err.message.slice(0, 120) : String(err).slice(0, 120);
}

function nextStep(p: {
  kind: PreviewKind;
  items: PreviewItem[];
  issues: PreviewIssue[];
  feedRatio: number;
  truncated: boolean;
  file: string | undefined;
  size: { width: number; height: number };
}): string {
  const cropped = p.items.filter((i) => i.cropped).map((i) => i.index + 1);
  const what = p.kind === 'CAROUSEL' ? `a carousel of ${p.items.length}` : p.kind === 'REEL' ? 'a reel' : 'an image post';
  const frame = feedFrame(p.feedRatio);
  const crops = cropped.length ? ` The feed crops item${cropped.length === 1 ? '' : 's'} ${cropped.join(', ')} (see items[].crop).` : ' The feed shows every item whole.';
  const fold = p.truncated ? ' The caption folds at "… more" (caption.visible is what shows).' : '';
  const image = ` The preview image (${p.size.width}×${p.size.height} PNG) is attached${p.file ? ` and written to ${p.file}` : ''}.`;
  const then = p.issues.length
    ? ` Fix the ${p.issues.length === 1 ? 'issue' : `${p.issues.length} issues`} listed before publishing.`
    : ' If it looks right, publish with instagram_create_post and the same media and caption.';
  return `Nothing was published. Preview of ${what}: feed frame ${frame.width}×${frame.height}.${crops}${fold}${image}${then}`;
}
