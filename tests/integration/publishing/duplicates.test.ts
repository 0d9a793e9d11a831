/** A retry without an idempotency key: the same account, media and caption within 15 minutes returns the first post. */
import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../src/clock.js';
import { jpeg, publishingHarness, PUBLISH, requests, writeMedia, type PublishingHarness } from './helpers.js';

let h: PublishingHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('duplicate content without a key', () => {
  it('returns the first post for a repeat within 15 minutes, publishes again with allow_duplicate or after the window', async () => {
    h = await publishingHarness();
    const file = writeMedia(h, 'same.jpg', await jpeg(1080, 1080));
    const first = await h.call('instagram_create_post', { media: file, caption: 'Once only' });
    expect(first.data.state).toBe('completed');

    // The client timed out and calls again: same account, same bytes (here under another name), same caption.
    const copy = writeMedia(h, 'copy-of-same.jpg', await jpeg(1080, 1080));
    const again = await h.call('instagram_create_post', { media: copy, caption: 'Once only' });
    expect(again.isError).toBe(false);
    expect(again.data.post_id).toBe(first.data.post_id);
    expect(again.data.note).toMatch(new RegExp(`Duplicate of post ${first.data.post_id}.*allow_duplicate: true`));
    expect(again.data.next_step).toMatch(/not published again.*allow_duplicate: true/);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);

    // Another caption is another post.
    const other = await h.call('instagram_create_post', { media: file, caption: 'Something else' });
    expect(other.data.post_id).not.toBe(first.data.post_id);
    expect(other.data.note).toBeUndefined();
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(2);

    // Asked for explicitly: a second post.
    const forced = await h.call('instagram_create_post', { media: file, caption: 'Once only', allow_duplicate: true });
    expect(forced.data.state).toBe('completed');
    expect(forced.data.post_id).not.toBe(first.data.post_id);
    expect(forced.data.note).toBeUndefined();
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(3);

    // After the window: a new post.
    (h.clock as VirtualClock).advance(16 * 60_000);
    const later = await h.call('instagram_create_post', { media: file, caption: 'Once only' });
    expect(later.data.state).toBe('completed');
    expect([first.data.post_id, forced.data.post_id]).not.toContain(later.data.post_id);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(4);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(4);
  });

  it('does not hold a failed post against a new try', async () => {
    h = await publishingHarness();
    const file = writeMedia(h, 'fails.jpg', await jpeg(1080, 1080));
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, sequence: [{ type: 'graph_error', code: 100, message: 'Invalid parameter' }] });
    const failed = await h.call('instagram_create_post', { media: file, caption: 'Try' });
    expect(failed.data?.state ?? 'failed').toBe('failed');
    const retry = await h.call('instagram_create_post', { media: file, caption: 'Try' });
    expect(retry.data.state).toBe('completed');
    expect(retry.data.note).toBeUndefined();
  });
});
