/**
 * Never publish twice, never report a live post as failed: transient faults at every step, a lost
 * media_publish answer, restarts in every state, two server processes on one data directory, and
 * idempotency keys.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeMp4, startFileServer, type FileServer } from '../../unit/emulator/fixtures.js';
import { writeMp4 } from '../../unit/media/mp4.js';
import { CONTAINER_READ, CREATE, jpeg, postRow, PUBLISH, publishingHarness, requests, restartApp, type PublishingHarness, type Restarted } from './helpers.js';

let h: PublishingHarness;
let files: FileServer;
let restarted: Restarted | undefined;

beforeEach(async () => {
  files = await startFileServer({ '/a.jpg': await jpeg(1080, 1080), '/b.jpg': await jpeg(1080, 1080, '#ff8800'), '/r.mp4': makeMp4(20) });
});
afterEach(async () => {
  await restarted?.close();
  restarted = undefined;
  await h?.close();
  await files.close();
});

/**
 * Waits for `cond` over event-loop turns, bounded by count: only for what the emulator announces by no
 * event (a released request applied after its client went away); that takes a few turns on any machine.
 */
const afterTurns = async (cond: () => boolean) => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
  expect(cond()).toBe(true);
};

describe('faults', () => {
  it('transient faults at every step still end in exactly one published post', async () => {
    h = await publishingHarness({ emulator: { notFoundAfterCreateRate: 1, processing: { imageMs: 0, videoMs: 8000 } } });
    writeMp4(`${h.mediaDir}/clip.mp4`, { durationSec: 12, width: 1080, height: 1920, moovFirst: true, sizeBytes: 2_000_000 });
    const transient = (code: number) => ({ type: 'graph_error' as const, code, isTransient: true, message: 'An unexpected error has occurred. Please retry your request later.' });
    h.emulator.injectFaults({ method: 'GET', path: /content_publishing_limit$/, sequence: [{ type: 'http_5xx', status: 503 }, 'none', transient(2)] });
    h.emulator.injectFaults({ method: 'POST', path: CREATE, sequence: [transient(2), 'none', { type: 'http_5xx' }, 'none', 'none', transient(1)] });
    h.emulator.injectFaults({ hostRole: 'rupload', sequence: [{ type: 'drop_connection' }] });
    h.emulator.injectFaults({ method: 'GET', path: /^\/178\d+$/, sequence: ['none', transient(1), 'none', 'none', { type: 'http_5xx' }] });
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, sequence: [{ type: 'http_5xx' }, { type: 'drop_connection' }] });
    h.emulator.injectFaults({ method: 'GET', path: /^\/179\d+$/, sequence: [transient(1)] });

    const r = await h.call('instagram_create_post', { media: [files.url('/a.jpg'), 'clip.mp4', files.url('/b.jpg')], caption: 'Through the storm' });

    expect(r.isError).toBe(false);
    expect(r.data.state).toBe('completed');
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
    expect(h.emulator.publishedMedia(h.igUserId)[0]).toMatchObject({ id: r.data.media_id, mediaType: 'CAROUSEL_ALBUM', caption: 'Through the storm' });
    const publishes = requests(h, 'POST', PUBLISH);
    expect(publishes.map((p) => p.fault ?? 'ok')).toEqual(['http_5xx', 'drop_connection', 'ok']);
    expect(r.data.attempts).toBe(3);
    expect(requests(h, 'POST', /ig-api-upload/).length).toBeGreaterThanOrEqual(2);
    expect(h.emulator.requestLog().filter((q) => q.fault).length).toBeGreaterThanOrEqual(8);
    expect(r.data.permalink).toBe(h.emulator.publishedMedia(h.igUserId)[0]!.permalink);
  });

  it('a lost media_publish answer (applied by Instagram) is reported as published with its permalink, never republished', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, sequence: [{ type: 'lost_response' }] });
    const r = await h.call('instagram_create_post', { media: files.url('/a.jpg'), caption: 'Lost in transit' });

    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ state: 'completed', error: null });
    const [media] = h.emulator.publishedMedia(h.igUserId);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
    expect(r.data.media_id).toBe(media!.id);
    expect(r.data.permalink).toBe(media!.permalink);
    const publishes = requests(h, 'POST', PUBLISH);
    expect(publishes).toHaveLength(1);
    expect(publishes[0]!.fault).toBe('lost_response');
    expect(await postRow(h, r.data.post_id)).toMatchObject({ state: 'completed', mediaId: media!.id, errorMessage: null });
  });

  it('recovers the right media for a story and for a caption-less carousel whose answer was lost', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, kind: { type: 'lost_response' } });
    const story = await h.call('instagram_create_story', { media: files.url('/a.jpg') });
    const carousel = await h.call('instagram_create_post', { media: [files.url('/a.jpg'), files.url('/b.jpg')] });
    const published = h.emulator.publishedMedia(h.igUserId);
    expect(published).toHaveLength(2);
    expect(story.data).toMatchObject({ state: 'completed', media_id: published.find((m) => m.productType === 'STORY')!.id });
    expect(carousel.data).toMatchObject({ state: 'completed', media_id: published.find((m) => m.mediaType === 'CAROUSEL_ALBUM')!.id });
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(2);
  });

  it('a definitive refusal of media_publish fails the post with its meaning', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, kind: { type: 'graph_error', code: 25, subcode: 2207050, message: 'The Instagram account is restricted.' } });
    const r = await h.call('instagram_create_post', { media: files.url('/a.jpg') });
    expect(r.data.state).toBe('failed');
    expect(r.data.error).toMatchObject({ code: 25, subcode: 2207050 });
    expect(r.data.error.meaning).toMatch(/restricted/);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(0);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
  });

  it('9007 "not ready" at publish goes back to polling, then publishes once', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, sequence: [{ type: 'graph_error', code: 9007, subcode: 2207027, message: 'The media is not ready for publishing, please wait for a moment' }] });
    const r = await h.call('instagram_create_post', { media: files.url('/a.jpg') });
    expect(r.data).toMatchObject({ state: 'completed', attempts: 1 });
    expect(requests(h, 'POST', PUBLISH).map((p) => p.fault ?? 'ok')).toEqual(['graph_error', 'ok']);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
  });

  it('a container that expires while waiting fails the post (nothing published)', async () => {
    h = await publishingHarness({ emulator: { processing: { imageMs: 0, videoMs: 60_000 } } });
    const reads = h.emulator.hold({ method: 'GET', path: /^\/178\d+$/ });
    const started = await h.call('instagram_create_reel', { video: files.url('/r.mp4'), wait_seconds: 0 });
    await reads.waitForRequest(); // the job is parked on its first status read
    (h.clock as import('../../../src/clock.js').VirtualClock).advance(25 * 3600_000);
    reads.release();
    const done = await h.call('instagram_post_status', { post_id: started.data.post_id, wait_seconds: 600 });
    expect(done.data.state).toBe('failed');
    expect(done.data.error).toMatchObject({ code: 'container_expired' });
    expect(done.data.error.message).toMatch(/expired/);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(0);
  });

  it('a container ending in ERROR fails the post with the subcode meaning', async () => {
    files.set('/broken.mp4', Buffer.from('not a video at all'));
    h = await publishingHarness();
    const r = await h.call('instagram_create_reel', { video: files.url('/broken.mp4') });
    expect(r.data.state).toBe('failed');
    expect(r.data.error.subcode).toBe(2207026);
    expect(r.data.error.meaning).toMatch(/video format is not supported/);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(0);
  });
});

