/** Insights kept before Instagram drops them: a story's captured in its last hour and answered after it expired. */
import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../src/clock.js';
import { jpeg, publishingHarness, writeMedia, type PublishingHarness } from '../publishing/helpers.js';

let h: PublishingHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HOUR = 60 * 60 * 1000;

/** Moves the clock in steps, letting every job that came due finish before the next step. */
async function advance(clock: VirtualClock, ms: number, step = 5 * 60 * 1000): Promise<void> {
  const end = clock.now() + ms;
  while (clock.now() < end) {
    clock.advance(Math.min(step, end - clock.now()));
    await h!.app.jobs.idle();
  }
}

describe('insights history', () => {
  it("captures a story's insights before it expires and answers from them after", async () => {
    h = await publishingHarness();
    h.app.startBackground();
    const clock = h.clock as VirtualClock;
    const story = await h.call('instagram_create_story', { media: writeMedia(h, 'story.jpg', await jpeg(1080, 1920)) });
    expect(story.data.state, story.text).toBe('completed');
    const postId = story.data.post_id as string;
    const mediaId = story.data.media_id as string;

    await advance(clock, 22 * HOUR, 30 * 60 * 1000);
    expect(await h.app.store.insightSnapshots.list('alice', mediaId)).toHaveLength(0);
    await advance(clock, 90 * 60 * 1000);
    const kept = await h.app.store.insightSnapshots.list('alice', mediaId);
    expect(kept.map((k) => k.label)).toEqual(['before_expiry']);

    // While live, Instagram answers; what it answered just before expiry is what was kept.
    const live = await h.call('instagram_get_insights', { media_id: postId, metrics: ['reach'] });
    expect(live.isError, live.text).toBe(false);
    const liveReach = (live.data.rows as Array<{ metric: string; value: number }>).find((r) => r.metric === 'reach')!.value;
    expect(liveReach).toBeGreaterThanOrEqual(5);

    await advance(clock, 2 * HOUR);
    const gone = await h.call('instagram_get_insights', { media_id: postId, metrics: ['reach'] });
    expect(gone.isError, gone.text).toBe(false);
    const rows = gone.data.rows as Array<{ metric: string; value: number }>;
    expect(rows.map((r) => r.metric)).toEqual(['reach']);
    expect(rows[0]!.value).toBe((kept[0]!.rows as Array<{ metric: string; value: number }>).find((r) => r.metric === 'reach')!.value);
    expect((gone.data.notes as string[]).join(' ')).toMatch(/kept by this server/);
  });

  it("keeps a post's insights at 1 h, 24 h and 7 days", async () => {
    h = await publishingHarness();
    h.app.startBackground();
    const clock = h.clock as VirtualClock;
    const post = await h.call('instagram_create_post', { media: writeMedia(h, 'week.jpg', await jpeg(1080, 1080)), caption: 'A week of growth' });
    expect(post.data.state, post.text).toBe('completed');
    await advance(clock, 7 * 24 * HOUR + HOUR, HOUR / 2);
    const kept = await h.app.store.insightSnapshots.list('alice', post.data.media_id as string);
    expect(kept.map((k) => k.label)).toEqual(['1h', '24h', '7d']);

    // The post's first week, as the client sees it.
    const read = await h.call('instagram_get_insights', { media_id: post.data.post_id, metrics: ['reach'] });
    expect(read.isError, read.text).toBe(false);
    const history = read.data.history as Array<{ label: string; captured_at: string; rows: Array<{ metric: string; value: number }> }>;
    expect(history.map((s) => s.label)).toEqual(['1h', '24h', '7d']);
    expect(history.every((s) => s.rows.length === 1 && s.rows[0]!.metric === 'reach')).toBe(true);
  });
});
