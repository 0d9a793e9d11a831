import { describe, expect, it } from 'vitest';
import type { MediaInfo } from '../../../src/media/probe.js';
import {
  LIMITS,
  checkAltText,
  checkCaption,
  checkCarouselSize,
  checkMedia,
  countHashtags,
  countMentions,
  type TargetKind,
} from '../../../src/media/rules.js';

const MiB = 1024 * 1024;

function jpeg(width: number, height: number, extra: Partial<MediaInfo> = {}): MediaInfo {
  return { kind: 'image', format: 'jpeg', mimeType: 'image/jpeg', sizeBytes: 500_000, width, height, isMpoOrJps: false, ...extra };
}

function video(extra: Partial<MediaInfo> = {}): MediaInfo {
  return {
    kind: 'video',
    format: 'mp4',
    mimeType: 'video/mp4',
    sizeBytes: 50 * MiB,
    width: 1080,
    height: 1920,
    durationMs: 30_000,
    videoCodec: 'avc1',
    audioCodec: 'mp4a',
    moovAtFront: true,
    ...extra,
  };
}

const codes = (issues: { code: string }[]) => issues.map((i) => i.code);

describe('LIMITS', () => {
  it('holds the documented values', () => {
    expect(LIMITS.caption).toEqual({ maxChars: 2200, maxHashtags: 30, maxMentions: 20 });
    expect(LIMITS.imageMaxBytes).toBe(8 * MiB);
    expect(LIMITS.aspect.min).toBe(0.8);
    expect(LIMITS.aspect.max).toBe(1.91);
    expect(LIMITS.altTextMaxChars).toBe(1000);
    expect(LIMITS.carousel).toEqual({ min: 2, max: 10 });
    expect(LIMITS.collaboratorsMax).toBe(3);
    expect(LIMITS.reel).toMatchObject({ minSec: 3, maxSec: 900, maxBytes: 300 * MiB });
    expect(LIMITS.storyVideo).toMatchObject({ minSec: 3, maxSec: 60, maxBytes: 100 * MiB });
  });
});

describe('checkCaption', () => {
  it('accepts undefined, empty and exactly 2200 characters; refuses 2201', () => {
    expect(checkCaption(undefined)).toEqual([]);
    expect(checkCaption('')).toEqual([]);
    expect(checkCaption('a'.repeat(2200))).toEqual([]);
    const issues = checkCaption('a'.repeat(2201));
    expect(codes(issues)).toEqual(['caption_too_long']);
    expect(issues[0]!.message).toMatch(/2201 characters.*at most 2200.*Shorten it by 1/);
    expect(issues[0]!.fixable).toBe(false);
  });

  it('counts an emoji as one character', () => {
    expect(checkCaption('😀'.repeat(2200))).toEqual([]);
    expect(codes(checkCaption('😀'.repeat(2201)))).toEqual(['caption_too_long']);
  });

  it('allows 30 hashtags and refuses 31', () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `#tag${i}`).join(' ');
    expect(checkCaption(tags(30))).toEqual([]);
    const issues = checkCaption(tags(31));
    expect(codes(issues)).toEqual(['too_many_hashtags']);
    expect(issues[0]!.message).toMatch(/31 hashtags.*at most 30.*Remove 1/);
  });

  it('counts hashtags in any script, and not a bare # or ##', () => {
    expect(countHashtags('#café #日本 #привет #tag_2 # ## #')).toBe(4);
    expect(countHashtags('##double')).toBe(1);
    expect(countHashtags('no tags here')).toBe(0);
    expect(countHashtags('line1\n#a\n#b')).toBe(2);
  });

  it('allows 20 mentions and refuses 21', () => {
    const mentions = (n: number) => Array.from({ length: n }, (_, i) => `@user.${i}`).join(' ');
    expect(checkCaption(mentions(20))).toEqual([]);
    const issues = checkCaption(mentions(21));
    expect(codes(issues)).toEqual(['too_many_mentions']);
    expect(issues[0]!.message).toMatch(/21 @mentions.*at most 20/);
  });

  it('does not count e-mail addresses or a lone @ as mentions', () => {
    expect(countMentions('write to me@example.com or @ here, thanks @natgeo and (@nasa).')).toBe(2);
    expect(countMentions('@a_b.c @...')).toBe(1);
  });

  it('reports several problems at once', () => {
    const caption = `${'x'.repeat(2200)} ${Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' ')}`;
    expect(codes(checkCaption(caption))).toEqual(['caption_too_long', 'too_many_hashtags']);
  });
});

describe('checkCarouselSize / checkAltText', () => {
  it('accepts 2..10 items', () => {
    expect(codes(checkCarouselSize(1))).toEqual(['carousel_too_few']);
    expect(checkCarouselSize(2)).toEqual([]);
    expect(checkCarouselSize(10)).toEqual([]);
    expect(codes(checkCarouselSize(11))).toEqual(['carousel_too_many']);
    expect(checkCarouselSize(11)[0]!.message).toMatch(/at most 10.*Remove 1/);
  });

  it('alt text up to 1000 characters', () => {
    expect(checkAltText('a'.repeat(1000))).toEqual([]);
    expect(codes(checkAltText('a'.repeat(1001)))).toEqual(['alt_text_too_long']);
  });
});

