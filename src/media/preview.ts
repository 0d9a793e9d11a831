/**
 * How Instagram will show a post, before it is published: the feed frame's ratio (a single image keeps
 * its own, clamped to 4:5–1.91:1; a carousel crops every item to the first one's, reference §3.2), the
 * centred crop of each item, the profile grid's 3:4 tile, the caption cut at "… more", and one PNG that
 * draws all of it. Pure: no file or network access; the PNG is composed with sharp (the pictures) under
 * an SVG rendered by resvg with DejaVu Sans loaded by path, as charts.ts does.
 */
import { createRequire } from 'node:module';
import { captionLength, checkCaption, countHashtags, countMentions, describeRatio, isFeedRatioAllowed, LIMITS } from './rules.js';

export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The feed frame is laid out at this width (Instagram's own feed width in pixels). */
export const FEED_WIDTH = 1080;
/** Profile grid tiles are 3:4. */
export const GRID_RATIO = 0.75 as const;
/** A carousel whose first item's size is unknown: Instagram's default square. */
const DEFAULT_RATIO = 1;
/** The feed shows this much of a caption before "… more": ~125 characters, at most two lines. */
export const CAPTION_FOLD = { chars: 125, lines: 2 } as const;

// ---------------------------------------------------------------------------------------------- geometry

/** The ratio (w/h) the feed shows an image at on its own: its own, clamped to 4:5–1.91:1. */
export function clampedFeedRatio(width: number, height: number): number {
  const r = width / height;
  if (isFeedRatioAllowed(width, height)) return r; // inside the range (epsilon included): shown as it is
  return Math.min(LIMITS.aspect.max, Math.max(LIMITS.aspect.min, r));
}

/** The post's feed ratio: the first item's clamped ratio (a carousel crops the others to it). */
export function feedRatioOf(first: { width: number | null; height: number | null } | undefined): number {
  if (!first?.width || !first.height) return DEFAULT_RATIO;
  return clampedFeedRatio(first.width, first.height);
}

/** The feed frame at FEED_WIDTH pixels wide. */
export function feedFrame(ratio: number): { width: number; height: number } {
  return { width: FEED_WIDTH, height: Math.round(FEED_WIDTH / ratio) };
}

/** The largest centred rectangle of `ratio` inside a width × height image, in whole pixels. */
export function cropRect(width: number, height: number, ratio: number): { crop: CropRect; cropped: boolean } {
  let crop: CropRect;
  if (width / height > ratio) {
    const w = Math.min(width, Math.max(1, Math.round(height * ratio)));
    crop = { x: Math.floor((width - w) / 2), y: 0, width: w, height };
  } else {
    const h = Math.min(height, Math.max(1, Math.round(width / ratio)));
    crop = { x: 0, y: Math.floor((height - h) / 2), width, height: h };
  }
  return { crop, cropped: crop.width !== width || crop.height !== height };
}

/** The grid tile: a centred 3:4 crop of what the feed shows of the image (image coordinates). */
export function gridCrop(width: number, height: number, feedRatio: number): CropRect {
  const feed = cropRect(width, height, feedRatio).crop;
  const tile = cropRect(feed.width, feed.height, GRID_RATIO).crop;
  return { x: feed.x + tile.x, y: feed.y + tile.y, width: tile.width, height: tile.height };
}

// ---------------------------------------------------------------------------------------------- caption

export interface CaptionFold {
  /** What the feed shows before "… more" (without it). */
  visible: string;
  /** True when the feed hides the rest behind "… more". */
  truncated: boolean;
}

/**
 * The caption as the feed shows it: up to CAPTION_FOLD.chars characters (code points) or the second
 * line break, whichever comes first, cut back to the last word boundary. Trailing blanks never count.
 */
export function foldCaption(caption: string | undefined): CaptionFold {
  const full = (caption ?? '').replace(/\r\n?/g, '\n').replace(/\s+$/u, '');
  let head = full;
  let cut = false;
  const lines = full.split('\n');
  if (lines.length > CAPTION_FOLD.lines) {
    head = lines.slice(0, CAPTION_FOLD.lines).join('\n');
    cut = true;
  }
  const chars = Array.from(head);
  if (chars.length > CAPTION_FOLD.chars) {
    cut = true;
    let end: number = CAPTION_FOLD.chars;
    if (!/\s/u.test(chars[end]!)) {
      // Back to the last blank before the limit; a single word longer than the limit is cut inside it.
      let i = end - 1;
      while (i > 0 && !/\s/u.test(chars[i]!)) i--;
      if (i > 0) end = i;
    }
    head = chars.slice(0, end).join('');
  }
  const visible = head.replace(/\s+$/u, '');
  return { visible, truncated: cut && visible !== full };
}

export interface CaptionPreview extends CaptionFold {
  length: number;
  limit: number;
  hashtags: { count: number; limit: number };
  mentions: { count: number; limit: number };
  /** What checkCaption finds (too long, too many hashtags or mentions). */
  issues: Array<{ code: string; message: string }>;
}

export function previewCaption(caption: string | undefined): CaptionPreview {
  const text = caption ?? '';
  const { maxChars, maxHashtags, maxMentions } = LIMITS.caption;
  return {
    length: captionLength(text),
    limit: maxChars,
    ...foldCaption(text),
    hashtags: { count: countHashtags(text), limit: maxHashtags },
    mentions: { count: countMentions(text), limit: maxMentions },
    issues: checkCaption(text).map(({ code, message }) => ({ code, message })),
  };
}

// ---------------------------------------------------------------------------------------------- the picture

export interface PreviewRenderItem {
  kind: 'image' | 'video';
  /** Encoded image bytes (sharp decodes them); absent: a placeholder tile. */
  image?: Buffer;
  /** Display size (EXIF orientation applied, as sharp's autoOrient does). */
  width: number | null;
  height: number | null;
  /** What the feed shows of it, in image pixels. */
  crop: CropRect | null;
  label: string;
}

export interface PreviewRenderSpec {
  username: string | null;
  feedRatio: number;
  items: readonly PreviewRenderItem[];
  /** The 3:4 grid tile, in pixels of items[0]. */
  gridCrop: CropRect | null;
  caption: CaptionPreview;
  /** Lines drawn in red (what blocks publishing). */
  issues: readonly string[];
  /** Lines drawn in grey (what the preview could not show). */
  notes: readonly string[];
}

export interface PreviewPng {
  png: Buffer;
  width: number;
  height: number;
  /** Items whose bytes sharp could not decode (drawn as placeholders). */
  undecodable: number[];
}

const FONT_FAMILY = 'DejaVu Sans';
/** The picture is the 1080-pixel feed scaled by half. */
const W = FEED_WIDTH / 2;
const PAD = 12;
const HEADER_H = 52;
const THUMB = 120;
const THUMB_GAP = (W - 2 * PAD - 4 * THUMB) / 3;
const GRID_TILE = { width: 120, height: 160 };
const RED = '#c0392b';
const GREY = '#8e8e8e';
const BLUE = '#0095f6';
const MAX_ISSUE_LINES = 8;
const MAX_DOTS = 20;

function fontFiles(): string[] {
  const req = createRequire(import.meta.url);
  return [req.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'), req.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')];
}

