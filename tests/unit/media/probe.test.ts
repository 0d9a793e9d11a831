import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { probeBuffer, probeFile } from '../../../src/media/probe.js';
import { heicHeader, solid, withAppSegment } from './images.js';
import { mp4Buffer, writeMp4 } from './mp4.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('probe: images', () => {
  it('reads JPEG dimensions from the SOF marker', async () => {
    const buf = await solid(300, 200, 'jpeg');
    expect(probeBuffer(buf)).toEqual({
      kind: 'image',
      format: 'jpeg',
      mimeType: 'image/jpeg',
      sizeBytes: buf.length,
      width: 300,
      height: 200,
      isMpoOrJps: false,
    });
  });

  it('reads a progressive JPEG', async () => {
    const buf = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#123456' } }).jpeg({ progressive: true }).toBuffer();
    expect(probeBuffer(buf)).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
  });

  it('applies EXIF orientation 5–8 to the reported size', async () => {
    const buf = await sharp(await solid(400, 300, 'jpeg')).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect(probeBuffer(buf)).toMatchObject({ width: 300, height: 400 });
    const upright = await sharp(await solid(400, 300, 'jpeg')).withMetadata({ orientation: 3 }).jpeg().toBuffer();
    expect(probeBuffer(upright)).toMatchObject({ width: 400, height: 300 });
  });

  it('skips large APP segments before the frame header', async () => {
    let buf = await solid(120, 90, 'jpeg');
    for (let i = 0; i < 5; i++) buf = withAppSegment(buf, 0xed, Buffer.alloc(65_000, 7));
    expect(probeBuffer(buf)).toMatchObject({ width: 120, height: 90 });
    const file = path.join(dir, 'app.jpg');
    writeFileSync(file, buf);
    expect(await probeFile(file)).toMatchObject({ format: 'jpeg', width: 120, height: 90, sizeBytes: buf.length });
  });

  it('flags MPO (APP2 MPF) and JPS (APP3 _JPSJPS_) extensions', async () => {
    const base = await solid(100, 100, 'jpeg');
    const mpo = withAppSegment(base, 0xe2, Buffer.concat([Buffer.from('MPF\0', 'latin1'), Buffer.alloc(20)]));
    const jps = withAppSegment(base, 0xe3, Buffer.concat([Buffer.from('_JPSJPS_', 'latin1'), Buffer.alloc(8)]));
    const icc = withAppSegment(base, 0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.alloc(20)]));
    expect(probeBuffer(mpo).isMpoOrJps).toBe(true);
    expect(probeBuffer(jps).isMpoOrJps).toBe(true);
    expect(probeBuffer(icc).isMpoOrJps).toBe(false);
  });

  it('reads PNG, GIF, TIFF and AVIF', async () => {
    const png = await solid(33, 44, 'png');
    expect(probeBuffer(png)).toEqual({ kind: 'image', format: 'png', mimeType: 'image/png', sizeBytes: png.length, width: 33, height: 44 });
    expect(probeBuffer(await solid(50, 20, 'gif'))).toMatchObject({ kind: 'image', format: 'gif', mimeType: 'image/gif', width: 50, height: 20 });
    expect(probeBuffer(await solid(10, 10, 'tiff'))).toMatchObject({ kind: 'image', format: 'unknown', mimeType: 'image/tiff' });
    expect(probeBuffer(await solid(16, 16, 'avif'))).toMatchObject({ kind: 'image', format: 'unknown', mimeType: 'image/avif' });
  });

  it('reads WebP in its lossy (VP8), lossless (VP8L) and extended (VP8X) forms', async () => {
    const lossy = await solid(101, 57, 'webp');
    const lossless = await solid(99, 77, 'webp', { lossless: true });
    const extended = await solid(65, 43, 'webp', { alpha: true });
    expect(lossy.toString('latin1', 12, 16)).toBe('VP8 ');
    expect(lossless.toString('latin1', 12, 16)).toBe('VP8L');
    expect(extended.toString('latin1', 12, 16)).toBe('VP8X');
    expect(probeBuffer(lossy)).toMatchObject({ kind: 'image', format: 'webp', mimeType: 'image/webp', width: 101, height: 57 });
    expect(probeBuffer(lossless)).toMatchObject({ format: 'webp', width: 99, height: 77 });
    expect(probeBuffer(extended)).toMatchObject({ format: 'webp', width: 65, height: 43 });
  });

  it('recognises HEIC by its ftyp brand and reads the primary item size', () => {
    const heic = heicHeader(4032, 3024);
    expect(probeBuffer(heic)).toEqual({ kind: 'image', format: 'heic', mimeType: 'image/heic', sizeBytes: heic.length, width: 4032, height: 3024 });
    expect(probeBuffer(heicHeader(4032, 3024, { rotate90: true }))).toMatchObject({ width: 3024, height: 4032 });
    expect(probeBuffer(heicHeader(100, 50, { brand: 'mif1' }))).toMatchObject({ format: 'heic' });
    expect(probeBuffer(heicHeader(100, 50, { brand: 'heix' }))).toMatchObject({ format: 'heic', mimeType: 'image/heic' });
  });

  it('returns unknown for other bytes, empty input and truncated headers', async () => {
    expect(probeBuffer(Buffer.from('hello world, not media'))).toEqual({ kind: 'unknown', format: 'unknown', mimeType: 'application/octet-stream', sizeBytes: 22 });
    expect(probeBuffer(Buffer.alloc(0))).toMatchObject({ kind: 'unknown', sizeBytes: 0 });
    const jpeg = await solid(300, 200, 'jpeg');
    const truncated = probeBuffer(jpeg.subarray(0, 10));
    expect(truncated.format).toBe('jpeg');
    expect(truncated.width).toBeUndefined();
    expect(probeBuffer(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01]))).toMatchObject({ format: 'jpeg' });
  });
});

