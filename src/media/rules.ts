/**
 * Instagram's publishing limits in one place (reference §3.1, §3.2, §3.7), and checks that say what is
 * wrong, what the limit is and how to fix it.
 */
import type { MediaInfo } from './probe.js';

export type TargetKind =
  | 'feed_image'
  | 'carousel_image'
  | 'story_image'
  | 'reel'
  | 'story_video'
  | 'carousel_video'
  | 'reel_cover';

export interface MediaIssue {
  /**
   * Stable machine code. Captions: caption_too_long, too_many_hashtags, too_many_mentions. Images:
   * wrong_media_kind, format_not_jpeg (HEIC included, then not fixable), jpeg_mpo_or_jps,
   * image_too_large, aspect_ratio_out_of_range, dimensions_unknown. Videos: wrong_media_kind, video_container_unsupported,
   * video_codec_unsupported, audio_codec_unsupported, video_too_short, video_too_long, duration_unknown,
   * video_too_large, moov_not_at_front, aspect_ratio_out_of_range. Carousels: carousel_too_few,
   * carousel_too_many. Alt text: alt_text_too_long.
   */
  code: string;
  /** Actionable: what is wrong, the limit, how to fix it. */
  message: string;
  /** True when `fixImage` (fix_media) can fix it mechanically. */
  fixable: boolean;
}

const MiB = 1024 * 1024;

export const LIMITS = {
  caption: { maxChars: 2200, maxHashtags: 30, maxMentions: 20 },
  /** Feed, carousel and story images and reel covers (Meta's error message says 8 MiB). */
  imageMaxBytes: 8 * MiB,
  /** Feed and carousel images: the whole range 4:5 to 1.91:1, inclusive; epsilon absorbs float rounding. */
  aspect: { min: 0.8, max: 1.91, epsilon: 1e-4 },
  /** Instagram upscales narrower images and downscales wider ones; fixImage downscales to maxWidth itself. */
  image: { minWidth: 320, maxWidth: 1440 },
  altTextMaxChars: 1000,
  carousel: { min: 2, max: 10 },
  collaboratorsMax: 3,
  userTagsMax: 20,
  /** Reels. maxWidth is Meta's documented maximum; not enforced (Instagram transcodes larger input). */
  reel: { minSec: 3, maxSec: 900, maxBytes: 300 * MiB, aspectMin: 0.01, aspectMax: 10, maxWidth: 1920 },
  storyVideo: { minSec: 3, maxSec: 60, maxBytes: 100 * MiB, aspectMin: 0.1, aspectMax: 10 },
  /** No separate spec is published for carousel video children; the Reels spec applies (assumption). */
  carouselVideo: { minSec: 3, maxSec: 900, maxBytes: 300 * MiB, aspectMin: 0.01, aspectMax: 10 },
  videoCodecs: ['avc1', 'avc3', 'hvc1', 'hev1'],
  audioCodecs: ['mp4a'],
} as const;

const IMAGE_TARGETS: ReadonlySet<TargetKind> = new Set(['feed_image', 'carousel_image', 'story_image', 'reel_cover']);
const RATIO_TARGETS: ReadonlySet<TargetKind> = new Set(['feed_image', 'carousel_image']);

export function isImageTarget(kind: TargetKind): boolean {
  return IMAGE_TARGETS.has(kind);
}

/** True when feed/carousel ratio rules apply to this target. */
export function hasFeedRatioRule(kind: TargetKind): boolean {
  return RATIO_TARGETS.has(kind);
}

/** Whether `width/height` is inside Instagram's feed range (inclusive, with LIMITS.aspect.epsilon). */
export function isFeedRatioAllowed(width: number, height: number): boolean {
  const r = width / height;
  return r >= LIMITS.aspect.min - LIMITS.aspect.epsilon && r <= LIMITS.aspect.max + LIMITS.aspect.epsilon;
}

const TARGET_LABEL: Record<TargetKind, string> = {
  feed_image: 'a feed image',
  carousel_image: 'a carousel image',
  story_image: 'a story image',
  reel: 'a reel',
  story_video: 'a story video',
  carousel_video: 'a carousel video',
  reel_cover: 'a reel cover',
};

