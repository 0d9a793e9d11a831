/**
 * Local media at size: a 200 MB video streamed by resumable upload in constant memory, cut mid-body
 * by a network fault and resumed from the offset the container reports; a restart in the middle of an
 * upload; the authenticated HTTP upload endpoint; inline base64; reference expiry and cleanup.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../src/clock.js';
import { createEmulator, type Emulator } from '../../../src/emulator/index.js';
import { startHttpServer, type HttpServerHandle } from '../../../src/transports/http.js';
import { emulatorEnv, type CallOutcome } from '../../helpers/harness.js';
import { writeMp4 } from '../../unit/media/mp4.js';
import { jpeg, postRow, PUBLISH, publishingHarness, requests, restartApp, sha256, type PublishingHarness, type Restarted } from './helpers.js';

let h: PublishingHarness | undefined;
let proxy: CuttingProxy | undefined;
let restarted: Restarted | undefined;
let http: HttpServerHandle | undefined;
let spawned: SpawnedServer | undefined;

afterEach(async () => {
  await http?.close();
  await restarted?.close();
  await h?.close();
  await spawned?.close();
  await proxy?.close();
  http = restarted = h = proxy = spawned = undefined;
});

interface CuttingProxy {
  port: number;
  target: number;
  /** Cut the first connection that carries more than this many request bytes (0 = never). */
  cutAfter: number;
  cuts: number;
  /** Called with each chunk's size as the proxy forwards request bytes to the emulator. */
  onRequestBytes?: (bytes: number) => void;
  close(): Promise<void>;
}

/** A TCP proxy to the emulator that can break a connection in the middle of a request body. */
async function cuttingProxy(): Promise<CuttingProxy> {
  const sockets = new Set<net.Socket>();
  const state: CuttingProxy = {
    port: 0,
    target: 0,
    cutAfter: 0,
    cuts: 0,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(state.target, '127.0.0.1');
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (state.cutAfter > 0 && sent > state.cutAfter) {
        state.cutAfter = 0;
        state.cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      state.onRequestBytes?.(chunk.length);
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}

async function harnessBehindProxy(): Promise<PublishingHarness> {
  proxy = await cuttingProxy();
  const harness = await publishingHarness({ env: { INSTAGRAM_RUPLOAD_URL: `http://127.0.0.1:${proxy.port}/rupload.facebook.com` } });
  proxy.target = Number(new URL(harness.emulator.baseUrl).port);
  return harness;
}

interface SpawnedServer {
  pid: number;
  emulator: Emulator;
  mediaDir: string;
  call(name: string, args: Record<string, unknown>, opts?: { onprogress?: (p: { progress: number }) => void }): Promise<CallOutcome>;
  stderr(): string;
  close(): Promise<void>;
}

/**
 * The server under test in its own process — the CLI from source (tsx) over stdio, as a desktop client
 * spawns it — so its memory is its own; the emulator and the cutting proxy in front of rupload stay here.
 */
async function spawnServerBehindProxy(): Promise<SpawnedServer> {
  const emulator = createEmulator({ processing: { imageMs: 0, videoMs: 0 } });
  await emulator.start(0, '127.0.0.1');
  proxy = await cuttingProxy();
  proxy.target = Number(new URL(emulator.baseUrl).port);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-data-'));
  const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-media-'));
  const root = path.resolve(import.meta.dirname, '../../..');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', path.join(root, 'src/index.ts')],
    cwd: root,
    stderr: 'pipe',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...emulatorEnv(emulator),
      INSTAGRAM_RUPLOAD_URL: `http://127.0.0.1:${proxy.port}/rupload.facebook.com`,
      INSTAGRAM_REDIRECT_URI: 'http://127.0.0.1:9/oauth/callback',
      INSTAGRAM_MCP_DATA_DIR: dataDir,
      INSTAGRAM_MCP_MEDIA_DIRS: mediaDir,
      INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      INSTAGRAM_MCP_PUBLISH_WAIT_SECONDS: '600',
      INSTAGRAM_MCP_LOG_LEVEL: 'warn',
    },
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'upload-test', version: '1' });
  const closeAll = async () => {
    await client.close().catch(() => {});
    await emulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  };
  try {
    await client.connect(transport);
  } catch (err) {
    await closeAll();
    throw new Error(`the server did not start: ${String(err)}\n${stderr}`);
  }
  return {
    pid: transport.pid!,
    emulator,
    mediaDir,
    async call(name, args, opts = {}) {
      // A hang guard only: progress notifications reset it, and nothing here depends on how fast they come.
      const r = await client.callTool({ name, arguments: args }, undefined, { onprogress: opts.onprogress, resetTimeoutOnProgress: true, timeout: 120_000 });
      const text = Array.isArray(r.content) && r.content[0] && 'text' in r.content[0] ? String(r.content[0].text) : '';
      return { isError: Boolean(r.isError), data: r.structuredContent, text };
    },
    stderr: () => stderr,
    close: closeAll,
  };
}

/** Resident set size of a process, in bytes: /proc on Linux, ps elsewhere. */
function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
}