describe('probe: MP4 / MOV', () => {
  it('reads duration, size, codecs and moov position (moov first)', () => {
    const buf = mp4Buffer({ durationSec: 12.5, width: 1080, height: 1920, moovFirst: true });
    expect(probeBuffer(buf)).toEqual({
      kind: 'video',
      format: 'mp4',
      mimeType: 'video/mp4',
      sizeBytes: buf.length,
      width: 1080,
      height: 1920,
      durationMs: 12_500,
      videoCodec: 'avc1',
      audioCodec: 'mp4a',
      moovAtFront: true,
    });
  });

  it('detects moov after mdat', () => {
    const buf = mp4Buffer({ durationSec: 5, width: 640, height: 360, moovFirst: false });
    expect(probeBuffer(buf)).toMatchObject({ moovAtFront: false, durationMs: 5000, width: 640, height: 360 });
  });

  it('handles MOV (qt brand), HEVC, no audio, version-1 headers, other timescales and rotation', () => {
    expect(probeBuffer(mp4Buffer({ durationSec: 3, width: 100, height: 50, moovFirst: true, majorBrand: 'qt  ' }))).toMatchObject({
      format: 'mov',
      mimeType: 'video/quicktime',
    });
    const hevc = probeBuffer(mp4Buffer({ durationSec: 8, width: 3840, height: 2160, moovFirst: true, videoCodec: 'hvc1', audioCodec: null }));
    expect(hevc.videoCodec).toBe('hvc1');
    expect(hevc.audioCodec).toBeUndefined();
    expect(probeBuffer(mp4Buffer({ durationSec: 61, width: 10, height: 20, moovFirst: true, version1: true, timescale: 90_000 }))).toMatchObject({
      durationMs: 61_000,
      width: 10,
      height: 20,
    });
    expect(probeBuffer(mp4Buffer({ durationSec: 4, width: 1920, height: 1080, moovFirst: true, rotate90: true }))).toMatchObject({
      width: 1080,
      height: 1920,
    });
  });

  it('recognises an old QuickTime file without ftyp', () => {
    const withFtyp = mp4Buffer({ durationSec: 3, width: 64, height: 64, moovFirst: true, majorBrand: 'qt  ' });
    const ftypSize = withFtyp.readUInt32BE(0);
    expect(probeBuffer(withFtyp.subarray(ftypSize))).toMatchObject({ format: 'mov', durationMs: 3000, moovAtFront: true });
  });

  it('reports a file without moov as not faststart and without duration', () => {
    const buf = mp4Buffer({ durationSec: 5, width: 640, height: 360, moovFirst: false });
    const moovAt = buf.indexOf(Buffer.from('moov')) - 4;
    const info = probeBuffer(buf.subarray(0, moovAt));
    expect(info).toMatchObject({ kind: 'video', format: 'mp4', moovAtFront: false });
    expect(info.durationMs).toBeUndefined();
    expect(info.videoCodec).toBeUndefined();
  });

  it('probeFile agrees with probeBuffer', async () => {
    const file = path.join(dir, 'small.mp4');
    writeMp4(file, { durationSec: 30, width: 720, height: 1280, moovFirst: true });
    const fromFile = await probeFile(file);
    expect(fromFile).toEqual(probeBuffer(mp4Buffer({ durationSec: 30, width: 720, height: 1280, moovFirst: true })));
  });

  it('probes a 1 GB MP4 with moov at the end in a few small reads', async () => {
    const file = path.join(dir, 'big.mp4');
    writeMp4(file, { durationSec: 600, width: 1080, height: 1920, moovFirst: false, sizeBytes: 1024 ** 3 });
    expect(statSync(file).size).toBe(1024 ** 3);
    const reads: Array<[number, number]> = [];
    const info = await probeFile(file, { onRead: (offset, length) => reads.push([offset, length]) });
    expect(info).toMatchObject({ sizeBytes: 1024 ** 3, durationMs: 600_000, width: 1080, height: 1920, moovAtFront: false, videoCodec: 'avc1' });
    expect(reads.length).toBeLessThanOrEqual(4);
    expect(reads.reduce((n, [, len]) => n + len, 0)).toBeLessThanOrEqual(256 * 1024);
  });

  it('handles 64-bit box sizes (a 5 GB sparse file)', async () => {
    const file = path.join(dir, 'huge.mp4');
    const size = 5 * 1024 ** 3;
    writeMp4(file, { durationSec: 900, width: 1920, height: 1080, moovFirst: false, sizeBytes: size });
    const info = await probeFile(file);
    expect(info).toMatchObject({ sizeBytes: size, durationMs: 900_000, moovAtFront: false, width: 1920 });
  });

  it('writeMp4 honours sizeBytes exactly, with moov first too', () => {
    const file = path.join(dir, 'sized.mp4');
    writeMp4(file, { durationSec: 10, width: 100, height: 100, moovFirst: true, sizeBytes: 200 * 1024 * 1024 });
    expect(statSync(file).size).toBe(200 * 1024 * 1024);
  });
});

