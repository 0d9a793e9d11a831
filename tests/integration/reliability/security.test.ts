/**
 * Security checks: secrets stay out of logs, results and the raw database across every flow; the data
 * directory and its files are private; the HTTP transports refuse missing or wrong bearer tokens and
 * foreign Origin/Host on every route and keep owners (and their sessions) apart; a login started by one
 * owner cannot be completed by another; and no tool or resource lets one owner reach another's
 * accounts, posts or media.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { allTools } from '../../../src/tools/index.js';
import type { ToolDefinition } from '../../../src/mcp/tool.js';
import { startHttpServer, type HttpServerHandle } from '../../../src/transports/http.js';
import { VirtualClock } from '../../../src/clock.js';
import { createEmulator } from '../../../src/emulator/index.js';
import { startHarness, type CallOutcome, type Harness } from '../../helpers/harness.js';
import { createTestDatabase, postgresUnavailable } from '../../helpers/postgres.js';
import { jpeg, writeMedia } from '../publishing/helpers.js';
import { writeMp4 } from '../../unit/media/mp4.js';
import { inputSchema, requiredArgs } from './schemaCases.js';
import { initializeBody, legacyClient, listToolsBody, openLegacySse, rawRequest, streamableClient, type HttpMcp } from './httpKit.js';

const DAY = 24 * 60 * 60 * 1000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(options);
  cleanups.push(() => h.close());
  return h;
}

/** Plays the browser: follows the authorization URL to the redirect the emulator answers with. */
async function approveInBrowser(authorizationUrl: string): Promise<string> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location')!;
}

/** Every form a secret could be written in without being encrypted. */
function encodings(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), Buffer.from(secret).toString('hex')];
}

function rawDatabase(dataDir: string): string {
  return ['instagram-mcp.sqlite', 'instagram-mcp.sqlite-wal', 'instagram-mcp.sqlite-shm']
    .map((f) => path.join(dataDir, f))
    .filter(existsSync)
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n');
}

