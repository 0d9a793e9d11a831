/**
 * Mechanical image fixes with sharp, never applied silently: callers opt in, and every change is
 * listed in `applied`. The output is a baseline sRGB JPEG without metadata that passes `checkMedia`.
 */
import { promises as fsp } from 'node:fs';
import type { Metadata } from 'sharp';

// sharp (libvips) loads only when a fix is asked for: it costs start-up time every other call does not need.
let sharpModule: Promise<typeof import('sharp')> | undefined;
async function loadSharp(): Promise<typeof import('sharp').default> {
  sharpModule ??= import('sharp');
  return (await sharpModule).default;
}
import { probeBuffer, type MediaInfo } from './probe.js';
import {
  LIMITS,
  checkMedia,
  describeRatio,
  hasFeedRatioRule,
  isFeedRatioAllowed,
  isImageTarget,
  type TargetKind,
} from './rules.js';

export type RatioFix = 'pad' | 'crop';

export interface FixResult {
  buffer: Buffer;
  info: MediaInfo;
  /** Human-readable list of what was changed; empty when the input already passed and is returned as-is. */
  applied: string[];
}

export type MediaFixErrorCode =
  | 'heic_unsupported'
  | 'not_an_image_target'
  | 'not_an_image'
  | 'unsupported_format'
  | 'input_too_large'
  | 'decode_failed'
  | 'cannot_fit'
  | 'invalid_option';

