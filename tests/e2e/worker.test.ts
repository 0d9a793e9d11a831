/**
 * `instagram-mcp worker` alone publishes a scheduled post: a stdio server (spawned as clients spawn
 * it) schedules the post and exits; the worker, with no client at all, publishes it at its time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { makeJpeg, startFileServer, type FileServer } from '../unit/emulator/fixtures.js';
import { connectClient, readOutcome } from '../helpers/client.js';
import { emulatorEnv } from '../helpers/harness.js';

const builtEntry = path.resolve(import.meta.dirname, '../../dist/index.js');

describe('instagram-mcp worker', () => {
  let emulator: Emulator;
  let files: FileServer;
  let dataDir: string;
  let env: Record<string, string>;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    emulator = createEmulator({ processing: { imageMs: 0, videoMs: 0 } });
    await emulator.start(0, '127.0.0.1');
    files = await startFileServer({ '/photo.jpg': makeJpeg(1080, 1080) });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-worker-'));
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...emulatorEnv(emulator),
      INSTAGRAM_MCP_DATA_DIR: dataDir,
      INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      INSTAGRAM_MCP_LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await emulator?.stop();
    await files?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes a post scheduled by a stdio server that has exited, at its time, once', async () => {
    const u = emulator.users.instagramBusiness;
    const token = emulator.issueToken({ userId: u.id, loginType: 'instagram', lifetime: 'long' });
    const client = await connectClient(new StdioClientTransport({ command: process.execPath, args: [builtEntry], env, stderr: 'ignore' }), 'worker-e2e');
    expect(readOutcome(await client.callTool({ name: 'instagram_authenticate', arguments: { access_token: token } })).isError).toBe(false);
    const publishAt = Date.now() + 6000;
    const scheduled = readOutcome(await client.callTool({ name: 'instagram_create_post', arguments: { media: files.url('/photo.jpg'), caption: 'From the worker', publish_at: new Date(publishAt).toISOString() } }));
    expect(scheduled.isError, scheduled.text).toBe(false);
    expect(scheduled.data.state).toBe('scheduled');
    await client.close();
    expect(emulator.publishedMedia(u.id)).toHaveLength(0);

    let stderr = '';
    worker = spawn(process.execPath, [builtEntry, 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    worker.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 45_000;
    while (emulator.publishedMedia(u.id).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const live = emulator.publishedMedia(u.id);
    expect(live, stderr.slice(-2000)).toHaveLength(1);
    expect(live[0]!.caption).toBe('From the worker');
    // Not before its time (the emulator stamps media on the same wall clock).
    expect(live[0]!.timestamp).toBeGreaterThanOrEqual(publishAt - 50);

    const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    worker = undefined;
    expect(emulator.publishedMedia(u.id)).toHaveLength(1);
  }, 90_000);
});
