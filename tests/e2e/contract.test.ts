/**
 * The result contract, through real clients: the built server (spawned, as clients spawn it) over
 * stdio and over Streamable HTTP with a bearer token, driven by the SDK `Client` after `listTools`.
 * Every listed tool is called once with input that fails and once with input that succeeds; the
 * client must accept both answers (it validates structuredContent against the output schema, error
 * results included), errors must be `isError` text with a "What to do:" hint and no structuredContent,
 * and successes must carry structuredContent plus a summary line and compact JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { DEMO_ACCOUNTS } from '../../src/emulator/seed.js';
import { makeJpeg, makeMp4, startFileServer, type FileServer } from '../unit/emulator/fixtures.js';
import { connectClient, parseErrorText } from '../helpers/client.js';
import { emulatorEnv, freePort } from '../helpers/harness.js';

const builtEntry = path.resolve(import.meta.dirname, '../../dist/index.js');
const HOUR = 60 * 60 * 1000;
const BUSINESS = `@${DEMO_ACCOUNTS.instagramBusiness.username}`;
const FACEBOOK = `@${DEMO_ACCOUNTS.facebookInstagram.username}`;

interface Step {
  fail: Record<string, unknown>;
  /** What the failure's text must mention (besides the "What to do:" hint). */
  failSays: RegExp;
  pass: Record<string, unknown> | (() => Record<string, unknown>);
}

/** Filled in as the calls go (ids come from earlier answers). */
const found: { postId?: string; mediaId?: string; commentId?: string; scheduledId?: string } = {};

function steps(files: FileServer, tokens: { business: string; facebook: string; creator: string }): Record<string, Step> {
  const many = Array.from({ length: 31 }, (_, i) => `#tag${i}`).join(' ');
  return {
    instagram_authenticate: { fail: { access_token: 'not-a-real-token-at-all-0000' }, failSays: /token/i, pass: { access_token: tokens.business } },
    instagram_accounts: { fail: { include_disabld: true }, failSays: /did you mean `include_disabled`/, pass: {} },
    instagram_set_account_enabled: { fail: { account: '@nobody_here', enabled: true }, failSays: /nobody_here/, pass: { account: BUSINESS, enabled: true } },
    instagram_get_publishing_limit: { fail: { account: '@nobody_here' }, failSays: /account/i, pass: { account: BUSINESS } },
    instagram_upload_media: { fail: { source: '/etc/passwd' }, failSays: /media|source/i, pass: { source: files.url('/photo.jpg') } },
    instagram_preview_post: { fail: { account: BUSINESS, caption: 'no media' }, failSays: /media/i, pass: { account: BUSINESS, media: files.url('/photo.jpg'), caption: many } },
    instagram_create_post: {
      fail: { account: BUSINESS, media: files.url('/photo.jpg'), caption: many },
      failSays: /hashtag/i,
      pass: { account: BUSINESS, media: files.url('/photo.jpg'), caption: 'Fresh bread', wait_seconds: 30 },
    },
    instagram_post_status: { fail: { post_id: 'no-such-post' }, failSays: /post/i, pass: () => ({ post_id: found.postId! }) },
    // Scheduled two hours ahead: the calendar tools below list, move and cancel it.
    instagram_create_reel: { fail: { account: BUSINESS }, failSays: /video|media/i, pass: { account: BUSINESS, video: files.url('/clip.mp4'), publish_at: new Date(Date.now() + 2 * HOUR).toISOString() } },
    instagram_list_scheduled: { fail: { time_zone: 'Mars/Olympus' }, failSays: /time zone/i, pass: { time_zone: 'Europe/Berlin' } },
    instagram_reschedule_post: { fail: { post_id: 'no-such-post', publish_at: new Date(Date.now() + HOUR).toISOString() }, failSays: /post/i, pass: () => ({ post_id: found.scheduledId!, publish_at: new Date(Date.now() + 3 * HOUR).toISOString() }) },
    instagram_cancel_post: { fail: { post_id: 'no-such-post' }, failSays: /post/i, pass: () => ({ post_id: found.scheduledId! }) },
    instagram_suggest_times: { fail: { account: BUSINESS, time_zone: 'Mars/Olympus' }, failSays: /time zone/i, pass: { account: BUSINESS } },
    instagram_performance_report: { fail: { account: BUSINESS, since: '2026-11-20', until: '2026-11-10' }, failSays: /since/, pass: { account: BUSINESS, period: '7d' } },
    instagram_create_story: { fail: { account: BUSINESS, media: { sauce: files.url('/story.jpg') } }, failSays: /unknown argument `sauce` in media/, pass: { account: BUSINESS, media: files.url('/story.jpg'), wait_seconds: 0 } },
    instagram_get_posts: { fail: { account: BUSINESS, limit: 500 }, failSays: /limit/, pass: { account: BUSINESS, limit: 3 } },
    instagram_get_post: { fail: { account: BUSINESS, id: '1' }, failSays: /did you mean `media_id`/, pass: () => ({ account: BUSINESS, media_id: found.mediaId! }) },
    instagram_get_insights: { fail: { account: BUSINESS, metrics: ['impressions'] }, failSays: /views/, pass: { account: BUSINESS } },
    instagram_post_comment: { fail: { account: BUSINESS, media_id: '1', message: '' }, failSays: /message/, pass: () => ({ account: BUSINESS, media_id: found.mediaId!, message: 'Thanks for visiting!' }) },
    instagram_get_comments: { fail: { account: BUSINESS, metric: 'x' }, failSays: /unknown argument `metric`/, pass: () => ({ account: BUSINESS, media_id: found.mediaId! }) },
    instagram_reply_comment: { fail: { account: BUSINESS, comment_id: '1', message: 'x'.repeat(2201) }, failSays: /message/, pass: () => ({ account: BUSINESS, comment_id: found.commentId!, message: 'Glad you liked it' }) },
    instagram_moderate_comment: { fail: { account: BUSINESS, comment_id: '1', action: 'explode' }, failSays: /action/, pass: () => ({ account: BUSINESS, comment_id: found.commentId!, action: 'hide' }) },
    instagram_set_comments_enabled: { fail: { account: BUSINESS, media_id: '1' }, failSays: /enabled/, pass: () => ({ account: BUSINESS, media_id: found.mediaId!, enabled: false }) },
    instagram_search_hashtag: { fail: { account: BUSINESS, hashtag: 'sourdough' }, failSays: /Facebook Login/i, pass: { account: FACEBOOK, hashtag: 'sourdough' } },
    instagram_business_discovery: { fail: { account: BUSINESS, username: 'sandbox_creator' }, failSays: /Facebook Login/i, pass: { account: FACEBOOK, username: DEMO_ACCOUNTS.instagramBusiness.username } },
    instagram_get_rate_limits: { fail: { account: '@nobody_here' }, failSays: /account/i, pass: {} },
    instagram_disconnect: { fail: { account: '@nobody_here' }, failSays: /account/i, pass: { account: `@${DEMO_ACCOUNTS.instagramCreator.username}` } },
  };
}

