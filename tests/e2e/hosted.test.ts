/**
 * Hosted mode (issue #14), as it is deployed: three replicas of the built server (three processes on
 * three ports) sharing one PostgreSQL database, and a client with no affinity at all: every HTTP request
 * it sends goes to the next replica in turn. It connects, logs in, publishes and reads; a second owner
 * on the same replicas sees nothing of the first one's. Skipped, with the reason printed, where no
 * PostgreSQL answers (CI always runs it). Also: serving-only replicas beside a worker-only one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { DEMO_ACCOUNTS } from '../../src/emulator/seed.js';
import { makeJpeg, startFileServer, type FileServer } from '../unit/emulator/fixtures.js';
import { emulatorEnv, freePort } from '../helpers/harness.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../helpers/postgres.js';

const builtEntry = path.resolve(import.meta.dirname, '../../dist/index.js');
const unavailable = await postgresUnavailable('tests/e2e/hosted.test.ts');

interface Replica {
  port: number;
  child: ChildProcess;
  dataDir: string;
  stderr: string[];
}

/** One encryption key per deployment (its database), as every replica of it must have. */
const deploymentKeys = new Map<string, string>();
const keyOf = (database: TestDatabase) => deploymentKeys.get(database.url) ?? deploymentKeys.set(database.url, randomBytes(32).toString('hex')).get(database.url)!;

/** What every replica of one deployment is given: the emulator's hosts, one key, one database, the tokens. */
function deploymentEnv(emulator: Emulator, database: TestDatabase, tokens: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...emulatorEnv(emulator),
    INSTAGRAM_MCP_ENCRYPTION_KEY: keyOf(database),
    INSTAGRAM_MCP_DATABASE_URL: database.url,
    INSTAGRAM_MCP_DATABASE_POOL: '4',
    INSTAGRAM_MCP_HTTP_TOKENS: tokens,
    INSTAGRAM_MCP_LOG_LEVEL: 'info',
    ...extra,
  };
}

async function startReplica(env: Record<string, string>, port?: number): Promise<Replica> {
  port ??= await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-replica-'));
  const child = spawn(process.execPath, [builtEntry, '--transport', 'http', '--port', String(port)], {
    env: { ...env, INSTAGRAM_MCP_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString());
      if (stderr.join('').includes('serving MCP over HTTP')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`replica exited (${code}): ${stderr.join('')}`)));
  });
  return { port, child, dataDir, stderr };
}

