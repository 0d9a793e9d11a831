/**
 * The Inspector CLI starts one server process per call (issue #12, items 13 and 15): in sandbox mode
 * the login of the first process is still there for the second, which lists, and the third, which
 * publishes; the post's permalink is the emulator's preview page, still answered by a later process;
 * `--sandbox-reset` forgets it all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readOutcome, type CallOutcome } from '../helpers/client.js';

const builtEntry = path.resolve(import.meta.dirname, '../../dist/index.js');

interface Running {
  call(name: string, args?: Record<string, unknown>): Promise<CallOutcome>;
  close(): Promise<void>;
}

describe.skipIf(!existsSync(builtEntry))('sandbox mode, one process per call', () => {
  let dataDir: string;
  let mediaDir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-percall-'));
    mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-percall-media-'));
    env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', INSTAGRAM_MCP_DATA_DIR: dataDir, INSTAGRAM_MCP_SANDBOX: '1', INSTAGRAM_MCP_MEDIA_DIRS: mediaDir };
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  });

  /** Starts the built server, makes one call, and (unless told to keep it) stops it, as the Inspector CLI does. */
  async function oneCall(name: string, args: Record<string, unknown> = {}, keep = false): Promise<CallOutcome & Running> {
    const client = new Client({ name: 'inspector-cli', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [builtEntry], env, stderr: 'ignore' }));
    await client.listTools();
    const call = async (tool: string, toolArgs: Record<string, unknown> = {}) => readOutcome(await client.callTool({ name: tool, arguments: toolArgs }, undefined, { timeout: 60_000 }));
    const outcome = await call(name, args);
    const close = () => client.close();
    if (!keep) await close();
    return { ...outcome, call, close };
  }

  it('logs in, lists, publishes and shows the post across processes; --sandbox-reset forgets it', async () => {
    const login = await oneCall('instagram_authenticate');
    expect(login.isError, login.text).toBe(false);

    const accounts = await oneCall('instagram_accounts');
    expect(accounts.data.accounts.map((a: { username: string }) => a.username)).toContain('sandbox_bakery');
    const posts = await oneCall('instagram_get_posts', { account: '@sandbox_bakery' });
    expect(posts.isError, posts.text).toBe(false);

    const file = path.join(mediaDir, 'loaf.jpg');
    writeFileSync(file, await sharp({ create: { width: 1080, height: 1350, channels: 3, background: '#b07030' } }).jpeg().toBuffer());
    const published = await oneCall('instagram_create_post', { account: '@sandbox_bakery', media: [file], caption: 'Sourdough <3 & "rye"' });
    expect(published.isError, published.text).toBe(false);
    expect(published.data.state).toBe('completed');
    const permalink: string = published.data.permalink;
    expect(permalink).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/p\/[A-Za-z0-9_-]+\/$/);

    // The process that published is gone; the next one answers the same permalink.
    const later = await oneCall('instagram_accounts', {}, true);
    try {
      const page = await fetch(permalink);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Sourdough &lt;3 &amp; &quot;rye&quot;');
    } finally {
      await later.close();
    }

    const reset = await run(['--sandbox-reset'], env);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain(path.join(dataDir, 'sandbox'));
    expect(existsSync(path.join(dataDir, 'sandbox'))).toBe(false);
    const afterReset = await oneCall('instagram_accounts');
    expect(afterReset.data.accounts).toEqual([]);
  }, 120_000);

  it('two sandbox processes at once share one Instagram: both publish, each sees both posts, a third process too', async () => {
    const a = await oneCall('instagram_authenticate', {}, true);
    const b = await oneCall('instagram_accounts', {}, true);
    try {
      expect(b.data.accounts.map((x: { username: string }) => x.username)).toContain('sandbox_bakery');
      const photos = await Promise.all(
        ['#902020', '#209020', '#202090', '#909020'].map(async (color, i) => {
          const file = path.join(mediaDir, `both-${i}.jpg`);
          writeFileSync(file, await sharp({ create: { width: 1080, height: 1080, channels: 3, background: color } }).jpeg().toBuffer());
          return file;
        }),
      );
      // Calls on both processes at once: every write goes through the lock, none is lost.
      const outcomes = await Promise.all(photos.map((file, i) => (i % 2 ? b : a).call('instagram_create_post', { account: '@sandbox_bakery', media: [file], caption: `Concurrent ${i}` })));
      for (const o of outcomes) {
        expect(o.isError, o.text).toBe(false);
        expect(o.data.state).toBe('completed');
      }
      for (const p of [a, b]) {
        const posts = await p.call('instagram_get_posts', { account: '@sandbox_bakery', limit: 10 });
        expect(posts.data.posts.map((x: { caption: string | null }) => x.caption)).toEqual(expect.arrayContaining(['Concurrent 0', 'Concurrent 1', 'Concurrent 2', 'Concurrent 3']));
      }
    } finally {
      await a.close();
      await b.close();
    }
    const third = await oneCall('instagram_get_posts', { account: '@sandbox_bakery', limit: 10 });
    expect(third.data.posts.map((x: { caption: string | null }) => x.caption)).toEqual(expect.arrayContaining(['Concurrent 0', 'Concurrent 1', 'Concurrent 2', 'Concurrent 3']));
  }, 120_000);
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [builtEntry, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout }));
  });
}