describe('checkMedia: images', () => {
  it('accepts the inclusive ratio range 0.8 .. 1.91 for feed and carousel images', () => {
    for (const kind of ['feed_image', 'carousel_image'] as TargetKind[]) {
      expect(checkMedia(jpeg(1080, 1350), kind)).toEqual([]); // exactly 0.8
      expect(checkMedia(jpeg(191, 100), kind)).toEqual([]); // exactly 1.91
      expect(checkMedia(jpeg(1080, 566), kind)).toEqual([]); // 1.908
      expect(checkMedia(jpeg(1080, 1080), kind)).toEqual([]);
      expect(checkMedia(jpeg(1200, 1300), kind)).toEqual([]); // any ratio inside, not only 0.8/1/1.91
      expect(codes(checkMedia(jpeg(1080, 1351), kind))).toEqual(['aspect_ratio_out_of_range']); // 0.79941: one pixel too tall
      expect(checkMedia(jpeg(1080, 1350.0001), kind)).toEqual([]); // float noise is tolerated
      expect(codes(checkMedia(jpeg(79, 100), kind))).toEqual(['aspect_ratio_out_of_range']);
      expect(codes(checkMedia(jpeg(192, 100), kind))).toEqual(['aspect_ratio_out_of_range']);
    }
  });

  it('explains the ratio problem and the fix', () => {
    const [issue] = checkMedia(jpeg(3000, 1000), 'feed_image');
    expect(issue).toMatchObject({ code: 'aspect_ratio_out_of_range', fixable: true });
    expect(issue!.message).toMatch(/3000x1000 \(3:1\).*4:5.*1\.91:1.*too wide.*pad.*crop/);
    expect(checkMedia(jpeg(1000, 3000), 'feed_image')[0]!.message).toMatch(/1:3.*too tall/);
  });

  it('has no ratio rule for stories and reel covers', () => {
    expect(checkMedia(jpeg(1080, 1920), 'story_image')).toEqual([]);
    expect(checkMedia(jpeg(100, 3000), 'story_image')).toEqual([]);
    expect(checkMedia(jpeg(1080, 1920), 'reel_cover')).toEqual([]);
  });

  it('requires JPEG: convertible formats are fixable, HEIC is not', () => {
    const png: MediaInfo = { kind: 'image', format: 'png', mimeType: 'image/png', sizeBytes: 1000, width: 100, height: 100 };
    expect(checkMedia(png, 'feed_image')).toEqual([expect.objectContaining({ code: 'format_not_jpeg', fixable: true })]);
    const webp: MediaInfo = { ...png, format: 'webp', mimeType: 'image/webp' };
    expect(checkMedia(webp, 'story_image')[0]).toMatchObject({ code: 'format_not_jpeg', fixable: true });
    const heic: MediaInfo = { kind: 'image', format: 'heic', mimeType: 'image/heic', sizeBytes: 1000, width: 4032, height: 3024 };
    const [issue] = checkMedia(heic, 'feed_image');
    expect(issue).toMatchObject({ code: 'format_not_jpeg', fixable: false });
    expect(issue!.message).toMatch(/HEIC.*Export it as JPEG/);
    const bmp: MediaInfo = { kind: 'image', format: 'unknown', mimeType: 'image/bmp', sizeBytes: 1000 };
    expect(checkMedia(bmp, 'feed_image')[0]).toMatchObject({ code: 'format_not_jpeg', fixable: false });
    const tiff: MediaInfo = { kind: 'image', format: 'unknown', mimeType: 'image/tiff', sizeBytes: 1000 };
    expect(codes(checkMedia(tiff, 'feed_image'))).toEqual(['format_not_jpeg', 'dimensions_unknown']);
    expect(checkMedia(tiff, 'feed_image').every((i) => i.fixable)).toBe(true);
  });

  it('refuses MPO/JPS JPEGs (fixable)', () => {
    expect(checkMedia(jpeg(100, 100, { isMpoOrJps: true }), 'feed_image')).toEqual([
      expect.objectContaining({ code: 'jpeg_mpo_or_jps', fixable: true }),
    ]);
  });

  it('limits images to 8 MiB inclusive', () => {
    expect(checkMedia(jpeg(1080, 1080, { sizeBytes: 8 * MiB }), 'feed_image')).toEqual([]);
    const [issue] = checkMedia(jpeg(1080, 1080, { sizeBytes: 8 * MiB + 1 }), 'story_image');
    expect(issue).toMatchObject({ code: 'image_too_large', fixable: true });
    expect(issue!.message).toMatch(/at most 8\.0 MiB/);
  });

  it('flags unreadable dimensions and a video given for an image target', () => {
    expect(codes(checkMedia({ kind: 'image', format: 'jpeg', mimeType: 'image/jpeg', sizeBytes: 10 }, 'feed_image'))).toEqual(['dimensions_unknown']);
    expect(checkMedia(video(), 'feed_image')).toEqual([expect.objectContaining({ code: 'wrong_media_kind', fixable: false })]);
  });
});

