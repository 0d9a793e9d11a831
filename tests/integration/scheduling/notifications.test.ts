/** A connected client hears when a scheduled post goes live: its resource is updated and a log message says so. */
import { afterEach, describe, expect, it } from 'vitest';
import { LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { VirtualClock } from '../../../src/clock.js';
import { jpeg, publishingHarness, writeMedia, type PublishingHarness } from '../publishing/helpers.js';

let h: PublishingHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('scheduled post notifications', () => {
  it('tells subscribers when the post goes live, and no other owner', async () => {
    h = await publishingHarness();
    h.app.startBackground();
    const clock = h.clock as VirtualClock;
    const updated: string[] = [];
    const logged: string[] = [];
    h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
    h.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logged.push(JSON.stringify(n.params.data)));
    const other = await h.connect({ owner: 'mallory' });
    const otherHeard: string[] = [];
    other.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void otherHeard.push(n.params.uri));
    other.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void otherHeard.push(JSON.stringify(n.params.data)));
    await other.setLoggingLevel('info');

    const publishAt = clock.now() + 10 * 60 * 1000;
    const out = await h.call('instagram_create_post', { media: writeMedia(h, 'n.jpg', await jpeg(1080, 1080)), caption: 'Heard', publish_at: new Date(publishAt).toISOString() });
    const uri = `instagram://posts/${out.data.post_id as string}`;
    await h.client.subscribeResource({ uri });
    await other.subscribeResource({ uri });
    await h.client.setLoggingLevel('info');

    const end = publishAt + 60_000;
    while ((await h.app.store.posts.getById(out.data.post_id as string))!.state !== 'completed' && clock.now() < end) {
      clock.advance(1000);
      await h.app.jobs.idle();
      for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect((await h.app.store.posts.getById(out.data.post_id as string))!.state).toBe('completed');
    for (let i = 0; i < 200 && !updated.length; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(updated).toEqual([uri]);
    expect(logged.some((l) => l.includes('is live') && l.includes(out.data.post_id as string))).toBe(true);
    expect(otherHeard).toEqual([]);
  });
});