function countRows(dataDir: string, table: string): number {
  const db = new Database(path.join(dataDir, 'instagram-mcp.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`select count(*) as c from "${table}"`).get() as { c: number }).c;
  } finally {
    db.close();
  }
}

describe('secrets', () => {
  it('keeps every issued token, code, app secret and the encryption key out of logs, results and the raw database, across login, publishing and reading', async () => {
    const h = await harness();
    const { instagramBusiness, instagramCreator, facebookInstagram } = h.emulator.users;
    const outputs: string[] = [];
    const call = async (name: string, args: Record<string, unknown> = {}): Promise<CallOutcome> => {
      const r = await h.call(name, args);
      outputs.push(r.text, JSON.stringify(r.data ?? null));
      return r;
    };
    const ok = async (name: string, args: Record<string, unknown> = {}): Promise<CallOutcome> => {
      const r = await call(name, args);
      expect(r.isError, `${name}: ${r.text}`).toBe(false);
      return r;
    };

    // Both logins through the browser, and a token import.
    const start = await ok('instagram_authenticate', {});
    await ok('instagram_authenticate', { callback_url: await approveInBrowser(start.data.authorization_url) });
    const fbStart = await ok('instagram_authenticate', { login_type: 'facebook' });
    await ok('instagram_authenticate', { callback_url: await approveInBrowser(fbStart.data.authorization_url) });
    await ok('instagram_authenticate', { access_token: h.emulator.issueToken({ userId: instagramCreator.id, loginType: 'instagram', lifetime: 'long' }) });
    const business = instagramBusiness.id;
    const facebook = facebookInstagram.id;

    // Publishing: a post with a first comment, a carousel over Facebook Login, a story, a reel by resumable upload, inline media.
    writeMedia(h, 'a.jpg', await jpeg(1080, 1080));
    writeMedia(h, 'b.jpg', await jpeg(1080, 1350, '#a0a0a0'));
    writeMedia(h, 'story.jpg', await jpeg(1080, 1920, '#208020'));
    writeMedia(h, 'cover.jpg', await jpeg(1080, 1920, '#802020'));
    writeMp4(path.join(h.mediaDir, 'clip.mp4'), { durationSec: 12, width: 1080, height: 1920, moovFirst: true });
    const post = await ok('instagram_create_post', { account: business, media: 'a.jpg', caption: 'Fresh bread', first_comment: '#bakery', wait_seconds: 120 });
    expect(post.data.state).toBe('completed');
    expect((await ok('instagram_create_post', { account: facebook, media: ['a.jpg', 'b.jpg'], wait_seconds: 120 })).data.state).toBe('completed');
    expect((await ok('instagram_create_story', { account: business, media: 'story.jpg', wait_seconds: 120 })).data.state).toBe('completed');
    expect((await ok('instagram_create_reel', { account: business, video: 'clip.mp4', cover: 'cover.jpg', wait_seconds: 600 })).data.state).toBe('completed');
    await ok('instagram_upload_media', { data: (await jpeg(1080, 1080, '#ffffff')).toString('base64'), mime_type: 'image/jpeg', file_name: 'inline.jpg' });
    await ok('instagram_post_status', { post_id: post.data.post_id });
    await ok('instagram_get_publishing_limit', { account: business });

    // Reading, comments and discovery.
    const mediaId = post.data.media_id as string;
    await ok('instagram_get_posts', { account: business, detail: 'full', include_stories: true });
    await ok('instagram_get_post', { account: business, media_id: mediaId, detail: 'full' });
    await ok('instagram_get_insights', { account: business, media_id: mediaId });
    await ok('instagram_get_insights', { account: business });
    const comment = await ok('instagram_post_comment', { account: business, media_id: mediaId, message: 'Thanks all' });
    await ok('instagram_reply_comment', { account: business, comment_id: comment.data.comment_id, message: 'Reply' });
    await ok('instagram_get_comments', { account: business, media_id: mediaId, detail: 'full' });
    await ok('instagram_moderate_comment', { account: business, comment_id: comment.data.comment_id, action: 'hide' });
    await ok('instagram_set_comments_enabled', { account: business, media_id: mediaId, enabled: false });
    await ok('instagram_search_hashtag', { account: facebook, hashtag: 'sourdough' });
    await ok('instagram_business_discovery', { account: facebook, username: 'bluebottle' });
    await ok('instagram_get_rate_limits', {});
    await ok('instagram_accounts', { refresh: true, include_analytics: true });
    const resources = await h.client.listResources();
    outputs.push(JSON.stringify(resources));
    for (const r of resources.resources) outputs.push(JSON.stringify(await h.client.readResource({ uri: r.uri })));
    outputs.push(JSON.stringify(await h.client.readResource({ uri: `instagram://posts/${mediaId}` })));

    // Token refresh (new tokens issued), and a refresh failure whose message echoes the token.
    (h.clock as VirtualClock).advance(54 * DAY);
    await ok('instagram_accounts', { refresh: true });
    const creatorToken = (await h.app.store.accounts.get('alice', instagramCreator.id))!.accessToken!;
    (h.clock as VirtualClock).advance(54 * DAY);
    h.emulator.injectFaults({
      path: '/refresh_access_token',
      kind: { type: 'graph_error', code: 100, message: `An unknown error occurred refreshing ${creatorToken} (client_secret=${h.emulator.apps.instagramAppSecret})` },
      times: 10,
    });
    await call('instagram_accounts', { refresh: true });
    h.emulator.clearFaults();
    const refreshError = (await h.app.store.accounts.get('alice', instagramCreator.id))!.lastRefreshError;
    expect(refreshError).toMatch(/unknown error occurred refreshing \[REDACTED\]/);

    // A Graph error that echoes the caller's token (Meta does this for malformed tokens) ends in the
    // account's status reason and the log: both must be masked.
    const businessToken = (await h.app.store.accounts.get('alice', business))!.accessToken!;
    h.emulator.injectFaults({
      method: 'GET',
      path: `/${mediaId}`,
      kind: { type: 'graph_error', code: 190, subcode: 460, message: `Error validating access token: ${businessToken} has been invalidated` },
      times: 1,
    });
    const rejected = await call('instagram_get_post', { account: business, media_id: mediaId });
    expect(rejected.isError).toBe(true);
    expect((await h.app.store.accounts.get('alice', business))!.statusReason).toMatch(/\[REDACTED\] has been invalidated/);
    h.emulator.clearFaults();
    await call('instagram_disconnect', { account: instagramCreator.id });

    // Everything secret the emulator and the configuration ever handed out.
    const secrets = [
      ...h.emulator.state.tokens.keys(),
      ...h.emulator.state.codes.keys(),
      h.emulator.apps.instagramAppSecret,
      h.emulator.apps.facebookAppSecret,
      h.app.config.encryptionKey!,
    ];
    expect(h.emulator.state.tokens.size).toBeGreaterThan(6);
    expect(h.emulator.state.codes.size).toBe(2);
    const logs = h.logLines.join('\n');
    const results = outputs.join('\n');
    const db = rawDatabase(h.dataDir);
    expect(db.length).toBeGreaterThan(10_000);
    expect(logs.length).toBeGreaterThan(1_000);
    const leaks: string[] = [];
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(16);
      for (const form of encodings(secret)) {
        if (logs.includes(form)) leaks.push(`log holds ${secret.slice(0, 8)}…`);
        if (results.includes(form)) leaks.push(`a result holds ${secret.slice(0, 8)}…`);
        if (db.includes(form)) leaks.push(`the database holds ${secret.slice(0, 8)}…`);
      }
    }
    expect(leaks).toEqual([]);
  }, 60_000);
});