describe('probe: hostile input', () => {
  it('never throws on truncated or corrupted files', async () => {
    const samples = [
      await solid(40, 30, 'jpeg'),
      withAppSegment(await solid(40, 30, 'jpeg'), 0xe1, Buffer.concat([Buffer.from('Exif\0\0MM\0*\0\0\0\x08', 'latin1'), Buffer.alloc(30, 0xff)])),
      await solid(40, 30, 'png'),
      await solid(40, 30, 'webp'),
      await solid(40, 30, 'webp', { lossless: true }),
      await solid(40, 30, 'gif'),
      heicHeader(400, 300, { rotate90: true }),
      mp4Buffer({ durationSec: 5, width: 64, height: 64, moovFirst: true }),
      mp4Buffer({ durationSec: 5, width: 64, height: 64, moovFirst: false, version1: true }),
    ];
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (const sample of samples) {
      for (let cut = 0; cut < Math.min(sample.length, 600); cut += 3) {
        expect(() => probeBuffer(sample.subarray(0, cut))).not.toThrow();
      }
      for (let round = 0; round < 300; round++) {
        const copy = Buffer.from(sample);
        const flips = 1 + (rand() % 8);
        for (let i = 0; i < flips; i++) copy[rand() % Math.min(copy.length, 700)] = rand() & 0xff;
        const info = probeBuffer(copy);
        expect(info.sizeBytes).toBe(copy.length);
      }
    }
  });
});

describe('probeFile safety', () => {
  it('refuses a FIFO without blocking', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(probeFile(fifo)).rejects.toThrow(/not a regular file/);
  });

  it('refuses a directory', async () => {
    await expect(probeFile(dir)).rejects.toThrow();
  });
});
