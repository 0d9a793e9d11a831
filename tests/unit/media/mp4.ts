/**
 * Hand-built MP4/MOV files for tests: ftyp + moov(mvhd, trak(tkhd, mdia(mdhd, hdlr, minf(stbl(stsd…)))))
 * + mdat. `writeMp4` makes big files cheaply: only the headers are written and the mdat payload is a
 * hole (ftruncate), so a 200 MB or 5 GB file costs a few KB of disk and microseconds.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

export interface Mp4Options {
  durationSec: number;
  width: number;
  height: number;
  /** moov before mdat ("faststart") or after it. */
  moovFirst: boolean;
  /** Exact total file size; the mdat payload is padded to reach it. Default: headers + 1 KiB payload. */
  sizeBytes?: number;
  /** Video sample-entry fourcc. Default 'avc1'. */
  videoCodec?: string;
  /** Audio sample-entry fourcc, or null for no audio track. Default 'mp4a'. */
  audioCodec?: string | null;
  /** ftyp major brand: 'isom' (MP4, default) or 'qt  ' (MOV). */
  majorBrand?: string;
  /** Rotation matrix of 90° in the video track header (portrait phone video). */
  rotate90?: boolean;
  /** Movie timescale. Default 1000. */
  timescale?: number;
  /** Write mvhd/tkhd/mdhd as version 1 (64-bit times). Default false. */
  version1?: boolean;
}

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  const vf = Buffer.alloc(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...parts);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32BE(v | 0, i * 4));
  return b;
}

function u64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value), 0);
  return b;
}

function u16(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16BE(v & 0xffff, i * 2));
  return b;
}

const IDENTITY = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];

function times(version1: boolean, ...values: number[]): Buffer {
  return Buffer.concat(values.map((v) => (version1 ? u64(v) : u32(v))));
}

function sampleTable(entry: Buffer): Buffer {
  return box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), entry),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0, 0)),
    fullBox('stco', 0, 0, u32(0)),
  );
}

function track(
  id: number,
  handler: 'vide' | 'soun',
  opts: Required<Pick<Mp4Options, 'durationSec' | 'width' | 'height' | 'timescale' | 'version1' | 'rotate90'>>,
  entry: Buffer,
): Buffer {
  const v = opts.version1 ? 1 : 0;
  const duration = Math.round(opts.durationSec * opts.timescale);
  const isVideo = handler === 'vide';
  const matrix = isVideo && opts.rotate90 ? [0, 0x00010000, 0, -0x00010000, 0, 0, opts.height << 16, 0, 0x40000000] : IDENTITY;
  const tkhd = fullBox(
    'tkhd',
    v,
    3,
    times(opts.version1, 0, 0),
    u32(id, 0),
    times(opts.version1, duration),
    u32(0, 0),
    u16(0, 0, isVideo ? 0 : 0x0100, 0),
    u32(...matrix),
    u32(isVideo ? opts.width * 65536 : 0, isVideo ? opts.height * 65536 : 0),
  );
  const mdhd = fullBox('mdhd', v, 0, times(opts.version1, 0, 0), u32(opts.timescale), times(opts.version1, duration), u16(0x55c4, 0));
  const name = Buffer.from(isVideo ? 'VideoHandler\0' : 'SoundHandler\0', 'latin1');
  const hdlr = fullBox('hdlr', 0, 0, u32(0), Buffer.from(handler, 'latin1'), u32(0, 0, 0), name);
  const mediaHeader = isVideo ? fullBox('vmhd', 0, 1, u16(0, 0, 0, 0)) : fullBox('smhd', 0, 0, u16(0, 0));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const minf = box('minf', mediaHeader, dinf, sampleTable(entry));
  return box('trak', tkhd, box('mdia', mdhd, hdlr, minf));
}

function visualEntry(fourcc: string, width: number, height: number): Buffer {
  const compressor = Buffer.alloc(32);
  return box(
    fourcc,
    Buffer.alloc(6),
    u16(1), // data_reference_index
    u16(0, 0),
    Buffer.alloc(12),
    u16(width, height),
    u32(0x00480000, 0x00480000, 0),
    u16(1),
    compressor,
    u16(0x0018, 0xffff),
  );
}

