import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaFixError, fixImage } from '../../../src/media/fix.js';
import { probeBuffer } from '../../../src/media/probe.js';
import { LIMITS, checkMedia, type TargetKind } from '../../../src/media/rules.js';
import { heicHeader, noise, solid, withAppSegment } from './images.js';
import { mp4Buffer } from './mp4.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function pixel(buf: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(buf).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [...data.subarray(i, i + 3)];
}

function ratioOf(buf: Buffer): number {
  const info = probeBuffer(buf);
  return info.width! / info.height!;
}

describe('fixImage: ratio', () => {
  it('pads a 3:1 PNG to 1.91:1 with white and converts it to JPEG', async () => {
    const png = await solid(900, 300, 'png');
    const result = await fixImage(png, 'feed_image');
    expect(result.info).toMatchObject({ format: 'jpeg', width: 900, height: 472 });
    expect(ratioOf(result.buffer)).toBeLessThanOrEqual(1.91);
    expect(checkMedia(result.info, 'feed_image')).toEqual([]);
    expect(result.applied).toEqual([
      'converted PNG to JPEG',
      'padded 3:1 to 1.91:1 with white (900x300 to 900x472)',
    ]);
    expect(await pixel(result.buffer, 450, 2)).toEqual([255, 255, 255]); // top border
    const centre = await pixel(result.buffer, 450, 236);
    expect(centre[0]).toBeGreaterThan(180); // the red content survives
    expect(centre[1]).toBeLessThan(60);
  });

  it('crops a 3:1 PNG to 1.91:1', async () => {
    const png = await solid(900, 300, 'png');
    const result = await fixImage(png, 'carousel_image', { ratio: 'crop' });
    expect(result.info).toMatchObject({ format: 'jpeg', width: 573, height: 300 });
    expect(checkMedia(result.info, 'carousel_image')).toEqual([]);
    expect(result.applied).toContain('cropped 3:1 to 1.91:1, centred (900x300 to 573x300)');
  });

  it('pads or crops a too-tall image to 4:5, with a chosen background', async () => {
    const png = await solid(300, 900, 'png');
    const padded = await fixImage(png, 'feed_image', { background: 'black' });
    expect(padded.info).toMatchObject({ width: 720, height: 900 });
    expect(await pixel(padded.buffer, 2, 450)).toEqual([0, 0, 0]);
    expect(padded.applied).toContain('padded 1:3 to 4:5 with black (300x900 to 720x900)');
    const cropped = await fixImage(png, 'feed_image', { ratio: 'crop' });
    expect(cropped.info).toMatchObject({ width: 300, height: 375 });
    for (const r of [padded, cropped]) expect(checkMedia(r.info, 'feed_image')).toEqual([]);
  });

  it('leaves the ratio alone for stories and reel covers', async () => {
    const png = await solid(900, 300, 'png');
    const story = await fixImage(png, 'story_image');
    expect(story.info).toMatchObject({ width: 900, height: 300 });
    expect(story.applied).toEqual(['converted PNG to JPEG']);
  });

  it('keeps the ratio in range when downscaling a borderline image', async () => {
    for (const [w, h] of [
      [2000, 1047], // 1.9102 -> out of range, padded to 1.91
      [1911, 1000],
      [3999, 5000],
      [2865, 1500], // exactly 1.91
    ]) {
      for (const ratio of ['pad', 'crop'] as const) {
        const result = await fixImage(await solid(w!, h!, 'png'), 'feed_image', { ratio });
        expect(result.info.width).toBeLessThanOrEqual(1440);
        expect(checkMedia(result.info, 'feed_image')).toEqual([]);
        const r = result.info.width! / result.info.height!;
        expect(r).toBeGreaterThanOrEqual(0.8);
        expect(r).toBeLessThanOrEqual(1.91);
      }
    }
  });
});