describe('data directory', () => {
  it('is owner-only after a real start: directory 0700, generated key 0600, database files not readable by others', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'igmcp-perm-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    // A data directory somebody created too open is tightened; the key is generated (none configured).
    const dataDir = path.join(root, 'state');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    let previousUmask: number | undefined;
    try {
      previousUmask = process.umask(0);
    } catch {
      // umask cannot be changed here: the modes are still checked under the default one.
    }
    let h: Harness;
    try {
      h = await harness({ dataDir, env: { INSTAGRAM_MCP_ENCRYPTION_KEY: '' } });
      await h.connectAccount('business');
      const upload = await h.call('instagram_upload_media', { data: (await jpeg(1080, 1080)).toString('base64'), mime_type: 'image/jpeg' });
      expect(upload.isError, upload.text).toBe(false);
    } finally {
      if (previousUmask !== undefined) process.umask(previousUmask);
    }
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(dataDir)).toBe(0o700);
    const keyFile = path.join(dataDir, 'encryption.key');
    expect(existsSync(keyFile)).toBe(true);
    expect(mode(keyFile)).toBe(0o600);
    for (const f of ['instagram-mcp.sqlite', 'instagram-mcp.sqlite-wal', 'instagram-mcp.sqlite-shm']) {
      const file = path.join(dataDir, f);
      if (!existsSync(file)) continue;
      expect(mode(file) & 0o077, `${f} is ${mode(file).toString(8)}`).toBe(0);
    }
    const uploads = path.join(dataDir, 'uploads');
    expect(mode(uploads)).toBe(0o700);
    const files = readdirSync(uploads);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(mode(path.join(uploads, f)) & 0o077, f).toBe(0);

    // The generated key never shows up anywhere else.
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(h!.logLines.join('\n')).not.toContain(key);
    expect(rawDatabase(dataDir)).not.toContain(key);
  });

  it('tightens a key file left readable by others', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-perm-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const emulator = createEmulator({ clock: new VirtualClock() });
    await emulator.start(0, '127.0.0.1');
    cleanups.push(() => emulator.stop());
    const first = await startHarness({ dataDir, env: { INSTAGRAM_MCP_ENCRYPTION_KEY: '' }, existingEmulator: emulator });
    await first.connectAccount('business');
    await first.close();
    const keyFile = path.join(dataDir, 'encryption.key');
    chmodSync(keyFile, 0o644);
    const second = await harness({ dataDir, env: { INSTAGRAM_MCP_ENCRYPTION_KEY: '' }, existingEmulator: emulator });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // Same key: the stored token still decrypts and works.
    const accounts = await second.call('instagram_accounts', { refresh: true });
    expect(accounts.isError, accounts.text).toBe(false);
    expect(accounts.data.accounts[0].status).toBe('active');
  });
});