export class MediaFixError extends Error {
  override readonly name = 'MediaFixError';
  constructor(
    readonly code: MediaFixErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface FixImageOptions {
  /** How to bring a feed/carousel image into 4:5–1.91:1. Default 'pad'. */
  ratio?: RatioFix;
  /** Padding colour (CSS colour: 'white', '#000', 'rgb(…)'). Default white. */
  background?: string;
}

/** Largest input read into memory (files larger than this are not plausible photos). */
const MAX_INPUT_BYTES = 200 * 1024 * 1024;
/** Decoded pixel cap (sharp default: 0x3FFF²) guards against decompression bombs. */
const MAX_INPUT_PIXELS = 268_402_689;
const QUALITIES = [90, 82, 74, 66, 58, 50];
const FORMAT_LABEL: Record<string, string> = {
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  tiff: 'TIFF',
  heif: 'AVIF',
  jpeg: 'JPEG',
};

export async function fixImage(
  input: Buffer | string,
  kind: TargetKind,
  options: FixImageOptions = {},
): Promise<FixResult> {
  if (!isImageTarget(kind)) {
    throw new MediaFixError(
      'not_an_image_target',
      `fix_media only fixes images; ${kind} is a video target. Videos must be re-encoded with a tool such as ffmpeg.`,
    );
  }
  const ratioMode: RatioFix = options.ratio ?? 'pad';
  const background = options.background ?? 'white';

  await assertColour(background);

  const source = typeof input === 'string' ? await readInput(input) : input;
  const before = probeBuffer(source);

  if (before.format === 'heic') {
    throw new MediaFixError(
      'heic_unsupported',
      'This is a HEIC photo, which this server cannot convert (its image library has no HEVC decoder). Export it as JPEG first: on an iPhone set Settings > Camera > Formats > Most Compatible, or share/export the photo as JPEG (Mac: Preview > File > Export > JPEG).',
    );
  }
  if (before.kind === 'video') {
    throw new MediaFixError('not_an_image', `This is a video (${before.format.toUpperCase()}), not an image; ${kind} needs a JPEG image.`);
  }

  // Already fine: hand the bytes back untouched rather than re-encoding (no generation loss).
  if (before.format === 'jpeg' && checkMedia(before, kind).length === 0) {
    return { buffer: source, info: before, applied: [] };
  }

  let meta: Metadata;
  try {
    const sharp = await loadSharp();
    meta = await sharp(source, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).metadata();
  } catch (err) {
    throw new MediaFixError(
      'decode_failed',
      `Could not read this image (${errorText(err)}). Re-export it as JPEG or PNG and try again.`,
    );
  }
  const fmt = String(meta.format);
  if (fmt === 'heif' && meta.compression === 'hevc') {
    throw new MediaFixError('heic_unsupported', 'This is a HEIC/HEIF photo, which this server cannot convert. Export it as JPEG first.');
  }
  if (!['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif'].includes(fmt)) {
    throw new MediaFixError('unsupported_format', `Images in ${fmt.toUpperCase()} format are not supported. Export the picture as JPEG or PNG.`);
  }

  const applied: string[] = [];
  if (fmt !== 'jpeg') {
    const animated = (meta.pages ?? 1) > 1 ? ' (first frame)' : '';
    applied.push(`converted ${FORMAT_LABEL[fmt] ?? fmt.toUpperCase()} to JPEG${animated}`);
  } else if (before.isMpoOrJps) {
    applied.push('re-encoded the multi-picture (MPO/JPS) JPEG as a plain JPEG');
  }

  const rawW = meta.width;
  const rawH = meta.height;
  const orientation = meta.orientation ?? 1;
  const w0 = meta.autoOrient?.width ?? rawW;
  const h0 = meta.autoOrient?.height ?? rawH;
  if (!w0 || !h0) throw new MediaFixError('decode_failed', 'The image has no readable dimensions. Re-export it and try again.');
  if (orientation > 1) applied.push(`applied EXIF orientation ${orientation} (${rawW}x${rawH} stored, ${w0}x${h0} shown)`);
  if (meta.hasAlpha) applied.push(`flattened transparency onto ${background}`);
  if (meta.space && meta.space !== 'srgb' && meta.space !== 'b-w') applied.push(`converted colour space ${meta.space} to sRGB`);
  else if (meta.hasProfile) applied.push('converted colours to sRGB (embedded colour profile removed)');

  // 1. Geometry: ratio fix in source pixels, then downscale to the width limit.
  let canvasW = w0;
  let canvasH = h0;
  let crop: { left: number; top: number; width: number; height: number } | undefined;
  let pad: { top: number; bottom: number; left: number; right: number } | undefined;
  if (hasFeedRatioRule(kind) && !isFeedRatioAllowed(w0, h0)) {
    const tooTall = w0 / h0 < LIMITS.aspect.min;
    const targetRatio = tooTall ? LIMITS.aspect.min : LIMITS.aspect.max;
    const targetLabel = tooTall ? '4:5' : '1.91:1';
    if (ratioMode === 'pad') {
      if (tooTall) canvasW = Math.ceil(h0 * targetRatio);
      else canvasH = Math.ceil(w0 / targetRatio);
      const dx = canvasW - w0;
      const dy = canvasH - h0;
      pad = { left: Math.floor(dx / 2), right: dx - Math.floor(dx / 2), top: Math.floor(dy / 2), bottom: dy - Math.floor(dy / 2) };
      applied.push(`padded ${describeRatio(w0, h0)} to ${targetLabel} with ${background} (${w0}x${h0} to ${canvasW}x${canvasH})`);
    } else {
      if (tooTall) canvasH = Math.max(1, Math.floor(w0 / targetRatio));
      else canvasW = Math.max(1, Math.floor(h0 * targetRatio));
      crop = { left: Math.floor((w0 - canvasW) / 2), top: Math.floor((h0 - canvasH) / 2), width: canvasW, height: canvasH };
      applied.push(`cropped ${describeRatio(w0, h0)} to ${targetLabel}, centred (${w0}x${h0} to ${canvasW}x${canvasH})`);
    }
  }

  let outW = canvasW;
  let outH = canvasH;
  if (outW > LIMITS.image.maxWidth) {
    [outW, outH] = scaleTo(canvasW, canvasH, LIMITS.image.maxWidth, kind);
  }

  // 2. Encode, lowering quality (then size) until it fits.
  let quality = QUALITIES[0]!;
  let buffer = await render(source, { crop, pad, background, srcW: w0, srcH: h0, canvasW, canvasH, outW, outH, quality });
  let qi = 0;
  let shrinkSteps = 0;
  while (buffer.length > LIMITS.imageMaxBytes) {
    if (qi + 1 < QUALITIES.length) {
      quality = QUALITIES[++qi]!;
    } else if (shrinkSteps < 8) {
      shrinkSteps++;
      [outW, outH] = scaleTo(outW, outH, Math.max(1, Math.floor(outW * 0.8)), kind);
    } else {
      throw new MediaFixError('cannot_fit', `Could not bring the image under ${LIMITS.imageMaxBytes / 1024 / 1024} MiB. Export a smaller JPEG.`);
    }
    buffer = await render(source, { crop, pad, background, srcW: w0, srcH: h0, canvasW, canvasH, outW, outH, quality });
  }
  if (outW !== canvasW || outH !== canvasH) applied.push(`resized ${canvasW}x${canvasH} to ${outW}x${outH}`);
  if (qi > 0) applied.push(`re-encoded at quality ${quality} to fit ${LIMITS.imageMaxBytes / 1024 / 1024} MiB`);
  if (fmt === 'jpeg' && applied.length === 0) applied.push(`re-encoded as JPEG at quality ${quality}`);
  if (meta.exif || meta.xmp || meta.iptc) applied.push('removed metadata (EXIF, GPS, XMP)');

  const info = probeBuffer(buffer);
  const remaining = checkMedia(info, kind);
  if (remaining.length > 0) {
    // Defensive: the geometry above is computed to satisfy the rules, so this means a bug.
    throw new MediaFixError('cannot_fit', `The fixed image still fails Instagram's rules: ${remaining.map((i) => i.message).join(' ')}`);
  }
  return { buffer, info, applied };
}

interface RenderPlan {
  /** Region of the (oriented) source to keep, for 'crop'. */
  crop?: { left: number; top: number; width: number; height: number } | undefined;
  /** Padding in source pixels, for 'pad'; rescaled to the output size. */
  pad?: { top: number; bottom: number; left: number; right: number } | undefined;
  background: string;
  /** Oriented source size. */
  srcW: number;
  srcH: number;
  /** Size after crop/pad, before scaling. */
  canvasW: number;
  canvasH: number;
  /** Final size. */
  outW: number;
  outH: number;
  quality: number;
}

/** One sharp pipeline: auto-orient → extract (crop) → resize → extend (pad) → flatten → sRGB JPEG. */
async function render(source: Buffer, plan: RenderPlan): Promise<Buffer> {
  const sharp = await loadSharp();
  try {
    let img = sharp(source, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', autoOrient: true });
    if (plan.crop) img = img.extract(plan.crop);
    const contentW = plan.crop ? plan.crop.width : plan.srcW;
    const contentH = plan.crop ? plan.crop.height : plan.srcH;
    let targetW = plan.outW;
    let targetH = plan.outH;
    let pad = { top: 0, bottom: 0, left: 0, right: 0 };
    if (plan.pad) {
      targetW = Math.min(plan.outW, Math.max(1, Math.round((contentW * plan.outW) / plan.canvasW)));
      targetH = Math.min(plan.outH, Math.max(1, Math.round((contentH * plan.outH) / plan.canvasH)));
      const dx = plan.outW - targetW;
      const dy = plan.outH - targetH;
      pad = { left: Math.floor(dx / 2), right: dx - Math.floor(dx / 2), top: Math.floor(dy / 2), bottom: dy - Math.floor(dy / 2) };
    }
    if (targetW !== contentW || targetH !== contentH) {
      // 'fill' with a size computed from the same ratio: at most a sub-pixel stretch.
      img = img.resize(targetW, targetH, { fit: 'fill', kernel: 'lanczos3' });
    }
    if (pad.top || pad.bottom || pad.left || pad.right) img = img.extend({ ...pad, background: plan.background });
    return await img
      .flatten({ background: plan.background })
      .toColourspace('srgb')
      .jpeg({ quality: plan.quality, chromaSubsampling: '4:2:0', progressive: false })
      .toBuffer();
  } catch (err) {
    throw new MediaFixError('decode_failed', `Could not convert this image (${errorText(err)}). Re-export it as JPEG or PNG and try again.`);
  }
}

/**
 * Scales (w,h) to `width`, choosing a height that keeps a feed/carousel image inside the allowed range
 * despite rounding.
 */
function scaleTo(w: number, h: number, width: number, kind: TargetKind): [number, number] {
  let height = Math.max(1, Math.round((width * h) / w));
  if (hasFeedRatioRule(kind)) {
    if (width / height > LIMITS.aspect.max) height = Math.ceil(width / LIMITS.aspect.max);
    if (width / height < LIMITS.aspect.min) height = Math.floor(width / LIMITS.aspect.min);
  }
  return [width, height];
}

async function readInput(path: string): Promise<Buffer> {
  const fh = await fsp.open(path, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new MediaFixError('unsupported_format', 'The given path is not a regular file.');
    if (st.size > MAX_INPUT_BYTES) {
      throw new MediaFixError(
        'input_too_large',
        `The image file is ${(st.size / 1024 / 1024).toFixed(0)} MiB, too large to process (limit ${MAX_INPUT_BYTES / 1024 / 1024} MiB). Export a smaller JPEG.`,
      );
    }
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

async function assertColour(background: string): Promise<void> {
  const sharp = await loadSharp();
  try {
    await sharp({ create: { width: 1, height: 1, channels: 3, background } }).raw().toBuffer();
  } catch {
    throw new MediaFixError(
      'invalid_option',
      `'${String(background).slice(0, 40)}' is not a colour. Use a CSS colour such as white, black, #ffffff or rgb(240,240,240).`,
    );
  }
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.slice(0, 200);
}
