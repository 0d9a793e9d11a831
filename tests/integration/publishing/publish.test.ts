/**
 * Publishing through the MCP client against the emulator: every kind of post, from URLs and from local
 * files, with progress notifications. Outcomes are asserted in the emulator and in the store.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeMp4, startFileServer, type FileServer } from '../../unit/emulator/fixtures.js';
import { CONTAINER_READ, CREATE, jpeg, png, postRow, PUBLISH, publishingHarness, requests, sha256, writeMedia, type PublishingHarness } from './helpers.js';
import { CHILD_CONCURRENCY } from '../../../src/services/publishing/index.js';

let h: PublishingHarness;
let files: FileServer;

/**
 * A hold pattern that also tells when it has matched `n` requests: the emulator parks each request a
 * hold's pattern matches, so `matched(n)` resolves once n are held at the same time.
 */
function countingPattern(pattern: RegExp): { pattern: RegExp; matched(n: number): Promise<void> } {
  let count = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  class Counting extends RegExp {
    override test(value: string): boolean {
      const hit = super.test(value);
      if (hit) {
        count++;
        for (let i = waiters.length - 1; i >= 0; i--) if (count >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve();
      }
      return hit;
    }
  }
  return {
    pattern: new Counting(pattern.source, pattern.flags),
    matched: (n) => (count >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

beforeEach(async () => {
  files = await startFileServer();
});
afterEach(async () => {
  await h?.close();
  await files.close();
});

describe('publishing from URLs', () => {
  it('publishes one image from a URL: fetched by Instagram, live with a permalink, recorded in the store', async () => {
    files.set('/photo.jpg', await jpeg(1080, 1080));
    h = await publishingHarness();
    const r = await h.call('instagram_create_post', { media: [files.url('/photo.jpg')], caption: 'Fresh bread #bakery', alt_text: 'A loaf' });

    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ state: 'completed', kind: 'image', progress: 1, error: null, attempts: 1 });
    const published = h.emulator.publishedMedia(h.igUserId);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ id: r.data.media_id, mediaType: 'IMAGE', productType: 'FEED', caption: 'Fresh bread #bakery', altText: 'A loaf' });
    expect(r.data.permalink).toBe(published[0]!.permalink);
    expect(r.data.resource_uri).toBe(`instagram://posts/${r.data.post_id}`);
    expect(r.data.next_step).toContain(published[0]!.permalink);
    expect(files.requests.map((q) => q.path)).toContain('/photo.jpg');
    const row = await postRow(h, r.data.post_id);
    expect(row).toMatchObject({ state: 'completed', mediaId: r.data.media_id, permalink: published[0]!.permalink, containerId: r.data.container_id });
    expect((await h.app.store.audit.list('alice')).map((e) => e.action)).toEqual(expect.arrayContaining(['post.created', 'post.published']));
  });

  it('publishes a carousel of 10 mixed images and videos: children created concurrently, all polled, parent published once', async () => {
    const media: Array<{ source: string; media_type?: string; alt_text?: string }> = [];
    for (let i = 0; i < 10; i++) {
      if (i % 3 === 1) {
        files.set(`/clip${i}.mp4`, makeMp4(8));
        media.push({ source: files.url(`/clip${i}.mp4`) });
      } else {
        files.set(`/img${i}.jpg`, await jpeg(1080, 1350, i % 2 ? '#aa3322' : '#2233aa'));
        media.push({ source: files.url(`/img${i}.jpg`), alt_text: `picture ${i}` });
      }
    }
    h = await publishingHarness({ emulator: { processing: { imageMs: 0, videoMs: 6000 } } });
    const creates = countingPattern(CREATE);
    const hold = h.emulator.hold({ method: 'POST', path: creates.pattern });
    const call = h.call('instagram_create_post', { media, caption: 'Ten of them' });
    // Several child containers are requested at the same time (bounded concurrency).
    await creates.matched(4);
    expect(hold.heldCount).toBeGreaterThanOrEqual(4);
    expect(hold.heldCount).toBeLessThanOrEqual(CHILD_CONCURRENCY);
    hold.release();
    const r = await call;

    expect(r.isError).toBe(false);
    expect(r.data.state).toBe('completed');
    const published = h.emulator.publishedMedia(h.igUserId);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ mediaType: 'CAROUSEL_ALBUM', caption: 'Ten of them' });
    const children = published[0]!.children!.map((id) => h.emulator.media(id)!);
    expect(children.map((c) => c.mediaType)).toEqual(media.map((m) => (m.source.endsWith('.mp4') ? 'VIDEO' : 'IMAGE')));
    expect(children[0]!.altText).toBe('picture 0');
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    // Every child container was read until FINISHED before the parent was created.
    const parentCreate = requests(h, 'POST', CREATE).find((q) => q.params.media_type === 'CAROUSEL')!;
    const childIds = parentCreate.params.children!.split(',');
    expect(childIds).toHaveLength(10);
    for (const id of childIds) expect(h.emulator.container(id)?.publishedMediaId).toBeTruthy();
    const row = await postRow(h, r.data.post_id);
    expect(row.children.map((c) => c.state)).toEqual(Array(10).fill('finished'));
    expect(r.data.children).toHaveLength(10);
  });

  it('publishes a reel with slow processing: progress notifications rise, reads stay sparse, publish follows FINISHED quickly', async () => {
    files.set('/reel.mp4', makeMp4(30));
    h = await publishingHarness({ emulator: { processing: { imageMs: 0, videoMs: 60_000 } } });
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    const r = await h.call('instagram_create_reel', { video: files.url('/reel.mp4'), caption: 'Slow one', share_to_feed: false, audio_name: 'Oven hum', thumb_offset: 1500 }, undefined, {
      onprogress: (p) => progress.push(p),
    });

    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ state: 'completed', kind: 'reel' });
    const [reel] = h.emulator.publishedMedia(h.igUserId);
    expect(reel).toMatchObject({ productType: 'REELS', mediaType: 'VIDEO', isSharedToFeed: false });
    const create = requests(h, 'POST', CREATE)[0]!;
    expect(create.params).toMatchObject({ media_type: 'REELS', share_to_feed: 'false', audio_name: 'Oven hum', thumb_offset: '1500' });

    expect(progress.length).toBeGreaterThan(10);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    expect(progress.at(-1)).toMatchObject({ progress: 100, total: 100 });
    expect(progress.some((p) => /processing/.test(p.message ?? ''))).toBe(true);

    const container = h.emulator.container(r.data.container_id)!;
    const finishedAt = container.processingStartedAt! + container.processingMs;
    const publishAt = requests(h, 'POST', PUBLISH)[0]!.time;
    expect(publishAt - finishedAt).toBeGreaterThanOrEqual(0);
    expect(publishAt - finishedAt).toBeLessThan(2000);
    const reads = requests(h, 'GET', CONTAINER_READ).filter((q) => q.path === `/${container.id}`);
    expect(reads.length).toBeLessThanOrEqual(30); // ≤ one read per 2 s of a 60 s processing
  });

  it('publishes an image story and a video story, tracked with their 24-hour expiry', async () => {
    files.set('/story.jpg', await jpeg(1080, 1920));
    files.set('/story.mp4', makeMp4(12));
    h = await publishingHarness();
    const image = await h.call('instagram_create_story', { media: files.url('/story.jpg') });
    const video = await h.call('instagram_create_story', { media: { source: files.url('/story.mp4') } });

    for (const r of [image, video]) {
      expect(r.isError).toBe(false);
      expect(r.data).toMatchObject({ state: 'completed', kind: 'story' });
      expect(Date.parse(r.data.expires_at) - Date.parse(r.data.published_at)).toBe(24 * 3600_000);
      expect(r.data.next_step).toMatch(/disappears/);
    }
    const stories = h.emulator.publishedMedia(h.igUserId);
    expect(stories.map((m) => [m.productType, m.mediaType]).sort()).toEqual([
      ['STORY', 'IMAGE'],
      ['STORY', 'VIDEO'],
    ]);
    expect((await postRow(h, video.data.post_id)).expiresAt).toBe((await postRow(h, video.data.post_id)).publishedAt! + 24 * 3600_000);
  });

  it('posts the first comment after publishing and reports it', async () => {
    files.set('/p.jpg', await jpeg(1000, 1000));
    h = await publishingHarness();
    const r = await h.call('instagram_create_post', { media: files.url('/p.jpg'), caption: 'With a comment', first_comment: '#more #tags' });
    expect(r.data.state).toBe('completed');
    expect(r.data.first_comment).toMatchObject({ status: 'posted' });
    const comment = requests(h, 'POST', /\/comments$/)[0]!;
    expect(comment.path).toBe(`/${r.data.media_id}/comments`);
    expect(comment.params.message).toBe('#more #tags');
  });

  it('reports a failed first comment without failing the post', async () => {
    files.set('/p.jpg', await jpeg(1000, 1000));
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: /\/comments$/, kind: { type: 'graph_error', code: 100, message: 'Comments are off' } });
    const r = await h.call('instagram_create_post', { media: files.url('/p.jpg'), first_comment: 'hi' });
    expect(r.data.state).toBe('completed');
    expect(r.data.error).toBeNull();
    expect(r.data.first_comment.status).toBe('failed');
    expect(r.data.next_step).toMatch(/first comment was not confirmed/);
  });
});