describe('fixImage: conversion and size', () => {
  it('converts WebP, GIF (first frame), TIFF and AVIF to JPEG', async () => {
    for (const [format, label] of [
      ['webp', 'WebP'],
      ['gif', 'GIF'],
      ['tiff', 'TIFF'],
      ['avif', 'AVIF'],
    ] as const) {
      const result = await fixImage(await solid(400, 400, format), 'feed_image');
      expect(result.info).toMatchObject({ format: 'jpeg', width: 400, height: 400 });
      expect(result.applied[0]).toBe(`converted ${label} to JPEG`);
    }
    const frame = (background: string) => sharp({ create: { width: 64, height: 64, channels: 3, background } }).png().toBuffer();
    const anim = await sharp([await frame('red'), await frame('blue')], { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(anim).metadata()).pages).toBe(2);
    const fromAnim = await fixImage(anim, 'feed_image');
    expect(fromAnim.applied[0]).toBe('converted GIF to JPEG (first frame)');
    expect(fromAnim.info).toMatchObject({ width: 64, height: 64 });
    expect((await pixel(fromAnim.buffer, 32, 32))[0]).toBeGreaterThan(200); // red: the first frame
  });

  it('flattens transparency onto the background', async () => {
    const png = await solid(100, 100, 'png', { alpha: true });
    const result = await fixImage(png, 'feed_image');
    expect(result.applied).toContain('flattened transparency onto white');
    expect(await pixel(result.buffer, 50, 50)).toEqual([255, 255, 255]);
  });

  it('honours EXIF orientation and strips metadata', async () => {
    const rotated = await sharp(await solid(400, 300, 'jpeg')).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    // Shown as 300x400 (0.75): too tall for the feed.
    const result = await fixImage(rotated, 'feed_image');
    expect(result.info).toMatchObject({ width: 320, height: 400 });
    expect(result.applied[0]).toMatch(/applied EXIF orientation 6 \(400x300 stored, 300x400 shown\)/);
    expect(result.applied).toContain('removed metadata (EXIF, GPS, XMP)');
    const meta = await sharp(result.buffer).metadata();
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
  });

  it('converts CMYK, Display P3 and 16-bit inputs to plain 8-bit sRGB', async () => {
    const cmyk = await sharp(await solid(300, 100, 'png')).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const fromCmyk = await fixImage(cmyk, 'feed_image');
    expect(fromCmyk.applied).toContain('converted colour space cmyk to sRGB');
    const p3 = await sharp(await solid(300, 100, 'png')).withIccProfile('p3').jpeg().toBuffer();
    expect((await sharp(p3).metadata()).hasProfile).toBe(true);
    const fromP3 = await fixImage(p3, 'feed_image');
    expect(fromP3.applied).toContain('converted colours to sRGB (embedded colour profile removed)');
    const deep = await sharp(await solid(300, 100, 'png')).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    const fromDeep = await fixImage(deep, 'feed_image');
    for (const r of [fromCmyk, fromP3, fromDeep]) {
      const meta = await sharp(r.buffer).metadata();
      expect(meta).toMatchObject({ format: 'jpeg', space: 'srgb', channels: 3, depth: 'uchar', hasProfile: false });
      expect(checkMedia(r.info, 'feed_image')).toEqual([]);
    }
  });

  it('downscales wide images to 1440 px', async () => {
    const result = await fixImage(await solid(6000, 4000, 'png'), 'feed_image');
    expect(result.info).toMatchObject({ width: 1440, height: 960 });
    expect(result.applied).toContain('resized 6000x4000 to 1440x960');
  });

  it('brings an oversized JPEG under 8 MiB', async () => {
    const big = await noise(4000, 3000, 'jpeg');
    expect(big.length).toBeGreaterThan(LIMITS.imageMaxBytes);
    expect(checkMedia(probeBuffer(big), 'feed_image').map((i) => i.code)).toEqual(['image_too_large']);
    const result = await fixImage(big, 'feed_image');
    expect(result.buffer.length).toBeLessThanOrEqual(LIMITS.imageMaxBytes);
    expect(checkMedia(result.info, 'feed_image')).toEqual([]);
  }, 60_000);

  it('lowers the quality until a huge story image fits', async () => {
    const big = await noise(1440, 9000, 'jpeg');
    expect(big.length).toBeGreaterThan(LIMITS.imageMaxBytes);
    const result = await fixImage(big, 'story_image');
    expect(result.buffer.length).toBeLessThanOrEqual(LIMITS.imageMaxBytes);
    expect(result.applied.some((a) => /^re-encoded at quality \d+ to fit 8 MiB$/.test(a) || /^resized /.test(a))).toBe(true);
    expect(checkMedia(result.info, 'story_image')).toEqual([]);
  }, 120_000);

  it('re-encodes an MPO JPEG as a plain JPEG', async () => {
    const mpo = withAppSegment(await solid(500, 500, 'jpeg'), 0xe2, Buffer.concat([Buffer.from('MPF\0', 'latin1'), Buffer.alloc(20)]));
    const result = await fixImage(mpo, 'feed_image');
    expect(result.info.isMpoOrJps).toBe(false);
    expect(result.applied[0]).toBe('re-encoded the multi-picture (MPO/JPS) JPEG as a plain JPEG');
  });

  it('returns a valid JPEG untouched', async () => {
    const jpeg = await solid(1080, 1350, 'jpeg');
    const result = await fixImage(jpeg, 'feed_image');
    expect(result.buffer).toBe(jpeg);
    expect(result.applied).toEqual([]);
  });

  it('reads a path', async () => {
    const file = path.join(dir, 'wide.png');
    writeFileSync(file, await solid(500, 100, 'png'));
    const result = await fixImage(file, 'feed_image');
    expect(checkMedia(result.info, 'feed_image')).toEqual([]);
  });

  it('output passes checkMedia for every image target', async () => {
    const inputs = [await solid(2000, 300, 'png'), await solid(300, 2000, 'webp'), await solid(1000, 1000, 'gif')];
    for (const kind of ['feed_image', 'carousel_image', 'story_image', 'reel_cover'] as TargetKind[]) {
      for (const input of inputs) {
        const result = await fixImage(input, kind);
        expect(checkMedia(result.info, kind)).toEqual([]);
      }
    }
  });
});

describe('fixImage: refusals', () => {
  it('throws a clear MediaFixError for HEIC', async () => {
    const err = await fixImage(heicHeader(4032, 3024), 'feed_image').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaFixError);
    expect(err).toMatchObject({ code: 'heic_unsupported' });
    expect((err as Error).message).toMatch(/Most Compatible|export/i);
  });

  it('refuses video targets, videos and garbage', async () => {
    await expect(fixImage(await solid(10, 10, 'png'), 'reel')).rejects.toMatchObject({ code: 'not_an_image_target' });
    await expect(fixImage(mp4Buffer({ durationSec: 5, width: 10, height: 10, moovFirst: true }), 'feed_image')).rejects.toMatchObject({
      code: 'not_an_image',
    });
    await expect(fixImage(Buffer.from('definitely not an image'), 'feed_image')).rejects.toMatchObject({ code: 'decode_failed' });
    await expect(fixImage(await solid(10, 10, 'png'), 'feed_image', { background: 'notacolour' })).rejects.toMatchObject({ code: 'invalid_option' });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    await expect(fixImage(svg, 'feed_image')).rejects.toMatchObject({ code: 'unsupported_format' });
  });
});