describe('HTTP transports', () => {
  const aliceToken = `alice-${randomBytes(16).toString('hex')}`;
  const bobToken = `bob-${randomBytes(16).toString('hex')}`;

  async function httpHarness(): Promise<{ h: Harness; handle: HttpServerHandle; base: string }> {
    const h = await harness({ realTime: true, env: { INSTAGRAM_MCP_HTTP_TOKENS: `alice=${aliceToken},bob=${bobToken}`, INSTAGRAM_MCP_TRANSPORT: 'http' } });
    const handle = await startHttpServer(h.app, { port: 0, host: '127.0.0.1' });
    cleanups.push(() => handle.close());
    return { h, handle, base: handle.url };
  }

  const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  it('refuses a missing or wrong bearer token and a foreign Origin or Host on /sse, /messages and /uploads, and on /mcp sessions', async () => {
    const { h, base } = await httpHarness();
    const port = new URL(base).port;
    const jpegBody = await jpeg(1080, 1080);
    const routes: Array<{ name: string; method: string; path: string; headers: Record<string, string>; body?: string | Buffer }> = [
      { name: 'GET /sse', method: 'GET', path: '/sse', headers: { accept: 'text/event-stream' } },
      { name: 'POST /messages', method: 'POST', path: '/messages?sessionId=00000000-0000-0000-0000-000000000000', headers: json, body: listToolsBody },
      { name: 'POST /uploads', method: 'POST', path: '/uploads?filename=photo.jpg', headers: { 'content-type': 'image/jpeg' }, body: jpegBody },
      { name: 'GET /mcp', method: 'GET', path: '/mcp', headers: { accept: 'text/event-stream', 'mcp-session-id': 'nope' } },
      { name: 'DELETE /mcp', method: 'DELETE', path: '/mcp', headers: { 'mcp-session-id': 'nope' } },
    ];
    const refusals: Array<[string, Record<string, string>, number]> = [
      ['no token', {}, 401],
      ['a wrong token', { authorization: 'Bearer not-the-right-token-at-all-0000' }, 401],
      ['the right token under another scheme', { authorization: `Basic ${aliceToken}` }, 401],
      ['the right token with a suffix', { authorization: `Bearer ${aliceToken}x` }, 401],
      ['a foreign Origin', { authorization: `Bearer ${aliceToken}`, origin: 'https://evil.example' }, 403],
      ['Origin null', { authorization: `Bearer ${aliceToken}`, origin: 'null' }, 403],
      ['a look-alike Origin', { authorization: `Bearer ${aliceToken}`, origin: `http://127.0.0.1.evil.example:${port}` }, 403],
      ['a foreign Host', { authorization: `Bearer ${aliceToken}`, host: 'evil.example' }, 403],
      ['a rebinding Host on the right port', { authorization: `Bearer ${aliceToken}`, host: `attacker.example:${port}` }, 403],
    ];
    for (const route of routes) {
      for (const [what, headers, status] of refusals) {
        const res = await rawRequest(`${base}${route.path}`, { method: route.method, headers: { ...route.headers, ...headers }, body: route.body });
        expect(res.status, `${route.name} with ${what}: ${res.body.slice(0, 200)}`).toBe(status);
        if (status === 401) expect(res.headers['www-authenticate'], route.name).toMatch(/^Bearer /);
        if (status === 403) expect(res.body).toMatch(what.includes('Host') ? /Host/ : /Origin/);
      }
    }
    // Nothing refused left a file or a reference behind.
    const uploads = path.join(h.dataDir, 'uploads');
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
    expect(countRows(h.dataDir, 'media')).toBe(0);
    // The same upload with the right token and a local Origin is accepted.
    const accepted = await rawRequest(`${base}/uploads?filename=photo.jpg`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${aliceToken}`, origin: base },
      body: jpegBody,
    });
    expect(accepted.status, accepted.body).toBe(201);
    // Bearer tokens never reach the log.
    const logs = h.logLines.join('\n');
    expect(logs).not.toContain(aliceToken);
    expect(logs).not.toContain(bobToken);
  });

  it('answers malformed, oversized and traversal requests with a 4xx and stays up', async () => {
    const { h, base } = await httpHarness();
    const auth = { ...json, authorization: `Bearer ${aliceToken}` };
    const cases: Array<[string, Promise<{ status: number; body: string }>, number]> = [
      ['invalid JSON', rawRequest(`${base}/mcp`, { method: 'POST', headers: auth, body: '{"jsonrpc": "2.0", "id": 1, "method": ' }), 400],
      ['a 5 MB body', rawRequest(`${base}/mcp`, { method: 'POST', headers: auth, body: `{"x":"${'A'.repeat(5 * 1024 * 1024)}"}` }), 413],
      ['a non-initialize request without a session', rawRequest(`${base}/mcp`, { method: 'POST', headers: auth, body: listToolsBody }), 400],
      ['an unknown session', rawRequest(`${base}/mcp`, { method: 'POST', headers: { ...auth, 'mcp-session-id': "'; DROP TABLE posts; --" }, body: listToolsBody }), 404],
      ['an unknown legacy session', rawRequest(`${base}/messages?sessionId=../../etc/passwd`, { method: 'POST', headers: auth, body: listToolsBody }), 404],
      ['an empty upload', rawRequest(`${base}/uploads?filename=../../etc/passwd`, { method: 'POST', headers: { authorization: `Bearer ${aliceToken}` }, body: '' }), 400],
      ['an upload that is not media', rawRequest(`${base}/uploads?filename=../../.bashrc`, { method: 'POST', headers: { authorization: `Bearer ${aliceToken}` }, body: 'echo pwned' }), 415],
    ];
    for (const [what, pending, status] of cases) {
      const res = await pending;
      expect(res.status, `${what}: ${res.body.slice(0, 200)}`).toBe(status);
    }
    for (const url of [base, h.mediaBaseUrl]) {
      for (const p of ['/media/../../../etc/passwd', '/media/..%2f..%2f..%2fetc%2fpasswd', '/media/%2e%2e/%2e%2e/etc/passwd', `/media/${'A'.repeat(43)}.jpg`, '/media/']) {
        const res = await rawRequest(`${url}${p}`, {});
        // Not found, or (once resolved outside /media on the MCP listener) a route that needs the bearer token.
        expect([401, 404], `${url}${p} → ${res.status}`).toContain(res.status);
        expect(res.body).not.toMatch(/root:.*:0:0:/);
      }
    }
    expect(readdirSync(path.join(h.dataDir, 'uploads')).filter((f) => !f.endsWith('.part'))).toEqual([]);
    const ok = await rawRequest(`${base}/mcp`, { method: 'POST', headers: auth, body: initializeBody });
    expect(ok.status).toBe(200);
  });

  it('maps two bearer tokens to two owners who see only their own accounts, media and sessions', async () => {
    const { h, base } = await httpHarness();
    const { instagramBusiness, instagramCreator } = h.emulator.users;
    const alice = await streamableClient(base, aliceToken, 'alice-agent');
    const bob = await streamableClient(base, bobToken, 'bob-agent');
    cleanups.push(() => alice.close(), () => bob.close());

    const importAs = async (who: HttpMcp, userId: string) => {
      const token = h.emulator.issueToken({ userId, loginType: 'instagram', lifetime: 'long' });
      const r = await who.call('instagram_authenticate', { access_token: token });
      expect(r.isError, r.text).toBe(false);
    };
    await importAs(alice, instagramBusiness.id);
    await importAs(bob, instagramCreator.id);

    const ids = async (who: HttpMcp) => (await who.call('instagram_accounts', { include_disabled: true })).data.accounts.map((a: { id: string }) => a.id);
    expect(await ids(alice)).toEqual([instagramBusiness.id]);
    expect(await ids(bob)).toEqual([instagramCreator.id]);
    const bobResources = await bob.client.listResources();
    expect(bobResources.resources.map((r) => r.uri).filter((uri) => !uri.startsWith('ui://'))).toEqual([`instagram://accounts/${instagramCreator.id}`]);
    await expect(bob.client.readResource({ uri: `instagram://accounts/${instagramBusiness.id}` })).rejects.toThrow(/No account/);

    // The legacy transport keeps owners apart the same way.
    const bobLegacy = await legacyClient(base, bobToken, 'bob-legacy');
    cleanups.push(() => bobLegacy.close());
    expect(await ids(bobLegacy)).toEqual([instagramCreator.id]);

    // Media uploaded by bob over HTTP is bob's: alice cannot use its reference id.
    const upload = await rawRequest(`${base}/uploads?filename=bob.jpg`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${bobToken}` },
      body: await jpeg(1080, 1080),
    });
    expect(upload.status, upload.body).toBe(201);
    const bobRef = JSON.parse(upload.body).reference_id as string;
    expect((await bob.call('instagram_upload_media', { source: bobRef })).isError).toBe(false);
    h.emulator.clearLog();
    const stolen = await alice.call('instagram_create_post', { media: bobRef, wait_seconds: 0 });
    expect(stolen.isError).toBe(true);
    expect(stolen.text).toMatch(/reference id/);
    expect((await alice.call('instagram_upload_media', { source: bobRef })).data.error.code).toBe('reference_not_found');
    expect(h.emulator.requestLog().filter((r) => r.method === 'POST')).toEqual([]);
  });

  it("refuses a session id presented with another owner's token, on /mcp and on /messages", async () => {
    const { base } = await httpHarness();
    const alice = await streamableClient(base, aliceToken, 'alice-agent');
    cleanups.push(() => alice.close());
    const sessionId = alice.sessionId()!;
    expect(sessionId).toBeTruthy();

    const asBob = { authorization: `Bearer ${bobToken}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    const post = await rawRequest(`${base}/mcp`, { method: 'POST', headers: { ...json, ...asBob }, body: listToolsBody });
    expect(post.status, post.body).toBe(403);
    expect(post.body).not.toMatch(/instagram_accounts/);
    const get = await rawRequest(`${base}/mcp`, { method: 'GET', headers: { accept: 'text/event-stream', ...asBob } });
    expect(get.status).toBe(403);
    const del = await rawRequest(`${base}/mcp`, { method: 'DELETE', headers: asBob });
    expect(del.status).toBe(403);
    // Bob's attempts neither read nor closed alice's session.
    expect((await alice.call('instagram_accounts', {})).isError).toBe(false);
    // Re-initialising on alice's session id with bob's token does not take it over either.
    const reinit = await rawRequest(`${base}/mcp`, { method: 'POST', headers: { ...json, ...asBob }, body: initializeBody });
    expect(reinit.status).toBe(403);

    // Legacy: alice's SSE session id with bob's token on /messages.
    const sse = await openLegacySse(`${base}/sse`, { authorization: `Bearer ${aliceToken}` });
    cleanups.push(() => sse.close());
    expect(sse.status).toBe(200);
    expect(sse.sessionId).toBeTruthy();
    const hijack = await rawRequest(`${base}/messages?sessionId=${sse.sessionId}`, { method: 'POST', headers: { ...json, authorization: `Bearer ${bobToken}` }, body: listToolsBody });
    expect(hijack.status, hijack.body).toBe(403);
    const own = await rawRequest(`${base}/messages?sessionId=${sse.sessionId}`, { method: 'POST', headers: { ...json, authorization: `Bearer ${aliceToken}` }, body: initializeBody });
    expect(own.status).toBe(202);
  });
});

describe('OAuth state across owners', () => {
  it("refuses owner B pasting owner A's redirect URL (or A's code and state), and never connects the account to B", async () => {
    const h = await harness();
    const bob = await h.connect({ owner: 'bob' });
    const start = await h.call('instagram_authenticate', {});
    expect(start.data.status).toBe('awaiting_user');
    const location = await approveInBrowser(start.data.authorization_url);
    const redirected = new URL(location.replace(/#.*$/, ''));
    h.emulator.clearLog();

    const pasted = await h.call('instagram_authenticate', { callback_url: location }, bob);
    expect(pasted.isError).toBe(true);
    expect(pasted.data.error.code).toBe('state_mismatch');
    const split = await h.call('instagram_authenticate', { callback_url: redirected.searchParams.get('code')!, state: redirected.searchParams.get('state')! }, bob);
    expect(split.isError).toBe(true);
    expect(split.data.error.code).toBe('state_mismatch');
    // B's attempts spent nothing: the code was never exchanged.
    expect(h.emulator.requestLog()).toEqual([]);
    expect((await h.call('instagram_accounts', { include_disabled: true }, bob)).data.count).toBe(0);
    expect(await h.app.store.accounts.list('bob')).toEqual([]);

    // A can still finish the login; it connects to A only.
    const done = await h.call('instagram_authenticate', { callback_url: location });
    expect(done.isError, done.text).toBe(false);
    expect(done.data.connected[0].id).toBe(h.emulator.users.instagramBusiness.id);
    expect(await h.app.store.accounts.list('bob')).toEqual([]);
    expect((await h.call('instagram_accounts', {}, bob)).data.count).toBe(0);
    // And the URL is spent for everyone afterwards.
    expect((await h.call('instagram_authenticate', { callback_url: location }, bob)).data.error.code).toMatch(/state_mismatch|state_used/);
  });
});

const noPostgres = (await postgresUnavailable('tests/integration/reliability/security.test.ts (hosted mode)')) !== null;

// The same checks on the embedded store and on hosted mode's PostgreSQL (where row-level security also applies).
describe.each([
  ['embedded (SQLite)', false],
  ['hosted (PostgreSQL)', true],
] as const)("one owner cannot reach another owner's data, %s", (_name, hosted) => {
  it.skipIf(hosted && noPostgres)("refuses or answers empty, on every tool and resource, when B uses A's account, post, comment, cursor and media ids", async () => {
    let env: Record<string, string> = {};
    if (hosted) {
      const database = await createTestDatabase();
      cleanups.unshift(() => database.drop());
      env = { INSTAGRAM_MCP_DATABASE_URL: database.url, INSTAGRAM_MCP_DATABASE_POOL: '4' };
    }
    const h = await harness({ env });
    const { instagramBusiness, instagramCreator } = h.emulator.users;
    const marker = `A-private-${randomBytes(6).toString('hex')}`;

    // A: an account, a post, a comment, a registered local file and an inline upload, a cursor.
    await h.connectAccount('business');
    writeMedia(h, 'a.jpg', await jpeg(1080, 1080));
    const post = await h.call('instagram_create_post', { media: 'a.jpg', caption: `${marker} caption`, wait_seconds: 120 });
    expect(post.data?.state, post.text).toBe('completed');
    const comment = await h.call('instagram_post_comment', { media_id: post.data.media_id, message: `${marker} comment` });
    expect(comment.isError, comment.text).toBe(false);
    const local = await h.call('instagram_upload_media', { source: 'a.jpg' });
    const inline = await h.call('instagram_upload_media', { data: (await jpeg(1080, 1080, '#00ff00')).toString('base64'), mime_type: 'image/jpeg' });
    expect(local.isError || inline.isError).toBe(false);
    const uploadedPath = (await h.app.store.media.get('alice', inline.data.reference_id))!.localPath!;
    const page = await h.call('instagram_get_posts', { limit: 1 });
    expect(page.data.next_cursor, page.text).toBeTruthy();
    const A = {
      accountId: instagramBusiness.id,
      username: instagramBusiness.username,
      postId: post.data.post_id as string,
      mediaId: post.data.media_id as string,
      commentId: comment.data.comment_id as string,
      localRef: local.data.reference_id as string,
      inlineRef: inline.data.reference_id as string,
      cursor: page.data.next_cursor as string,
    };

    // B has an account of its own, so calls get as far as Instagram with B's token.
    const bob = await h.connect({ owner: 'bob', agent: 'test-agent' });
    await h.connectAccount('creator', bob);
    h.emulator.clearLog();

    const variants: Record<string, unknown[]> = {
      account: [A.accountId, `@${A.username}`, A.username],
      id: [A.postId, A.mediaId],
      media_id: [A.postId, A.mediaId],
      post_id: [A.postId],
      comment_id: [A.commentId],
      cursor: [A.cursor],
      source: [A.localRef, A.inlineRef, uploadedPath],
      media: [A.localRef, A.inlineRef, uploadedPath, [A.localRef, A.inlineRef]],
      video: [A.localRef, uploadedPath],
      cover: [A.inlineRef],
    };
    const plausible: Record<string, unknown> = { message: 'hello', action: 'delete', enabled: false, hashtag: 'sourdough', username: 'bluebottle', id: '1', media_id: '1', comment_id: '1', post_id: 'none' };
    const markers = Object.entries({ ...A, marker });
    const problems: string[] = [];
    let calls = 0;
    for (const tool of allTools as ToolDefinition[]) {
      const schema = inputSchema(tool);
      const base: Record<string, unknown> = requiredArgs(schema);
      for (const key of Object.keys(base)) if (key in plausible) base[key] = plausible[key];
      for (const [prop, values] of Object.entries(variants)) {
        if (!schema.properties?.[prop]) continue;
        for (const value of values) {
          if (prop === 'cursor' && schema.properties['media_id']) base['media_id'] = A.mediaId;
          const args = { ...base, [prop]: value };
          const r = await h.call(tool.name, args, bob);
          calls++;
          const given = JSON.stringify(args);
          // An error may repeat what B typed; nothing else of A's may show, and a success must show none of it.
          for (const [name, secret] of markers) {
            if (typeof secret !== 'string') continue;
            if (r.isError && given.includes(secret)) continue;
            if (r.text.includes(secret)) problems.push(`${tool.name}(${given}) shows A's ${name}: ${r.text.slice(0, 200)}`);
          }
          if (!r.isError && prop !== 'cursor' && !['instagram_accounts', 'instagram_get_rate_limits'].includes(tool.name)) {
            problems.push(`${tool.name}(${given}) succeeded: ${r.text.slice(0, 200)}`);
          }
        }
      }
      // Tools B can call without naming anything: B's own view only.
      if (Object.keys(base).length === 0 && tool.annotations.readOnlyHint) {
        const r = await h.call(tool.name, {}, bob);
        calls++;
        for (const [name, secret] of markers) if (typeof secret === 'string' && r.text.includes(secret)) problems.push(`${tool.name}({}) shows A's ${name}`);
      }
    }
    expect(calls).toBeGreaterThan(40);
    expect(problems).toEqual([]);

    // Resources: B's list holds nothing of A's, and A's URIs are not found for B.
    const listed = JSON.stringify([await bob.listResources(), await bob.listResourceTemplates()]);
    for (const [name, secret] of markers) if (typeof secret === 'string') expect(listed.includes(secret), `resource list shows A's ${name}`).toBe(false);
    for (const uri of [
      `instagram://accounts/${A.accountId}`,
      `instagram://accounts/@${A.username}`,
      `instagram://accounts/${A.username}`,
      `instagram://posts/${A.postId}`,
      `instagram://posts/${A.mediaId}`,
    ]) {
      await expect(readAs(bob, uri), uri).rejects.toThrow(/not|No /);
    }

    // Writes B attempted on A's ids were refused by Instagram; A's data is untouched.
    const writes = h.emulator.requestLog().filter((r) => r.method !== 'GET' && (r.path.includes(A.mediaId) || r.path.includes(A.commentId)));
    for (const w of writes) expect(w.status, `${w.method} ${w.path}`).toBeGreaterThanOrEqual(400);
    expect(h.emulator.requestLog().some((r) => r.path.includes(A.postId) || r.path.includes(A.localRef))).toBe(false);
    const aliceView = await h.call('instagram_get_comments', { media_id: A.mediaId, detail: 'full' });
    expect(aliceView.isError, aliceView.text).toBe(false);
    const aComment = aliceView.data.comments.find((c: { id: string }) => c.id === A.commentId);
    expect(aComment, 'A’s comment still exists').toBeTruthy();
    expect(aComment.hidden).not.toBe(true);
    expect(aliceView.data.comments).toHaveLength(1);
    const aPost = await h.call('instagram_get_post', { media_id: A.postId, detail: 'full' });
    expect(aPost.data.post.is_comment_enabled).toBe(true);
    const aAccounts = await h.call('instagram_accounts', {});
    expect(aAccounts.data.accounts).toEqual([expect.objectContaining({ id: A.accountId, status: 'active', enabled: true })]);
    expect((await h.call('instagram_upload_media', { source: A.inlineRef })).isError).toBe(false);
    expect((await h.call('instagram_post_status', { post_id: A.postId })).data.state).toBe('completed');
    expect((await h.app.store.accounts.list('bob')).map((a) => a.id)).toEqual([instagramCreator.id]);
    expect(await h.app.store.integrityCheck()).toBe('ok');
  }, 60_000);
});

async function readAs(client: Client, uri: string): Promise<unknown> {
  return client.readResource({ uri });
}

describe('local files checked, then swapped (issue #12, items 6 and 10)', () => {
  it("never serves the server's encryption.key when a checked photo is swapped for a link to it before Instagram fetches it", async () => {
    const h = await harness({ env: { INSTAGRAM_MCP_ENCRYPTION_KEY: '' } });
    await h.connectAccount('business');
    const keyFile = path.join(h.dataDir, 'encryption.key');
    const key = readFileSync(keyFile);
    const file = writeMedia(h, 'a.jpg', await jpeg(1080, 1080));

    const hold = h.emulator.hold({ method: 'POST', path: /^\/\d+\/media$/ });
    const started = await h.call('instagram_create_post', { media: 'a.jpg', wait_seconds: 0 });
    expect(started.isError, started.text).toBe(false);
    await hold.waitForRequest(); // checked and hosted; Instagram has not fetched it yet
    rmSync(file);
    symlinkSync(keyFile, file);
    hold.release();

    const done = await h.call('instagram_post_status', { post_id: started.data.post_id });
    expect(done.data.state).toBe('failed');
    // Instagram's fetch got a 404, not bytes: the route served nothing (fetchCount counts 200/206 answers).
    const creates = h.emulator.requestLog().filter((r) => r.method === 'POST' && /^\/\d+\/media$/.test(r.path));
    expect(creates.length).toBeGreaterThan(0);
    for (const create of creates) {
      const url = create.params['image_url']!;
      const token = path.basename(new URL(url).pathname).replace(/\.[a-z0-9]+$/, '');
      expect(h.app.mediaHost.get(token)?.fetchCount ?? 0, 'responses with content').toBe(0);
      // Asked directly over HTTP, the media route answers 404 and never the key.
      const res = await fetch(new URL(new URL(url).pathname, h.mediaBaseUrl));
      expect(res.status).toBe(404);
      expect(Buffer.from(await res.arrayBuffer()).includes(key)).toBe(false);
    }
    for (const c of h.emulator.containers()) expect(c.source?.sha256).not.toBe(createHash('sha256').update(key).digest('hex'));
    expect(h.emulator.publishedMedia()).toHaveLength(0);
  });

  it('answers a Range past the end of a hosted file with 416 and bytes */size, over the real media listener', async () => {
    const h = await harness();
    const bytes = randomBytes(1000);
    const file = writeMedia(h, 'clip.mp4', bytes);
    const hosted = h.app.mediaHost.publish({ path: file }, { mimeType: 'video/mp4' });
    const url = new URL(new URL(hosted.url).pathname, h.mediaBaseUrl).href;
    for (const range of ['bytes=1000-', 'bytes=1000-1000', 'bytes=5000-6000', 'bytes=99999999999999999999-', 'bytes=-0', 'bytes=1000-1001,2000-2001']) {
      const res = await fetch(url, { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range'), range).toBe('bytes */1000');
      expect((await res.arrayBuffer()).byteLength, range).toBe(0);
      const head = await fetch(url, { method: 'HEAD', headers: { Range: range } });
      expect(head.status, `HEAD ${range}`).toBe(416);
    }
    // Satisfiable ranges still work, a suffix longer than the file is the whole file, and an invalid one is ignored.
    const last = await fetch(url, { headers: { Range: 'bytes=999-99999999999999999999' } });
    expect(last.status).toBe(206);
    expect(last.headers.get('content-range')).toBe('bytes 999-999/1000');
    expect(Buffer.from(await last.arrayBuffer()).equals(bytes.subarray(999))).toBe(true);
    const suffix = await fetch(url, { headers: { Range: 'bytes=-5000' } });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get('content-range')).toBe('bytes 0-999/1000');
    await suffix.arrayBuffer();
    const invalid = await fetch(url, { headers: { Range: 'bytes=20-10' } });
    expect(invalid.status).toBe(200);
    expect((await invalid.arrayBuffer()).byteLength).toBe(1000);
  });
});