describe('restarts', () => {
  it('a post interrupted while processing is resumed on start and published once', async () => {
    h = await publishingHarness({ emulator: { processing: { imageMs: 0, videoMs: 60_000 } } });
    // The server is stopped on its first read of the container, while the video is processing.
    const hold = h.emulator.hold({ method: 'GET', path: CONTAINER_READ });
    const started = await h.call('instagram_create_reel', { video: files.url('/r.mp4'), caption: 'restart me', wait_seconds: 0 });
    await hold.waitForRequest();
    expect((await postRow(h, started.data.post_id)).state).toBe('processing');
    restarted = await restartApp(h);
    hold.release();
    expect((await restarted.app.store.posts.getById(started.data.post_id))!.state).toBe('processing');
    await restarted.app.publisher.resumeInFlight();
    const done = await restarted.call('instagram_post_status', { post_id: started.data.post_id, wait_seconds: 600 });
    expect(done.data.state).toBe('completed');
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
    expect(requests(h, 'POST', CREATE)).toHaveLength(1); // the container made before the restart was reused
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
  });

  it('a server stopped during media_publish (applied after it went away) reads the container on start and completes without a second publish', async () => {
    h = await publishingHarness();
    const hold = h.emulator.hold({ method: 'POST', path: PUBLISH });
    const started = await h.call('instagram_create_post', { media: files.url('/a.jpg'), caption: 'Half way', wait_seconds: 0 });
    await hold.waitForRequest();
    expect(await postRow(h, started.data.post_id)).toMatchObject({ state: 'publishing', attempts: 1 });
    await h.app.close(); // the server goes away with the publish in flight
    hold.release(); // …and Instagram applies it anyway
    await afterTurns(() => h.emulator.publishedMedia(h.igUserId).length === 1);

    restarted = await restartApp(h, { stopFirst: false });
    await restarted.app.publisher.resumeInFlight();
    const done = await restarted.call('instagram_post_status', { post_id: started.data.post_id });
    expect(done.data).toMatchObject({ state: 'completed', media_id: h.emulator.publishedMedia(h.igUserId)[0]!.id });
    expect(done.data.permalink).toBeTruthy();
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
  });

  it('a publish that never left (stopped before the request) is made once after the restart', async () => {
    h = await publishingHarness();
    // Stop the server on its container status read, then put the row where a crash right after writing
    // 'publishing' (and before media_publish left) would leave it.
    const hold = h.emulator.hold({ method: 'GET', path: /^\/\d+$/ });
    const started = h.call('instagram_create_post', { media: files.url('/a.jpg'), wait_seconds: 0 });
    await hold.waitForRequest();
    const r = await started;
    await h.app.close();
    hold.release();
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(0);
    restarted = await restartApp(h, { stopFirst: false });
    await restarted.app.store.posts.writeTransition(r.data.post_id, { from: (await postRow(restarted, r.data.post_id)).state, to: 'publishing', columns: { attempts: 0 } });
    await restarted.app.publisher.resumeInFlight();
    const done = await restarted.call('instagram_post_status', { post_id: r.data.post_id });
    expect(done.data.state).toBe('completed');
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
  });

  it('two server processes on one data directory never drive the same post', async () => {
    h = await publishingHarness({ emulator: { processing: { imageMs: 0, videoMs: 30_000 } } });
    const started = await h.call('instagram_create_reel', { video: files.url('/r.mp4'), wait_seconds: 0 });
    restarted = await restartApp(h, { stopFirst: false }); // a second server, the first still running
    await restarted.app.publisher.resumeInFlight();
    const elsewhere = await restarted.call('instagram_post_status', { post_id: started.data.post_id, wait_seconds: 5 });
    expect(elsewhere.data.next_step).toMatch(/Another running instance/);
    const done = await h.call('instagram_post_status', { post_id: started.data.post_id, wait_seconds: 600 });
    expect(done.data.state).toBe('completed');
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(requests(h, 'POST', CREATE)).toHaveLength(1);
  });
});

describe('idempotency keys', () => {
  it('a replayed key returns the first post, sequentially and concurrently', async () => {
    h = await publishingHarness();
    const args = { media: files.url('/a.jpg'), caption: 'Once', idempotency_key: 'order-42' };
    const first = await h.call('instagram_create_post', args);
    const again = await h.call('instagram_create_post', args);
    expect(again.data).toMatchObject({ post_id: first.data.post_id, state: 'completed', media_id: first.data.media_id, idempotent_replay: true });
    expect(again.data.next_step).toMatch(/nothing new was published/);

    const [a, b] = await Promise.all([
      h.call('instagram_create_post', { ...args, idempotency_key: 'order-43' }),
      h.call('instagram_create_post', { ...args, idempotency_key: 'order-43' }),
    ]);
    expect(a.data.post_id).toBe(b.data.post_id);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(2);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(2);
  });
});
