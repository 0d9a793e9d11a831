/**
 * Crash suite: the built stdio server is killed with SIGKILL while the emulator holds its request at
 * each publisher state, then started again. Embedded (SQLite): on the same data directory, and the
 * database passes PRAGMA integrity_check. Hosted (PostgreSQL): another replica, with a data directory
 * of its own, on the same database finishes the post. Either way every post completes exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient, readOutcome } from '../../helpers/client.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createEmulator, type Emulator } from '../../../src/emulator/index.js';
import type { RequestMatcher } from '../../../src/emulator/types.js';
import { makeJpeg, startFileServer, type FileServer } from '../../unit/emulator/fixtures.js';
import { writeMp4 } from '../../unit/media/mp4.js';
import { emulatorEnv } from '../../helpers/harness.js';
import pg from 'pg';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../helpers/postgres.js';

const builtEntry = path.resolve(import.meta.dirname, '../../../dist/index.js');

interface Running {
  client: Client;
  transport: StdioClientTransport;
}

const noPostgres = (await postgresUnavailable('tests/integration/reliability/crash.test.ts (hosted mode)')) !== null;

describe.each([
  ['embedded (SQLite), restarted on the same data directory', 'sqlite', false],
  ['hosted (PostgreSQL), finished by another replica', 'postgres', noPostgres],
] as const)('crash suite: SIGKILL at each publisher state, %s', (_name, backend, skip) => {
  let emulator: Emulator;
  let files: FileServer;
  let token: string;
  let database: TestDatabase | undefined;
  // One database for the hosted scenarios, so one token key for all of them (a replica with another
  // key is refused at start: the tokens stored under the first one could not be read).
  const hostedKey = randomBytes(32).toString('hex');

  beforeAll(async () => {
    if (skip || !existsSync(builtEntry)) return;
    emulator = createEmulator({ processing: { imageMs: 0, videoMs: 300 } });
    await emulator.start(0, '127.0.0.1');
    files = await startFileServer({ '/photo.jpg': makeJpeg(1080, 1080, 4096) });
    if (backend === 'postgres') database = await createTestDatabase();
  });
  afterAll(async () => {
    await files?.close();
    await emulator?.stop();
    await database?.drop();
  });

  async function startServer(env: Record<string, string>): Promise<Running> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [builtEntry],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stderr: 'ignore',
    });
    const client = await connectClient(transport, 'crash-suite');
    return { client, transport };
  }

  async function call(running: Running, name: string, args: Record<string, unknown>) {
    const result = await running.client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
    return readOutcome(result);
  }

  const scenarios: Array<{ state: string; match: RequestMatcher; media: 'image' | 'video'; scheduled?: boolean }> = [
    { state: 'creating_container', match: { method: 'POST', path: /^\/\d+\/media$/ }, media: 'image' },
    { state: 'uploading', match: { method: 'POST', hostRole: 'rupload' }, media: 'video' },
    { state: 'processing', match: { method: 'GET', path: /^\/\d+$/, hostRole: 'instagram_graph' }, media: 'image' },
    { state: 'reading the quota (alongside container creation)', match: { method: 'GET', path: /content_publishing_limit$/ }, media: 'image' },
    { state: 'publishing (publish applied after the kill)', match: { method: 'POST', path: /^\/\d+\/media_publish$/ }, media: 'image' },
    // A scheduled post (a few seconds ahead): killed while its container is made ahead, while it
    // processes, and at its time while media_publish is under way.
    { state: 'scheduled: creating its container ahead', match: { method: 'POST', path: /^\/\d+\/media$/ }, media: 'image', scheduled: true },
    { state: 'scheduled: processing ahead', match: { method: 'GET', path: /^\/\d+$/, hostRole: 'instagram_graph' }, media: 'image', scheduled: true },
    { state: 'scheduled: publishing at its time (publish applied after the kill)', match: { method: 'POST', path: /^\/\d+\/media_publish$/ }, media: 'image', scheduled: true },
  ];

  for (const scenario of scenarios) {
    it.skipIf(skip || !existsSync(builtEntry))(`completes exactly once after a kill while ${scenario.state}`, async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-crash-'));
      const otherReplicaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-crash-replica-'));
      const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-crash-media-'));
      const env: Record<string, string> = {
        ...emulatorEnv(emulator),
        INSTAGRAM_REDIRECT_URI: 'http://127.0.0.1:9/oauth/callback',
        INSTAGRAM_MCP_DATA_DIR: dataDir,
        INSTAGRAM_MCP_MEDIA_DIRS: mediaDir,
        INSTAGRAM_MCP_ENCRYPTION_KEY: database ? hostedKey : randomBytes(32).toString('hex'),
        INSTAGRAM_MCP_OWNER: 'crash',
        INSTAGRAM_MCP_LOG_LEVEL: 'error',
        ...(database ? { INSTAGRAM_MCP_DATABASE_URL: database.url, INSTAGRAM_MCP_DATABASE_POOL: '3' } : {}),
      };
      const caption = `crash test ${scenario.state} ${randomBytes(4).toString('hex')}`;
      const key = `crash-${randomBytes(6).toString('hex')}`;
      let args: Record<string, unknown>;
      let tool: string;
      if (scenario.media === 'video') {
        const video = path.join(mediaDir, 'clip.mp4');
        writeMp4(video, { durationSec: 8, width: 1080, height: 1920, moovFirst: true, sizeBytes: 3 * 1024 * 1024 });
        tool = 'instagram_create_reel';
        args = { video, caption, idempotency_key: key, wait_seconds: 30 };
      } else {
        tool = 'instagram_create_post';
        args = { media: [files.url('/photo.jpg')], caption, idempotency_key: key, wait_seconds: 30 };
      }
      const publishAt = Date.now() + 4000;
      if (scenario.scheduled) args = { ...args, wait_seconds: 0, publish_at: new Date(publishAt).toISOString() };
      const userId = emulator.users.instagramBusiness.id;
      try {
        const first = await startServer(env);
        token ??= emulator.issueToken({ userId, loginType: 'instagram', lifetime: 'long' });
        expect((await call(first, 'instagram_authenticate', { access_token: token })).isError).toBe(false);

        const hold = emulator.hold(scenario.match);
        const pending = call(first, tool, args).catch(() => null);
        await hold.waitForRequest();
        first.transport.pid && process.kill(first.transport.pid, 'SIGKILL');
        await pending;
        hold.release(); // what the emulator held goes through now, with no one left to hear the answer
        await first.client.close().catch(() => {});

        const second = await startServer(database ? { ...env, INSTAGRAM_MCP_DATA_DIR: otherReplicaDir } : env);
        // The agent retries with the same key: it gets the first post, which the restarted server resumed.
        let outcome = await call(second, tool, args);
        expect(outcome.isError, JSON.stringify(outcome.data)).toBe(false);
        const postId = outcome.data.post_id;
        for (let i = 0; i < 30 && outcome.data.state !== 'completed' && outcome.data.state !== 'failed'; i++) {
          outcome = await call(second, 'instagram_post_status', { post_id: postId, wait_seconds: 5 });
        }
        expect(outcome.data.state, JSON.stringify(outcome.data)).toBe('completed');
        expect(outcome.data.permalink).toMatch(/^https:\/\/www\.instagram\.com\//);
        const published = emulator.publishedMedia(userId).filter((m) => m.caption === caption);
        expect(published).toHaveLength(1);
        if (scenario.scheduled) expect(published[0]!.timestamp).toBeGreaterThanOrEqual(publishAt - 50);
        expect(outcome.data.media_id).toBe(published[0]!.id);
        await second.client.close();

        if (database) {
          // Through the administrator (who sees through row-level security): this post's row, once.
          const admin = new pg.Client({ connectionString: database.adminUrl });
          await admin.connect();
          try {
            const { rows } = await admin.query<{ n: string }>('select count(*) as n from posts where idempotency_key = $1', [key]);
            expect(Number(rows[0]!.n)).toBe(1);
          } finally {
            await admin.end();
          }
        } else {
          const db = new Database(path.join(dataDir, 'instagram-mcp.sqlite'), { readonly: true });
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          const rows = db.prepare('select count(*) as n from posts').get() as { n: number };
          expect(rows.n).toBe(1);
          db.close();
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(otherReplicaDir, { recursive: true, force: true });
        rmSync(mediaDir, { recursive: true, force: true });
      }
    }, 90_000);
  }
});
