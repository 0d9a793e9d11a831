/**
 * Media inspection without decoding. Every parser is a generator that asks for byte ranges
 * (`yield { offset, length }`) and gets them back, so one implementation serves both an in-memory
 * buffer (`probeBuffer`, synchronous) and a file on disk (`probeFile`, a handful of positioned reads:
 * a 1 GB MP4 with its `moov` at the end costs a few box-header reads, not a scan of the payload).
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';

export type MediaFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'heic' | 'mp4' | 'mov' | 'unknown';

export interface MediaInfo {
  kind: 'image' | 'video' | 'unknown';
  format: MediaFormat;
  /** Best guess from the content (also set for recognised-but-unlisted formats: image/tiff, image/avif, image/bmp). */
  mimeType: string;
  sizeBytes: number;
  /**
   * Display size: for JPEG the EXIF orientation is applied (5–8 swap width and height), for MP4/MOV the
   * track matrix rotation (90°/270° swap), for HEIC the `irot` property.
   */
  width?: number;
  height?: number;
  durationMs?: number;
  /** Sample-entry fourcc of the first video track, e.g. `avc1`, `hvc1`, `hev1`, `av01`, `apch`. */
  videoCodec?: string;
  /** Sample-entry fourcc of the first audio track, e.g. `mp4a`, `ac-3`, `lpcm`. */
  audioCodec?: string;
  /** MP4/MOV only: true when the `moov` box precedes the first `mdat`. */
  moovAtFront?: boolean;
  /** JPEG only: an MPF (multi-picture, APP2 "MPF") or JPS stereo (APP3 "_JPSJPS_") extension is present. */
  isMpoOrJps?: boolean;
}

export interface ProbeFileOptions {
  /** Observes every read from disk (offset, length); tests use it to prove large files are not scanned. */
  onRead?: (offset: number, length: number) => void;
}

/* ------------------------------------------------------------------------------------------------ */
/* Reader plumbing                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

interface Need {
  offset: number;
  length: number;
}
type Parser<T> = Generator<Need, T, Buffer>;

/** Asks the driver for `length` bytes at `offset`; the answer is shorter at end of input. */
function* read(offset: number, length: number): Generator<Need, Buffer, Buffer> {
  if (length <= 0 || offset < 0) return Buffer.alloc(0);
  return yield { offset, length };
}

function runSync<T>(parser: Parser<T>, buf: Buffer): T {
  let step = parser.next();
  while (!step.done) {
    const { offset, length } = step.value;
    const start = Math.min(offset, buf.length);
    step = parser.next(buf.subarray(start, Math.min(buf.length, start + length)));
  }
  return step.value;
}

const WINDOW = 64 * 1024;

/** Positioned reads with a single read-ahead window so walking adjacent small boxes costs one read. */
class FileReader {
  private winOffset = 0;
  private win: Buffer = Buffer.alloc(0);

