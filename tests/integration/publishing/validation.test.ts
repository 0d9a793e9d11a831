/**
 * Every check made before any API call: each error names the field and what to fix, and nothing
 * reaches Instagram (no container is created, no post row is written). Plus the daily quota.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFileServer, type FileServer } from '../../unit/emulator/fixtures.js';
import { writeMp4 } from '../../unit/media/mp4.js';
import { CREATE, jpeg, png, postRow, publishingHarness, requests, writeMedia, type PublishingHarness } from './helpers.js';

let h: PublishingHarness;
let files: FileServer;
const url = (name: string) => files.url(`/${name}`);

beforeAll(async () => {
  files = await startFileServer({ '/ok.jpg': await jpeg(1080, 1080) });
  h = await publishingHarness();
});
afterAll(async () => {
  await h.close();
  await files.close();
});

async function refused(tool: string, args: Record<string, unknown>, ...patterns: RegExp[]) {
  h.emulator.clearLog();
  const postsBefore = (await h.app.store.posts.listForAccount('alice', h.igUserId, 500)).length;
  const r = await h.call(tool, args);
  expect(r.isError, r.text).toBe(true);
  for (const p of patterns) expect(r.text).toMatch(p);
  expect(requests(h, 'POST', CREATE)).toHaveLength(0);
  expect(await h.app.store.posts.listForAccount('alice', h.igUserId, 500)).toHaveLength(postsBefore);
  return r;
}

describe('checks before any API call', () => {
  it('caption: length, hashtags, mentions', async () => {
    const r = await refused('instagram_create_post', { media: url('ok.jpg'), caption: 'x'.repeat(2201) }, /caption/, /2201 characters/, /at most 2200/, /Shorten it by 1/);
    expect(r.data.error.code).toBe('validation_failed');
    expect(r.data.error.details.issues[0]).toMatchObject({ field: 'caption', code: 'caption_too_long' });
    const tags = Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' ');
    await refused('instagram_create_post', { media: url('ok.jpg'), caption: tags }, /31 hashtags/, /at most 30/, /Remove 1/);
    const mentions = Array.from({ length: 21 }, (_, i) => `@user${i}`).join(' ');
    await refused('instagram_create_reel', { video: url('v.mp4'), caption: mentions }, /21 @mentions/, /at most 20/);
  });

  it('images: JPEG only, at most 8 MiB, feed ratio 4:5 to 1.91:1 — fixable ones say fix_media', async () => {
    writeMedia(h, 'pic.png', await png(1000, 1000));
    await refused('instagram_create_post', { media: 'pic.png' }, /media \(pic\.png\)/, /must be a JPEG; this is PNG/, /fix_media: 'pad' or 'crop'/);
    writeMedia(h, 'huge.jpg', Buffer.concat([await jpeg(1080, 1080), Buffer.alloc(9 * 1024 * 1024)]));
    await refused('instagram_create_post', { media: 'huge.jpg' }, /9\.\d MiB; Instagram accepts at most 8\.0 MiB/, /fix_media/);
    writeMedia(h, 'wide.jpg', await jpeg(2500, 1000));
    await refused('instagram_create_post', { media: 'wide.jpg' }, /2500x1000 \(2\.5:1\)/, /between 4:5 \(0\.8, portrait\) and 1\.91:1/, /too wide/, /pad/);
    // Stories have no ratio rule: the same file is fine there (and is published).
    const story = await h.call('instagram_create_story', { media: 'wide.jpg' });
    expect(story.data.state).toBe('completed');
  });

  it('videos: per-kind duration, size, container and layout', async () => {
    writeMp4(path.join(h.mediaDir, 'long.mp4'), { durationSec: 90, width: 1080, height: 1920, moovFirst: true });
    await refused('instagram_create_story', { media: 'long.mp4' }, /lasts 1 min 30 s/, /story video may last at most 1 min 0 s/, /split it into several stories/);
    writeMp4(path.join(h.mediaDir, 'short.mp4'), { durationSec: 2, width: 1080, height: 1920, moovFirst: true });
    await refused('instagram_create_reel', { video: 'short.mp4' }, /lasts 2 s/, /at least 3 s/);
    writeMp4(path.join(h.mediaDir, 'tail.mp4'), { durationSec: 20, width: 1080, height: 1920, moovFirst: false });
    await refused('instagram_create_reel', { video: 'tail.mp4' }, /moov atom/, /faststart/);
    writeMp4(path.join(h.mediaDir, 'big.mp4'), { durationSec: 30, width: 1080, height: 1920, moovFirst: true, sizeBytes: 101 * 1024 * 1024 });
    await refused('instagram_create_story', { media: 'big.mp4' }, /101\.0 MiB/, /at most 100\.0 MiB/);
    writeFileSync(path.join(h.mediaDir, 'clip.webm'), Buffer.from('1a45dfa3' + '00'.repeat(60), 'hex'));
    await refused('instagram_create_reel', { video: 'clip.webm' }, /clip\.webm/);
    writeMedia(h, 'still.jpg', await jpeg(1080, 1920));
    await refused('instagram_create_reel', { video: 'still.jpg' }, /must be an MP4 or MOV video, but this is an image/);
  });

  it('carousel size, collaborators, alt text, user tags, thumb_offset', async () => {
    await refused('instagram_create_post', { media: Array.from({ length: 11 }, () => url('ok.jpg')) }, /at most 10 items and has 11/, /Remove 1/);
    await refused('instagram_create_post', { media: url('ok.jpg'), collaborators: ['a', 'b', 'c', 'd'] }, /at most 3 collaborators/, /Remove 1/);
    await refused('instagram_create_post', { media: url('ok.jpg'), alt_text: 'a'.repeat(1001) }, /alt text is 1001 characters/, /at most 1000/);
    await refused('instagram_create_post', { media: [url('ok.jpg'), { source: url('ok.jpg'), alt_text: 'b'.repeat(1200) }] }, /media\[1\]\.alt_text/);
    await refused('instagram_create_post', { media: url('ok.jpg'), user_tags: [{ username: 'friend' }] }, /needs x and y/);
    await refused('instagram_create_post', { media: url('ok.jpg'), user_tags: [{ username: 'friend', x: 1.5, y: 0.2 }] }, /0\.0 to 1\.0/);
    // Videos (a single feed video is a reel) and stories take tags without a position.
    files.set('/v.mp4', (await import('../../unit/emulator/fixtures.js')).makeMp4(10));
    const video = await h.call('instagram_create_post', { media: url('v.mp4'), user_tags: [{ username: 'friend' }] });
    expect(video.data).toMatchObject({ state: 'completed', kind: 'video' });
    expect(h.emulator.container(video.data.container_id)!.params).toMatchObject({ media_type: 'REELS', user_tags: '[{"username":"friend"}]' });
    await refused('instagram_create_post', { media: [url('ok.jpg'), { source: url('ok.jpg'), user_tags: [{ username: 'friend' }] }] }, /media\[1\]\.user_tags\[0\]: tagging someone on an image needs x and y/);
    writeMp4(path.join(h.mediaDir, 'ten.mp4'), { durationSec: 10, width: 1080, height: 1920, moovFirst: true });
    await refused('instagram_create_reel', { video: 'ten.mp4', thumb_offset: 12_000 }, /thumb_offset is 12000 ms but the video lasts 10000 ms/);
  });

  it('local paths: outside the media folders, symlink escapes, folders, missing files', async () => {
    const outside = path.join(os.tmpdir(), `outside-${process.pid}.jpg`);
    writeFileSync(outside, await jpeg(100, 100));
    await refused('instagram_create_post', { media: outside }, /outside the folders this server may read/, /INSTAGRAM_MCP_MEDIA_DIRS/);
    symlinkSync(outside, path.join(h.mediaDir, 'escape.jpg'));
    await refused('instagram_create_post', { media: 'escape.jpg' }, /link to a file outside the media folders/, /Copy the file itself/);
    mkdirSync(path.join(h.mediaDir, 'folder.jpg'));
    await refused('instagram_create_post', { media: 'folder.jpg' }, /is a folder, not a file/);
    await refused('instagram_create_post', { media: 'nope.jpg' }, /No such file in the media folders/);
  });

  it('media references: unknown ids, bad URLs; several problems are listed together', async () => {
    await refused('instagram_create_post', { media: '0123456789abcdef0123456789abcdef' }, /no media with reference id/, /instagram_upload_media/);
    await refused('instagram_create_post', { media: 'ftp://example.com/a.jpg' }, /only http\(s\) URLs can be given to Instagram \(got ftp:\)/);
    const r = await refused('instagram_create_post', { media: [url('ok.jpg'), 'pic.png'], caption: 'y'.repeat(2300), collaborators: ['a', 'b', 'c', 'd'] }, /3 problems/);
    expect(r.data.error.details.issues.map((i: { field: string }) => i.field).sort()).toEqual(['caption', 'collaborators', 'media[1]']);
  });

  it('a local image without a public URL configured explains the choices', async () => {
    writeMedia(h, 'fine.jpg', await jpeg(1080, 1080));
    h.app.mediaHost.setPublicBaseUrl(undefined);
    try {
      await refused('instagram_create_post', { media: 'fine.jpg' }, /INSTAGRAM_MCP_PUBLIC_URL/, /reverse proxy|tunnel/, /public https URL/);
    } finally {
      h.app.mediaHost.setPublicBaseUrl(h.mediaBaseUrl);
    }
  });

  it('URLs are not fetched by the server: an extension says little, and media_type overrides it', async () => {
    files.set('/photo', await jpeg(1080, 1080));
    const r = await h.call('instagram_create_post', { media: { source: url('photo'), media_type: 'image' } });
    expect(r.data.state).toBe('completed');
    // Instagram's verdict on a URL comes back with its meaning.
    files.set('/wide.jpg', await jpeg(2500, 1000));
    const bad = await h.call('instagram_create_post', { media: url('wide.jpg') });
    expect(bad.isError).toBe(false);
    expect(bad.data.state).toBe('failed');
    expect(bad.data.error).toMatchObject({ code: 36003, subcode: 2207009 });
    expect(bad.data.error.meaning).toMatch(/aspect ratio/);
    expect(await postRow(h, bad.data.post_id)).toMatchObject({ state: 'failed', errorCode: 36003, errorSubcode: 2207009 });
  });
});

describe('publishing quota', () => {
  it('refuses at once when the quota is used up, saying when a slot frees (nothing published)', async () => {
    const q = await publishingHarness({ emulator: { quotaTotal: 1 } });
    try {
      const fs = await startFileServer({ '/a.jpg': await jpeg(1080, 1080) });
      const first = await q.call('instagram_create_post', { media: fs.url('/a.jpg') });
      expect(first.data.state).toBe('completed');
      const limit = await q.call('instagram_get_publishing_limit', {});
      expect(limit.data).toMatchObject({ quota_usage: 1, quota_total: 1, remaining: 0, quota_duration_seconds: 86400 });
      expect(Date.parse(limit.data.frees_at)).toBe(Date.parse(first.data.published_at) + 86_400_000);

      q.emulator.clearLog();
      const second = await q.call('instagram_create_post', { media: fs.url('/a.jpg'), allow_duplicate: true });
      expect(second.isError).toBe(true);
      expect(second.data.error.code).toBe('quota_exhausted');
      expect(second.text).toMatch(/1 of 1 posts in the last 24 hours/);
      expect(second.text).toContain(new Date(Date.parse(first.data.published_at) + 86_400_000).toISOString());
      // The quota is read while containers are created (they are harmless unpublished); nothing is published.
      expect(requests(q, 'POST', /media_publish$/)).toHaveLength(0);
      expect(q.emulator.publishedMedia(q.igUserId)).toHaveLength(1);
      const failed = (await q.app.store.posts.listForAccount('alice', q.igUserId)).find((p) => p.state === 'failed');
      expect(failed?.errorMessage).toMatch(/quota/);
      await fs.close();
    } finally {
      await q.close();
    }
  });

  it('fails the post cleanly when media_publish refuses it for the quota (used up while processing)', async () => {
    const q = await publishingHarness({ emulator: { processing: { imageMs: 0, videoMs: 120_000 } } });
    try {
      const fs = await startFileServer({ '/r.mp4': (await import('../../unit/emulator/fixtures.js')).makeMp4(20) });
      const reads = q.emulator.hold({ method: 'GET', path: /^\/178\d+$/ });
      const started = await q.call('instagram_create_reel', { video: fs.url('/r.mp4'), wait_seconds: 0 });
      await reads.waitForRequest(); // the job is parked on its first status read
      expect(started.data.state).not.toBe('completed');
      q.emulator.setQuotaTotal(0);
      reads.release();
      const done = await q.call('instagram_post_status', { post_id: started.data.post_id, wait_seconds: 600 });
      expect(done.data.state).toBe('failed');
      expect(done.data.error.code).toBe('quota_exhausted');
      expect(done.data.next_step).toMatch(/Not published/);
      // Instagram enforces the quota at media_publish (9/2207042): one refused attempt, nothing live.
      expect(requests(q, 'POST', /media_publish$/)).toHaveLength(1);
      expect(q.emulator.publishedMedia()).toHaveLength(0);
      await fs.close();
    } finally {
      await q.close();
    }
  });
});
