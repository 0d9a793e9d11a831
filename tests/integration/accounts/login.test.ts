import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { freePort, startHarness, type Harness } from '../../helpers/harness.js';
import { startHttpServer } from '../../../src/transports/http.js';
import type { VirtualClock } from '../../../src/clock.js';
import { createEmulator } from '../../../src/emulator/index.js';
import { createServer } from '../../../src/server.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const DAY = 24 * 60 * 60 * 1000;
let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Plays the browser: follows the authorization URL to the redirect the emulator answers with. */
async function approveInBrowser(authorizationUrl: string): Promise<string> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = res.headers.get('location');
  expect(location).toBeTruthy();
  return location!;
}

describe('Instagram Login', () => {
  it('completes the full flow through the redirect chain to the callback listener', async () => {
    h = await startHarness();
    const start = await h.call('instagram_authenticate', {});
    expect(start.isError).toBe(false);
    expect(start.data.status).toBe('awaiting_user');
    const authUrl = new URL(start.data.authorization_url);
    expect(authUrl.searchParams.get('client_id')).toBe(h.emulator.apps.instagramAppId);
    expect(authUrl.searchParams.get('response_type')).toBe('code');
    expect(authUrl.searchParams.get('scope')).toMatch(/instagram_business_basic/);
    expect(authUrl.searchParams.get('scope')).toMatch(/instagram_business_content_publish/);
    expect(authUrl.searchParams.get('state')).toBe(start.data.state);
    expect(authUrl.searchParams.get('code_challenge')).toBeTruthy();

    const location = await approveInBrowser(start.data.authorization_url);
    expect(location).toMatch(/#_$/);
    // The browser drops the fragment and follows the redirect to our own listener.
    const callback = await fetch(location.replace(/#.*$/, ''));
    expect(callback.status).toBe(200);
    expect(await callback.text()).toMatch(/Connected @/);

    const accounts = await h.call('instagram_accounts', {});
    expect(accounts.data.count).toBe(1);
    const business = h.emulator.users.instagramBusiness;
    expect(accounts.data.accounts[0]).toMatchObject({ id: business.id, username: business.username, login_type: 'instagram', status: 'active' });
    // A user id above 2^53 survives the numeric user_id of the code exchange intact.
    expect(BigInt(business.id) > 2n ** 53n).toBe(true);
    expect(new Date(accounts.data.accounts[0].token_expires_at).getTime() - h.clock.now()).toBeGreaterThan(59 * DAY);
  });

  it('asks a client that declared URL elicitation to open the link, then waits for the login to finish', async () => {
    h = await startHarness();
    const { server } = createServer(h.app, { ownerFor: () => 'alice' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'url-capable', version: '1' }, { capabilities: { elicitation: { url: {} } } });
    const opened: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const params = request.params as { mode?: string; url?: string };
      expect(params.mode).toBe('url');
      opened.push(params.url!);
      // The "browser" the client opened: approve, then follow the redirect to the callback listener.
      setTimeout(() => {
        void approveInBrowser(params.url!).then((location) => fetch(location.replace(/#.*$/, '')));
      }, 10);
      return { action: 'accept' };
    });
    await client.connect(clientSide);
    await client.listTools(); // as real clients do: output schemas are checked from here on
    const result = await h.call('instagram_authenticate', {}, client);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toContain('/oauth/authorize?');
    expect(result.isError).toBe(false);
    expect(result.data.status).toBe('connected');
    expect(result.data.connected.map((a: { username: string }) => a.username)).toEqual([h.emulator.users.instagramBusiness.username]);
    await client.close();
  });

  it('in HTTP mode the HTTP server itself receives the redirect', async () => {
    const port = await freePort();
    h = await startHarness({ env: { INSTAGRAM_MCP_TRANSPORT: 'http', INSTAGRAM_REDIRECT_URI: `http://127.0.0.1:${port}/oauth/callback` } });
    const http = await startHttpServer(h.app, { port, host: '127.0.0.1' });
    try {
      const start = await h.call('instagram_authenticate', {});
      expect(start.data.status).toBe('awaiting_user');
      const location = await approveInBrowser(start.data.authorization_url);
      expect(location.startsWith(`http://127.0.0.1:${port}/oauth/callback?`)).toBe(true);
      const page = await fetch(location.replace(/#.*$/, ''));
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/Connected @/);
      const accounts = await h.call('instagram_accounts', {});
      expect(accounts.data.count).toBe(1);
    } finally {
      await http.close();
    }
  });

  it('accepts the redirected URL pasted back into instagram_authenticate', async () => {
    h = await startHarness();
    const start = await h.call('instagram_authenticate', {});
    const location = await approveInBrowser(start.data.authorization_url);
    const done = await h.call('instagram_authenticate', { callback_url: location });
    expect(done.isError).toBe(false);
    expect(done.data.status).toBe('connected');
    expect(done.data.connected[0].username).toBe(h.emulator.users.instagramBusiness.username);

    // The same URL again: the state was used, nothing changes.
    const again = await h.call('instagram_authenticate', { callback_url: location });
    expect(again.isError).toBe(true);
    expect(again.data.error.code).toBe('state_used');
  });

  it('refuses a denied login, a foreign state and an expired session, storing nothing', async () => {
    h = await startHarness();
    h.emulator.setDenyingUser(true);
    const start = await h.call('instagram_authenticate', {});
    const denied = await approveInBrowser(start.data.authorization_url);
    expect(denied).toMatch(/error=access_denied/);
    const deniedResult = await h.call('instagram_authenticate', { callback_url: denied });
    expect(deniedResult.isError).toBe(true);
    expect(deniedResult.data.error.code).toBe('login_denied');
    h.emulator.setDenyingUser(false);

    const second = await h.call('instagram_authenticate', {});
    const location = await approveInBrowser(second.data.authorization_url);
    const forged = location.replace(/state=[^&#]+/, 'state=forged-state-value');
    const mismatch = await h.call('instagram_authenticate', { callback_url: forged });
    expect(mismatch.isError).toBe(true);
    expect(mismatch.data.error.code).toBe('state_mismatch');

    (h.clock as VirtualClock).advance(11 * 60 * 1000);
    const expired = await h.call('instagram_authenticate', { callback_url: location });
    expect(expired.isError).toBe(true);
    expect(expired.data.error.code).toBe('session_expired');

    const accounts = await h.call('instagram_accounts', { include_disabled: true });
    expect(accounts.data.count).toBe(0);
  });
});

describe('Facebook Login', () => {
  it('connects the Page-linked Instagram account and reports the Page without one', async () => {
    h = await startHarness();
    const start = await h.call('instagram_authenticate', { login_type: 'facebook' });
    expect(start.data.authorization_url).toMatch(/\/dialog\/oauth\?/);
    const location = await approveInBrowser(start.data.authorization_url);
    const done = await h.call('instagram_authenticate', { callback_url: location });
    expect(done.isError).toBe(false);
    const { facebookInstagram, linkedPage, unlinkedPage } = h.emulator.users;
    expect(done.data.connected).toHaveLength(1);
    expect(done.data.connected[0]).toMatchObject({ id: facebookInstagram.id, login_type: 'facebook', page_id: linkedPage.id });
    expect(done.data.pages_without_instagram).toEqual([{ page_id: unlinkedPage.id, name: unlinkedPage.name }]);
    expect(done.data.next_step).toMatch(/no linked Instagram/);
  });
});

describe('token import and lifecycle', () => {
  it('imports tokens of both login types, detecting the type', async () => {
    h = await startHarness();
    const ig = await h.connectAccount('business');
    expect(ig.data.login_type).toBe('instagram');
    const fb = await h.connectAccount('facebook');
    expect(fb.data.login_type).toBe('facebook');
    expect(fb.data.connected[0].id).toBe(h.emulator.users.facebookInstagram.id);

    const token = h.emulator.issueToken({ userId: h.emulator.users.instagramCreator.id, loginType: 'instagram', lifetime: 'long' });
    const wrongType = await h.call('instagram_authenticate', { access_token: token, login_type: 'facebook' });
    expect(wrongType.isError).toBe(true);
    expect(wrongType.data.error.code).toBe('login_type_mismatch');

    const garbage = await h.call('instagram_authenticate', { access_token: 'IGAA' + 'x'.repeat(40) });
    expect(garbage.isError).toBe(true);
    expect(garbage.data.error.code).toBe('token_rejected');
  });

  it('imports INSTAGRAM_ACCESS_TOKEN at start-up, before the first tool call is answered, and only once', async () => {
    const emulator = createEmulator();
    await emulator.start(0, '127.0.0.1');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-import-'));
    try {
      const token = emulator.issueToken({ userId: emulator.users.instagramCreator.id, loginType: 'instagram', lifetime: 'long' });
      const env = { INSTAGRAM_ACCESS_TOKEN: token, INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
      for (let start = 0; start < 2; start++) {
        h = await startHarness({ existingEmulator: emulator, realTime: true, dataDir, env });
        const accounts = await h.call('instagram_accounts', {});
        expect(accounts.data.accounts.map((a: { username: string }) => a.username)).toEqual([emulator.users.instagramCreator.username]);
        expect((await h.app.store.audit.list('alice')).filter((e) => e.action === 'account.connected')).toHaveLength(1);
        await h.close();
      }
    } finally {
      await emulator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refreshes a token inside its 7-day window on the emulator clock and uses the new one', async () => {
    h = await startHarness();
    const start = await h.call('instagram_authenticate', {});
    await h.call('instagram_authenticate', { callback_url: await approveInBrowser(start.data.authorization_url) });
    const before = (await h.call('instagram_accounts', {})).data.accounts[0].token_expires_at;
    (h.clock as VirtualClock).advance(54 * DAY);
    h.emulator.clearLog();
    const after = await h.call('instagram_accounts', { refresh: true });
    expect(after.isError).toBe(false);
    const log = h.emulator.requestLog();
    const refreshIndex = log.findIndex((r) => r.path === '/refresh_access_token');
    expect(refreshIndex).toBeGreaterThanOrEqual(0);
    expect(log[refreshIndex]!.status).toBe(200);
    // The profile read after the refresh succeeded with the new token.
    expect(log.slice(refreshIndex + 1).some((r) => r.path.startsWith('/me') || /^\/\d+$/.test(r.path))).toBe(true);
    const newExpiry = new Date(after.data.accounts[0].token_expires_at).getTime();
    expect(newExpiry).toBeGreaterThan(new Date(before).getTime());
    expect(newExpiry - h.clock.now()).toBeGreaterThan(59 * DAY);
  });

  it('keeps the old token when a refresh fails, and marks needs_reauth on 190', async () => {
    h = await startHarness();
    const start = await h.call('instagram_authenticate', {});
    await h.call('instagram_authenticate', { callback_url: await approveInBrowser(start.data.authorization_url) });
    (h.clock as VirtualClock).advance(55 * DAY);
    h.emulator.injectFaults({ path: '/refresh_access_token', kind: { type: 'graph_error', code: 2, message: 'Service temporarily unavailable', isTransient: true } });
    const stillWorks = await h.call('instagram_accounts', { refresh: true });
    expect(stillWorks.isError).toBe(false);
    expect(stillWorks.data.accounts[0].status).toBe('active');
    const stored = (await h.app.store.accounts.list('alice'))[0]!;
    expect(stored.lastRefreshError).toBeTruthy();
    h.emulator.clearFaults();

    h.emulator.injectFaults({ hostRole: 'instagram_graph', kind: { type: 'graph_error', code: 190, subcode: 460, message: 'Error validating access token: The session has been invalidated because the user changed their password.' } });
    const rejected = await h.call('instagram_accounts', { refresh: true });
    expect(rejected.isError).toBe(true);
    expect(rejected.data.error.code).toBe('needs_reauth');
    expect(rejected.data.error.hint).toMatch(/instagram_authenticate/);
    h.emulator.clearFaults();
    const listed = await h.call('instagram_accounts', {});
    expect(listed.data.accounts[0].status).toBe('needs_reauth');
    expect(listed.data.next_step).toMatch(/instagram_authenticate/);
  });

  it('retries a transient failure on a read', async () => {
    h = await startHarness();
    await h.connectAccount('business');
    h.emulator.clearLog();
    h.emulator.injectFaults({ method: 'GET', hostRole: 'instagram_graph', sequence: [{ type: 'graph_error', code: 2, isTransient: true }, { type: 'http_5xx', status: 503 }] });
    const result = await h.call('instagram_accounts', { refresh: true });
    expect(result.isError).toBe(false);
    const reads = h.emulator.requestLog().filter((r) => r.method === 'GET' && r.hostRole === 'instagram_graph');
    expect(reads.length).toBe(3);
  });
});

describe('identity and scoping', () => {
  it('hides a disabled account from that agent only, and shows a second owner nothing', async () => {
    h = await startHarness();
    await h.connectAccount('business');
    await h.connectAccount('creator');
    const { instagramBusiness, instagramCreator } = h.emulator.users;
    const off = await h.call('instagram_set_account_enabled', { account: `@${instagramCreator.username}`, enabled: false });
    expect(off.isError).toBe(false);
    const mine = await h.call('instagram_accounts', {});
    expect(mine.data.accounts.map((a: { id: string }) => a.id)).toEqual([instagramBusiness.id]);
    const all = await h.call('instagram_accounts', { include_disabled: true });
    expect(all.data.count).toBe(2);

    const otherAgent = await h.connect({ agent: 'analytics-agent' });
    const theirs = await h.call('instagram_accounts', {}, otherAgent);
    expect(theirs.data.count).toBe(2);

    const bob = await h.connect({ agent: 'test-agent', owner: 'bob' });
    const bobs = await h.call('instagram_accounts', { include_disabled: true }, bob);
    expect(bobs.data.count).toBe(0);
    const bobReach = await h.call('instagram_set_account_enabled', { account: instagramBusiness.id, enabled: true }, bob);
    expect(bobReach.isError).toBe(true);
    expect(bobReach.data.error.code).toBe('account_not_found');
  });

  it('implies the account when exactly one is enabled and lists the choices otherwise', async () => {
    h = await startHarness();
    const none = await h.call('instagram_disconnect', {});
    expect(none.isError).toBe(true);
    expect(none.data.error.hint).toMatch(/instagram_authenticate/);
    await h.connectAccount('business');
    await h.connectAccount('creator');
    const ambiguous = await h.call('instagram_disconnect', {});
    expect(ambiguous.isError).toBe(true);
    expect(ambiguous.data.error.code).toBe('account_required');
    expect(ambiguous.data.error.hint).toContain(`@${h.emulator.users.instagramCreator.username}`);
  });

  it('disconnecting removes the token and keeps the account history', async () => {
    h = await startHarness();
    await h.connectAccount('business');
    const result = await h.call('instagram_disconnect', { account: h.emulator.users.instagramBusiness.id });
    expect(result.isError).toBe(false);
    expect(result.data.account.status).toBe('disconnected');
    const stored = (await h.app.store.accounts.get('alice', h.emulator.users.instagramBusiness.id))!;
    expect(stored.accessToken).toBeNull();
    expect((await h.app.store.audit.list('alice')).map((e) => e.action)).toContain('account.disconnected');
  });
});

describe('secrets', () => {
  it('keeps tokens out of logs, tool results and the raw database file', async () => {
    h = await startHarness();
    const start = await h.call('instagram_authenticate', {});
    const done = await h.call('instagram_authenticate', { callback_url: await approveInBrowser(start.data.authorization_url) });
    const imported = await h.connectAccount('creator');
    const accounts = await h.call('instagram_accounts', { refresh: true });
    const tokens = (await h.app.store.accounts.list('alice')).map((a) => a.accessToken!);
    expect(tokens).toHaveLength(2);
    const texts = [start.text, done.text, imported.text, accounts.text, h.logLines.join('\n')];
    const dbFiles = ['instagram-mcp.sqlite', 'instagram-mcp.sqlite-wal'].map((f) => path.join(h.dataDir, f)).filter(existsSync);
    expect(dbFiles.length).toBeGreaterThan(0);
    const raw = dbFiles.map((f) => readFileSync(f).toString('latin1')).join('');
    for (const token of tokens) {
      expect(token.length).toBeGreaterThan(20);
      for (const text of texts) expect(text.includes(token)).toBe(false);
      expect(raw.includes(token)).toBe(false);
      expect(raw.includes(h.emulator.apps.instagramAppSecret)).toBe(false);
    }
    expect(h.logLines.join('\n').includes(h.emulator.apps.instagramAppSecret)).toBe(false);
  });
});