  constructor(
    private readonly fh: fsp.FileHandle,
    private readonly size: number,
    private readonly onRead?: (offset: number, length: number) => void,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset >= this.size || length <= 0) return Buffer.alloc(0);
    const want = Math.min(length, this.size - offset);
    if (offset >= this.winOffset && offset + want <= this.winOffset + this.win.length) {
      return this.win.subarray(offset - this.winOffset, offset - this.winOffset + want);
    }
    const chunk = Math.min(Math.max(want, WINDOW), this.size - offset);
    const buf = Buffer.allocUnsafe(chunk);
    let got = 0;
    while (got < chunk) {
      const { bytesRead } = await this.fh.read(buf, got, chunk - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.onRead?.(offset, chunk);
    this.winOffset = offset;
    this.win = buf.subarray(0, got);
    return this.win.subarray(0, Math.min(want, got));
  }
}

async function runAsync<T>(parser: Parser<T>, reader: FileReader): Promise<T> {
  let step = parser.next();
  while (!step.done) {
    const chunk = await reader.read(step.value.offset, step.value.length);
    step = parser.next(chunk);
  }
  return step.value;
}

/* ------------------------------------------------------------------------------------------------ */
/* Public API                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

export function probeBuffer(buf: Buffer): MediaInfo {
  return runSync(parseAny(buf.length), buf);
}

/**
 * Probes a file with positioned reads. Opens non-blocking so a FIFO cannot hang the call, and refuses
 * anything that is not a regular file. Access control is the caller's job (see `resolveLocalMedia`).
 */
export async function probeFile(path: string, options: ProbeFileOptions = {}): Promise<MediaInfo> {
  const fh = await fsp.open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  try {
    return await probeOpenFile(fh, options);
  } finally {
    await fh.close();
  }
}

/** Probes a file already opened (and checked) by the caller, reading through its descriptor only. */
export async function probeOpenFile(fh: fsp.FileHandle, options: ProbeFileOptions = {}): Promise<MediaInfo> {
  const st = await fh.stat();
  if (!st.isFile()) throw new Error('probeFile: not a regular file');
  return runAsync(parseAny(st.size), new FileReader(fh, st.size, options.onRead));
}

/* ------------------------------------------------------------------------------------------------ */
/* Format dispatch                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

export const MIME_TYPES: Record<MediaFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  unknown: 'application/octet-stream',
};

function unknownInfo(size: number, mimeType = MIME_TYPES.unknown, kind: MediaInfo['kind'] = 'unknown'): MediaInfo {
  return { kind, format: 'unknown', mimeType, sizeBytes: size };
}

function* parseAny(size: number): Parser<MediaInfo> {
  const head = yield* read(0, 64);
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
    return yield* parseJpeg(size);
  }
  if (head.length >= 24 && head.subarray(0, 8).equals(PNG_SIG)) {
    const info: MediaInfo = { kind: 'image', format: 'png', mimeType: MIME_TYPES.png, sizeBytes: size };
    if (head.toString('latin1', 12, 16) === 'IHDR') {
      info.width = head.readUInt32BE(16);
      info.height = head.readUInt32BE(20);
    }
    return info;
  }
  if (head.length >= 16 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') {
    return parseWebp(head, size);
  }
  if (head.length >= 10 && /^GIF8[79]a$/.test(head.toString('latin1', 0, 6))) {
    return {
      kind: 'image',
      format: 'gif',
      mimeType: MIME_TYPES.gif,
      sizeBytes: size,
      width: head.readUInt16LE(6),
      height: head.readUInt16LE(8),
    };
  }
  if (head.length >= 4 && (head.toString('latin1', 0, 4) === 'II*\0' || head.toString('latin1', 0, 4) === 'MM\0*')) {
    return unknownInfo(size, 'image/tiff', 'image');
  }
  if (head.length >= 2 && head.toString('latin1', 0, 2) === 'BM') {
    return unknownInfo(size, 'image/bmp', 'image');
  }
  if (head.length >= 8) {
    const type = head.toString('latin1', 4, 8);
    const boxSize = head.readUInt32BE(0);
    if (type === 'ftyp' && boxSize >= 16) return yield* parseIsoBmff(head, size);
    // Old QuickTime files have no ftyp and start straight with an atom.
    if (QT_FIRST_ATOMS.has(type) && (boxSize === 0 || boxSize === 1 || (boxSize >= 8 && boxSize <= size))) {
      return yield* parseMovie(size, 'mov', MIME_TYPES.mov);
    }
  }
  return unknownInfo(size);
}

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const QT_FIRST_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

/* ------------------------------------------------------------------------------------------------ */
/* JPEG                                                                                              */
/* ------------------------------------------------------------------------------------------------ */

function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function* parseJpeg(size: number): Parser<MediaInfo> {
  const info: MediaInfo = { kind: 'image', format: 'jpeg', mimeType: MIME_TYPES.jpeg, sizeBytes: size, isMpoOrJps: false };
  let orientation: number | undefined;
  let pos = 2;
  for (let guard = 0; guard < 4096 && pos + 2 <= size; guard++) {
    const h = yield* read(pos, 4);
    if (h.length < 2 || h[0] !== 0xff) break; // not at a marker: corrupt or unexpected data
    const marker = h[1]!;
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda || h.length < 4) break; // EOI / start of scan: no SOF before
    const len = h.readUInt16BE(2);
    if (len < 2) break;
    if (isSof(marker)) {
      const s = yield* read(pos + 4, 5);
      if (s.length >= 5) {
        const height = s.readUInt16BE(1);
        const width = s.readUInt16BE(3);
        if (width > 0 && height > 0) {
          const swap = orientation !== undefined && orientation >= 5 && orientation <= 8;
          info.width = swap ? height : width;
          info.height = swap ? width : height;
        }
      }
      break;
    }
    if (marker === 0xe1 && orientation === undefined) {
      const seg = yield* read(pos + 4, Math.min(len - 2, 64 * 1024));
      orientation = exifOrientation(seg);
    } else if (marker === 0xe2) {
      const id = yield* read(pos + 4, 4);
      if (id.toString('latin1') === 'MPF\0') info.isMpoOrJps = true;
    } else if (marker === 0xe3) {
      const id = yield* read(pos + 4, 8);
      if (id.toString('latin1') === '_JPSJPS_') info.isMpoOrJps = true;
    }
    pos += 2 + len;
  }
  return info;
}