/* ------------------------------------------------------------------------------------------------ */
/* Captions                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

// A hashtag is `#` followed by letters (any script), combining marks, digits or underscores.
const HASHTAG = /#[\p{L}\p{M}\p{N}_]+/gu;
// A mention is `@` + an Instagram username (letters, digits, `.`, `_`; at most 30), not inside a word
// or an e-mail address. A trailing period ends the sentence, not the username.
const MENTION = /(?<![\p{L}\p{N}_.@])@([A-Za-z0-9._]{1,30})(?![A-Za-z0-9_])/gu;

/** Occurrences of hashtags, counted the way Instagram does (every occurrence, any script). */
export function countHashtags(text: string): number {
  return text.match(HASHTAG)?.length ?? 0;
}

/** Occurrences of @mentions (usernames that are not only dots; e-mail addresses excluded). */
export function countMentions(text: string): number {
  let n = 0;
  for (const m of text.matchAll(MENTION)) {
    if (/[A-Za-z0-9_]/.test(m[1]!)) n++;
  }
  return n;
}

/** Characters as Instagram counts them: Unicode code points (an emoji such as 😀 is one). */
export function captionLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function checkCaption(caption: string | undefined): MediaIssue[] {
  if (caption === undefined || caption === '') return [];
  const issues: MediaIssue[] = [];
  const { maxChars, maxHashtags, maxMentions } = LIMITS.caption;
  const length = captionLength(caption);
  if (length > maxChars) {
    issues.push({
      code: 'caption_too_long',
      message: `The caption is ${length} characters; Instagram allows at most ${maxChars}. Shorten it by ${length - maxChars} characters (or move text to a first comment).`,
      fixable: false,
    });
  }
  const hashtags = countHashtags(caption);
  if (hashtags > maxHashtags) {
    issues.push({
      code: 'too_many_hashtags',
      message: `The caption has ${hashtags} hashtags; Instagram allows at most ${maxHashtags}. Remove ${hashtags - maxHashtags} of them.`,
      fixable: false,
    });
  }
  const mentions = countMentions(caption);
  if (mentions > maxMentions) {
    issues.push({
      code: 'too_many_mentions',
      message: `The caption has ${mentions} @mentions; Instagram allows at most ${maxMentions}. Remove ${mentions - maxMentions} of them.`,
      fixable: false,
    });
  }
  return issues;
}

export function checkAltText(altText: string | undefined): MediaIssue[] {
  if (!altText) return [];
  const length = captionLength(altText);
  if (length <= LIMITS.altTextMaxChars) return [];
  return [
    {
      code: 'alt_text_too_long',
      message: `The alt text is ${length} characters; Instagram allows at most ${LIMITS.altTextMaxChars}. Shorten it by ${length - LIMITS.altTextMaxChars} characters.`,
      fixable: false,
    },
  ];
}

export function checkCarouselSize(n: number): MediaIssue[] {
  const { min, max } = LIMITS.carousel;
  if (n < min) {
    return [
      {
        code: 'carousel_too_few',
        message: `A carousel needs at least ${min} items and has ${n}. Add ${min - n} more, or publish a single post instead.`,
        fixable: false,
      },
    ];
  }
  if (n > max) {
    return [
      {
        code: 'carousel_too_many',
        message: `A carousel holds at most ${max} items and has ${n}. Remove ${n - max}, or split them into two posts.`,
        fixable: false,
      },
    ];
  }
  return [];
}

/* ------------------------------------------------------------------------------------------------ */
/* Media                                                                                             */
/* ------------------------------------------------------------------------------------------------ */

/** "2.5:1", "4:5", "1:3" — for messages. */
export function describeRatio(width: number, height: number): string {
  const r = width / height;
  if (Math.abs(r - 0.8) < 1e-9) return '4:5';
  const fmt = (x: number) => String(Number(x.toFixed(2)));
  return r >= 1 ? `${fmt(r)}:1` : `1:${fmt(1 / r)}`;
}

function formatBytes(n: number): string {
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(1))} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return `${m} min ${rest} s`;
}

