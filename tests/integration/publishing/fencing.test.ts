/**
 * Lease fencing between two server processes on one data directory: a process paused past its lease
 * (here: held by the emulator while creating the container) that resumes after another took the post
 * over neither publishes again nor overwrites the other's row.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../src/clock.js';
import { CREATE, jpeg, postRow, publishingHarness, PUBLISH, requests, restartApp, writeMedia, type PublishingHarness, type Restarted } from './helpers.js';

let h: PublishingHarness | undefined;
let other: Restarted | undefined;
afterEach(async () => {
  await other?.close();
  await h?.close();
  other = undefined;
  h = undefined;
});

/** Matches only the first container creation (the emulator holds every request its matcher matches). */
function firstCreateOnly(): RegExp {
  const re = new RegExp(CREATE.source);
  let seen = false;
  re.test = (path: string) => {
    if (seen || !CREATE.test(path)) return false;
    seen = true;
    return true;
  };
  return re;
}

describe('lease fencing', () => {
  it('a process that lost its lease while creating the container does not publish again nor overwrite the new holder’s row', async () => {
    h = await publishingHarness();
    const file = writeMedia(h, 'fenced.jpg', await jpeg(1080, 1080));
    const hold = h.emulator.hold({ method: 'POST', path: firstCreateOnly() });
    const started = await h.call('instagram_create_post', { media: file, caption: 'Fenced', wait_seconds: 0 });
    const postId = started.data.post_id as string;
    await hold.waitForRequest(); // App A is paused inside container creation…

    (h.clock as VirtualClock).advance(3 * 60_000); // …past its lease (2 min)
    other = await restartApp(h, { stopFirst: false }); // App B, same data dir, emulator and clock
    await other.app.publisher.resumeInFlight();
    const done = await other.call('instagram_post_status', { post_id: postId });
    expect(done.data).toMatchObject({ state: 'completed' });
    const bContainer = done.data.container_id as string;
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);

    // A resumes with its old view: its container comes back, after B published.
    hold.release();
    const seenByA = await h.call('instagram_post_status', { post_id: postId }); // waits for A's job to end
    expect(seenByA.data.state).toBe('completed');
    expect(requests(h, 'POST', CREATE)).toHaveLength(2);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);

    const row = await postRow(h, postId);
    expect(row).toMatchObject({ state: 'completed', containerId: bContainer, mediaId: done.data.media_id });
    expect(Object.keys(row.runtime.containers ?? {})).toEqual([bContainer]);
  });
});
