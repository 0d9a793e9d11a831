/** A post whose process died mid-flight is taken over by a server that is still running, not only at start-up. */
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../src/clock.js';
import { CREATE, jpeg, publishingHarness, PUBLISH, requests, restartApp, writeMedia, type PublishingHarness, type Restarted } from './helpers.js';

let h: PublishingHarness | undefined;
let running: Restarted | undefined;
afterEach(async () => {
  await running?.close();
  await h?.close();
  running = undefined;
  h = undefined;
});

async function until(check: () => boolean | Promise<boolean>, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns && !(await check()); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  if (!(await check())) throw new Error(`condition not met within ${turns} event-loop turns`);
}

describe('orphaned posts', () => {
  it('a running server completes a post left mid-flight by a process that died, once its lease expires', async () => {
    h = await publishingHarness();
    const file = writeMedia(h, 'orphan.jpg', await jpeg(1080, 1080));

    // The server that is still running: started (background work included) before the post is orphaned.
    running = await restartApp(h, { stopFirst: false });
    running.app.startBackground();

    // Another server starts the post and dies while creating the container (killed: its lease stays).
    const hold = h.emulator.hold({ method: 'POST', path: CREATE });
    const started = await h.call('instagram_create_post', { media: file, caption: 'Orphan', wait_seconds: 0 });
    const postId = started.data.post_id as string;
    await hold.waitForRequest();
    await h.app.close();
    hold.release();
    const clock = h.clock as VirtualClock;
    await running.app.store.posts.acquireLease(postId, `${process.pid}@${os.hostname()}#killed`, clock.now() + 2 * 60_000, () => true);
    expect((await running.app.store.posts.getById(postId))!.state).toBe('creating_container');

    // Time passes past the lease and the sweep: nobody calls the post, nobody restarts.
    clock.advance(3 * 60_000);
    await until(async () => (await running!.app.store.posts.getById(postId))!.state === 'completed');
    const row = (await running.app.store.posts.getById(postId))!;
    expect(row.mediaId).toBe(h.emulator.publishedMedia(h.igUserId)[0]!.id);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
  });
});
