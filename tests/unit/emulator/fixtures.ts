/**
 * Test media and a tiny file server, shared by the emulator tests and by other suites that publish
 * through the emulator. The media are minimal but structurally valid where the emulator looks:
 * JPEG markers (SOI, APP0, SOF0 with the dimensions, SOS, EOI), the PNG signature + IHDR, and an MP4
 * `ftyp` + `moov/mvhd` (duration) + `mdat`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** A JPEG of the given dimensions; `padBytes` of scan data make it as large as needed. */
export function makeJpeg(width: number, height: number, padBytes = 256): Buffer {
  const soi = Buffer.from([0xff, 0xd8]);
  const app0 = Buffer.concat([
    Buffer.from([0xff, 0xe0]),
    u16(16),
    Buffer.from('JFIF\0', 'latin1'),
    Buffer.from([1, 1, 0]),
    u16(1),
    u16(1),
    Buffer.from([0, 0]),
  ]);
  const sof0 = Buffer.concat([
    Buffer.from([0xff, 0xc0]),
    u16(17),
    Buffer.from([8]),
    u16(height),
    u16(width),
    Buffer.from([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]),
  ]);
  const sos = Buffer.concat([Buffer.from([0xff, 0xda]), u16(12), Buffer.from([3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0])]);
  const scan = Buffer.alloc(Math.max(0, padBytes), 0x5a);
  const eoi = Buffer.from([0xff, 0xd9]);
  return Buffer.concat([soi, app0, sof0, sos, scan, eoi]);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32(data.length), typed, u32(crc32(typed))]);
}

/** A PNG header (signature, IHDR, IEND): enough to be recognised as PNG. */
export function makePng(width: number, height: number): Buffer {
  const ihdr = Buffer.concat([u32(width), u32(height), Buffer.from([8, 2, 0, 0, 0])]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(body.length + 8), Buffer.from(type, 'latin1'), body]);
}

/** An MP4 with `ftyp`, a front `moov/mvhd` carrying the duration, and `padBytes` of `mdat`. */
export function makeMp4(durationSec: number, padBytes = 1024): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), u32(0x200), Buffer.from('isomiso2avc1mp41', 'latin1'));
  const timescale = 1000;
  const identity = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map(u32);
  const mvhd = box(
    'mvhd',
    Buffer.from([0, 0, 0, 0]), // version 0, flags
    u32(0), // creation
    u32(0), // modification
    u32(timescale),
    u32(Math.round(durationSec * timescale)),
    u32(0x00010000), // rate 1.0
    u16(0x0100), // volume 1.0
    Buffer.alloc(10),
    ...identity,
    Buffer.alloc(24),
    u32(2), // next track id
  );
  const moov = box('moov', mvhd);
  const mdat = box('mdat', Buffer.alloc(Math.max(0, padBytes), 0x11));
  return Buffer.concat([ftyp, moov, mdat]);
}

export interface FileRoute {
  body: Buffer;
  status?: number;
  contentType?: string;
  /** Answer Range requests with 206 (default true). */
  rangeSupport?: boolean;
}

export interface FileServer {
  baseUrl: string;
  /** Absolute URL of a route path ('/a.jpg'). */
  url(path: string): string;
  /** Adds or replaces a route. */
  set(path: string, route: Buffer | FileRoute): void;
  /** Requests received (path and headers). */
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** Serves fixed bodies on 127.0.0.1; unknown paths answer 404. Supports `Range: bytes=a-b`. */
export async function startFileServer(routes: Record<string, Buffer | FileRoute> = {}): Promise<FileServer> {
  const table = new Map<string, FileRoute>();
  const set = (path: string, route: Buffer | FileRoute) => table.set(path, Buffer.isBuffer(route) ? { body: route } : route);
  for (const [path, route] of Object.entries(routes)) set(path, route);
  const requests: FileServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://files.local').pathname;
    requests.push({ path, headers: req.headers });
    const route = table.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const contentType = route.contentType ?? guessType(path);
    const status = route.status ?? 200;
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers['range'] ?? ''));
    if (range && status === 200 && route.rangeSupport !== false && route.body.length > 0) {
      const start = range[1] ? Number(range[1]) : 0;
      const end = range[2] ? Math.min(Number(range[2]), route.body.length - 1) : route.body.length - 1;
      res.writeHead(206, {
        'content-type': contentType,
        'content-length': end - start + 1,
        'content-range': `bytes ${start}-${end}/${route.body.length}`,
        'accept-ranges': 'bytes',
      });
      res.end(route.body.subarray(start, end + 1));
      return;
    }
    res.writeHead(status, { 'content-type': contentType, 'content-length': route.body.length });
    res.end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    url: (path) => baseUrl + path,
    set,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function guessType(path: string): string {
  if (path.endsWith('.jpg') || path.endsWith('.jpeg')) return 'image/jpeg';
  if (path.endsWith('.png')) return 'image/png';
  if (path.endsWith('.mp4')) return 'video/mp4';
  return 'application/octet-stream';
}