/** Text as XML character data: markup escaped, characters XML cannot carry dropped. */
function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Approximate advance of DejaVu Sans, in em: enough to wrap lines without measuring glyphs. */
function charEm(ch: string, bold: boolean): number {
  let em: number;
  if (/[ilj.,:;'!|I\s]/.test(ch)) em = 0.32;
  else if (/[ftr()[\]{}"]/.test(ch)) em = 0.42;
  else if (/[mwMW@%]/.test(ch)) em = 0.95;
  else if (/[A-Z#&]/.test(ch)) em = 0.74;
  else if (/[\u0000-\u024f]/.test(ch)) em = 0.62;
  else em = 1; // other scripts, symbols, emoji: wide
  return bold ? em * 1.08 : em;
}

function textWidth(text: string, size: number, bold = false): number {
  let w = 0;
  for (const ch of text) w += charEm(ch, bold) * size;
  return w;
}

/** Wraps text into lines no wider than `width` (a word is broken only when alone it is too wide); `\n` starts a line. */
function wrap(text: string, width: number, size: number, firstIndent = 0): string[] {
  const out: string[] = [];
  let indent = firstIndent;
  const fits = (s: string) => textWidth(s.trimEnd(), size) + indent <= width;
  const flush = (line: string) => {
    out.push(line.trimEnd());
    indent = 0;
  };
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/(?<=\s)/u)) {
      if (fits(line + word)) {
        line += word;
        continue;
      }
      if (line) flush(line);
      line = '';
      for (const ch of word) {
        if (line && !fits(line + ch)) {
          flush(line);
          line = '';
        }
        line += ch;
      }
    }
    flush(line);
  }
  return out;
}

interface Placed {
  /** Where the picture goes (the composite), in output pixels. */
  left: number;
  top: number;
  width: number;
  height: number;
}

function placeholder(box: Placed, kind: 'image' | 'video', label: string): string {
  const cx = box.left + box.width / 2;
  const cy = box.top + box.height / 2;
  const r = Math.max(8, Math.min(28, Math.min(box.width, box.height) / 5));
  const parts = [`<rect x="${box.left}" y="${box.top}" width="${box.width}" height="${box.height}" fill="#dbdbdb"/>`];
  if (kind === 'video') {
    parts.push(
      `<circle cx="${cx}" cy="${cy}" r="${r}" fill="#9e9e9e"/>`,
      `<path d="M ${cx - r * 0.35} ${cy - r * 0.5} L ${cx + r * 0.55} ${cy} L ${cx - r * 0.35} ${cy + r * 0.5} Z" fill="#ffffff"/>`,
    );
  }
  if (box.height >= 60) {
    const size = box.width >= 300 ? 13 : 9;
    parts.push(`<text x="${cx}" y="${Math.min(box.top + box.height - 6, cy + r + size + 4)}" font-size="${size}" fill="#555555" text-anchor="middle">${xml(label)}</text>`);
  }
  return parts.join('');
}

/** The darkened outside of a crop and its outline, over a picture scaled by `scale`. */
function cropOverlay(box: Placed, crop: CropRect, scale: number): string {
  const x = box.left + crop.x * scale;
  const y = box.top + crop.y * scale;
  const w = crop.width * scale;
  const h = crop.height * scale;
  const outer = `M ${box.left} ${box.top} h ${box.width} v ${box.height} h ${-box.width} Z`;
  const inner = `M ${x} ${y} v ${h} h ${w} v ${-h} Z`;
  return `<path d="${outer} ${inner}" fill="#000000" fill-opacity="0.5" fill-rule="evenodd"/><rect x="${x + 1}" y="${y + 1}" width="${Math.max(0, w - 2)}" height="${Math.max(0, h - 2)}" fill="none" stroke="${BLUE}" stroke-width="2"/>`;
}

/**
 * One PNG, 540 px wide (the 1080 px feed at half size): the header, the first item as the feed shows it
 * (with "1/N" and dots for a carousel), the caption cut at "… more", the limits (red when over), what
 * blocks publishing, every item whole with its crop outlined, and the 3:4 grid tile.
 */
export async function renderPreviewPng(spec: PreviewRenderSpec): Promise<PreviewPng> {
  const [{ default: sharp }, { Resvg }] = await Promise.all([import('sharp'), import('@resvg/resvg-js')]);
  const svg: string[] = [];
  const composites: Array<{ input: Buffer; left: number; top: number }> = [];
  const undecodable: number[] = [];
  const n = spec.items.length;

  /** Renders a picture into a box (crop first when given), or says it could not. */
  const picture = async (index: number, box: Placed, crop: CropRect | null): Promise<boolean> => {
    const item = spec.items[index];
    if (!item?.image) return false;
    try {
      let img = sharp(item.image, { autoOrient: true, failOn: 'error', limitInputPixels: 268_402_689 });
      if (crop) img = img.extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height });
      const input = await img
        .resize(Math.max(1, Math.round(box.width)), Math.max(1, Math.round(box.height)), { fit: crop ? 'fill' : 'cover' })
        .flatten({ background: '#ffffff' })
        .png()
        .toBuffer();
      composites.push({ input, left: Math.round(box.left), top: Math.round(box.top) });
      return true;
    } catch {
      if (!undecodable.includes(index)) undecodable.push(index);
      return false;
    }
  };
  const placeholderLabel = (item: PreviewRenderItem | undefined) => (item?.kind === 'video' ? 'video: cover not rendered' : 'image not available');

  // Header.
  svg.push(
    `<circle cx="${PAD + 16}" cy="${HEADER_H / 2}" r="16" fill="#d62976"/><circle cx="${PAD + 16}" cy="${HEADER_H / 2}" r="13" fill="#ffffff"/><circle cx="${PAD + 16}" cy="${HEADER_H / 2}" r="11" fill="#dbdbdb"/>`,
    `<text x="${PAD + 40}" y="${HEADER_H / 2 + 5}" font-size="14" font-weight="bold" fill="#262626">${xml(spec.username ? spec.username : 'your account')}</text>`,
    `<text x="${W - PAD}" y="${HEADER_H / 2 + 4}" font-size="11" fill="${GREY}" text-anchor="end">preview · not published</text>`,
  );
  let y = HEADER_H;

  // The feed frame: the first item as the feed shows it.
  const frame: Placed = { left: 0, top: y, width: W, height: Math.round(W / spec.feedRatio) };
  const first = spec.items[0];
  if (!(await picture(0, frame, first?.crop ?? null))) svg.push(placeholder(frame, first?.kind ?? 'image', placeholderLabel(first)));
  if (n > 1) {
    svg.push(
      `<rect x="${W - PAD - 46}" y="${y + PAD}" width="46" height="24" rx="12" fill="#000000" fill-opacity="0.65"/>`,
      `<text x="${W - PAD - 23}" y="${y + PAD + 16}" font-size="12" fill="#ffffff" text-anchor="middle">1/${n}</text>`,
    );
  }
  y += frame.height;

  // Carousel dots.
  if (n > 1) {
    const dots = Math.min(n, MAX_DOTS);
    const start = W / 2 - ((dots - 1) * 10) / 2;
    for (let i = 0; i < dots; i++) svg.push(`<circle cx="${start + i * 10}" cy="${y + 16}" r="3" fill="${i === 0 ? BLUE : '#c7c7c7'}"/>`);
  }
  y += 32;

  // Caption: bold username, the visible part, "… more".
  const cap = spec.caption;
  const size = 13;
  const lh = 18;
  const name = spec.username ?? '';
  const nameWidth = name ? textWidth(`${name} `, size, true) : 0;
  if (cap.visible || name) {
    const lines = wrap(cap.visible, W - 2 * PAD, size, nameWidth);
    if (cap.truncated) {
      const last = lines[lines.length - 1] ?? '';
      const indent = lines.length === 1 ? nameWidth : 0;
      if (textWidth(`${last} … more`, size) + indent > W - 2 * PAD) lines.push('');
    }
    lines.forEach((line, i) => {
      y += lh;
      const who = i === 0 && name ? `<tspan font-weight="bold">${xml(name)} </tspan>` : '';
      const more = cap.truncated && i === lines.length - 1 ? `<tspan fill="${GREY}">${line ? ' ' : ''}… more</tspan>` : '';
      svg.push(`<text x="${PAD}" y="${y}" font-size="${size}" fill="#262626">${who}${xml(line)}${more}</text>`);
    });
  } else {
    y += lh;
    svg.push(`<text x="${PAD}" y="${y}" font-size="${size}" fill="${GREY}">(no caption)</text>`);
  }

  // Limits.
  y += 24;
  const limit = (value: number, max: number, what: string) => `<tspan fill="${value > max ? RED : GREY}" ${value > max ? 'font-weight="bold"' : ''}>${value}/${max} ${what}</tspan>`;
  svg.push(
    `<text x="${PAD}" y="${y}" font-size="12">${limit(cap.length, cap.limit, 'characters')}<tspan fill="${GREY}"> · </tspan>${limit(cap.hashtags.count, cap.hashtags.limit, 'hashtags')}<tspan fill="${GREY}"> · </tspan>${limit(cap.mentions.count, cap.mentions.limit, '@mentions')}</text>`,
  );

  // What blocks publishing, then what the preview could not show.
  const bullets = (texts: readonly string[], color: string) => {
    const lines = texts.flatMap((t) => wrap(`• ${t}`, W - 2 * PAD, 11));
    const shown = lines.slice(0, MAX_ISSUE_LINES);
    if (lines.length > shown.length) shown[shown.length - 1] = '…';
    for (const line of shown) {
      y += 15;
      svg.push(`<text x="${PAD}" y="${y}" font-size="11" fill="${color}">${xml(line)}</text>`);
    }
  };
  if (spec.issues.length) {
    y += 6;
    bullets(spec.issues, RED);
  }
  if (spec.notes.length) {
    y += 6;
    bullets(spec.notes, GREY);
  }

  // Every item whole, with what the feed shows outlined.
  y += 28;
  svg.push(`<text x="${PAD}" y="${y}" font-size="12" font-weight="bold" fill="#262626">Each item whole · outlined: what the feed shows (${xml(ratioLabel(spec.feedRatio))})</text>`);
  y += 10;
  for (let i = 0; i < n; i++) {
    const item = spec.items[i]!;
    const col = i % 4;
    if (i > 0 && col === 0) y += THUMB + 34;
    const cell: Placed = { left: PAD + col * (THUMB + THUMB_GAP), top: y, width: THUMB, height: THUMB };
    // The overlay lies above the pictures: the cell is only outlined, never filled.
    svg.push(`<rect x="${cell.left + 0.5}" y="${cell.top + 0.5}" width="${THUMB - 1}" height="${THUMB - 1}" fill="none" stroke="#efefef"/>`);
    let box = cell;
    let scale = 0;
    if (item.width && item.height) {
      scale = Math.min(THUMB / item.width, THUMB / item.height);
      const w = Math.max(1, Math.round(item.width * scale));
      const h = Math.max(1, Math.round(item.height * scale));
      box = { left: cell.left + Math.floor((THUMB - w) / 2), top: cell.top + Math.floor((THUMB - h) / 2), width: w, height: h };
    }
    if (!(await picture(i, box, null))) svg.push(placeholder(box, item.kind, item.kind === 'video' ? 'video' : 'not available'));
    if (item.crop && scale) svg.push(cropOverlay(box, item.crop, scale));
    const size = item.width && item.height ? `${item.width}×${item.height}` : item.kind;
    const fate = !item.crop ? 'size unknown' : item.crop.width === item.width && item.crop.height === item.height ? 'shown whole' : `cropped to ${item.crop.width}×${item.crop.height}`;
    svg.push(
      `<text x="${cell.left}" y="${cell.top + THUMB + 13}" font-size="10" fill="#262626">${i + 1} · ${xml(size)}</text>`,
      `<text x="${cell.left}" y="${cell.top + THUMB + 26}" font-size="10" fill="${fate.startsWith('cropped') ? RED : GREY}">${xml(fate)}</text>`,
    );
  }
  y += n ? THUMB + 34 : 0;

  // The grid tile.
  y += 20;
  svg.push(`<text x="${PAD}" y="${y}" font-size="12" font-weight="bold" fill="#262626">Profile grid tile (3:4)</text>`);
  y += 10;
  const tile: Placed = { left: PAD, top: y, width: GRID_TILE.width, height: GRID_TILE.height };
  if (!(await picture(0, tile, spec.gridCrop))) svg.push(placeholder(tile, first?.kind ?? 'image', first?.kind === 'video' ? 'video' : 'not available'));
  svg.push(`<rect x="${tile.left}" y="${tile.top}" width="${tile.width}" height="${tile.height}" fill="none" stroke="#dbdbdb"/>`);
  const gridText = spec.gridCrop && first?.width && first.height ? [`${spec.gridCrop.width}×${spec.gridCrop.height} of the first item's`, `${first.width}×${first.height}, centred`] : ['the first item, centred'];
  gridText.forEach((line, i) => svg.push(`<text x="${tile.left + tile.width + 12}" y="${tile.top + 16 + i * 15}" font-size="11" fill="${GREY}">${xml(line)}</text>`));
  y += GRID_TILE.height + PAD;

  const height = Math.ceil(y);
  const doc = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="${FONT_FAMILY}" xml:space="preserve">${svg.join('')}</svg>`;
  const font = { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY };
  const overlay = new Resvg(doc, { font, fitTo: { mode: 'original' } }).render().asPng();
  const png = await sharp({ create: { width: W, height, channels: 4, background: '#ffffff' } })
    .composite([...composites, { input: overlay, left: 0, top: 0 }])
    .png({ compressionLevel: 9 })
    .toBuffer();
  return { png, width: W, height, undecodable };
}

function ratioLabel(ratio: number): string {
  return describeRatio(ratio * 1000, 1000);
}