/** The order calls go in: each pass may use ids found by an earlier one. */
const ORDER = [
  'instagram_authenticate',
  'instagram_accounts',
  'instagram_set_account_enabled',
  'instagram_get_publishing_limit',
  'instagram_upload_media',
  'instagram_preview_post',
  'instagram_create_post',
  'instagram_post_status',
  'instagram_create_reel',
  'instagram_list_scheduled',
  'instagram_reschedule_post',
  'instagram_cancel_post',
  'instagram_suggest_times',
  'instagram_performance_report',
  'instagram_create_story',
  'instagram_get_posts',
  'instagram_get_post',
  'instagram_get_insights',
  'instagram_post_comment',
  'instagram_get_comments',
  'instagram_reply_comment',
  'instagram_moderate_comment',
  'instagram_set_comments_enabled',
  'instagram_search_hashtag',
  'instagram_business_discovery',
  'instagram_get_rate_limits',
  'instagram_disconnect',
];

const textOf = (r: CallToolResult) => (r.content[0] && r.content[0].type === 'text' ? r.content[0].text : '');

describe.each(['stdio', 'streamable-http'] as const)('the result contract over %s', (transportKind) => {
  let emulator: Emulator;
  let files: FileServer;
  let dataDir: string;
  let mediaDir: string;
  let client: Client;
  let httpServer: ChildProcess | undefined;
  let tokens: { business: string; facebook: string; creator: string };

  beforeAll(async () => {
    emulator = createEmulator({ processing: { imageMs: 0, videoMs: 0 } });
    await emulator.start(0, '127.0.0.1');
    files = await startFileServer({ '/photo.jpg': makeJpeg(1080, 1080), '/story.jpg': makeJpeg(1080, 1920), '/clip.mp4': makeMp4(5) });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-contract-'));
    mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-contract-media-'));
    const u = emulator.users;
    tokens = {
      business: emulator.issueToken({ userId: u.instagramBusiness.id, loginType: 'instagram', lifetime: 'long' }),
      creator: emulator.issueToken({ userId: u.instagramCreator.id, loginType: 'instagram', lifetime: 'long' }),
      facebook: emulator.issueToken({ userId: u.facebookUser.id, loginType: 'facebook', lifetime: 'long' }),
    };
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...emulatorEnv(emulator),
      INSTAGRAM_MCP_DATA_DIR: dataDir,
      INSTAGRAM_MCP_MEDIA_DIRS: mediaDir,
      INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      INSTAGRAM_MCP_LOG_LEVEL: 'error',
    };
    if (transportKind === 'stdio') {
      client = await connectClient(new StdioClientTransport({ command: process.execPath, args: [builtEntry], env, stderr: 'ignore' }), 'contract-stdio');
    } else {
      const port = await freePort();
      const token = randomBytes(24).toString('hex');
      httpServer = spawn(process.execPath, [builtEntry, '--transport', 'http', '--port', String(port)], {
        env: { ...env, INSTAGRAM_MCP_HTTP_TOKEN: token, INSTAGRAM_MCP_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      await waitForListening(httpServer, port);
      const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
      client = await connectClient(transport, 'contract-http');
    }
  });

  afterAll(async () => {
    await client?.close().catch(() => {});
    httpServer?.kill('SIGTERM');
    await emulator?.stop();
    await files?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  });

  it('answers every tool, failing and succeeding, in a form the SDK client accepts', async () => {
    const { tools } = await client.listTools();
    const plan = steps(files, tokens);
    // A new tool must join the contract: every listed tool has a case, and every case a listed tool.
    expect(new Set(tools.map((t) => t.name))).toEqual(new Set(ORDER));
    expect(new Set(Object.keys(plan))).toEqual(new Set(ORDER));

    const problems: string[] = [];
    for (const name of ORDER) {
      const step = plan[name]!;
      // The failing call: an isError text with the reason and the hint; the client must not throw.
      let failed: CallToolResult;
      try {
        failed = (await client.callTool({ name, arguments: step.fail })) as CallToolResult;
      } catch (err) {
        problems.push(`${name} (failing input) was rejected by the client: ${(err as Error).message}`);
        continue;
      }
      const failText = textOf(failed);
      if (!failed.isError) problems.push(`${name} accepted failing input ${JSON.stringify(step.fail)}: ${failText.slice(0, 200)}`);
      else {
        if (failed.structuredContent !== undefined) problems.push(`${name} error carries structuredContent`);
        if (!/\nWhat to do: \S/.test(failText)) problems.push(`${name} error has no "What to do:" hint: ${failText.slice(0, 300)}`);
        if (!step.failSays.test(failText)) problems.push(`${name} error does not say ${step.failSays}: ${failText.slice(0, 300)}`);
        if (/(\(#\d+\)) \1|MCP error -?\d+: MCP error/.test(failText)) problems.push(`${name} error repeats itself: ${failText.slice(0, 200)}`);
        expect(parseErrorText(failText).code, name).toMatch(/^[a-z_]+$/);
      }

      // The succeeding call: structuredContent (validated by the client against the listed schema) and a compact text.
      const args = typeof step.pass === 'function' ? step.pass() : step.pass;
      let passed: CallToolResult;
      try {
        passed = (await client.callTool({ name, arguments: args })) as CallToolResult;
      } catch (err) {
        problems.push(`${name} (passing input) was rejected by the client: ${(err as Error).message}`);
        continue;
      }
      const passText = textOf(passed);
      if (passed.isError) {
        problems.push(`${name} failed on passing input ${JSON.stringify(args)}: ${passText.slice(0, 300)}`);
        continue;
      }
      const [summary, json, ...rest] = passText.split('\n');
      if (!summary || summary.startsWith('{')) problems.push(`${name} text does not start with a summary line`);
      if (rest.length || JSON.stringify(JSON.parse(json ?? 'null')) !== JSON.stringify(passed.structuredContent)) problems.push(`${name} text is not summary + compact JSON of structuredContent`);
      const data = passed.structuredContent as Record<string, any>;
      if (name === 'instagram_create_post') {
        expect(data.state, passText).toBe('completed');
        found.postId = data.post_id;
        found.mediaId = data.media_id;
      }
      if (name === 'instagram_post_comment') found.commentId = data.comment_id;
      if (name === 'instagram_create_reel') {
        expect(data.state, passText).toBe('scheduled');
        found.scheduledId = data.post_id;
      }
      if (name === 'instagram_list_scheduled') expect(data.total, passText).toBe(1);
      if (name === 'instagram_cancel_post') expect(data.state, passText).toBe('cancelled');
      if (name === 'instagram_authenticate') {
        // The other accounts the later steps use: a creator to disconnect, a Facebook-Login account for discovery.
        for (const token of [tokens.creator, tokens.facebook]) {
          const more = (await client.callTool({ name, arguments: { access_token: token } })) as CallToolResult;
          expect(more.isError, textOf(more)).toBeFalsy();
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('says a missing resource once, without a doubled "MCP error" prefix', async () => {
    const err = await client.readResource({ uri: 'instagram://posts/no-such-post' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^MCP error -32002: \S/);
    expect(err?.message).not.toMatch(/MCP error -?\d+: MCP error/);
  });
});

async function waitForListening(child: ChildProcess, port: number): Promise<void> {
  // The server logs a line once it listens; an early exit fails the test with what it printed.
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('serving MCP over HTTP') || stderr.includes(`:${port}`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`HTTP server exited (${code}): ${stderr}`)));
  });
}
