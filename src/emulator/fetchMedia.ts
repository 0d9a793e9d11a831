/**
 * Fetches `image_url` / `video_url` / `file_url` the way Meta's crawler does ("We cURL media used in
 * publishing attempts"), streaming: it counts bytes, hashes incrementally and keeps only the head
 * needed by mediaProbe, so a large video never sits in memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Counts, hashes and keeps the first `headLimit` bytes of a stream of chunks. */
export class ByteAccumulator {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly headChunks: Buffer[] = [];
  private headLength = 0;

  constructor(private readonly headLimit: number) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (this.headLength < this.headLimit) {
      const slice = chunk.subarray(0, this.headLimit - this.headLength);
      this.headChunks.push(Buffer.from(slice));
      this.headLength += slice.length;
    }
  }

  head(): Buffer {
    return Buffer.concat(this.headChunks);
  }

  /** Hex digest; the accumulator must not be used afterwards. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

export type FetchOutcome =
  | {
      ok: true;
      status: number;
      bytes: number;
      head: Buffer;
      sha256?: string;
      /** More than maxBytes were available; reading stopped. */
      tooLarge: boolean;
      contentType?: string;
    }
  | { ok: false; reason: string };

export interface FetchOptions {
  maxBytes: number;
  headBytes: number;
  /** Send `Range: bytes=0-` (Meta fetches video with Range requests). */
  range?: boolean;
  allowPrivate: boolean;
  timeoutMs?: number;
}

export async function fetchMedia(url: string, options: FetchOptions): Promise<FetchOutcome> {
  // Media URLs must be US-ASCII (reference §3.1).
  if (!/^[\x20-\x7e]+$/.test(url)) return { ok: false, reason: 'non-ASCII characters in URL' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'invalid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, reason: 'unsupported scheme' };
  if (!options.allowPrivate && (await isPrivateHost(parsed.hostname))) return { ok: false, reason: 'private address' };

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), options.timeoutMs ?? 30_000);
  try {
    const response = await fetch(parsed, {
      method: 'GET',
      headers: {
        'user-agent': 'facebookexternalhit/1.1 (instagram-graph-emulator)',
        ...(options.range ? { range: 'bytes=0-' } : {}),
      },
      redirect: 'follow',
      signal: controller.signal,
    });
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, reason: `HTTP ${response.status}` };
    }
    const acc = new ByteAccumulator(options.headBytes);
    let tooLarge = false;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        acc.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        if (acc.bytes > options.maxBytes) {
          tooLarge = true;
          await reader.cancel().catch(() => undefined);
          break;
        }
      }
    }
    return {
      ok: true,
      status: response.status,
      bytes: acc.bytes,
      head: acc.head(),
      sha256: tooLarge ? undefined : acc.digest(),
      tooLarge,
      contentType: response.headers.get('content-type') ?? undefined,
    };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

async function isPrivateHost(hostname: string): Promise<boolean> {
  const host = hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      return false; // unresolvable: the fetch itself fails with a 9004
    }
  }
  return addresses.some(isPrivateAddress);
}

function isPrivateAddress(address: string): boolean {
  if (address === '::1' || address === '::' || /^f[cd]/i.test(address) || /^fe80/i.test(address)) return true;
  const v4 = address.replace(/^::ffff:/i, '');
  const parts = v4.split('.').map(Number);
  if (parts.length !== 4) return false;
  const [a, b] = parts as [number, number, number, number];
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}