/** EXIF orientation (1–8) from an APP1 payload, or undefined. */
function exifOrientation(seg: Buffer): number | undefined {
  if (seg.length < 14 || seg.toString('latin1', 0, 6) !== 'Exif\0\0') return undefined;
  const t = seg.subarray(6);
  const order = t.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (o: number) => (le ? t.readUInt16LE(o) : t.readUInt16BE(o));
  const u32 = (o: number) => (le ? t.readUInt32LE(o) : t.readUInt32BE(o));
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd + 2 > t.length) return undefined;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > t.length) break;
    if (u16(e) === 0x0112) {
      const value = u16(e + 8);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}

/* ------------------------------------------------------------------------------------------------ */
/* WebP                                                                                              */
/* ------------------------------------------------------------------------------------------------ */

function parseWebp(head: Buffer, size: number): MediaInfo {
  const info: MediaInfo = { kind: 'image', format: 'webp', mimeType: MIME_TYPES.webp, sizeBytes: size };
  const chunk = head.toString('latin1', 12, 16);
  const d = 20; // chunk payload
  if (chunk === 'VP8 ' && head.length >= d + 10 && head[d + 3] === 0x9d && head[d + 4] === 0x01 && head[d + 5] === 0x2a) {
    info.width = head.readUInt16LE(d + 6) & 0x3fff;
    info.height = head.readUInt16LE(d + 8) & 0x3fff;
  } else if (chunk === 'VP8L' && head.length >= d + 5 && head[d] === 0x2f) {
    const bits = head.readUInt32LE(d + 1);
    info.width = (bits & 0x3fff) + 1;
    info.height = ((bits >>> 14) & 0x3fff) + 1;
  } else if (chunk === 'VP8X' && head.length >= d + 10) {
    info.width = head.readUIntLE(d + 4, 3) + 1;
    info.height = head.readUIntLE(d + 7, 3) + 1;
  }
  return info;
}

/* ------------------------------------------------------------------------------------------------ */
/* ISO base media (MP4, MOV, HEIF)                                                                   */
/* ------------------------------------------------------------------------------------------------ */

interface Box {
  type: string;
  /** Offset of the box header. */
  start: number;
  /** Offset of the payload. */
  body: number;
  /** Offset just past the box. */
  end: number;
}

/** Reads the box header at `pos`; undefined when it is malformed or runs past `limit`. */
function* readBox(pos: number, limit: number): Parser<Box | undefined> {
  if (pos + 8 > limit) return undefined;
  const h = yield* read(pos, 16);
  if (h.length < 8) return undefined;
  let size = h.readUInt32BE(0);
  const type = h.toString('latin1', 4, 8);
  let header = 8;
  if (size === 1) {
    if (h.length < 16) return undefined;
    const big = h.readBigUInt64BE(8);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    size = Number(big);
    header = 16;
  } else if (size === 0) {
    size = limit - pos; // extends to the end of the enclosing space
  }
  if (size < header) return undefined;
  // A box claiming to run past its parent is truncated (e.g. a partial download): clamp, keep going.
  const end = Math.min(pos + size, limit);
  return { type, start: pos, body: pos + header, end };
}

