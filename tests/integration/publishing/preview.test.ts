/**
 * instagram_preview_post (and instagram_create_post with preview: true) through the MCP client: real
 * JPEGs in the media folder, crops as the feed shows them, the caption fold and limits, a PNG that
 * decodes, and nothing sent to Instagram (no container, no post row, no new media on the emulator).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../src/clock.js';
import { createLogger } from '../../../src/log.js';
import { PostPreviewer } from '../../../src/services/preview.js';
import { freePort } from '../../helpers/harness.js';
import { writeMp4 } from '../../unit/media/mp4.js';
import { CREATE, jpeg, publishingHarness, requests, writeMedia, type PublishingHarness } from './helpers.js';

let h: PublishingHarness;

beforeAll(async () => {
  h = await publishingHarness();
  writeMedia(h, 'portrait.jpg', await jpeg(1080, 1350, '#3080c0'));
  writeMedia(h, 'square.jpg', await jpeg(1080, 1080, '#c03030'));
  writeMedia(h, 'wide.jpg', await jpeg(1920, 1080, '#30c080'));
  writeMedia(h, 'panorama.jpg', await jpeg(2000, 1000, '#c0a030'));
});
afterAll(() => h.close());

/** Calls a tool and returns its structured result and its image blocks (the call must succeed). */
async function call(name: string, args: Record<string, unknown>): Promise<{ data: any; images: Array<{ data: string; mimeType: string }>; text: string }> {
  const result = (await h.client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
  const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
  expect(result.isError, text).toBeFalsy();
  const images = result.content.filter((c): c is { type: 'image'; data: string; mimeType: string } => c.type === 'image');
  return { data: result.structuredContent, images, text };
}

/** The PNG decodes at the size next_step states, and is not one flat colour. */
async function expectPicture(image: { data: string; mimeType: string }, nextStep: string) {
  expect(image.mimeType).toBe('image/png');
  const bytes = Buffer.from(image.data, 'base64');
  const meta = await sharp(bytes).metadata();
  expect(meta.format).toBe('png');
  const stated = /\((\d+)×(\d+) PNG\)/.exec(nextStep);
  expect(stated, nextStep).not.toBeNull();
  expect(meta.width).toBe(Number(stated![1]));
  expect(meta.height).toBe(Number(stated![2]));
  const stats = await sharp(bytes).stats();
  expect(stats.channels.slice(0, 3).some((c) => c.min !== c.max)).toBe(true);
  expect(stats.isOpaque).toBe(true);
}

async function nothingSent(before: { posts: number; media: number }) {
  expect(requests(h, 'POST', CREATE)).toHaveLength(0);
  expect(await h.app.store.posts.listForAccount('alice', h.igUserId, 500)).toHaveLength(before.posts);
  expect(h.emulator.state.feedMedia(h.igUserId)).toHaveLength(before.media);
}

const counts = async () => ({ posts: (await h.app.store.posts.listForAccount('alice', h.igUserId, 500)).length, media: h.emulator.state.feedMedia(h.igUserId).length });

describe('instagram_preview_post', () => {
  it('a carousel: every item cropped to the first one\'s ratio, the grid tile, the PNG', async () => {
    h.emulator.clearLog();
    const before = await counts();
    const { data, images } = await call('instagram_preview_post', { media: ['portrait.jpg', 'square.jpg', 'wide.jpg'], caption: 'Three of a kind' });
    expect(data.kind).toBe('CAROUSEL');
    expect(data.account).toEqual({ username: h.emulator.users.instagramBusiness.username });
    expect(data.feed).toEqual({ ratio: 0.8, width: 1080, height: 1350 });
    expect(data.items.map((i: any) => [i.label, i.width, i.height, i.media_type])).toEqual([
      ['portrait.jpg', 1080, 1350, 'IMAGE'],
      ['square.jpg', 1080, 1080, 'IMAGE'],
      ['wide.jpg', 1920, 1080, 'IMAGE'],
    ]);
    expect(data.items[0]).toMatchObject({ cropped: false, crop: { x: 0, y: 0, width: 1080, height: 1350 }, ratio: 0.8 });
    expect(data.items[1]).toMatchObject({ cropped: true, crop: { x: 108, y: 0, width: 864, height: 1080 } });
    expect(data.items[2]).toMatchObject({ cropped: true, crop: { x: 528, y: 0, width: 864, height: 1080 } });
    expect(data.grid).toEqual({ ratio: 0.75, crop: { x: 33, y: 0, width: 1013, height: 1350 } });
    expect(data.caption).toMatchObject({ visible: 'Three of a kind', truncated: false, length: 15 });
    expect(data.issues).toEqual([]);
    expect(images).toHaveLength(1);
    await expectPicture(images[0]!, data.next_step);
    // Written next to the report charts, the same bytes.
    expect(data.path.startsWith(path.join(h.dataDir, 'reports'))).toBe(true);
    expect(existsSync(data.path)).toBe(true);
    expect((await sharp(data.path).metadata()).width).toBe((await sharp(Buffer.from(images[0]!.data, 'base64')).metadata()).width);
    await nothingSent(before);
  });

  it('a single image wider than 1.91:1: shown at 1.91, the crop, and the issue that blocks publishing', async () => {
    const { data, images } = await call('instagram_preview_post', { media: 'panorama.jpg' });
    expect(data.kind).toBe('IMAGE');
    expect(data.feed).toEqual({ ratio: 1.91, width: 1080, height: 565 });
    expect(data.items[0]).toMatchObject({ width: 2000, height: 1000, ratio: 2, cropped: true, crop: { x: 45, y: 0, width: 1910, height: 1000 } });
    expect(data.issues).toEqual([expect.objectContaining({ field: 'media', code: 'aspect_ratio_out_of_range' })]);
    expect(data.issues[0].message).toMatch(/2000x1000 \(2:1\).*fix_media/);
    await expectPicture(images[0]!, data.next_step);
  });

  it('the caption: the fold at "… more" on a word boundary, counts and limits', async () => {
    const tags = Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' ');
    const prose = 'Fresh bread every morning at the corner bakery, baked slowly with flour from the mill down the road and a little patience. ';
    const caption = `${prose}${tags}`.padEnd(300, ' word');
    expect([...caption]).toHaveLength(300);
    const { data, images } = await call('instagram_preview_post', { media: 'portrait.jpg', caption });
    expect(data.caption).toMatchObject({ length: 300, limit: 2200, truncated: true, hashtags: { count: 31, limit: 30 }, mentions: { count: 0, limit: 20 } });
    const visible: string = data.caption.visible;
    expect([...visible].length).toBeLessThanOrEqual(125);
    expect(caption.startsWith(visible)).toBe(true);
    expect(visible).toMatch(/\S$/);
    expect(caption[visible.length]).toMatch(/\s/);
    expect(data.issues).toEqual([expect.objectContaining({ field: 'caption', code: 'too_many_hashtags' })]);
    expect(data.next_step).toMatch(/Fix the issue listed/);
    await expectPicture(images[0]!, data.next_step);
  });

  it('an unreachable URL, a video, inline bytes and a reference id: placeholders and notes, no error', async () => {
    const port = await freePort(); // nothing listens there
    const inline = (await jpeg(1080, 1080, '#8040c0')).toString('base64');
    const registered = await call('instagram_upload_media', { source: 'square.jpg' });
    writeMp4(path.join(h.mediaDir, 'clip.mp4'), { durationSec: 10, width: 1080, height: 1920, moovFirst: true });
    const { data, images } = await call('instagram_preview_post', {
      media: ['portrait.jpg', `http://127.0.0.1:${port}/missing.jpg`, 'clip.mp4', { data: inline, mime_type: 'image/jpeg' }, registered.data.reference_id],
    });
    expect(data.items).toHaveLength(5);
    expect(data.items[1]).toMatchObject({ media_type: 'IMAGE', width: null, height: null, crop: null, cropped: false });
    expect(data.items[1].note).toMatch(/could not be fetched/);
    expect(data.items[2]).toMatchObject({ media_type: 'VIDEO', width: 1080, height: 1920, cropped: true, crop: { x: 0, y: 285, width: 1080, height: 1350 } });
    expect(data.items[2].note).toMatch(/video: cover not rendered/);
    expect(data.items[3]).toMatchObject({ width: 1080, height: 1080, cropped: true, label: 'inline image/jpeg' });
    expect(data.items[4]).toMatchObject({ width: 1080, height: 1080, cropped: true, label: 'square.jpg' });
    expect(data.issues).toEqual([]);
    await expectPicture(images[0]!, data.next_step);
  });

  it('a URL is fetched with a size cap and a timeout on the server clock', async () => {
    let arrived: () => void = () => {};
    const stalled = new Promise<void>((resolve) => (arrived = resolve));
    const big = Buffer.alloc(10 * 1024 * 1024, 0xff);
    const server: Server = createServer((req, res) => {
      if (req.url === '/big.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' }); // no length: the cap counts what arrives
        res.end(big);
        return;
      }
      arrived(); // /slow.jpg: never answered
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const large = await call('instagram_preview_post', { media: `${base}/big.jpg` });
      expect(large.data.items[0].note).toMatch(/larger than 9 MiB/);
      const pending = call('instagram_preview_post', { media: `${base}/slow.jpg` });
      await stalled;
      (h.clock as VirtualClock).advance(15_000);
      const slow = await pending;
      expect(slow.data.items[0].note).toMatch(/did not answer within 15 s/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('for remote callers (HTTP), never fetches a private, loopback or link-local host, at any redirect', async () => {
    const fetched: string[] = [];
    const fakeFetch = (async (input: string | URL | Request) => {
      const url = String(input);
      fetched.push(url);
      if (url === 'https://203.0.113.5/a.jpg') return new Response(null, { status: 302, headers: { location: 'http://10.1.2.3/inside.jpg' } });
      if (url === 'https://203.0.113.5/b.jpg') return new Response(null, { status: 301, headers: { location: '/c.jpg' } });
      if (url === 'https://203.0.113.5/c.jpg') return new Response(await jpeg(1080, 1080), { status: 200, headers: { 'content-type': 'image/jpeg' } });
      throw new Error(`unexpected fetch of ${url}`);
    }) as typeof fetch;
    const previewer = new PostPreviewer({ dataDir: h.dataDir, clock: h.clock, logger: createLogger({ level: 'error', write: () => {} }), library: h.app.library, accounts: h.app.accounts, fetch: fakeFetch, refusePrivateHosts: true });
    const who = { owner: 'alice', agent: 'test-agent' };
    const { preview } = await previewer.preview(who, {
      media: [{ source: 'https://203.0.113.5/b.jpg' }, { source: 'http://127.0.0.1:9/x.jpg' }, { source: 'http://[::1]/x.jpg' }, { source: 'http://169.254.169.254/latest/meta-data' }, { source: 'https://203.0.113.5/a.jpg' }],
    });
    expect(preview.items[0]).toMatchObject({ width: 1080, height: 1080 }); // a public redirect is followed
    for (const i of [1, 2, 3, 4]) expect(preview.items[i]!.note, String(i)).toMatch(/not fetched for the preview: its host is a loopback, private or link-local address/);
    expect(fetched.sort()).toEqual(['https://203.0.113.5/a.jpg', 'https://203.0.113.5/b.jpg', 'https://203.0.113.5/c.jpg']);
  });

  it('a single video is a reel; unusable input is an error that says what to do', async () => {
    const reel = await call('instagram_preview_post', { media: 'clip.mp4' });
    expect(reel.data.kind).toBe('REEL');
    expect(reel.data.feed).toEqual({ ratio: 0.8, width: 1080, height: 1350 });

    const outside = await h.call('instagram_preview_post', { media: '/etc/hostname' });
    expect(outside.isError).toBe(true);
    expect(outside.data.error.message).toMatch(/^media:/);
    expect(outside.data.error.hint).toBeTruthy();

    const empty = await h.call('instagram_preview_post', { media: [] });
    expect(empty.isError).toBe(true);
    expect(empty.data.error.code).toBe('media_missing');
  });
});

describe('instagram_create_post with preview: true', () => {
  it('returns the preview and its picture, publishes nothing', async () => {
    const newest = (await call('instagram_get_posts', {})).data.posts[0]?.id;
    h.emulator.clearLog();
    const before = await counts();
    const { data, images } = await call('instagram_create_post', { media: ['portrait.jpg', 'wide.jpg'], caption: 'Not yet', preview: true });
    expect(data.post_id).toBeUndefined();
    expect(data.preview.kind).toBe('CAROUSEL');
    expect(data.preview.items[1]).toMatchObject({ cropped: true, crop: { x: 528, y: 0, width: 864, height: 1080 } });
    expect(data.next_step).toMatch(/Nothing was published/);
    await expectPicture(images[0]!, data.next_step);
    await nothingSent(before);
    const listed = await call('instagram_get_posts', {});
    expect(listed.data.posts[0]?.id).toBe(newest);
    expect(JSON.stringify(listed.data.posts)).not.toMatch(/Not yet/);
  });

  it('real publishing still answers a post that validates', async () => {
    const post = await call('instagram_create_post', { media: 'portrait.jpg', caption: 'Now' });
    expect(post.data.state).toBe('completed');
    expect(post.data.preview).toBeUndefined();
    expect(post.images).toHaveLength(0);
  });
});