function audioEntry(fourcc: string): Buffer {
  return box(fourcc, Buffer.alloc(6), u16(1), Buffer.alloc(8), u16(2, 16, 0, 0), u32(48000 * 65536));
}

/** The ftyp and moov boxes for these options. */
export function buildMp4Headers(options: Mp4Options): { ftyp: Buffer; moov: Buffer } {
  const opts = {
    durationSec: options.durationSec,
    width: options.width,
    height: options.height,
    timescale: options.timescale ?? 1000,
    version1: options.version1 ?? false,
    rotate90: options.rotate90 ?? false,
  };
  const major = options.majorBrand ?? 'isom';
  const compat = major === 'qt  ' ? ['qt  '] : ['isom', 'iso2', 'avc1', 'mp41'];
  const ftyp = box('ftyp', Buffer.from(major, 'latin1'), u32(0x200), Buffer.from(compat.join(''), 'latin1'));
  const v = opts.version1 ? 1 : 0;
  const duration = Math.round(opts.durationSec * opts.timescale);
  const mvhd = fullBox(
    'mvhd',
    v,
    0,
    times(opts.version1, 0, 0),
    u32(opts.timescale),
    times(opts.version1, duration),
    u32(0x00010000),
    u16(0x0100),
    Buffer.alloc(10),
    u32(...IDENTITY),
    Buffer.alloc(24),
    u32(3),
  );
  const traks = [track(1, 'vide', opts, visualEntry(options.videoCodec ?? 'avc1', opts.width, opts.height))];
  const audio = options.audioCodec === undefined ? 'mp4a' : options.audioCodec;
  if (audio) traks.push(track(2, 'soun', opts, audioEntry(audio)));
  return { ftyp, moov: box('moov', mvhd, ...traks) };
}

function mdatHeader(totalSize: number): Buffer {
  if (totalSize <= 0xffffffff) {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(totalSize, 0);
    h.write('mdat', 4, 'latin1');
    return h;
  }
  const h = Buffer.alloc(16);
  h.writeUInt32BE(1, 0);
  h.write('mdat', 4, 'latin1');
  h.writeBigUInt64BE(BigInt(totalSize), 8);
  return h;
}

function layout(options: Mp4Options): { ftyp: Buffer; moov: Buffer; mdatHead: Buffer; mdatSize: number; total: number } {
  const { ftyp, moov } = buildMp4Headers(options);
  const fixed = ftyp.length + moov.length;
  const wanted = options.sizeBytes ?? fixed + 8 + 1024;
  const mdatSize = Math.max(16, wanted - fixed);
  // Sizes above 4 GiB get the 16-byte large-size header (inside the same total).
  const mdatHead = mdatHeader(mdatSize);
  return { ftyp, moov, mdatHead, mdatSize, total: fixed + mdatSize };
}

/** A complete small MP4 in memory (payload zero-filled). */
export function mp4Buffer(options: Mp4Options): Buffer {
  const { ftyp, moov, mdatHead, mdatSize } = layout(options);
  const mdat = Buffer.concat([mdatHead, Buffer.alloc(mdatSize - mdatHead.length)]);
  return options.moovFirst ? Buffer.concat([ftyp, moov, mdat]) : Buffer.concat([ftyp, mdat, moov]);
}

/**
 * Writes an MP4 of exactly `sizeBytes` (when given) to `path`. Synchronous and sparse: the mdat body
 * is never written, so huge sizes are instant.
 */
export function writeMp4(path: string, options: Mp4Options): void {
  const { ftyp, moov, mdatHead, mdatSize, total } = layout(options);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, ftyp, 0, ftyp.length, 0);
    if (options.moovFirst) {
      writeSync(fd, moov, 0, moov.length, ftyp.length);
      writeSync(fd, mdatHead, 0, mdatHead.length, ftyp.length + moov.length);
    } else {
      writeSync(fd, mdatHead, 0, mdatHead.length, ftyp.length);
      writeSync(fd, moov, 0, moov.length, ftyp.length + mdatSize);
    }
    ftruncateSync(fd, total);
  } finally {
    closeSync(fd);
  }
}
