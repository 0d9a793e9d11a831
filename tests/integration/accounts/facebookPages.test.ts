/**
 * Issue #18: a Facebook Login through the browser names the Pages without a linked Instagram account
 * on the callback page and in the next instagram_accounts answer, until the next Facebook Login.
 * The emulator's seed has the Facebook user managing two Pages: one linked to @sandbox_coffee, one not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { freePort, startHarness, type Harness } from '../../helpers/harness.js';
import { startHttpServer } from '../../../src/transports/http.js';
import { createEmulator } from '../../../src/emulator/index.js';
import { createServer } from '../../../src/server.js';

let h: Harness | undefined;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Plays the browser: the emulator's Facebook dialog approves and redirects to the server's own callback, which answers with a page. */
async function loginThroughBrowser(authorizationUrl: string, expectedCallbackPrefix?: string): Promise<string> {
  const dialog = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(dialog.status).toBe(302);
  const location = dialog.headers.get('location')!;
  expect(location).toMatch(/[?&]code=/);
  if (expectedCallbackPrefix) expect(location.startsWith(expectedCallbackPrefix)).toBe(true);
  const callback = await fetch(location.replace(/#.*$/, ''));
  expect(callback.status).toBe(200);
  expect(callback.headers.get('content-type')).toMatch(/text\/html/);
  return callback.text();
}

async function startFacebookLogin(harness: Harness, client?: Client): Promise<string> {
  const start = await harness.call('instagram_authenticate', { login_type: 'facebook' }, client);
  expect(start.isError).toBe(false);
  expect(start.data.status).toBe('awaiting_user');
  expect(start.data.authorization_url).toMatch(/\/dialog\/oauth\?/);
  return start.data.authorization_url;
}

const HOWTO_HTML = /To connect one, link the Instagram professional account in the Page&#39;s settings on Facebook .*then connect again with Facebook Login\./;

describe('Facebook Login names the Pages without a linked Instagram account', () => {
  it('on the callback page and in the next instagram_accounts answer (stdio callback listener)', async () => {
    h = await startHarness();
    const { facebookInstagram, linkedPage, unlinkedPage } = h.emulator.users;
    expect(linkedPage.igUserId).toBe(facebookInstagram.id);
    expect(unlinkedPage.igUserId).toBeUndefined();

    const html = await loginThroughBrowser(await startFacebookLogin(h));
    expect(html).toContain(`Connected @${facebookInstagram.username}`);
    expect(html).toContain('These Facebook Pages have no linked Instagram professional account');
    expect(html).toContain(`<li>${unlinkedPage.name} <small>(Page ${unlinkedPage.id})</small></li>`);
    expect(html).toMatch(HOWTO_HTML);
    // The linked Page is not listed as one needing a link.
    expect(html).not.toContain(`(Page ${linkedPage.id})`);

    const accounts = await h.call('instagram_accounts', {});
    expect(accounts.isError).toBe(false);
    expect(accounts.data.count).toBe(1);
    expect(accounts.data.pages_without_instagram).toEqual([{ page_id: unlinkedPage.id, name: unlinkedPage.name }]);
    expect(accounts.data.next_step).toContain(`"${unlinkedPage.name}"`);
    expect(accounts.data.next_step).toMatch(/Page's settings.*login_type "facebook"/);
    expect(accounts.text).toContain(unlinkedPage.name);

    // account_type: graph.facebook.com's IG user node has no such field, so it is left out (not null).
    const account = accounts.data.accounts[0];
    expect(account).toMatchObject({ id: facebookInstagram.id, login_type: 'facebook', page_id: linkedPage.id, status: 'active' });
    expect('account_type' in account).toBe(false);
    const profileReads = h.emulator.requestLog().filter((r) => r.hostRole === 'facebook_graph' && r.path === `/${facebookInstagram.id}`);
    expect(profileReads.length).toBeGreaterThan(0);

    // The list is the owner's: another owner on the same server hears nothing of it.
    const bob = await h.connect({ owner: 'bob' });
    const bobs = await h.call('instagram_accounts', {}, bob);
    expect(bobs.data.count).toBe(0);
    expect(bobs.data.pages_without_instagram).toBeUndefined();
    expect(bobs.data.next_step).not.toContain(unlinkedPage.name);
  });

  it('through the HTTP transport route, escaping Page names in the HTML', async () => {
    const port = await freePort();
    const callbackPrefix = `http://127.0.0.1:${port}/oauth/callback?`;
    h = await startHarness({ env: { INSTAGRAM_MCP_TRANSPORT: 'http', INSTAGRAM_REDIRECT_URI: `http://127.0.0.1:${port}/oauth/callback` } });
    const server = await startHttpServer(h.app, { port, host: '127.0.0.1' });
    cleanups.push(() => server.close());
    const { unlinkedPage } = h.emulator.users;
    unlinkedPage.name = `<script>alert("x")</script> Tom & Jerry's`;

    const html = await loginThroughBrowser(await startFacebookLogin(h), callbackPrefix);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tom &amp; Jerry&#39;s');
    expect(html).toMatch(HOWTO_HTML);

    const accounts = await h.call('instagram_accounts', {});
    expect(accounts.data.pages_without_instagram).toEqual([{ page_id: unlinkedPage.id, name: unlinkedPage.name }]);
  });

  it('in the instagram_authenticate answer of a client that opened the link and waited', async () => {
    h = await startHarness();
    const harness = h;
    const { server } = createServer(harness.app, { ownerFor: () => 'alice' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'url-capable', version: '1' }, { capabilities: { elicitation: { url: {} } } });
    const pages: Promise<string>[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const url = (request.params as { url: string }).url;
      pages.push(new Promise((resolve) => setTimeout(() => resolve(loginThroughBrowser(url)), 10)));
      return { action: 'accept' };
    });
    await client.connect(clientSide);
    await client.listTools(); // as real clients do: output schemas are checked from here on
    cleanups.push(() => client.close());

    const result = await harness.call('instagram_authenticate', { login_type: 'facebook' }, client);
    expect(result.isError).toBe(false);
    expect(result.data.status).toBe('connected');
    const { unlinkedPage, facebookInstagram } = harness.emulator.users;
    expect(result.data.connected.map((a: { id: string }) => a.id)).toEqual([facebookInstagram.id]);
    expect(result.data.pages_without_instagram).toEqual([{ page_id: unlinkedPage.id, name: unlinkedPage.name }]);
    expect(result.data.next_step).toContain(`"${unlinkedPage.name}"`);
    expect(await pages[0]).toContain(unlinkedPage.name);
  });

  it('keeps the list across a restart, and the next Facebook Login replaces it', async () => {
    const emulator = createEmulator();
    await emulator.start(0, '127.0.0.1');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-fbpages-'));
    cleanups.push(async () => {
      await emulator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const env = { INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    const { facebookUser, linkedPage, unlinkedPage, instagramBusiness } = emulator.users;

    h = await startHarness({ existingEmulator: emulator, realTime: true, dataDir, env });
    await loginThroughBrowser(await startFacebookLogin(h));
    // An Instagram Login in between does not touch the Facebook Pages, and its account keeps its type.
    await h.connectAccount('business');
    await h.close();

    h = await startHarness({ existingEmulator: emulator, realTime: true, dataDir, env });
    const afterRestart = await h.call('instagram_accounts', {});
    expect(afterRestart.data.pages_without_instagram).toEqual([{ page_id: unlinkedPage.id, name: unlinkedPage.name }]);
    const business = afterRestart.data.accounts.find((a: { id: string }) => a.id === instagramBusiness.id);
    expect(business).toMatchObject({ login_type: 'instagram', account_type: 'BUSINESS' });

    // The user no longer manages the unlinked Page; the next Facebook Login finds every Page linked.
    facebookUser.pageIds = [linkedPage.id];
    const html = await loginThroughBrowser(await startFacebookLogin(h));
    expect(html).toContain('Connected @');
    expect(html).not.toContain('no linked Instagram');
    expect(html).not.toContain(unlinkedPage.name);

    const replaced = await h.call('instagram_accounts', {});
    expect(replaced.isError).toBe(false);
    expect(replaced.data.count).toBe(2);
    expect(replaced.data.pages_without_instagram).toBeUndefined();
    expect(replaced.data.next_step).toBeUndefined();
    expect(await h.app.store.unlinkedFacebookPages.list('alice')).toEqual([]);
  });
});
