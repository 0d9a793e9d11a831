/** Test image builders (sharp at test time, plus hand-made HEIC/JPEG variants sharp cannot write). */
import sharp from 'sharp';

export async function solid(width: number, height: number, format: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif', opts: { alpha?: boolean; lossless?: boolean } = {}): Promise<Buffer> {
  const img = sharp({
    create: { width, height, channels: opts.alpha ? 4 : 3, background: opts.alpha ? { r: 200, g: 30, b: 30, alpha: 0 } : { r: 200, g: 30, b: 30 } },
  });
  switch (format) {
    case 'jpeg':
      return img.jpeg().toBuffer();
    case 'png':
      return img.png().toBuffer();
    case 'webp':
      return img.webp({ lossless: opts.lossless ?? false }).toBuffer();
    case 'gif':
      return img.gif().toBuffer();
    case 'tiff':
      return img.tiff().toBuffer();
    case 'avif':
      return img.avif().toBuffer();
  }
}

/** Random noise compresses badly: good for size limits. */
export async function noise(width: number, height: number, format: 'jpeg' | 'png', quality = 100): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 90 } } });
  return format === 'jpeg' ? img.jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer() : img.png({ compressionLevel: 1 }).toBuffer();
}

/** Inserts an APPn segment right after SOI. */
export function withAppSegment(jpeg: Buffer, marker: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0xff;
  head[1] = marker;
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, payload, jpeg.subarray(2)]);
}

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(8 + body.length, 0);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, body]);
}

function full(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  const vf = Buffer.alloc(4);
  vf.writeUInt32BE((version << 24) | flags, 0);
  return box(type, vf, ...parts);
}

function u32(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeUInt32BE(x, i * 4));
  return b;
}

function u16(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 2);
  v.forEach((x, i) => b.writeUInt16BE(x, i * 2));
  return b;
}

/**
 * A structurally valid HEIC header (ftyp heic, meta with pitm/iprp/ipma): primary item 1 is
 * `width`x`height` (optionally rotated 90° by irot); a 320x240 thumbnail item 2 comes first in ipco to
 * make sure the primary item's property is the one picked. No image data.
 */
export function heicHeader(width: number, height: number, opts: { rotate90?: boolean; brand?: string } = {}): Buffer {
  const brand = opts.brand ?? 'heic';
  const ftyp = box('ftyp', Buffer.from(brand, 'latin1'), u32(0), Buffer.from(`mif1${brand}miaf`, 'latin1'));
  const thumbIspe = full('ispe', 0, 0, u32(320, 240));
  const ispe = full('ispe', 0, 0, u32(width, height));
  const irot = box('irot', Buffer.from([1]));
  const ipco = box('ipco', thumbIspe, ispe, irot);
  // ipma: item 1 -> properties 2 (ispe) and 3 (irot, if rotated); item 2 -> property 1.
  const item1 = opts.rotate90 ? Buffer.concat([u16(1), Buffer.from([2, 0x02, 0x03])]) : Buffer.concat([u16(1), Buffer.from([1, 0x82])]);
  const item2 = Buffer.concat([u16(2), Buffer.from([1, 0x01])]);
  const ipma = full('ipma', 0, 0, u32(2), item1, item2);
  const meta = full(
    'meta',
    0,
    0,
    full('hdlr', 0, 0, u32(0), Buffer.from('pict', 'latin1'), u32(0, 0, 0), Buffer.from('\0')),
    full('pitm', 0, 0, u16(1)),
    box('iprp', ipco, ipma),
  );
  return Buffer.concat([ftyp, meta, box('mdat', Buffer.alloc(64))]);
}
