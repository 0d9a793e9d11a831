/**
 * Two stdio instances with the same settings and a public URL (a desktop client and an IDE) both work
 * (issue #12, item 13): the second one does not die on the fixed media/callback port. The instance that
 * holds the port completes the other's OAuth login and serves the other's media; when it exits, the
 * other takes the port over. A port held by another program is a clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import sharp from 'sharp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { completeAuthorization, createEmulator, serverSettingsFor, type Emulator } from '../../src/emulator/index.js';
import { readOutcome, type CallOutcome } from '../helpers/client.js';
import { freePort } from '../helpers/harness.js';

const builtEntry = path.resolve(import.meta.dirname, '../../dist/index.js');

interface Instance {
  call(name: string, args?: Record<string, unknown>): Promise<CallOutcome>;
  stderr(): string;
  close(): Promise<void>;
}

async function spawnInstance(env: Record<string, string>): Promise<Instance> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [builtEntry],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'shared-port-e2e', version: '1' });
  await client.connect(transport);
  await client.listTools();
  return {
    async call(name, args = {}) {
      return readOutcome(await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 }));
    },
    stderr: () => stderr,
    close: () => client.close(),
  };
}

/** Polls (the servers run on real time in their own processes) until check passes or the deadline. */
async function eventually<T>(check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await delay(100);
  }
}

describe.skipIf(!existsSync(builtEntry))('two stdio instances sharing the public URL port', () => {
  let emulator: Emulator;
  let dataDir: string;
  let mediaDir: string;
  let port: number;
  let env: Record<string, string>;
  const instances: Instance[] = [];

  beforeAll(async () => {
    emulator = createEmulator();
    await emulator.start(0, '127.0.0.1');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-shared-'));
    mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-shared-media-'));
    port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    env = {
      ...serverSettingsFor(emulator),
      INSTAGRAM_MCP_SANDBOX: '0',
      INSTAGRAM_MCP_DATA_DIR: dataDir,
      INSTAGRAM_MCP_MEDIA_DIRS: mediaDir,
      INSTAGRAM_MCP_PUBLIC_URL: publicUrl,
      INSTAGRAM_MCP_PORT: String(port),
      INSTAGRAM_REDIRECT_URI: `${publicUrl}/oauth/callback`,
      INSTAGRAM_MCP_PUBLISH_WAIT_SECONDS: '60',
    };
  });
  afterAll(async () => {
    for (const i of instances) await i.close().catch(() => {});
    await emulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  });

  async function photo(name: string, color: string): Promise<string> {
    const file = path.join(mediaDir, name);
    writeFileSync(file, await sharp({ create: { width: 1080, height: 1080, channels: 3, background: color } }).jpeg().toBuffer());
    return file;
  }

  it('both start and work; the holder completes the other\'s login and serves its media; the other takes over when it exits', async () => {
    const first = await spawnInstance(env);
    instances.push(first);
    expect((await first.call('instagram_accounts')).isError).toBe(false);

    const second = await spawnInstance(env);
    instances.push(second);
    const listed = await second.call('instagram_accounts');
    expect(listed.isError, `${listed.text}\n${second.stderr()}`).toBe(false);

    // A login started by the second instance: the browser lands on the port the first one holds.
    const started = await second.call('instagram_authenticate', {});
    expect(started.isError, started.text).toBe(false);
    expect(started.data.status).toBe('awaiting_user');
    const landing = await completeAuthorization(started.data.authorization_url);
    expect(landing.startsWith(`http://127.0.0.1:${port}/oauth/callback?`)).toBe(true);
    const page = await fetch(landing);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Connected @sandbox_bakery');
    const accounts = await second.call('instagram_accounts');
    expect(accounts.data.accounts.map((a: { username: string }) => a.username)).toEqual(['sandbox_bakery']);

    // The second instance's local file is fetched through the port the first one holds.
    const viaFirst = await second.call('instagram_create_post', { media: [await photo('one.jpg', '#aa3030')], caption: 'Served through the sibling' });
    expect(viaFirst.isError, `${viaFirst.text}\n${second.stderr()}`).toBe(false);
    expect(viaFirst.data.state).toBe('completed');

    // The first instance exits: the second takes the port over and serves its own media and callbacks.
    await first.close();
    instances.splice(instances.indexOf(first), 1);
    await eventually(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      return r.ok ? true : undefined;
    }, 20_000);
    const afterTakeover = await second.call('instagram_create_post', { media: [await photo('two.jpg', '#30aa30')], caption: 'Served after the takeover' });
    expect(afterTakeover.isError, `${afterTakeover.text}\n${second.stderr()}`).toBe(false);
    expect(afterTakeover.data.state).toBe('completed');
    expect(emulator.publishedMedia().map((m) => m.caption)).toEqual(expect.arrayContaining(['Served through the sibling', 'Served after the takeover']));
    expect(second.stderr()).toMatch(/took over the shared media\/callback port/);
  }, 90_000);

  it('says clearly that another program holds the port', async () => {
    const squatter = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('something else'));
    const otherPort = await freePort();
    await new Promise<void>((resolve) => squatter.listen(otherPort, '127.0.0.1', resolve));
    try {
      const otherDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-shared-other-'));
      const instance = await spawnInstance({ ...env, INSTAGRAM_MCP_DATA_DIR: otherDir, INSTAGRAM_MCP_PORT: String(otherPort), INSTAGRAM_MCP_PUBLIC_URL: `http://127.0.0.1:${otherPort}`, INSTAGRAM_REDIRECT_URI: `http://127.0.0.1:${otherPort}/oauth/callback` });
      const outcome = await instance.call('instagram_accounts').catch((err: unknown) => ({ isError: true, data: undefined, text: String(err) }));
      expect(outcome.isError).toBe(true);
      await eventually(async () => (instance.stderr().includes('failed to start') ? true : undefined), 10_000);
      expect(instance.stderr()).toMatch(new RegExp(`Port ${otherPort} \\(INSTAGRAM_MCP_PORT\\).*in use by another program`));
      expect(instance.stderr()).toMatch(/set INSTAGRAM_MCP_PORT to a free port/);
      await instance.close().catch(() => {});
      rmSync(otherDir, { recursive: true, force: true });
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  }, 60_000);
});
