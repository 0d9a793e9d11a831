/**
 * Memory while uploading big local videos by resumable upload: the BUILT server (`node dist/index.js`)
 * runs as a child process over stdio, pointed at an emulator in this process; its RSS is sampled from
 * /proc/<pid>/status (VmRSS) every 50 ms. Baseline: the same server's idle RSS (connected, account
 * authenticated, before the upload), sampled the same way.
 *
 * A single reel may be at most 300 MiB (Instagram's limit, enforced by the server before anything is
 * sent; a 1 GB reel is refused — checked here too), so 1 GiB goes up as a carousel of four 256 MiB
 * videos in one tool call, uploaded one after the other; the largest single file, a 300 MiB reel, is
 * measured as well. The files are sparse (writeMp4): reading them costs no disk I/O, so the figure is
 * the server's own buffering. The emulator streams what it receives (hash + head only); its process's
 * RSS growth is reported too.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createEmulator } from '../src/emulator/index.js';
import { writeMp4 } from '../tests/unit/media/mp4.js';
import { benchEnv, median, UNLIMITED } from './setup.js';

const root = path.resolve(import.meta.dirname, '..');
const MiB = 1024 * 1024;

export interface UploadCase {
  name: string;
  totalBytes: number;
  seconds: number;
  peakRssMb: number;
  aboveIdleMb: number;
  state: string;
  emulatorRssGrowthMb: number;
}

export interface UploadRssResult {
  idleRssMb: number;
  cases: UploadCase[];
  /** Max above idle over the cases. */
  worstAboveIdleMb: number;
  oneGbReel: { refused: boolean; code: string | null };
  vmHwmMb: number;
}

function vm(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) / 1024 : NaN;
}

function sampler(pid: number): { stop(): number[] } {
  const samples: number[] = [];
  const take = () => {
    try {
      samples.push(vm(pid, 'VmRSS'));
    } catch {
      // process gone
    }
  };
  take();
  const timer = setInterval(take, 50);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

export async function benchUploadRss(): Promise<UploadRssResult> {
  const emulator = createEmulator({ ...UNLIMITED, processing: { imageMs: 0, videoMs: 300 } });
  await emulator.start(0, '127.0.0.1');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bench-rss-data-'));
  const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bench-rss-media-'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(root, 'dist/index.js')],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...benchEnv(emulator, dataDir, mediaDir) },
    stderr: 'ignore',
    cwd: root,
  });
  const client = new Client({ name: 'bench-rss', version: '1' });
  try {
    writeMp4(path.join(mediaDir, 'reel-300mib.mp4'), { durationSec: 30, width: 1080, height: 1920, moovFirst: true, sizeBytes: 300 * MiB });
    writeMp4(path.join(mediaDir, 'reel-1gb.mp4'), { durationSec: 60, width: 1080, height: 1920, moovFirst: true, sizeBytes: 1_000_000_000 });
    for (let i = 0; i < 4; i++) writeMp4(path.join(mediaDir, `part-${i}.mp4`), { durationSec: 30, width: 1080, height: 1080, moovFirst: true, sizeBytes: 256 * MiB });

    await client.connect(transport);
    await client.listTools(); // as real clients do: output schemas are checked from here on
    const pid = transport.pid;
    if (!pid) throw new Error('no child pid');
    const call = async (name: string, args: Record<string, unknown>) => {
      const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000, resetTimeoutOnProgress: true });
      return { isError: Boolean(r.isError), data: r.structuredContent as Record<string, unknown> | undefined, text: JSON.stringify(r.content) };
    };
    const token = emulator.issueToken({ userId: emulator.users.instagramBusiness.id, loginType: 'instagram', lifetime: 'long' });
    const auth = await call('instagram_authenticate', { access_token: token });
    if (auth.isError) throw new Error(`authenticate failed: ${auth.text}`);
    await call('instagram_accounts', {});

    // Idle: connected and authenticated, nothing running.
    await new Promise((r) => setTimeout(r, 300));
    const idle = sampler(pid);
    await new Promise((r) => setTimeout(r, 1000));
    const idleRssMb = median(idle.stop());

    // A 1 GB reel is refused before any byte is sent (300 MiB limit).
    const refused = await call('instagram_create_reel', { video: 'reel-1gb.mp4', caption: 'too big' });
    const error = refused.data?.['error'] as { code?: string; details?: { issues?: Array<{ code?: string }> } } | undefined;
    const code = refused.isError ? [error?.code, ...(error?.details?.issues ?? []).map((i) => i.code)].filter(Boolean).join('/') : null;

    const cases: UploadCase[] = [];
    const run = async (name: string, totalBytes: number, tool: string, args: Record<string, unknown>) => {
      const emulatorBefore = process.memoryUsage().rss;
      let emulatorPeak = emulatorBefore;
      const emuTimer = setInterval(() => (emulatorPeak = Math.max(emulatorPeak, process.memoryUsage().rss)), 50);
      const s = sampler(pid);
      const t0 = performance.now();
      const r = await call(tool, { ...args, wait_seconds: 600 });
      const seconds = (performance.now() - t0) / 1000;
      const samples = s.stop();
      clearInterval(emuTimer);
      const peak = Math.max(...samples);
      cases.push({
        name,
        totalBytes,
        seconds,
        peakRssMb: peak,
        aboveIdleMb: peak - idleRssMb,
        state: r.isError ? `error: ${r.text.slice(0, 200)}` : String(r.data?.['state']),
        emulatorRssGrowthMb: (emulatorPeak - emulatorBefore) / MiB,
      });
    };
    await run('reel 300 MiB', 300 * MiB, 'instagram_create_reel', { video: 'reel-300mib.mp4', caption: 'bench rss reel' });
    await run('carousel 4 × 256 MiB (1 GiB)', 1024 * MiB, 'instagram_create_post', {
      media: [0, 1, 2, 3].map((i) => `part-${i}.mp4`),
      caption: 'bench rss carousel',
    });
    const vmHwmMb = vm(pid, 'VmHWM');
    return {
      idleRssMb,
      cases,
      worstAboveIdleMb: Math.max(...cases.map((c) => c.aboveIdleMb)),
      oneGbReel: { refused: refused.isError, code },
      vmHwmMb,
    };
  } finally {
    await client.close().catch(() => {});
    await emulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  }
}
