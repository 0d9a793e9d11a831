/**
 * Sandbox data outlives the process (issue #12, items 13 and 15): a client that starts one server
 * process per call (the Inspector CLI) logs in with the first, lists with the second and publishes
 * with the third; two sandbox servers running at once on one data folder both work and neither loses
 * the other's data; sandbox permalinks point at the emulator, which shows the post there.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VirtualClock } from '../../../src/clock.js';
import { jpeg, startSandboxProcess, type SandboxProcess } from './helpers.js';

let dataDir: string;
let mediaDir: string;
let clock: VirtualClock;
const running: SandboxProcess[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-sandbox-'));
  mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-sandbox-media-'));
  clock = new VirtualClock();
});
afterEach(async () => {
  for (const p of running.splice(0)) await p.close().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(mediaDir, { recursive: true, force: true });
});

async function start(): Promise<SandboxProcess> {
  const p = await startSandboxProcess({ dataDir, mediaDir, clock });
  running.push(p);
  return p;
}

async function stop(p: SandboxProcess): Promise<void> {
  running.splice(running.indexOf(p), 1);
  await p.close();
}

async function photo(name: string, color: string): Promise<string> {
  const file = path.join(mediaDir, name);
  writeFileSync(file, await jpeg(1080, 1080, color));
  return file;
}

describe('sandbox data across processes', () => {
  it('logs in with one process, lists with the next and publishes with a third (one process per call)', async () => {
    const first = await start();
    const login = await first.call('instagram_authenticate', {});
    expect(login.isError, login.text).toBe(false);
    expect(login.data.connected.map((a: { username: string }) => a.username)).toContain('sandbox_bakery');
    await stop(first);

    const second = await start();
    const listed = await second.call('instagram_accounts', {});
    expect(listed.isError, listed.text).toBe(false);
    expect(listed.data.accounts.map((a: { username: string }) => a.username)).toContain('sandbox_bakery');
    const posts = await second.call('instagram_get_posts', { account: '@sandbox_bakery' });
    expect(posts.isError, posts.text).toBe(false);
    expect(posts.data.posts.length).toBeGreaterThan(0);
    await stop(second);

    const third = await start();
    const caption = 'Fresh <b>bread</b> & "rolls" <script>alert(1)</script>';
    const published = await third.call('instagram_create_post', { account: '@sandbox_bakery', media: [await photo('bread.jpg', '#c08040')], caption });
    expect(published.isError, published.text).toBe(false);
    expect(published.data.state).toBe('completed');
    const mediaId: string = published.data.media_id;
    await stop(third);

    // And the post is still there for the next process.
    const fourth = await start();
    const post = await fourth.call('instagram_get_post', { media_id: mediaId });
    expect(post.isError, post.text).toBe(false);
    expect(post.data.post?.caption ?? post.data.caption).toContain('Fresh <b>bread</b>');
  });

  it('two sandbox servers at once on one data folder both work, and neither loses the other\'s data', async () => {
    const a = await start();
    const b = await start();
    const login = await a.call('instagram_authenticate', {});
    expect(login.isError, login.text).toBe(false);

    // B sees the account A connected, and its token works against B's emulator.
    const listed = await b.call('instagram_accounts', {});
    expect(listed.data.accounts.map((x: { username: string }) => x.username)).toContain('sandbox_bakery');

    const [fromA, fromB] = await Promise.all([
      a.call('instagram_create_post', { account: '@sandbox_bakery', media: [await photo('a.jpg', '#aa2020')], caption: 'Posted by A' }),
      b.call('instagram_create_post', { account: '@sandbox_bakery', media: [await photo('b.jpg', '#20aa20')], caption: 'Posted by B' }),
    ]);
    expect(fromA.isError, fromA.text).toBe(false);
    expect(fromB.isError, fromB.text).toBe(false);
    expect(fromA.data.state).toBe('completed');
    expect(fromB.data.state).toBe('completed');

    for (const p of [a, b]) {
      const posts = await p.call('instagram_get_posts', { account: '@sandbox_bakery', limit: 5 });
      expect(posts.isError, posts.text).toBe(false);
      const captions = posts.data.posts.map((x: { caption: string | null }) => x.caption);
      expect(captions).toContain('Posted by A');
      expect(captions).toContain('Posted by B');
    }
    await stop(a);
    await stop(b);

    // A later process sees both posts and the account, all still valid.
    const c = await start();
    const posts = await c.call('instagram_get_posts', { account: '@sandbox_bakery', limit: 5 });
    expect(posts.isError, posts.text).toBe(false);
    expect(posts.data.posts.map((x: { caption: string | null }) => x.caption)).toEqual(expect.arrayContaining(['Posted by A', 'Posted by B']));
  });
});

describe('sandbox permalinks', () => {
  it('point at the emulator, which serves a preview page of the post with the caption escaped', async () => {
    const p = await start();
    await p.call('instagram_authenticate', {});
    const caption = 'Fresh <b>bread</b> & "rolls" <script>alert(1)</script>';
    const published = await p.call('instagram_create_post', { account: '@sandbox_bakery', media: [await photo('bread.jpg', '#c08040')], caption });
    expect(published.isError, published.text).toBe(false);
    const permalink: string = published.data.permalink;
    const emulatorBase = p.app.sandbox!.baseUrl;
    expect(permalink.startsWith(`${emulatorBase}/p/`)).toBe(true);
    expect(published.text).not.toMatch(/instagram\.com\/(p|reel|stories)\//);

    const page = await fetch(permalink);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('Fresh &lt;b&gt;bread&lt;/b&gt; &amp; &quot;rolls&quot; &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('sandbox_bakery');
    expect(html).toMatch(/<img [^>]*src="https:\/\/scontent\.cdninstagram\.com\//);

    // Existing (seeded) posts too: no reading result claims an instagram.com link.
    const posts = await p.call('instagram_get_posts', { account: '@sandbox_bakery', limit: 10 });
    expect(posts.isError, posts.text).toBe(false);
    for (const post of posts.data.posts as Array<{ permalink: string | null }>) {
      expect(post.permalink?.startsWith(`${emulatorBase}/`)).toBe(true);
    }
    expect(posts.text).not.toMatch(/instagram\.com\/(p|reel|stories)\//);
    const unknown = await fetch(`${emulatorBase}/p/NoSuchPost1/`);
    expect(unknown.status).toBe(404);
  });
});