/** A client whose every request goes to the next replica: no affinity of any kind. */
async function roundRobinClient(replicas: Replica[], token: string, seen: number[]): Promise<Client> {
  let next = 0;
  const rotating: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const replica = replicas[next++ % replicas.length]!;
    url.port = String(replica.port);
    seen.push(replica.port);
    return fetch(url, init);
  };
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${replicas[0]!.port}/mcp`), {
    fetch: rotating,
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'hosted-test', version: '1.0.0' });
  await client.connect(transport);
  await client.listTools();
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; data: any; text: string }> {
  const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
  const text = r.content[0]?.type === 'text' ? r.content[0].text : '';
  return { isError: Boolean(r.isError), data: r.structuredContent, text };
}

describe.skipIf(unavailable !== null || !existsSync(builtEntry))('hosted mode: three replicas on one PostgreSQL database', () => {
  let database: TestDatabase;
  let emulator: Emulator;
  let files: FileServer;
  let mediaDir: string;
  const replicas: Replica[] = [];
  let replicaEnv: Record<string, string>;
  const tokens = { alice: randomBytes(24).toString('hex'), bob: randomBytes(24).toString('hex') };

  beforeAll(async () => {
    database = await createTestDatabase();
    emulator = createEmulator({ processing: { imageMs: 0, videoMs: 0 } });
    await emulator.start(0, '127.0.0.1');
    files = await startFileServer({ '/bread.jpg': makeJpeg(1080, 1080) });
    mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-hosted-media-'));
    const env = deploymentEnv(emulator, database, `alice=${tokens.alice},bob=${tokens.bob}`, { INSTAGRAM_MCP_MEDIA_DIRS: mediaDir });
    replicaEnv = env;
    // Started together: they race for the migrations, which the advisory lock serialises.
    replicas.push(...(await Promise.all([startReplica(env), startReplica(env), startReplica(env)])));
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) r.child.kill('SIGTERM');
    await Promise.all(replicas.map((r) => new Promise((resolve) => (r.child.exitCode !== null ? resolve(null) : r.child.once('exit', resolve)))));
    for (const r of replicas) rmSync(r.dataDir, { recursive: true, force: true });
    await emulator?.stop();
    await files?.close();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
    await database?.drop();
  });

  it('logs in, publishes and reads with every request sent to another replica; another owner sees none of it', async () => {
    const seen: number[] = [];
    const alice = await roundRobinClient(replicas, tokens.alice, seen);
    const token = emulator.issueToken({ userId: emulator.users.instagramBusiness.id, loginType: 'instagram', lifetime: 'long' });
    const login = await call(alice, 'instagram_authenticate', { access_token: token });
    expect(login.isError, login.text).toBe(false);
    const accounts = await call(alice, 'instagram_accounts', {});
    expect(accounts.data.accounts.map((a: { username: string }) => a.username)).toEqual([DEMO_ACCOUNTS.instagramBusiness.username]);

    const created = await call(alice, 'instagram_create_post', { media: files.url('/bread.jpg'), caption: 'Baked on three replicas', wait_seconds: 60 });
    expect(created.isError, created.text).toBe(false);
    const postId = created.data.post_id as string;
    const status = await call(alice, 'instagram_post_status', { post_id: postId });
    expect(status.data.state).toBe('completed');
    const published = emulator.publishedMedia(emulator.users.instagramBusiness.id).filter((m) => m.caption === 'Baked on three replicas');
    expect(published).toHaveLength(1);
    expect(status.data.media_id).toBe(published[0]!.id);
    const posts = await call(alice, 'instagram_get_posts', { limit: 5 });
    expect(posts.data.posts.map((p: { id: string }) => p.id)).toContain(published[0]!.id);

    // Every replica answered some of it.
    expect(new Set(seen)).toEqual(new Set(replicas.map((r) => r.port)));

    // Bob, on the same replicas: no account, no post, nothing listed.
    const bob = await roundRobinClient(replicas, tokens.bob, []);
    expect((await call(bob, 'instagram_accounts', {})).data.accounts).toEqual([]);
    const bobStatus = await call(bob, 'instagram_post_status', { post_id: postId });
    expect(bobStatus.isError).toBe(true);
    expect(bobStatus.text).not.toContain('Baked on three replicas');
    const listed = JSON.stringify(await bob.listResources());
    expect(listed).not.toContain(postId);
    expect(listed).not.toContain(DEMO_ACCOUNTS.instagramBusiness.username);
    await alice.close();
    await bob.close();
  }, 180_000);

  it('publishes every scheduled post once through a rolling restart of all replicas, none late by more than the gap', async () => {
    const alice = await roundRobinClient(replicas, tokens.alice, []);
    const start = Date.now();
    const due = [8, 10, 12, 14, 16, 18].map((s, i) => ({ caption: `Rolling ${i} ${randomBytes(3).toString('hex')}`, at: start + s * 1000 }));
    for (const d of due) {
      const r = await call(alice, 'instagram_create_post', { media: files.url('/bread.jpg'), caption: d.caption, publish_at: new Date(d.at).toISOString(), wait_seconds: 0 });
      expect(r.isError, r.text).toBe(false);
    }
    await alice.close();
    // One replica at a time: stopped (SIGTERM, as an orchestrator does), then started again on its port.
    let longestGap = 0;
    for (let i = 0; i < replicas.length; i++) {
      const old = replicas[i]!;
      const stoppedAt = Date.now();
      old.child.kill('SIGTERM');
      await new Promise((resolve) => (old.child.exitCode !== null ? resolve(null) : old.child.once('exit', resolve)));
      replicas[i] = await startReplica({ ...replicaEnv, INSTAGRAM_MCP_DATA_DIR: old.dataDir }, old.port);
      longestGap = Math.max(longestGap, Date.now() - stoppedAt);
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    const userId = emulator.users.instagramBusiness.id;
    const deadline = Date.now() + 60_000;
    const publishedOf = (caption: string) => emulator.publishedMedia(userId).filter((m) => m.caption === caption);
    while (Date.now() < deadline && !due.every((d) => publishedOf(d.caption).length > 0)) await new Promise((resolve) => setTimeout(resolve, 250));
    const lateness = due.map((d) => (publishedOf(d.caption)[0]?.timestamp ?? NaN) - d.at);
    console.info(`rolling restart: longest replica gap ${longestGap} ms; lateness of the ${due.length} posts (ms): ${lateness.join(', ')}`);
    for (const d of due) {
      const published = publishedOf(d.caption);
      expect(published, d.caption).toHaveLength(1);
      const lateMs = published[0]!.timestamp - d.at;
      // Never early; late by at most the longest restart gap, plus the job queue's poll (2 s) and the publish itself.
      expect(lateMs, d.caption).toBeGreaterThanOrEqual(-50);
      expect(lateMs, `${d.caption}: ${lateMs} ms late, longest gap ${longestGap} ms`).toBeLessThanOrEqual(longestGap + 5000);
    }
  }, 180_000);
});

async function startWorker(env: Record<string, string>): Promise<Replica> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-worker-'));
  const child = spawn(process.execPath, [builtEntry, 'worker'], { env: { ...env, INSTAGRAM_MCP_DATA_DIR: dataDir }, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString());
      if (stderr.join('').includes('worker running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${stderr.join('')}`)));
  });
  return { port: 0, child, dataDir, stderr };
}

