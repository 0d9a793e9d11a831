/**
 * Scheduled publishing through the MCP client against the emulator, on the virtual clock: a post goes
 * out at its time exactly once; cancel, reschedule, missed times, quota, two processes.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeMp4 } from '../../unit/media/mp4.js';
import type { VirtualClock } from '../../../src/clock.js';
import { CREATE, jpeg, publishingHarness, PUBLISH, requests, restartApp, writeMedia, type PublishingHarness, type Restarted } from '../publishing/helpers.js';

let h: PublishingHarness | undefined;
let others: Restarted[] = [];
afterEach(async () => {
  for (const o of others) await o.close();
  others = [];
  await h?.close();
  h = undefined;
});

const HOUR = 60 * 60 * 1000;
const MIN = 60 * 1000;

async function turns(n = 50): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function until(check: () => boolean | Promise<boolean>, what: string, max = 20_000): Promise<void> {
  for (let i = 0; i < max && !(await check()); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  if (!(await check())) throw new Error(`not reached: ${what}`);
}

/** Moves the virtual clock in steps of `step`, letting the server work between steps. */
async function advance(clock: VirtualClock, ms: number, step = 30_000): Promise<void> {
  const end = clock.now() + ms;
  while (clock.now() < end) {
    clock.advance(Math.min(step, end - clock.now()));
    await turns();
  }
}

/** Moves the clock in small steps until `check` holds (at most `maxMs`). */
async function advanceUntil(clock: VirtualClock, check: () => boolean | Promise<boolean>, what: string, maxMs = HOUR, step = 1000): Promise<void> {
  const end = clock.now() + maxMs;
  while (!(await check()) && clock.now() < end) {
    clock.advance(step);
    await turns(20);
  }
  await until(check, what);
}

async function scheduled(hh: PublishingHarness, name: string, publishAt: number, extra: Record<string, unknown> = {}) {
  const file = writeMedia(hh, name, await jpeg(1080, 1080, `#${(name.length * 123456).toString(16).slice(0, 6).padEnd(6, '0')}`));
  return hh.call('instagram_create_post', { media: file, caption: `Scheduled ${name}`, publish_at: new Date(publishAt).toISOString(), ...extra });
}

