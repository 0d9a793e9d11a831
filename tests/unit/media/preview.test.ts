/** The pure parts of post previews: feed ratios, centred crops, the grid tile and the caption fold. */
import { describe, expect, it } from 'vitest';
import { CAPTION_FOLD, clampedFeedRatio, cropRect, feedFrame, feedRatioOf, foldCaption, gridCrop, previewCaption } from '../../../src/media/preview.js';
import { LIMITS } from '../../../src/media/rules.js';

describe('feed ratio', () => {
  it('keeps a ratio inside 4:5–1.91:1 and clamps one outside', () => {
    expect(clampedFeedRatio(1080, 1350)).toBe(0.8);
    expect(clampedFeedRatio(1910, 1000)).toBe(1.91);
    expect(clampedFeedRatio(1080, 1080)).toBe(1);
    expect(clampedFeedRatio(2000, 1000)).toBe(1.91);
    expect(clampedFeedRatio(1080, 1920)).toBe(0.8);
    expect(clampedFeedRatio(1920, 1080)).toBeCloseTo(16 / 9, 10);
  });

  it('is the first item\'s (a carousel crops the others to it), square when unknown', () => {
    expect(feedRatioOf({ width: 1080, height: 1350 })).toBe(0.8);
    expect(feedRatioOf({ width: null, height: null })).toBe(1);
    expect(feedRatioOf(undefined)).toBe(1);
    expect(feedFrame(0.8)).toEqual({ width: 1080, height: 1350 });
    expect(feedFrame(1.91)).toEqual({ width: 1080, height: 565 });
  });
});

describe('crop rectangles', () => {
  it('centres the largest rectangle of the ratio, in whole pixels', () => {
    expect(cropRect(1920, 1080, 0.8)).toEqual({ crop: { x: 528, y: 0, width: 864, height: 1080 }, cropped: true });
    expect(cropRect(1080, 1080, 0.8)).toEqual({ crop: { x: 108, y: 0, width: 864, height: 1080 }, cropped: true });
    expect(cropRect(1080, 1350, 0.8)).toEqual({ crop: { x: 0, y: 0, width: 1080, height: 1350 }, cropped: false });
    expect(cropRect(2000, 1000, clampedFeedRatio(2000, 1000))).toEqual({ crop: { x: 45, y: 0, width: 1910, height: 1000 }, cropped: true });
    // Taller than the target: the height is cut, centred (odd remainders go below).
    expect(cropRect(1080, 1921, 0.8)).toEqual({ crop: { x: 0, y: 285, width: 1080, height: 1350 }, cropped: true });
  });

  it('leaves images at exactly 0.8 and exactly 1.91 whole', () => {
    expect(cropRect(800, 1000, clampedFeedRatio(800, 1000)).cropped).toBe(false);
    expect(cropRect(1910, 1000, clampedFeedRatio(1910, 1000)).cropped).toBe(false);
    expect(cropRect(191, 100, 1.91).cropped).toBe(false);
    // Within the rules' epsilon of the bound: shown as it is, not cut by a pixel.
    expect(cropRect(15_999, 20_000, clampedFeedRatio(15_999, 20_000)).cropped).toBe(false);
    // Just outside it (Instagram refuses 1079x1350): cut to 4:5.
    expect(cropRect(1079, 1350, clampedFeedRatio(1079, 1350))).toEqual({ crop: { x: 0, y: 0, width: 1079, height: 1349 }, cropped: true });
  });

  it('grid tiles are a centred 3:4 of what the feed shows', () => {
    expect(gridCrop(1080, 1350, 0.8)).toEqual({ x: 33, y: 0, width: 1013, height: 1350 });
    expect(gridCrop(1080, 1080, 1)).toEqual({ x: 135, y: 0, width: 810, height: 1080 });
    // A 16:9 first item of its own carousel: 3:4 of the 16:9 frame.
    expect(gridCrop(1920, 1080, 16 / 9)).toEqual({ x: 555, y: 0, width: 810, height: 1080 });
    // 9:16: the feed shows 4:5 of it, the tile is 3:4 of that.
    expect(gridCrop(1080, 1920, 0.8)).toEqual({ x: 33, y: 285, width: 1013, height: 1350 });
  });
});

describe('caption fold', () => {
  it('a short caption is shown whole', () => {
    expect(foldCaption('Hello there')).toEqual({ visible: 'Hello there', truncated: false });
    expect(foldCaption(undefined)).toEqual({ visible: '', truncated: false });
    expect(foldCaption('Two\nlines\n\n  ')).toEqual({ visible: 'Two\nlines', truncated: false });
  });

  it('cuts at ~125 characters, back to a word boundary', () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const { visible, truncated } = foldCaption(words);
    expect(truncated).toBe(true);
    expect([...visible].length).toBeLessThanOrEqual(CAPTION_FOLD.chars);
    expect(words.startsWith(visible)).toBe(true);
    expect(words[visible.length]).toBe(' ');
    expect(visible).toMatch(/word\d+$/);
    // Exactly 125 characters: not cut.
    const exact = 'a'.repeat(120) + ' bcde';
    expect(foldCaption(exact)).toEqual({ visible: exact, truncated: false });
    // A cut that falls on a blank keeps the whole last word.
    expect(foldCaption(`${'a'.repeat(125)} tail`)).toEqual({ visible: 'a'.repeat(125), truncated: true });
    // One word longer than the limit is cut inside it.
    expect(foldCaption('x'.repeat(300)).visible).toBe('x'.repeat(125));
  });

  it('stops at the second line break', () => {
    expect(foldCaption('First line\nsecond line\nthird line')).toEqual({ visible: 'First line\nsecond line', truncated: true });
    expect(foldCaption('One\r\nTwo\r\nThree')).toEqual({ visible: 'One\nTwo', truncated: true });
    // A blank first line counts as a line.
    expect(foldCaption('\nTwo\nThree')).toEqual({ visible: '\nTwo', truncated: true });
    // Two lines, the second too long: the character rule still applies.
    const long = `Intro\n${Array.from({ length: 40 }, () => 'lorem').join(' ')}`;
    const folded = foldCaption(long);
    expect(folded.truncated).toBe(true);
    expect(folded.visible.startsWith('Intro\nlorem')).toBe(true);
    expect([...folded.visible].length).toBeLessThanOrEqual(125);
    expect(folded.visible.endsWith('lorem')).toBe(true);
  });

  it('counts characters as code points (an emoji is one)', () => {
    const emoji = '😀'.repeat(130);
    expect([...foldCaption(emoji).visible]).toHaveLength(125);
  });

  it('counts against the limits of the rules', () => {
    const tags = Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' ');
    const p = previewCaption(`${tags} @a @b`);
    expect(p.limit).toBe(LIMITS.caption.maxChars);
    expect(p.hashtags).toEqual({ count: 31, limit: 30 });
    expect(p.mentions).toEqual({ count: 2, limit: 20 });
    expect(p.issues.map((i) => i.code)).toEqual(['too_many_hashtags']);
    expect(previewCaption('x'.repeat(2201)).issues.map((i) => i.code)).toEqual(['caption_too_long']);
  });
});