describe.skipIf(unavailable !== null || !existsSync(builtEntry))('hosted mode split into serving replicas and a worker', () => {
  let database: TestDatabase;
  let emulator: Emulator;
  let files: FileServer;
  const processes: Replica[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    emulator = createEmulator({ processing: { imageMs: 0, videoMs: 0 } });
    await emulator.start(0, '127.0.0.1');
    files = await startFileServer({ '/bread.jpg': makeJpeg(1080, 1080) });
  }, 60_000);

  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => new Promise((resolve) => (p.child.exitCode !== null ? resolve(null) : p.child.once('exit', resolve)))));
    for (const p of processes) rmSync(p.dataDir, { recursive: true, force: true });
    await emulator?.stop();
    await files?.close();
    await database?.drop();
  });

  it('serving replicas (INSTAGRAM_MCP_BACKGROUND_JOBS=0) publish now but leave scheduled posts to the worker, which publishes each once', async () => {
    const token = randomBytes(24).toString('hex');
    const env = deploymentEnv(emulator, database, `alice=${token}`, { INSTAGRAM_MCP_BACKGROUND_JOBS: '0' });
    const serving = await Promise.all([startReplica(env), startReplica(env)]);
    processes.push(...serving);
    // Said once background work would start (just after the replica says it listens).
    const saidOff = Date.now() + 15_000;
    while (Date.now() < saidOff && !serving.every((r) => r.stderr.join('').includes('background jobs are off here'))) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const r of serving) expect(r.stderr.join('')).toContain('background jobs are off here');
    const alice = await roundRobinClient(serving, token, []);
    const login = await call(alice, 'instagram_authenticate', { access_token: emulator.issueToken({ userId: emulator.users.instagramBusiness.id, loginType: 'instagram', lifetime: 'long' }) });
    expect(login.isError, login.text).toBe(false);
    const userId = emulator.users.instagramBusiness.id;
    const publishedOf = (caption: string) => emulator.publishedMedia(userId).filter((m) => m.caption === caption);

    // Published now: in the request, on a serving replica.
    const now = await call(alice, 'instagram_create_post', { media: files.url('/bread.jpg'), caption: 'Served now', wait_seconds: 60 });
    expect(now.isError, now.text).toBe(false);
    expect(now.data.state).toBe('completed');
    expect(publishedOf('Served now')).toHaveLength(1);

    // Scheduled: due in 2 s; with no worker it stays scheduled past its time.
    const dueAt = Date.now() + 2000;
    const scheduled = await call(alice, 'instagram_create_post', { media: files.url('/bread.jpg'), caption: 'Left to the worker', publish_at: new Date(dueAt).toISOString(), wait_seconds: 0 });
    expect(scheduled.isError, scheduled.text).toBe(false);
    const postId = scheduled.data.post_id as string;
    while (Date.now() < dueAt + 4000) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(publishedOf('Left to the worker')).toHaveLength(0);
    expect((await call(alice, 'instagram_post_status', { post_id: postId })).data.state).toBe('scheduled');

    // A worker with the same settings (the flag included: the worker runs the jobs regardless) publishes it, once.
    const worker = await startWorker(env);
    processes.push(worker);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && publishedOf('Left to the worker').length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(publishedOf('Left to the worker')).toHaveLength(1);
    let state = '';
    while (Date.now() < deadline && state !== 'completed') {
      state = (await call(alice, 'instagram_post_status', { post_id: postId })).data.state as string;
      if (state !== 'completed') await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(state).toBe('completed');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(publishedOf('Left to the worker')).toHaveLength(1);
    await alice.close();
  }, 180_000);

  it("serves a local file one replica hands to Instagram from another replica, as behind one address", async () => {
    const token = randomBytes(24).toString('hex');
    const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-hosted-files-'));
    writeFileSync(path.join(mediaDir, 'rye.jpg'), makeJpeg(1080, 1350, 4096));
    const [portA, portB] = [await freePort(), await freePort()];
    const env = deploymentEnv(emulator, database, `carol=${token}`, { INSTAGRAM_MCP_MEDIA_DIRS: mediaDir });
    // Each replica's public URL is the other one: Instagram's fetch never reaches the replica that published.
    const a = await startReplica({ ...env, INSTAGRAM_MCP_PUBLIC_URL: `http://127.0.0.1:${portB}` }, portA);
    processes.push(a);
    const b = await startReplica({ ...env, INSTAGRAM_MCP_PUBLIC_URL: `http://127.0.0.1:${portA}` }, portB);
    processes.push(b);
    try {
      const carol = await roundRobinClient([a], token, []);
      const login = await call(carol, 'instagram_authenticate', { access_token: emulator.issueToken({ userId: emulator.users.instagramCreator.id, loginType: 'instagram', lifetime: 'long' }) });
      expect(login.isError, login.text).toBe(false);
      const created = await call(carol, 'instagram_create_post', { media: path.join(mediaDir, 'rye.jpg'), caption: 'Served by the other replica', wait_seconds: 60 });
      expect(created.isError, created.text).toBe(false);
      expect(created.data.state).toBe('completed');
      expect(emulator.publishedMedia(emulator.users.instagramCreator.id).filter((m) => m.caption === 'Served by the other replica')).toHaveLength(1);
      // The fetch was answered by b (a's URL points there), from the shared registry.
      expect(b.stderr.join('')).toMatch(/media fetched/);
      expect(a.stderr.join('')).not.toMatch(/media fetched/);
      await carol.close();
    } finally {
      rmSync(mediaDir, { recursive: true, force: true });
    }
  }, 120_000);
});