describe('scheduled posts', () => {
  it('publishes at its time, exactly once, with its containers made ahead', async () => {
    h = await publishingHarness();
    h.app.startBackground();
    const clock = h.clock as VirtualClock;
    const publishAt = clock.now() + HOUR;
    const out = await scheduled(h, 'on-time.jpg', publishAt);
    expect(out.isError, out.text).toBe(false);
    expect(out.data.state).toBe('scheduled');
    expect(out.data.publish_at).toBe(new Date(publishAt).toISOString());
    expect(out.data.next_step).toMatch(/Scheduled for/);
    const postId = out.data.post_id as string;

    const cal = await h.call('instagram_list_scheduled', {});
    expect(cal.isError, cal.text).toBe(false);
    expect(cal.data.total).toBe(1);

    // Nothing goes to Instagram until shortly before its time.
    await advance(clock, 50 * MIN);
    expect(requests(h, 'POST', CREATE)).toHaveLength(0);
    await advance(clock, 6 * MIN);
    await until(async () => (await h!.app.store.posts.getById(postId))!.state === 'ready' || (await h!.app.store.posts.getById(postId))!.state === 'completed', 'containers made ahead');
    expect(requests(h, 'POST', CREATE)).toHaveLength(1);
    await advanceUntil(clock, async () => (await h!.app.store.posts.getById(postId))!.state === 'completed', 'published');
    const live = h.emulator.publishedMedia(h.igUserId);
    expect(live).toHaveLength(1);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(live[0]!.timestamp - publishAt).toBeGreaterThanOrEqual(0);
    expect(live[0]!.timestamp - publishAt).toBeLessThanOrEqual(2000);

    const status = await h.call('instagram_post_status', { post_id: postId });
    expect(status.data.state).toBe('completed');
    expect(status.data.permalink).toBeTruthy();
  });

  it('cancels before and after its container exists: nothing is published', async () => {
    h = await publishingHarness();
    h.app.startBackground();
    const clock = h.clock as VirtualClock;
    const early = await scheduled(h, 'cancel-early.jpg', clock.now() + 2 * HOUR);
    const late = await scheduled(h, 'cancel-late.jpg', clock.now() + 2 * HOUR + 2 * MIN);
    const cancelledEarly = await h.call('instagram_cancel_post', { post_id: early.data.post_id });
    expect(cancelledEarly.isError, cancelledEarly.text).toBe(false);
    expect(cancelledEarly.data.state).toBe('cancelled');

    await advance(clock, 2 * HOUR - 3 * MIN);
    const lateId = late.data.post_id as string;
    await until(async () => (await h!.app.store.posts.getById(lateId))!.state === 'ready', 'second post processed ahead');
    expect(requests(h, 'POST', CREATE)).toHaveLength(1);
    const cancelledLate = await h.call('instagram_cancel_post', { post_id: lateId });
    expect(cancelledLate.data.state).toBe('cancelled');
    await advance(clock, 30 * MIN);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(0);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(0);

    const again = await h.call('instagram_cancel_post', { post_id: lateId });
    expect(again.data.state).toBe('cancelled');
  });

  it('a live post cannot be cancelled or rescheduled, with a clear error', async () => {
    h = await publishingHarness();
    const file = writeMedia(h, 'now.jpg', await jpeg(1080, 1080));
    const now = await h.call('instagram_create_post', { media: file, caption: 'Now' });
    expect(now.data.state).toBe('completed');
    const cancel = await h.call('instagram_cancel_post', { post_id: now.data.post_id });
    expect(cancel.isError).toBe(true);
    expect(cancel.text).toMatch(/already live/);
    const move = await h.call('instagram_reschedule_post', { post_id: now.data.post_id, publish_at: new Date(h.clock.now() + HOUR).toISOString() });
    expect(move.isError).toBe(true);
  });

  it('reschedules to a later time and publishes then', async () => {
    h = await publishingHarness();
    h.app.startBackground();
    const clock = h.clock as VirtualClock;
    const first = await scheduled(h, 'move.jpg', clock.now() + HOUR);
    const newTime = clock.now() + 3 * HOUR;
    const moved = await h.call('instagram_reschedule_post', { post_id: first.data.post_id, publish_at: new Date(newTime).toISOString() });
    expect(moved.isError, moved.text).toBe(false);
    expect(moved.data.publish_at).toBe(new Date(newTime).toISOString());
    await advance(clock, 2 * HOUR);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(0);
    await advance(clock, 50 * MIN);
    await advanceUntil(clock, async () => (await h!.app.store.posts.getById(first.data.post_id as string))!.state === 'completed', 'published at the new time');
    expect(h.emulator.publishedMedia(h.igUserId)[0]!.timestamp - newTime).toBeLessThanOrEqual(2000);
  });

  it('a reel whose container would expire before its new time gets a new one', async () => {
    h = await publishingHarness();
    h.app.startBackground();
    const clock = h.clock as VirtualClock;
    const video = path.join(h.mediaDir, 'expire.mp4');
    writeMp4(video, { durationSec: 8, width: 1080, height: 1920, moovFirst: true, sizeBytes: 512 * 1024 });
    const post = await h.call('instagram_create_reel', { video, caption: 'Reel later', publish_at: new Date(clock.now() + 50 * MIN).toISOString() });
    expect(post.isError, post.text).toBe(false);
    const id = post.data.post_id as string;
    await advanceUntil(clock, async () => (await h!.app.store.posts.getById(id))!.state === 'ready', 'processed ahead', HOUR, 5000);
    const oldContainer = (await h.app.store.posts.getById(id))!.containerId;
    expect(oldContainer).toBeTruthy();
    const moved = await h.call('instagram_reschedule_post', { post_id: id, publish_at: new Date(clock.now() + 30 * HOUR).toISOString() });
    expect(moved.isError, moved.text).toBe(false);
    await advance(clock, 30 * HOUR - 10 * MIN, 5 * MIN);
    await advanceUntil(clock, async () => (await h!.app.store.posts.getById(id))!.state === 'completed', 'published', HOUR, 5000);
    const row = (await h.app.store.posts.getById(id))!;
    expect(row.containerId).not.toBe(oldContainer);
    expect(requests(h, 'POST', CREATE)).toHaveLength(2);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
  });

  it('refuses a time whose 24-hour window is full, naming the next time with room; when_quota_allows waits', async () => {
    h = await publishingHarness();
    h.emulator.setQuotaTotal(2);
    const clock = h.clock as VirtualClock;
    const t = clock.now() + HOUR;
    expect((await scheduled(h, 'q1.jpg', t)).isError).toBe(false);
    expect((await scheduled(h, 'q2.jpg', t + MIN)).isError).toBe(false);
    const refused = await scheduled(h, 'q3.jpg', t + 2 * MIN);
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/no room/);
    expect(refused.data.error?.details).toMatchObject({ next_free_at: new Date(t + 24 * HOUR + 1).toISOString() });
    const accepted = await scheduled(h, 'q4.jpg', t + 2 * MIN, { when_quota_allows: true });
    expect(accepted.isError, accepted.text).toBe(false);
    expect(accepted.data.state).toBe('scheduled');

    // The first two go out at their time; the third waits for a slot, past its grace window, and goes once one frees.
    h.app.startBackground();
    const waiting = accepted.data.post_id as string;
    await advance(clock, HOUR + 10 * MIN, 30_000);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(2);
    expect((await h.app.store.posts.getById(waiting))!.state).toBe('ready');
    expect((await h.app.store.posts.getById(waiting))!.runtime.note).toMatch(/Waiting for quota room/);
    await advance(clock, 23 * HOUR, 10 * MIN);
    await advanceUntil(clock, async () => (await h!.app.store.posts.getById(waiting))!.state === 'completed', 'published once a slot freed', 2 * HOUR, 10_000);
    const third = h.emulator.publishedMedia(h.igUserId).find((m) => m.caption === 'Scheduled q4.jpg')!;
    expect(third.timestamp).toBeGreaterThanOrEqual(t + 24 * HOUR);
    expect(requests(h, 'POST', PUBLISH).length).toBe(3);
  });

  it('after downtime across publish_at: publishes inside the grace window and says how late; skips outside it', async () => {
    h = await publishingHarness();
    const clock = h.clock as VirtualClock;
    const inside = await scheduled(h, 'inside.jpg', clock.now() + HOUR);
    const outside = await scheduled(h, 'outside.jpg', clock.now() + HOUR, { grace_minutes: 30 });
    await h.app.close();
    clock.advance(3 * HOUR); // no process at all for two hours across publish_at
    const restarted = await restartApp(h, { stopFirst: false });
    others.push(restarted);
    restarted.app.startBackground();
    await advance(clock, MIN, 5000);
    const states = async () => Promise.all([inside, outside].map(async (p) => (await restarted.app.store.posts.getById(p.data.post_id as string))!.state));
    await until(async () => {
      const now = await states();
      return ['completed', 'skipped'].every((s) => now.includes(s as (typeof now)[number]));
    }, 'decided');
    const published = await restarted.call('instagram_post_status', { post_id: inside.data.post_id });
    expect(published.data.state).toBe('completed');
    expect(published.data.next_step).toMatch(/after its publish_at/);
    const skipped = await restarted.call('instagram_post_status', { post_id: outside.data.post_id });
    expect(skipped.data.state).toBe('skipped');
    expect(skipped.data.next_step).toMatch(/Skipped/);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
  });

  it('two running server processes publish a scheduled post once', async () => {
    h = await publishingHarness();
    const clock = h.clock as VirtualClock;
    const second = await restartApp(h, { stopFirst: false });
    others.push(second);
    h.app.startBackground();
    second.app.startBackground();
    const post = await scheduled(h, 'twice.jpg', clock.now() + HOUR);
    await advance(clock, 56 * MIN);
    await advanceUntil(clock, async () => (await h!.app.store.posts.getById(post.data.post_id as string))!.state === 'completed', 'published');
    await advance(clock, 10 * MIN);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
  });

  it('takes publish_at as an instant across a daylight-saving change and lists it in local time', async () => {
    h = await publishingHarness();
    const clock = h.clock as VirtualClock;
    clock.set(Date.parse('2027-03-27T12:00:00Z'));
    // Europe/Berlin moves to CEST (UTC+2) at 2027-03-28T01:00Z.
    const out = await scheduled(h, 'dst.jpg', Date.parse('2027-03-28T09:30:00+02:00'));
    expect(out.data.publish_at).toBe('2027-03-28T07:30:00.000Z');
    const cal = await h.call('instagram_list_scheduled', { time_zone: 'Europe/Berlin', days: 3 });
    const day = (cal.data.days as Array<{ date: string; posts: Array<{ local_time: string; publish_at: string }> }>)[0]!;
    expect(day.date).toBe('2027-03-28');
    expect(day.posts[0]!.local_time).toBe('09:30');
    expect(day.posts[0]!.publish_at).toBe('2027-03-28T09:30:00+02:00');
    const bad = await h.call('instagram_list_scheduled', { time_zone: 'Mars/Olympus' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/IANA/);
  });

  it('refuses a time without an offset, in the past, or grace without a time', async () => {
    h = await publishingHarness();
    const file = writeMedia(h, 'bad.jpg', await jpeg(1080, 1080));
    const noOffset = await h.call('instagram_create_post', { media: file, publish_at: '2030-01-01T09:00:00' });
    expect(noOffset.isError).toBe(true);
    expect(noOffset.text).toMatch(/offset/);
    const past = await h.call('instagram_create_post', { media: file, publish_at: new Date(h.clock.now() - HOUR).toISOString() });
    expect(past.isError).toBe(true);
    expect(past.text).toMatch(/in the past/);
    const graceOnly = await h.call('instagram_create_post', { media: file, grace_minutes: 10 });
    expect(graceOnly.isError).toBe(true);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(0);
  });
});