describe('checkMedia: videos', () => {
  it('accepts a valid reel, story and carousel video', () => {
    expect(checkMedia(video(), 'reel')).toEqual([]);
    expect(checkMedia(video(), 'story_video')).toEqual([]);
    expect(checkMedia(video(), 'carousel_video')).toEqual([]);
    expect(checkMedia(video({ format: 'mov', mimeType: 'video/quicktime', videoCodec: 'hvc1' }), 'reel')).toEqual([]);
    expect(checkMedia(video({ videoCodec: 'hev1', audioCodec: undefined }), 'reel')).toEqual([]);
  });

  it('enforces reel duration 3 s .. 15 min inclusive', () => {
    expect(checkMedia(video({ durationMs: 3000 }), 'reel')).toEqual([]);
    expect(checkMedia(video({ durationMs: 900_000 }), 'reel')).toEqual([]);
    expect(codes(checkMedia(video({ durationMs: 2999 }), 'reel'))).toEqual(['video_too_short']);
    const [long] = checkMedia(video({ durationMs: 900_001 }), 'reel');
    expect(long).toMatchObject({ code: 'video_too_long', fixable: false });
    expect(long!.message).toMatch(/15 min 0 s.*Trim/);
  });

  it('enforces story video duration 3 .. 60 s and 100 MiB', () => {
    expect(checkMedia(video({ durationMs: 60_000, sizeBytes: 100 * MiB }), 'story_video')).toEqual([]);
    expect(codes(checkMedia(video({ durationMs: 60_001 }), 'story_video'))).toEqual(['video_too_long']);
    expect(codes(checkMedia(video({ sizeBytes: 100 * MiB + 1 }), 'story_video'))).toEqual(['video_too_large']);
    expect(checkMedia(video({ durationMs: 61_000 }), 'story_video')[0]!.message).toMatch(/split it into several stories/);
  });

  it('enforces 300 MiB for reels', () => {
    expect(checkMedia(video({ sizeBytes: 300 * MiB }), 'reel')).toEqual([]);
    expect(codes(checkMedia(video({ sizeBytes: 300 * MiB + 1 }), 'reel'))).toEqual(['video_too_large']);
  });

  it('requires MP4/MOV, H.264/HEVC, AAC, a readable duration and moov at the front', () => {
    expect(codes(checkMedia({ kind: 'unknown', format: 'unknown', mimeType: 'application/octet-stream', sizeBytes: 5 }, 'reel'))).toEqual([
      'video_container_unsupported',
    ]);
    expect(codes(checkMedia(video({ videoCodec: 'av01' }), 'reel'))).toEqual(['video_codec_unsupported']);
    expect(checkMedia(video({ videoCodec: undefined }), 'reel')[0]!.message).toMatch(/No video track/);
    expect(codes(checkMedia(video({ audioCodec: 'ac-3' }), 'reel'))).toEqual(['audio_codec_unsupported']);
    expect(codes(checkMedia(video({ durationMs: undefined }), 'reel'))).toEqual(['duration_unknown']);
    const [moov] = checkMedia(video({ moovAtFront: false }), 'reel');
    expect(moov).toMatchObject({ code: 'moov_not_at_front', fixable: false });
    expect(moov!.message).toMatch(/faststart/);
  });

  it('uses 0.01..10 for reels and 0.1..10 for story videos', () => {
    expect(checkMedia(video({ width: 100, height: 9000 }), 'reel')).toEqual([]);
    expect(codes(checkMedia(video({ width: 100, height: 9000 }), 'story_video'))).toEqual(['aspect_ratio_out_of_range']);
    expect(codes(checkMedia(video({ width: 1001, height: 100 }), 'reel'))).toEqual(['aspect_ratio_out_of_range']);
    expect(checkMedia(video({ width: 1000, height: 100 }), 'reel')).toEqual([]);
  });

  it('flags an image given for a video target', () => {
    expect(checkMedia(jpeg(100, 100), 'reel')).toEqual([expect.objectContaining({ code: 'wrong_media_kind' })]);
  });

  it('every message is actionable (non-empty, ends with guidance)', () => {
    const all = [
      ...checkMedia(video({ videoCodec: 'av01', audioCodec: 'opus', durationMs: 1000, sizeBytes: 400 * MiB, moovAtFront: false, width: 1, height: 1000 }), 'reel'),
      ...checkMedia(jpeg(3000, 1000, { sizeBytes: 9 * MiB, isMpoOrJps: true }), 'feed_image'),
    ];
    expect(codes(all)).toEqual([
      'video_codec_unsupported',
      'audio_codec_unsupported',
      'video_too_short',
      'video_too_large',
      'moov_not_at_front',
      'aspect_ratio_out_of_range',
      'jpeg_mpo_or_jps',
      'image_too_large',
      'aspect_ratio_out_of_range',
    ]);
    for (const issue of all) expect(issue.message.length).toBeGreaterThan(40);
  });
});