describe('resumable upload of local video', () => {
  it('streams a 200 MB video in constant memory, survives a cut mid-body and resumes from the reported offset', async () => {
    const server = (spawned = await spawnServerBehindProxy());
    const { emulator } = server;
    const igUserId = emulator.users.instagramBusiness.id;
    const token = emulator.issueToken({ userId: igUserId, loginType: 'instagram', lifetime: 'long' });
    const auth = await server.call('instagram_authenticate', { access_token: token });
    expect(auth.isError, auth.text).toBe(false);
    emulator.clearLog();
    const logged = (method: string, pattern: RegExp) => emulator.requestLog().filter((q) => q.method === method && pattern.test(q.path));

    const file = path.join(server.mediaDir, 'big.mp4');
    const size = 200 * 1024 * 1024;
    writeMp4(file, { durationSec: 45, width: 1080, height: 1920, moovFirst: true, sizeBytes: size });
    expect(statSync(file).size).toBe(size);
    proxy!.cutAfter = 80 * 1024 * 1024;

    // The server's RSS, sampled every 4 MiB the proxy forwards (so the number of samples does not depend on speed).
    const before = rssOf(server.pid);
    let peakRss = before;
    let samples = 0;
    let forwarded = 0;
    proxy!.onRequestBytes = (bytes) => {
      const step = Math.floor(forwarded / (4 * 1024 * 1024));
      forwarded += bytes;
      if (Math.floor(forwarded / (4 * 1024 * 1024)) === step) return;
      samples++;
      peakRss = Math.max(peakRss, rssOf(server.pid));
    };
    const progress: number[] = [];
    const r = await server.call('instagram_create_reel', { video: file, caption: 'Big one' }, { onprogress: (p) => progress.push(p.progress) });
    proxy!.onRequestBytes = undefined;
    peakRss = Math.max(peakRss, rssOf(server.pid));

    expect(r.isError, `${r.text}\n${server.stderr()}`).toBe(false);
    expect(r.data.state).toBe('completed');
    expect(proxy!.cuts).toBe(1);
    const uploads = logged('POST', /ig-api-upload/);
    expect(uploads).toHaveLength(2);
    expect(uploads[0]!.headers.offset).toBe('0');
    const resumedAt = Number(uploads[1]!.headers.offset);
    expect(resumedAt).toBeGreaterThan(10 * 1024 * 1024);
    expect(resumedAt).toBeLessThan(size);
    // The offset came from the container (video_status.uploading_phase.bytes_transferred), read after the cut.
    const cutTime = uploads[0]!.time;
    expect(logged('GET', new RegExp(`^/${r.data.container_id}$`)).some((q) => q.time >= cutTime && q.params.fields?.includes('video_status'))).toBe(true);
    const container = emulator.container(r.data.container_id)!;
    expect(container.upload).toMatchObject({ complete: true, bytesReceived: size, fileSize: size });
    expect(container.upload!.sha256).toBe(sha256(file));
    expect(emulator.publishedMedia(igUserId)).toHaveLength(1);
    expect(logged('POST', PUBLISH)).toHaveLength(1);

    // Memory stays flat: the server process grows far less than the file (a buffering server would grow by all of it).
    const rssGrowth = peakRss - before;
    const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
    console.error(`200 MiB upload (the server in its own process, ${samples} samples): RSS ${mib(before)} before, peak growth ${mib(rssGrowth)}; resumed at byte ${resumedAt}`);
    expect(samples).toBeGreaterThan(5);
    expect(rssGrowth).toBeLessThan(size * 0.4);

    // Upload progress was reported as it went (and never went backwards).
    expect(progress.filter((p) => p > 13 && p < 63).length).toBeGreaterThan(10);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
  }, 120_000);

  it('a server stopped mid-upload resumes the upload from the container offset on start', async () => {
    h = await harnessBehindProxy();
    const file = path.join(h.mediaDir, 'mid.mp4');
    const size = 64 * 1024 * 1024;
    writeMp4(file, { durationSec: 20, width: 1080, height: 1920, moovFirst: true, sizeBytes: size });
    // The server is stopped once 8 MiB of the body are on their way to the emulator.
    let forwarded = 0;
    const midway = new Promise<void>((resolve) => {
      proxy!.onRequestBytes = (bytes) => {
        if ((forwarded += bytes) > 8 * 1024 * 1024) resolve();
      };
    });
    const started = await h.call('instagram_create_reel', { video: file, wait_seconds: 0 });
    await midway;
    proxy!.onRequestBytes = undefined;
    const containerId = (await postRow(h, started.data.post_id)).containerId!;
    await h.app.close();
    const received = h.emulator.container(containerId)!.upload!.bytesReceived;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(size);

    restarted = await restartApp(h, { stopFirst: false });
    await restarted.app.publisher.resumeInFlight();
    const done = await restarted.call('instagram_post_status', { post_id: started.data.post_id, wait_seconds: 600 });
    expect(done.data.state).toBe('completed');
    const uploads = requests(h, 'POST', /ig-api-upload/);
    expect(uploads).toHaveLength(2);
    expect(Number(uploads[1]!.headers.offset)).toBeGreaterThanOrEqual(received);
    expect(Number(uploads[1]!.headers.offset)).toBeLessThan(size);
    expect(h.emulator.container(containerId)!.upload!.sha256).toBe(sha256(file));
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
  }, 60_000);
});

