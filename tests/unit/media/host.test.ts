import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { createLogger } from '../../../src/log.js';
import { MediaHost, MediaHostNotConfiguredError } from '../../../src/media/host.js';
import { FileChangedError, resolveLocalMedia } from '../../../src/media/localFiles.js';
import { writeMp4 } from './mp4.js';

const PUBLIC = 'https://example.ngrok.app';
const dir = mkdtempSync(path.join(os.tmpdir(), 'host-'));
const clock = new VirtualClock();
const logLines: string[] = [];
const host = new MediaHost({ publicBaseUrl: PUBLIC, clock, logger: createLogger({ level: 'debug', write: (l) => logLines.push(l) }) });
let server: Server;
let origin: string;

const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const file = path.join(dir, 'photo.jpg');
writeFileSync(file, bytes);

beforeAll(async () => {
  server = createServer((req, res) => {
    if (!host.handle(req, res)) {
      res.writeHead(418);
      res.end('not media');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Where a published URL is served on the local listener. */
function local(url: string): string {
  return url.replace(PUBLIC, origin);
}

describe('MediaHost', () => {
  it('publishes under an unguessable path with a suitable extension', () => {
    const a = host.publish({ path: file }, { mimeType: 'image/jpeg' });
    const b = host.publish({ buffer: bytes }, { mimeType: 'video/mp4' });
    const c = host.publish({ buffer: bytes }, { mimeType: 'application/x-custom', fileName: 'x.BIN' });
    expect(a.url).toMatch(/^https:\/\/example\.ngrok\.app\/media\/[A-Za-z0-9_-]{43}\.jpg$/);
    expect(b.url).toMatch(/\.mp4$/);
    expect(c.url).toMatch(/\/[A-Za-z0-9_-]{43}\.bin$/);
    expect(a.token).not.toBe(b.token);
    expect(Buffer.from(a.token, 'base64url')).toHaveLength(32);
    expect(a.expiresAt).toBe(clock.now() + 60 * 60 * 1000);
    expect(a.fetchCount).toBe(0);
    expect(/^[\x20-\x7e]+$/.test(a.url)).toBe(true); // US-ASCII only, as Instagram requires
  });

  it('serves GET from disk with length and type, and counts the fetch', async () => {
    const hosted = host.publish({ path: file }, { mimeType: 'image/jpeg' });
    expect(host.wasFetched(hosted.token)).toBe(false);
    const res = await fetch(local(hosted.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(hosted.fetchCount).toBe(1);
    expect(host.wasFetched(hosted.token)).toBe(true);
    expect(logLines.join('')).not.toContain(hosted.token);
  });

  it('answers HEAD with headers only and does not count it as a fetch', async () => {
    const hosted = host.publish({ buffer: bytes }, { mimeType: 'image/jpeg' });
    const res = await fetch(local(hosted.url), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect(host.wasFetched(hosted.token)).toBe(false);
  });

  it('serves byte ranges with 206 and Content-Range (file and buffer)', async () => {
    for (const source of [{ path: file }, { buffer: bytes }]) {
      const hosted = host.publish(source, { mimeType: 'video/mp4' });
      const res = await fetch(local(hosted.url), { headers: { Range: 'bytes=10-19' } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe('bytes 10-19/1000');
      expect(res.headers.get('content-length')).toBe('10');
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);

      const tail = await fetch(local(hosted.url), { headers: { Range: 'bytes=-5' } });
      expect(tail.status).toBe(206);
      expect(tail.headers.get('content-range')).toBe('bytes 995-999/1000');
      expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(995))).toBe(true);

      const open = await fetch(local(hosted.url), { headers: { Range: 'bytes=990-' } });
      expect(open.headers.get('content-range')).toBe('bytes 990-999/1000');
      await open.arrayBuffer();

      const past = await fetch(local(hosted.url), { headers: { Range: 'bytes=5000-6000' } });
      expect(past.status).toBe(416);
      expect(past.headers.get('content-range')).toBe('bytes */1000');
      await past.arrayBuffer();

      const multi = await fetch(local(hosted.url), { headers: { Range: 'bytes=0-1,5-6' } });
      expect(multi.status).toBe(200);
      expect((await multi.arrayBuffer()).byteLength).toBe(1000);
    }
  });

  it('streams a range from deep inside a large sparse video', async () => {
    const big = path.join(dir, 'big.mp4');
    writeMp4(big, { durationSec: 60, width: 1080, height: 1920, moovFirst: false, sizeBytes: 1024 ** 3 });
    const hosted = host.publish({ path: big }, { mimeType: 'video/mp4' });
    const res = await fetch(local(hosted.url), { headers: { Range: `bytes=${1024 ** 3 - 4096}-` } });
    expect(res.status).toBe(206);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(4096);
    expect(body.includes(Buffer.from('moov'))).toBe(true);
    const head = await fetch(local(hosted.url), { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(1024 ** 3));
  });

  it('survives a fetcher that hangs up mid-stream', async () => {
    const big = path.join(dir, 'abort.mp4');
    writeMp4(big, { durationSec: 60, width: 1080, height: 1920, moovFirst: true, sizeBytes: 256 * 1024 * 1024 });
    const hosted = host.publish({ path: big }, { mimeType: 'video/mp4' });
    const controller = new AbortController();
    const res = await fetch(local(hosted.url), { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
    const again = await fetch(local(hosted.url), { headers: { Range: 'bytes=0-7' } });
    expect(again.status).toBe(206);
    expect(Buffer.from(await again.arrayBuffer()).toString('latin1', 4, 8)).toBe('ftyp');
  });

  it('answers 404 for unknown tokens, wrong extensions and the bare prefix, and ignores other paths', async () => {
    const hosted = host.publish({ buffer: bytes }, { mimeType: 'image/jpeg' });
    const fake = `${origin}/media/${'A'.repeat(43)}.jpg`;
    expect((await fetch(fake)).status).toBe(404);
    expect((await fetch(local(hosted.url).replace('.jpg', '.png'))).status).toBe(404);
    expect((await fetch(local(hosted.url).slice(0, -5))).status).toBe(404);
    expect((await fetch(`${origin}/media/`)).status).toBe(404);
    expect((await fetch(`${origin}/media`)).status).toBe(404);
    expect((await fetch(`${origin}/media/../etc/passwd`)).status).not.toBe(200);
    expect((await fetch(`${origin}/elsewhere`)).status).toBe(418);
    expect((await fetch(`${origin}/mediafoo/x`)).status).toBe(418);
    expect((await fetch(`${local(hosted.url)}?x=1`)).status).toBe(200);
  });

  it('refuses other methods', async () => {
    const hosted = host.publish({ buffer: bytes }, { mimeType: 'image/jpeg' });
    const res = await fetch(local(hosted.url), { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('expires after the TTL on the injected clock, and sweep drops the entry', async () => {
    const hosted = host.publish({ buffer: bytes }, { mimeType: 'image/jpeg' });
    await (await fetch(local(hosted.url))).arrayBuffer();
    clock.advance(60 * 60 * 1000 - 1);
    expect((await fetch(local(hosted.url))).status).toBe(200);
    clock.advance(1);
    expect((await fetch(local(hosted.url))).status).toBe(404);
    expect(host.wasFetched(hosted.token)).toBe(true); // still known until swept
    host.sweep();
    expect(host.wasFetched(hosted.token)).toBe(false);
    expect(host.get(hosted.token)).toBeUndefined();
  });

  it('revoke stops serving at once', async () => {
    const hosted = host.publish({ path: file }, { mimeType: 'image/jpeg' });
    host.revoke(hosted.token);
    expect((await fetch(local(hosted.url))).status).toBe(404);
    host.revoke('not-a-token'); // harmless
  });

  it('expireAfterFetch ends the URL a grace period after the first complete download', async () => {
    const hosted = host.publish({ buffer: bytes }, { mimeType: 'video/mp4', expireAfterFetch: true });
    const partial = await fetch(local(hosted.url), { headers: { Range: 'bytes=0-99' } });
    await partial.arrayBuffer();
    clock.advance(120_000);
    expect((await fetch(local(hosted.url), { method: 'HEAD' })).status).toBe(200); // a partial read does not end it
    await (await fetch(local(hosted.url), { headers: { Range: 'bytes=100-' } })).arrayBuffer();
    expect(hosted.expiresAt).toBe(clock.now() + 60_000);
    clock.advance(59_999);
    expect((await fetch(local(hosted.url), { method: 'HEAD' })).status).toBe(200);
    clock.advance(1);
    expect((await fetch(local(hosted.url))).status).toBe(404);
  });

  it('404s when the file disappeared', async () => {
    const gone = path.join(dir, 'gone.jpg');
    writeFileSync(gone, 'x');
    const hosted = host.publish({ path: gone }, { mimeType: 'image/jpeg' });
    rmSync(gone);
    expect((await fetch(local(hosted.url))).status).toBe(404);
  });

  it('throws MediaHostNotConfiguredError, explaining the options, without a public URL', () => {
    const bare = new MediaHost({ publicBaseUrl: undefined, clock });
    expect(bare.isConfigured()).toBe(false);
    let err: unknown;
    try {
      bare.publish({ buffer: bytes }, { mimeType: 'image/jpeg' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MediaHostNotConfiguredError);
    const message = (err as Error).message;
    expect(message).toMatch(/INSTAGRAM_MCP_PUBLIC_URL/);
    expect(message).toMatch(/cloudflared/);
    expect(message).toMatch(/ngrok/);
    expect(message).toMatch(/public https URL/);
    expect(message).toMatch(/resumable upload/);
    const invalid = new MediaHost({ publicBaseUrl: 'ftp://x', clock });
    expect(invalid.isConfigured()).toBe(false);
    expect(() => invalid.publish({ buffer: bytes }, { mimeType: 'image/jpeg' })).toThrow(/must be a plain http\(s\) address/);
  });

  it('supports a base path in the public URL and setPublicBaseUrl', async () => {
    const h = new MediaHost({ publicBaseUrl: undefined, clock, pathPrefix: 'files/' });
    h.setPublicBaseUrl('https://proxy.example.com/ig/');
    expect(h.isConfigured()).toBe(true);
    const hosted = h.publish({ buffer: bytes }, { mimeType: 'image/jpeg' });
    expect(hosted.url).toMatch(/^https:\/\/proxy\.example\.com\/ig\/files\/[A-Za-z0-9_-]{43}\.jpg$/);
    const s = createServer((req, res) => {
      if (!h.handle(req, res)) res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const o = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    try {
      const name = hosted.url.split('/').pop();
      expect((await fetch(`${o}/ig/files/${name}`)).status).toBe(200); // proxy passes the path through
      expect((await fetch(`${o}/files/${name}`)).status).toBe(200); // proxy strips the base path
    } finally {
      await new Promise((resolve) => s.close(resolve));
    }
    h.setPublicBaseUrl(undefined);
    expect(h.isConfigured()).toBe(false);
  });
});

describe('MediaHost and files swapped after their check', () => {
  it('serves a file only while it is the file checked: swapped for a link or other bytes, it answers 404 from then on', async () => {
    const secret = path.join(dir, 'secret.key');
    writeFileSync(secret, 'k'.repeat(1000));
    const photo = path.join(dir, 'pinned.jpg');
    writeFileSync(photo, bytes);
    const { identity } = await resolveLocalMedia(photo, [dir]);
    const hosted = host.publish({ path: photo, identity }, { mimeType: 'image/jpeg' });
    expect((await fetch(local(hosted.url), { method: 'HEAD' })).status).toBe(200);

    rmSync(photo);
    symlinkSync(secret, photo);
    const res = await fetch(local(hosted.url));
    expect(res.status).toBe(404);
    expect((await res.text()).includes('kkkk')).toBe(false);
    rmSync(photo);
    writeFileSync(photo, bytes); // the same bytes back, but not the file checked
    expect((await fetch(local(hosted.url), { headers: { Range: 'bytes=0-9' } })).status).toBe(404);
    expect(host.get(hosted.token)?.fetchCount).toBe(0);
  });

  it('refuses to publish a link, or a file that is no longer the one checked', async () => {
    const photo = path.join(dir, 'linked.jpg');
    writeFileSync(photo, bytes);
    const { identity } = await resolveLocalMedia(photo, [dir]);
    rmSync(photo);
    writeFileSync(photo, bytes);
    expect(() => host.publish({ path: photo, identity }, { mimeType: 'image/jpeg' })).toThrow(FileChangedError);
    const link = path.join(dir, 'link.jpg');
    symlinkSync(photo, link);
    expect(() => host.publish({ path: link }, { mimeType: 'image/jpeg' })).toThrow(FileChangedError);
  });

  it('answers 416 with bytes */size for every range set it cannot satisfy', async () => {
    const hosted = host.publish({ path: file }, { mimeType: 'video/mp4' });
    for (const range of ['bytes=1000-', 'bytes=1000-2000', 'bytes=99999999999999999999-', 'bytes=-0', 'bytes=1000-1001, 5000-']) {
      const res = await fetch(local(hosted.url), { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range'), range).toBe('bytes */1000');
      await res.arrayBuffer();
    }
    const empty = path.join(dir, 'empty.mp4');
    writeFileSync(empty, '');
    const none = host.publish({ path: empty }, { mimeType: 'video/mp4' });
    for (const range of ['bytes=0-', 'bytes=-1']) {
      const res = await fetch(local(none.url), { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe('bytes */0');
      await res.arrayBuffer();
    }
    const some = await fetch(local(hosted.url), { headers: { Range: 'bytes=5000-6000,0-1' } });
    expect(some.status).toBe(200); // one satisfiable range of several: the whole body (no multipart)
    await some.arrayBuffer();
  });
});

describe('MediaHost with a shared registry (hosted mode replicas)', () => {
  it('serves a file another host published, with Range, until that host withdraws it or it expires; never bytes in memory', async () => {
    const { openStore } = await import('../../../src/store/index.js');
    const { TokenVault } = await import('../../../src/store/vault.js');
    const { randomBytes } = await import('node:crypto');
    const store = openStore({ file: ':memory:', vault: new TokenVault(randomBytes(32)), clock });
    const publisher = new MediaHost({ publicBaseUrl: PUBLIC, clock, registry: store.hostedFiles });
    const other = new MediaHost({ publicBaseUrl: PUBLIC, clock, registry: store.hostedFiles });
    const alone = new MediaHost({ publicBaseUrl: PUBLIC, clock });
    const servers = await Promise.all(
      [other, alone].map(async (h) => {
        const s = createServer((req, res) => void h.handle(req, res));
        await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
        return { s, origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
      }),
    );
    const at = (i: number, url: string) => url.replace(PUBLIC, servers[i]!.origin);
    try {
      const hosted = await publisher.publishShared({ path: file }, { mimeType: 'image/jpeg' });
      const whole = await fetch(at(0, hosted.url));
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
      const part = await fetch(at(0, hosted.url), { headers: { Range: 'bytes=10-19' } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
      // A host without the registry knows nothing of it; a wrong extension or token is not it.
      expect((await fetch(at(1, hosted.url))).status).toBe(404);
      expect((await fetch(at(0, hosted.url.replace(/\.jpg$/, '.png')))).status).toBe(404);
      expect((await fetch(at(0, hosted.url.replace(/\/[A-Za-z0-9_-]{43}/, `/${'A'.repeat(43)}`)))).status).toBe(404);

      // Withdrawn by its publisher: gone everywhere at once.
      publisher.revoke(hosted.token);
      await new Promise((resolve) => setImmediate(resolve));
      expect((await fetch(at(0, hosted.url))).status).toBe(404);

      // Expired: gone, and swept from the registry.
      const later = await publisher.publishShared({ path: file }, { mimeType: 'image/jpeg' });
      expect((await fetch(at(0, later.url))).status).toBe(200);
      clock.advance(60 * 60 * 1000);
      expect((await fetch(at(0, later.url))).status).toBe(404);
      await other.sweepShared();
      expect(await store.hostedFiles.find(createHash('sha256').update(later.token).digest('hex'), 0)).toBeUndefined();

      // Bytes in memory are not shared (no other process could read them).
      const inMemory = await publisher.publishShared({ buffer: bytes }, { mimeType: 'image/jpeg' });
      expect((await fetch(at(0, inMemory.url))).status).toBe(404);
    } finally {
      for (const { s } of servers) await new Promise((resolve) => s.close(resolve));
      await store.close();
    }
  });
});