/** Formats that sharp (prebuilt libvips) decodes, so fixImage can convert them to JPEG. */
function isConvertibleImage(info: MediaInfo): boolean {
  return (
    info.kind === 'image' &&
    (info.format === 'jpeg' || info.format === 'png' || info.format === 'webp' || info.format === 'gif' ||
      (info.format === 'unknown' && (info.mimeType === 'image/tiff' || info.mimeType === 'image/avif')))
  );
}

function formatName(info: MediaInfo): string {
  if (info.format !== 'unknown') return info.format.toUpperCase();
  if (info.mimeType !== 'application/octet-stream') return info.mimeType;
  return 'an unrecognised format';
}

export function checkMedia(info: MediaInfo, kind: TargetKind): MediaIssue[] {
  return isImageTarget(kind) ? checkImage(info, kind) : checkVideo(info, kind);
}

function checkImage(info: MediaInfo, kind: TargetKind): MediaIssue[] {
  const issues: MediaIssue[] = [];
  const target = TARGET_LABEL[kind];
  if (info.kind === 'video') {
    return [
      {
        code: 'wrong_media_kind',
        message: `${capital(target)} must be a JPEG image, but this is a video (${formatName(info)}). Use a reel, story video or carousel video instead, or pick an image.`,
        fixable: false,
      },
    ];
  }
  const convertible = isConvertibleImage(info);
  if (info.format === 'heic') {
    issues.push({
      code: 'format_not_jpeg',
      message: `${capital(target)} must be a JPEG; this is HEIC, which Instagram's API rejects and this server cannot convert. Export it as JPEG (iPhone: Settings > Camera > Formats > Most Compatible, or share/export as JPEG) and try again.`,
      fixable: false,
    });
  } else if (info.format !== 'jpeg') {
    issues.push({
      code: 'format_not_jpeg',
      message: convertible
        ? `${capital(target)} must be a JPEG; this is ${formatName(info)}. fix_media can convert it to JPEG.`
        : `${capital(target)} must be a JPEG; this is ${formatName(info)}, which cannot be converted here. Export it as JPEG and try again.`,
      fixable: convertible,
    });
  }
  if (info.format === 'jpeg' && info.isMpoOrJps) {
    issues.push({
      code: 'jpeg_mpo_or_jps',
      message: `This JPEG carries extra pictures (MPO/JPS multi-picture or stereo extension); Instagram's API does not accept extended JPEG formats. fix_media can re-encode it as a plain JPEG.`,
      fixable: true,
    });
  }
  if (info.sizeBytes > LIMITS.imageMaxBytes) {
    issues.push({
      code: 'image_too_large',
      message: `The image is ${formatBytes(info.sizeBytes)}; Instagram accepts at most ${formatBytes(LIMITS.imageMaxBytes)}. ${convertible ? 'fix_media can resize and recompress it to fit.' : 'Export a smaller JPEG.'}`,
      fixable: convertible,
    });
  }
  if (!info.width || !info.height) {
    if (convertible || info.format === 'heic') {
      issues.push({
        code: 'dimensions_unknown',
        message: `Could not read the image's width and height (the file may be truncated or corrupt). ${convertible ? 'fix_media can try to re-encode it.' : 'Re-export it and try again.'}`,
        fixable: convertible,
      });
    }
  } else if (hasFeedRatioRule(kind) && !isFeedRatioAllowed(info.width, info.height)) {
    const ratio = describeRatio(info.width, info.height);
    const tooTall = info.width / info.height < LIMITS.aspect.min;
    issues.push({
      code: 'aspect_ratio_out_of_range',
      message: `The image is ${info.width}x${info.height} (${ratio}); ${target} must be between 4:5 (0.8, portrait) and 1.91:1 (landscape). It is too ${tooTall ? 'tall' : 'wide'}: fix_media can pad it (keeps everything, adds borders) or crop it to ${tooTall ? '4:5' : '1.91:1'}; a story has no such limit.`,
      fixable: convertible,
    });
  }
  return issues;
}