describe('publishing local files', () => {
  it('serves a local image at the public URL: Instagram fetches identical bytes, and the URL dies afterwards', async () => {
    h = await publishingHarness();
    const bytes = await jpeg(1200, 1000);
    const file = writeMedia(h, 'local.jpg', bytes);
    const r = await h.call('instagram_create_post', { media: [file], caption: 'From disk' });

    expect(r.isError).toBe(false);
    expect(r.data.state).toBe('completed');
    const container = h.emulator.container(r.data.container_id)!;
    expect(container.source?.url?.startsWith(`${h.mediaBaseUrl}/media/`)).toBe(true);
    expect(container.source?.sha256).toBe(sha256(bytes));
    expect(container.source?.url).not.toContain('local.jpg'); // unguessable path, not the file name
    expect((await fetch(container.source!.url!)).status).toBe(404);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
  });

  it('accepts a path relative to the media folder and a file:// URL', async () => {
    h = await publishingHarness();
    writeMedia(h, 'rel.jpg', await jpeg(1080, 1080));
    const rel = await h.call('instagram_create_post', { media: ['rel.jpg'] });
    expect(rel.data.state).toBe('completed');
    const abs = writeMedia(h, 'url.jpg', await jpeg(1080, 1080, '#00ff00'));
    const viaUrl = await h.call('instagram_create_post', { media: [`file://${abs}`] });
    expect(viaUrl.data.state).toBe('completed');
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(2);
  });

  it("fix_media turns a PNG with a bad ratio into a JPEG Instagram accepts, reporting what changed; never silently", async () => {
    h = await publishingHarness();
    const file = writeMedia(h, 'tall.png', await png(800, 2000));
    const before = readFileSync(file);

    const refused = await h.call('instagram_create_post', { media: [file] });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/PNG/);
    expect(refused.text).toMatch(/too tall/);
    expect(refused.text).toMatch(/fix_media: 'pad' or 'crop'/);
    expect(requests(h, 'POST', CREATE)).toHaveLength(0);

    const r = await h.call('instagram_create_post', { media: [file], fix_media: 'pad' });
    expect(r.isError).toBe(false);
    expect(r.data.state).toBe('completed');
    expect(r.data.media_fixes.join(' ')).toMatch(/converted PNG to JPEG/);
    expect(r.data.media_fixes.join(' ')).toMatch(/padded/);
    const source = h.emulator.container(r.data.container_id)!.source!;
    expect(source.format).toBe('jpeg');
    expect(source.width! / source.height!).toBeGreaterThanOrEqual(0.8 - 1e-3);
    expect(readFileSync(file).equals(before)).toBe(true); // the user's file is untouched

    const cropped = await h.call('instagram_create_post', { media: [file], fix_media: 'crop' });
    expect(cropped.data.state).toBe('completed');
    expect(cropped.data.media_fixes.join(' ')).toMatch(/cropped/);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(2);
  });

  it('auto_discover takes the newest files no post used yet', async () => {
    h = await publishingHarness();
    const { utimesSync } = await import('node:fs');
    const names = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg'];
    for (const [i, name] of names.entries()) {
      const file = writeMedia(h, name, await jpeg(1080, 1080, `#${(i * 3 + 1).toString(16).repeat(6)}`));
      utimesSync(file, 1_700_000_000 + i * 60, 1_700_000_000 + i * 60);
    }
    const first = await h.call('instagram_create_post', { auto_discover: 2, caption: 'newest two' });
    expect(first.data).toMatchObject({ state: 'completed', kind: 'carousel' });
    const second = await h.call('instagram_create_post', { auto_discover: true });
    expect(second.data).toMatchObject({ state: 'completed', kind: 'image' });
    const hashes = (id: string) => {
      const c = h.emulator.container(id)!;
      return c.children ? c.children.map((x) => h.emulator.container(x)!.source!.sha256) : [c.source!.sha256];
    };
    const sums = Object.fromEntries(names.map((n) => [sha256(`${h.mediaDir}/${n}`), n]));
    expect(hashes(first.data.container_id).map((s) => sums[s!])).toEqual(['d.jpg', 'c.jpg']);
    expect(hashes(second.data.container_id).map((s) => sums[s!])).toEqual(['b.jpg']);
    // The result and the post resource name the files taken.
    expect(first.data.auto_discovered).toEqual(['d.jpg', 'c.jpg']);
    expect(first.data.next_step).toMatch(/auto_discover took d\.jpg, c\.jpg/);
    expect(second.data.auto_discovered).toEqual(['b.jpg']);
    const resource = JSON.parse(((await h.client.readResource({ uri: `instagram://posts/${first.data.post_id}` })).contents[0] as { text: string }).text);
    expect(resource.post.auto_discovered).toEqual(['d.jpg', 'c.jpg']);
    const none = await h.call('instagram_create_post', { auto_discover: 3 });
    expect(none.isError).toBe(true);
    expect(none.text).toMatch(/found 1/);
  });

  it('publishes a reel from a local video by resumable upload (no public URL needed), with a local cover', async () => {
    h = await publishingHarness();
    h.app.mediaHost.setPublicBaseUrl(undefined);
    const { writeMp4 } = await import('../../unit/media/mp4.js');
    const video = `${h.mediaDir}/clip.mp4`;
    writeMp4(video, { durationSec: 20, width: 1080, height: 1920, moovFirst: true, sizeBytes: 3_000_000 });
    const r = await h.call('instagram_create_reel', { video, caption: 'Uploaded' });
    expect(r.isError).toBe(false);
    expect(r.data.state).toBe('completed');
    const container = h.emulator.container(r.data.container_id)!;
    expect(container.resumable).toBe(true);
    expect(container.upload).toMatchObject({ complete: true, bytesReceived: statSync(video).size, sha256: sha256(video) });

    // A local cover image needs the public URL: without one, the error says what to do, before any call.
    writeMedia(h, 'cover.jpg', await jpeg(1080, 1920));
    h.emulator.clearLog();
    const noHost = await h.call('instagram_create_reel', { video, cover: 'cover.jpg' });
    expect(noHost.isError).toBe(true);
    expect(noHost.text).toMatch(/INSTAGRAM_MCP_PUBLIC_URL/);
    expect(requests(h, 'POST', CREATE)).toHaveLength(0);
  });
});