/** Iterates the children of [start, end), calling `visit` for each; bounded against hostile inputs. */
function* eachBox(start: number, end: number, visit: (box: Box) => Parser<boolean | void>): Parser<void> {
  let pos = start;
  for (let guard = 0; guard < 10_000 && pos < end; guard++) {
    const box = yield* readBox(pos, end);
    if (!box) return;
    const stop = yield* visit(box);
    if (stop === true) return;
    pos = box.end;
  }
}

const VIDEO_BRANDS = new Set([
  'isom', 'iso2', 'iso3', 'iso4', 'iso5', 'iso6', 'iso7', 'iso8', 'iso9', 'mp41', 'mp42', 'mp71', 'avc1', 'M4V ',
  'M4VH', 'M4VP', 'MSNV', 'NDAS', 'NDSC', 'NDSH', 'NDSM', 'NDSP', 'NDSS', 'NDXC', 'NDXH', 'NDXM', 'NDXP', 'NDXS',
  'dash', 'mmp4', '3gp4', '3gp5', '3gp6', '3gp7', '3g2a', '3g2b', '3g2c', 'f4v ', 'XAVC', 'FACE', 'cmfc', 'cmfs',
  'cmf2', 'hvc1', 'hev1', 'dby1', 'MSNV',
]);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);
const HEIF_GENERIC = new Set(['mif1', 'msf1', 'mif2', 'miaf']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

function* parseIsoBmff(head: Buffer, size: number): Parser<MediaInfo> {
  const ftypSize = Math.min(head.readUInt32BE(0), 4096);
  const ftyp = ftypSize <= head.length ? head.subarray(0, ftypSize) : yield* read(0, ftypSize);
  const major = ftyp.toString('latin1', 8, 12);
  const compat: string[] = [];
  for (let o = 16; o + 4 <= ftyp.length; o += 4) compat.push(ftyp.toString('latin1', o, o + 4));
  const all = [major, ...compat];

  if (major === 'qt  ') return yield* parseMovie(size, 'mov', MIME_TYPES.mov);
  if (AVIF_BRANDS.has(major)) return unknownInfo(size, 'image/avif', 'image');
  if (HEIC_BRANDS.has(major) || (HEIF_GENERIC.has(major) && !all.some((b) => AVIF_BRANDS.has(b)))) {
    const mime = all.some((b) => HEIC_BRANDS.has(b)) ? 'image/heic' : 'image/heif';
    return yield* parseHeif(size, mime);
  }
  if (HEIF_GENERIC.has(major)) return unknownInfo(size, 'image/avif', 'image');
  if (VIDEO_BRANDS.has(major) || all.some((b) => VIDEO_BRANDS.has(b))) {
    const mime = major.startsWith('3g2') ? 'video/3gpp2' : major.startsWith('3gp') ? 'video/3gpp' : MIME_TYPES.mp4;
    return yield* parseMovie(size, 'mp4', mime);
  }
  if (all.includes('qt  ')) return yield* parseMovie(size, 'mov', MIME_TYPES.mov);
  return unknownInfo(size);
}

interface TrackInfo {
  handler?: string;
  width?: number;
  height?: number;
  rotate90?: boolean;
  codec?: string;
  entryWidth?: number;
  entryHeight?: number;
}

function* parseMovie(size: number, format: 'mp4' | 'mov', mimeType: string): Parser<MediaInfo> {
  const info: MediaInfo = { kind: 'video', format, mimeType, sizeBytes: size };
  let mdatSeen = false;
  let moovFound = false;
  const tracks: TrackInfo[] = [];
  let timescale: number | undefined;
  let duration: number | undefined;
  let fragmentDuration: number | undefined;

  yield* eachBox(0, size, function* (top) {
    if (top.type === 'mdat') {
      mdatSeen = true;
      return false;
    }
    if (top.type !== 'moov') return false;
    moovFound = true;
    info.moovAtFront = !mdatSeen;
    yield* eachBox(top.body, top.end, function* (box) {
      if (box.type === 'mvhd') {
        const b = yield* read(box.body, 32);
        if (b.length >= 20 && b[0] === 1 && b.length >= 32) {
          timescale = b.readUInt32BE(20);
          duration = Number(b.readBigUInt64BE(24));
        } else if (b.length >= 20 && b[0] === 0) {
          timescale = b.readUInt32BE(12);
          const d = b.readUInt32BE(16);
          duration = d === 0xffffffff ? undefined : d;
        }
      } else if (box.type === 'mvex') {
        yield* eachBox(box.body, box.end, function* (m) {
          if (m.type !== 'mehd') return false;
          const b = yield* read(m.body, 12);
          if (b.length >= 8) fragmentDuration = b[0] === 1 && b.length >= 12 ? Number(b.readBigUInt64BE(4)) : b.readUInt32BE(4);
          return true;
        });
      } else if (box.type === 'trak') {
        tracks.push(yield* parseTrak(box));
      }
      return tracks.length >= 64; // bounded work on hostile files
    });
    return true; // everything we need is in moov
  });

  if (!moovFound && mdatSeen) info.moovAtFront = false;
  const total = duration && duration > 0 ? duration : fragmentDuration;
  if (timescale && timescale > 0 && total !== undefined && total > 0) {
    info.durationMs = Math.round((total * 1000) / timescale);
  }
  const video = tracks.find((t) => t.handler === 'vide');
  const audio = tracks.find((t) => t.handler === 'soun');
  if (video) {
    let w = video.width || video.entryWidth;
    let h = video.height || video.entryHeight;
    if (video.rotate90 && w && h) [w, h] = [h, w];
    if (w && h) {
      info.width = w;
      info.height = h;
    }
    if (video.codec) info.videoCodec = video.codec;
  }
  if (audio?.codec) info.audioCodec = audio.codec;
  return info;
}

function* parseTrak(trak: Box): Parser<TrackInfo> {
  const track: TrackInfo = {};
  yield* eachBox(trak.body, trak.end, function* (box) {
    if (box.type === 'tkhd') {
      const b = yield* read(box.body, 96);
      const v1 = b[0] === 1;
      const matrixAt = v1 ? 52 : 40;
      const sizeAt = matrixAt + 36;
      if (b.length >= sizeAt + 8) {
        track.width = Math.round(b.readUInt32BE(sizeAt) / 65536);
        track.height = Math.round(b.readUInt32BE(sizeAt + 4) / 65536);
        // Matrix {a b u; c d v; x y w}: a 90°/270° rotation has a = d = 0 and b, c = ±1.
        const a = b.readInt32BE(matrixAt);
        const bb = b.readInt32BE(matrixAt + 4);
        const c = b.readInt32BE(matrixAt + 12);
        const d = b.readInt32BE(matrixAt + 16);
        track.rotate90 = a === 0 && d === 0 && bb !== 0 && c !== 0;
      }
    } else if (box.type === 'mdia') {
      yield* eachBox(box.body, box.end, function* (m) {
        if (m.type === 'hdlr') {
          const b = yield* read(m.body, 12);
          if (b.length >= 12) track.handler = b.toString('latin1', 8, 12);
        } else if (m.type === 'minf') {
          yield* eachBox(m.body, m.end, function* (n) {
            if (n.type !== 'stbl') return false;
            yield* eachBox(n.body, n.end, function* (s) {
              if (s.type !== 'stsd') return false;
              // fullbox(4) entry_count(4), then the first sample entry: size(4) format(4) ...
              const b = yield* read(s.body, 8 + 8 + 28);
              if (b.length >= 16) {
                track.codec = b.toString('latin1', 12, 16).replace(/[\0 ]+$/, '');
                // Visual sample entry: 6 reserved + 2 dref index + 16 predefined/reserved, then width, height.
                if (b.length >= 8 + 8 + 28) {
                  track.entryWidth = b.readUInt16BE(8 + 8 + 24);
                  track.entryHeight = b.readUInt16BE(8 + 8 + 26);
                }
              }
              return true;
            });
            return true;
          });
        }
        return false;
      });
    }
    return false;
  });
  return track;
}

/* HEIF: the primary item's `ispe` (and `irot`) from meta/pitm, meta/iprp/ipco and meta/iprp/ipma. */
function* parseHeif(size: number, mimeType: string): Parser<MediaInfo> {
  const info: MediaInfo = { kind: 'image', format: 'heic', mimeType, sizeBytes: size };
  let meta: Buffer | undefined;
  yield* eachBox(0, size, function* (top) {
    if (top.type !== 'meta') return false;
    const length = top.end - top.body;
    if (length <= 4 * 1024 * 1024) meta = yield* read(top.body, length);
    return true;
  });
  if (!meta || meta.length < 4) return info;
  const dims = runSync(heifDims(meta.length), meta);
  if (dims) {
    info.width = dims.rotate90 ? dims.height : dims.width;
    info.height = dims.rotate90 ? dims.width : dims.height;
  }
  return info;
}

function* heifDims(
  metaLength: number,
): Parser<{ width: number; height: number; rotate90: boolean } | undefined> {
  let primary: number | undefined;
  const props: Array<{ type: string; width?: number; height?: number; angle?: number }> = [];
  const assoc = new Map<number, number[]>();
  // meta is a full box: skip version+flags.
  yield* eachBox(4, metaLength, function* (box) {
    if (box.type === 'pitm') {
      const b = yield* read(box.body, 8);
      if (b.length >= 6) primary = b[0] === 0 ? b.readUInt16BE(4) : b.length >= 8 ? b.readUInt32BE(4) : undefined;
    } else if (box.type === 'iprp') {
      yield* eachBox(box.body, box.end, function* (p) {
        if (p.type === 'ipco') {
          yield* eachBox(p.body, p.end, function* (prop) {
            const entry: (typeof props)[number] = { type: prop.type };
            if (prop.type === 'ispe') {
              const b = yield* read(prop.body, 12);
              if (b.length >= 12) {
                entry.width = b.readUInt32BE(4);
                entry.height = b.readUInt32BE(8);
              }
            } else if (prop.type === 'irot') {
              const b = yield* read(prop.body, 1);
              if (b.length >= 1) entry.angle = (b[0]! & 3) * 90;
            }
            props.push(entry);
            return props.length > 10_000;
          });
        } else if (p.type === 'ipma') {
          const b = yield* read(p.body, Math.min(p.end - p.body, 1024 * 1024));
          if (b.length < 8) return false;
          const version = b[0]!;
          const wide = (b.readUIntBE(1, 3) & 1) === 1;
          const count = b.readUInt32BE(4);
          let o = 8;
          for (let i = 0; i < count; i++) {
            const idSize = version < 1 ? 2 : 4;
            if (o + idSize + 1 > b.length) break;
            const id = idSize === 2 ? b.readUInt16BE(o) : b.readUInt32BE(o);
            o += idSize;
            const n = b[o]!;
            o += 1;
            const list: number[] = [];
            for (let j = 0; j < n; j++) {
              if (o + (wide ? 2 : 1) > b.length) break;
              list.push(wide ? b.readUInt16BE(o) & 0x7fff : b[o]! & 0x7f);
              o += wide ? 2 : 1;
            }
            assoc.set(id, list);
          }
        }
        return false;
      });
    }
    return false;
  });
  const linked = primary !== undefined ? assoc.get(primary) : undefined;
  if (linked) {
    const mine = linked.map((index) => props[index - 1]).filter((p) => p !== undefined);
    const ispe = mine.find((p) => p.type === 'ispe' && p.width && p.height);
    const irot = mine.find((p) => p.type === 'irot');
    if (ispe) return { width: ispe.width!, height: ispe.height!, rotate90: irot?.angle === 90 || irot?.angle === 270 };
  }
  // Fallback: the largest image spatial extent present.
  let best: { width: number; height: number } | undefined;
  for (const p of props) {
    if (p.type === 'ispe' && p.width && p.height && (!best || p.width * p.height > best.width * best.height)) {
      best = { width: p.width, height: p.height };
    }
  }
  return best ? { ...best, rotate90: false } : undefined;
}