function checkVideo(info: MediaInfo, kind: TargetKind): MediaIssue[] {
  const target = TARGET_LABEL[kind];
  if (info.kind === 'image') {
    return [
      {
        code: 'wrong_media_kind',
        message: `${capital(target)} must be an MP4 or MOV video, but this is an image (${formatName(info)}). Use a feed, carousel or story image instead, or pick a video.`,
        fixable: false,
      },
    ];
  }
  if (info.format !== 'mp4' && info.format !== 'mov') {
    return [
      {
        code: 'video_container_unsupported',
        message: `${capital(target)} must be an MP4 or MOV file; this is ${formatName(info)}. Export or convert it to MP4 (H.264 or HEVC video, AAC audio), e.g. \`ffmpeg -i in -c:v libx264 -c:a aac -movflags +faststart out.mp4\`.`,
        fixable: false,
      },
    ];
  }
  const spec = kind === 'story_video' ? LIMITS.storyVideo : kind === 'carousel_video' ? LIMITS.carouselVideo : LIMITS.reel;
  const issues: MediaIssue[] = [];
  const codecs: readonly string[] = LIMITS.videoCodecs;
  if (!info.videoCodec) {
    issues.push({
      code: 'video_codec_unsupported',
      message: `No video track was found in this ${info.format.toUpperCase()} file. ${capital(target)} needs H.264 or HEVC video; re-export the video.`,
      fixable: false,
    });
  } else if (!codecs.includes(info.videoCodec)) {
    issues.push({
      code: 'video_codec_unsupported',
      message: `The video codec is ${info.videoCodec}; Instagram accepts H.264 (avc1) or HEVC (hvc1/hev1). Re-encode it, e.g. \`ffmpeg -i in -c:v libx264 -pix_fmt yuv420p -c:a aac -movflags +faststart out.mp4\`.`,
      fixable: false,
    });
  }
  const audioCodecs: readonly string[] = LIMITS.audioCodecs;
  if (info.audioCodec && !audioCodecs.includes(info.audioCodec)) {
    issues.push({
      code: 'audio_codec_unsupported',
      message: `The audio codec is ${info.audioCodec}; Instagram accepts AAC (≤48 kHz, mono or stereo). Re-encode the audio, e.g. \`ffmpeg -i in -c:v copy -c:a aac -b:a 128k out.mp4\`.`,
      fixable: false,
    });
  }
  if (info.durationMs === undefined) {
    issues.push({
      code: 'duration_unknown',
      message: `Could not read the video's duration (no movie header found: the file may be truncated). ${capital(target)} must last ${spec.minSec} s to ${formatSeconds(spec.maxSec * 1000)}; re-export the video.`,
      fixable: false,
    });
  } else if (info.durationMs < spec.minSec * 1000) {
    issues.push({
      code: 'video_too_short',
      message: `The video lasts ${formatSeconds(info.durationMs)}; ${target} must last at least ${spec.minSec} s. Use a longer clip.`,
      fixable: false,
    });
  } else if (info.durationMs > spec.maxSec * 1000) {
    issues.push({
      code: 'video_too_long',
      message: `The video lasts ${formatSeconds(info.durationMs)}; ${target} may last at most ${formatSeconds(spec.maxSec * 1000)}. Trim it${kind === 'story_video' ? ' or split it into several stories' : ''}.`,
      fixable: false,
    });
  }
  if (info.sizeBytes > spec.maxBytes) {
    issues.push({
      code: 'video_too_large',
      message: `The video is ${formatBytes(info.sizeBytes)}; ${target} may be at most ${formatBytes(spec.maxBytes)}. Re-encode it at a lower bitrate or resolution, or trim it.`,
      fixable: false,
    });
  }
  if (info.moovAtFront === false) {
    issues.push({
      code: 'moov_not_at_front',
      message: `The video's index (moov atom) is at the end of the file; Instagram requires it at the front. Remux without re-encoding: \`ffmpeg -i in.mp4 -c copy -movflags +faststart out.mp4\`.`,
      fixable: false,
    });
  }
  if (info.width && info.height) {
    const r = info.width / info.height;
    if (r < spec.aspectMin || r > spec.aspectMax) {
      issues.push({
        code: 'aspect_ratio_out_of_range',
        message: `The video is ${info.width}x${info.height} (${describeRatio(info.width, info.height)}); ${target} must be between ${spec.aspectMin}:1 and ${spec.aspectMax}:1 (9:16 recommended). Crop or pad it.`,
        fixable: false,
      });
    }
  }
  return issues;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