describe('resumable upload refused', () => {
  it('falls back to serving the video at the public URL when the app may not use resumable uploads', async () => {
    h = await publishingHarness();
    const { writeMp4 } = await import('../../unit/media/mp4.js');
    const video = `${h.mediaDir}/fallback.mp4`;
    writeMp4(video, { durationSec: 15, width: 1080, height: 1920, moovFirst: true, sizeBytes: 2_500_000 });
    h.emulator.injectFaults({ method: 'POST', path: CREATE, sequence: [{ type: 'graph_error', code: 10, message: '(#10) Application does not have permission for this action' }] });
    const r = await h.call('instagram_create_reel', { video });
    expect(r.data.state).toBe('completed');
    const creates = requests(h, 'POST', CREATE);
    expect(creates.map((c) => c.params.upload_type ?? c.params.video_url?.slice(0, h.mediaBaseUrl.length))).toEqual(['resumable', h.mediaBaseUrl]);
    const source = h.emulator.container(r.data.container_id)!.source!;
    expect(source).toMatchObject({ via: 'video_url', sha256: sha256(video) });
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
  });
});

describe('waiting, cancellation and status', () => {
  it('cancelling the tool call stops waiting but not the post, which is followed with instagram_post_status', async () => {
    files.set('/long.mp4', makeMp4(40));
    h = await publishingHarness({ emulator: { processing: { imageMs: 0, videoMs: 40_000 } } });
    const controller = new AbortController();
    const progress: number[] = [];
    const call = h.client.callTool({ name: 'instagram_create_reel', arguments: { video: files.url('/long.mp4') } }, undefined, {
      signal: controller.signal,
      onprogress: (p) => {
        progress.push(p.progress);
        if (progress.length === 3) controller.abort('user pressed stop');
      },
    });
    await expect(call).rejects.toThrow();
    const [row] = await h.app.store.posts.listForAccount('alice', h.igUserId);
    expect(row!.state).not.toBe('failed');
    const done = await h.call('instagram_post_status', { post_id: row!.id });
    expect(done.data.state).toBe('completed');
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
  });

  it('wait_seconds bounds the wait: the call returns the post in flight, and post_status finishes it', async () => {
    files.set('/long.mp4', makeMp4(40));
    h = await publishingHarness({ emulator: { processing: { imageMs: 0, videoMs: 90_000 } } });
    const r = await h.call('instagram_create_reel', { video: files.url('/long.mp4'), wait_seconds: 20 });
    expect(r.data.state).toBe('processing');
    expect(r.data.progress).toBeGreaterThan(0);
    expect(r.data.next_step).toMatch(/instagram_post_status/);
    expect(r.data.next_step).toContain(r.data.post_id);
    const again = await h.call('instagram_post_status', { post_id: r.data.post_id, wait_seconds: 10 });
    expect(again.data.state).toBe('processing');
    expect(again.data.progress).toBeGreaterThanOrEqual(r.data.progress);
    const done = await h.call('instagram_post_status', { post_id: r.data.post_id, wait_seconds: 600 });
    expect(done.data.state).toBe('completed');
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
  });

  it('post_status refuses unknown posts and posts of other owners', async () => {
    files.set('/p.jpg', await jpeg(1000, 1000));
    h = await publishingHarness();
    const r = await h.call('instagram_create_post', { media: files.url('/p.jpg') });
    const unknown = await h.call('instagram_post_status', { post_id: 'nope' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/No post with id/);
    const bob = await h.connect({ owner: 'bob' });
    const other = await h.call('instagram_post_status', { post_id: r.data.post_id }, bob);
    expect(other.isError).toBe(true);
  });
});
