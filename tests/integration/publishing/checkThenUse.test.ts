/**
 * Check-then-use (issue #12, item 6): a file checked inside the media folder and then swapped — for a
 * link to a file outside the folders, or for other bytes — is never what reaches Instagram. A reference
 * id pins the file it was registered for and refuses a changed one; a video swapped between its check
 * and its upload is refused by the upload, which reads only the file it checked.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeMp4 } from '../../unit/media/mp4.js';
import { CREATE, jpeg, postRow, PUBLISH, publishingHarness, requests, sha256, writeMedia, type PublishingHarness } from './helpers.js';

let h: PublishingHarness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder outside the media folders, holding what the server must never send. */
function outsideDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-outside-'));
  dirs.push(dir);
  return dir;
}

function nothingPublished(harness: PublishingHarness): void {
  expect(requests(harness, 'POST', CREATE)).toHaveLength(0);
  expect(requests(harness, 'POST', PUBLISH)).toHaveLength(0);
  expect(harness.emulator.publishedMedia(harness.igUserId)).toHaveLength(0);
}

describe('a reference id pins the file it was registered for', () => {
  it('refuses a photo swapped for a link to a photo outside the folders, and publishes nothing', async () => {
    h = await publishingHarness();
    const file = writeMedia(h, 'a.jpg', await jpeg(1080, 1080));
    const registered = await h.call('instagram_upload_media', { source: 'a.jpg' });
    expect(registered.isError, registered.text).toBe(false);
    const ref = registered.data.reference_id as string;

    const outside = path.join(outsideDir(), 'private.jpg');
    writeFileSync(outside, await jpeg(1080, 1080, '#ff0000'));
    rmSync(file);
    symlinkSync(outside, file);

    const r = await h.call('instagram_create_post', { media: ref, caption: 'Not this one', wait_seconds: 120 });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/changed or replaced since it was registered/);
    expect(r.text).toMatch(/register the file again/i);
    nothingPublished(h);
    expect(await h.app.store.posts.listForAccount('alice', h.igUserId, 10)).toHaveLength(0);
  });

  it('refuses a photo replaced by a different file at the same path', async () => {
    h = await publishingHarness();
    const file = writeMedia(h, 'b.jpg', await jpeg(1080, 1080));
    const ref = (await h.call('instagram_upload_media', { source: 'b.jpg' })).data.reference_id as string;
    rmSync(file);
    writeFileSync(file, await jpeg(1080, 1350, '#00ff00'));

    const r = await h.call('instagram_create_post', { media: ref, wait_seconds: 120 });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/changed or replaced since it was registered/);
    nothingPublished(h);

    // Registered again, the new file publishes.
    const again = await h.call('instagram_upload_media', { source: 'b.jpg' });
    const ok = await h.call('instagram_create_post', { media: again.data.reference_id, wait_seconds: 120 });
    expect(ok.isError, ok.text).toBe(false);
    expect(ok.data.state).toBe('completed');
  });
});

describe('the upload sends only the file that was checked', () => {
  it('a registered video swapped for a same-size secret before the upload never sends the secret', async () => {
    h = await publishingHarness();
    const file = path.join(h.mediaDir, 'v.mp4');
    writeMp4(file, { durationSec: 10, width: 1080, height: 1920, moovFirst: true, sizeBytes: 256 * 1024 });
    const ref = (await h.call('instagram_upload_media', { source: 'v.mp4' })).data.reference_id as string;
    const secret = randomBytes(statSync(file).size);
    const secretFile = path.join(outsideDir(), 'secret.bin');
    writeFileSync(secretFile, secret);

    // Parked in container creation: the video was checked, its upload not begun.
    const hold = h.emulator.hold({ method: 'POST', path: CREATE });
    const started = await h.call('instagram_create_reel', { video: ref, wait_seconds: 0 });
    expect(started.isError, started.text).toBe(false);
    const postId = started.data.post_id as string;
    await hold.waitForRequest();
    rmSync(file);
    symlinkSync(secretFile, file);
    hold.release();

    const done = await h.call('instagram_post_status', { post_id: postId });
    expect(done.data.state).toBe('failed');
    expect((await postRow(h, postId)).errorMessage).toMatch(/changed or replaced/);
    for (const c of h.emulator.containers(h.igUserId)) {
      expect(c.source?.sha256).not.toBe(sha256(secret));
      expect(c.upload?.bytesReceived ?? 0).toBe(0);
    }
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(0);
  });
});