describe('registering media', () => {
  it('POST /uploads streams to the data dir (authenticated, size-capped) and the reference publishes identical bytes', async () => {
    const token = randomBytes(24).toString('hex');
    h = await publishingHarness({ env: { INSTAGRAM_MCP_HTTP_TOKENS: `alice=${token}` } });
    http = await startHttpServer(h.app, { port: 0, host: '127.0.0.1' });
    const bytes = await jpeg(1080, 1350);

    const anonymous = await fetch(`${http.url}/uploads?filename=a.jpg`, { method: 'POST', body: bytes });
    expect(anonymous.status).toBe(401);

    const res = await fetch(`${http.url}/uploads?filename=a.jpg`, { method: 'POST', body: bytes, headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' } });
    expect(res.status).toBe(201);
    const registered = (await res.json()) as { reference_id: string; mime_type: string; size_bytes: number; expires_at: string };
    expect(registered).toMatchObject({ mime_type: 'image/jpeg', size_bytes: bytes.length });
    expect(registered.reference_id).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(registered.expires_at) - h.clock.now()).toBe(24 * 3600_000);
    const stored = (await h.app.store.media.get('alice', registered.reference_id))!;
    expect(stored.localPath!.startsWith(path.join(h.dataDir, 'uploads'))).toBe(true);

    const r = await h.call('instagram_create_post', { media: registered.reference_id });
    expect(r.data.state).toBe('completed');
    expect(h.emulator.container(r.data.container_id)!.source!.sha256).toBe(sha256(bytes));

    const junk = await fetch(`${http.url}/uploads?filename=x.bin`, { method: 'POST', body: Buffer.from('hello world, not media'), headers: { authorization: `Bearer ${token}` } });
    expect(junk.status).toBe(415);
    expect(((await junk.json()) as { error: { message: string } }).error.message).toMatch(/not a photo or video/);

    const tooBig = Readable.from((function* () {
      const chunk = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < 80; i++) yield chunk; // 320 MiB
    })());
    await expect(h.app.library.registerUpload('alice', tooBig, { fileName: 'huge.mp4' })).rejects.toMatchObject({ code: 'upload_too_large', status: 413 });
    expect(readdirSync(path.join(h.dataDir, 'uploads')).filter((n) => n.endsWith('.part'))).toHaveLength(0);
  }, 60_000);

  it('instagram_upload_media registers inline base64, local files and URLs; references expire and uploads are cleaned up', async () => {
    h = await publishingHarness();
    const bytes = await jpeg(1080, 1080);
    const inline = await h.call('instagram_upload_media', { data: bytes.toString('base64'), mime_type: 'image/jpeg' });
    expect(inline.isError, inline.text).toBe(false);
    expect(inline.data).toMatchObject({ kind: 'image', source: 'upload', size_bytes: bytes.length, width: 1080, height: 1080 });
    expect(inline.data.checks.find((c: { target: string }) => c.target === 'feed_image')).toMatchObject({ ok: true });

    const wide = path.join(h.mediaDir, 'wide.jpg');
    (await import('node:fs')).writeFileSync(wide, await jpeg(2400, 1000));
    const local = await h.call('instagram_upload_media', { source: wide });
    expect(local.data).toMatchObject({ kind: 'image', source: 'local' });
    expect(local.data.checks.find((c: { target: string }) => c.target === 'feed_image').ok).toBe(false);
    expect(local.data.checks.find((c: { target: string }) => c.target === 'story_image').ok).toBe(true);

    const remote = await h.call('instagram_upload_media', { source: 'https://cdn.example.com/a.mp4' });
    expect(remote.data).toMatchObject({ kind: 'video', source: 'url', size_bytes: null });

    const published = await h.call('instagram_create_post', { media: [inline.data.reference_id, { source: inline.data.reference_id }] });
    expect(published.data.state).toBe('completed');

    const uploadFile = (await h.app.store.media.get('alice', inline.data.reference_id))!.localPath!;
    expect(existsSync(uploadFile)).toBe(true);
    (h.clock as VirtualClock).advance(25 * 3600_000);
    const cleaned = await h.app.library.cleanupExpired();
    expect(cleaned.deleted).toBeGreaterThanOrEqual(2);
    expect(existsSync(uploadFile)).toBe(false);
    expect(existsSync(wide)).toBe(true); // the user's own file is never deleted
    const expired = await h.call('instagram_create_post', { media: local.data.reference_id });
    expect(expired.isError).toBe(true);
    expect(expired.text).toMatch(/no media with reference id|expired/);

    const tooLarge = await h.call('instagram_upload_media', { data: 'A'.repeat(100), mime_type: 'image/jpeg' });
    expect(tooLarge.isError).toBe(true);
    expect(tooLarge.text).toMatch(/not a photo or video/);
  });
});
