/**
 * Inspects the first bytes of a media file the way the emulator needs: JPEG SOF markers (format and
 * dimensions), PNG / WebP / GIF / HEIC signatures (unsupported image formats), and the MP4/MOV
 * `ftyp` box plus `mvhd` duration when the `moov` box sits near the front.
 */

export interface ImageProbe {
  format: 'jpeg' | 'mpo' | 'png' | 'webp' | 'gif' | 'heic' | 'unknown';
  width?: number;
  height?: number;
}

export interface VideoProbe {
  container: 'mp4' | 'mov' | 'unknown';
  brand?: string;
  durationMs?: number;
}

/** Bytes kept from the start of an image (markers before SOF rarely exceed a few APP segments). */
export const IMAGE_HEAD_BYTES = 1024 * 1024;
/** Bytes kept from the start of a video (ftyp + a front moov with mvhd). */
export const VIDEO_HEAD_BYTES = 64 * 1024;

export function probeImage(bytes: Buffer): ImageProbe {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return probeJpeg(bytes);
  if (bytes.length >= 24 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return { format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    return { format: 'webp' };
  }
  if (bytes.length >= 10 && /^GIF8[79]a$/.test(bytes.toString('latin1', 0, 6))) {
    return { format: 'gif', width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (bytes.length >= 12 && bytes.toString('latin1', 4, 8) === 'ftyp') {
    const brand = bytes.toString('latin1', 8, 12);
    if (/^(heic|heix|hevc|mif1|msf1|avif)$/.test(brand)) return { format: 'heic' };
  }
  return { format: 'unknown' };
}

function probeJpeg(bytes: Buffer): ImageProbe {
  let format: ImageProbe['format'] = 'jpeg';
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return { format };
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return { format }; // EOI / SOS before any SOF
    const length = bytes.readUInt16BE(pos + 2);
    // APP2 "MPF\0" marks a Multi-Picture (MPO) file, an extended JPEG Instagram refuses.
    if (marker === 0xe2 && pos + 8 <= bytes.length && bytes.toString('latin1', pos + 4, pos + 8) === 'MPF\0') format = 'mpo';
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (pos + 9 > bytes.length) return { format };
      return { format, height: bytes.readUInt16BE(pos + 5), width: bytes.readUInt16BE(pos + 7) };
    }
    pos += 2 + length;
  }
  return { format };
}

export function probeVideo(bytes: Buffer): VideoProbe {
  if (bytes.length < 12 || bytes.toString('latin1', 4, 8) !== 'ftyp') return { container: 'unknown' };
  const brand = bytes.toString('latin1', 8, 12);
  const result: VideoProbe = { container: brand === 'qt  ' ? 'mov' : 'mp4', brand };
  const duration = findMvhdDuration(bytes, 0, bytes.length);
  if (duration !== undefined) result.durationMs = duration;
  return result;
}

/** Walks boxes in [start, end) looking for moov → mvhd; returns the duration in ms. */
function findMvhdDuration(bytes: Buffer, start: number, end: number): number | undefined {
  let pos = start;
  while (pos + 8 <= end) {
    let size = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      if (pos + 16 > end) return undefined;
      size = Number(bytes.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (size < header) return undefined;
    if (type === 'moov') return findMvhdDuration(bytes, pos + header, Math.min(end, pos + size));
    if (type === 'mvhd') {
      const body = pos + header;
      if (body + 4 > end) return undefined;
      const version = bytes[body]!;
      if (version === 1) {
        if (body + 32 > end) return undefined;
        const timescale = bytes.readUInt32BE(body + 20);
        const duration = Number(bytes.readBigUInt64BE(body + 24));
        return timescale ? Math.round((duration * 1000) / timescale) : undefined;
      }
      if (body + 20 > end) return undefined;
      const timescale = bytes.readUInt32BE(body + 12);
      const duration = bytes.readUInt32BE(body + 16);
      return timescale ? Math.round((duration * 1000) / timescale) : undefined;
    }
    pos += size;
  }
  return undefined;
}
