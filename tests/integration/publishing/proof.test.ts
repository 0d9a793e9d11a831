/**
 * Failed only when proven (issue #12, item 3): an answer to media_publish that does not prove nothing
 * was applied (code 4 without subcode, a spam block 2207051, …) is never followed by a second
 * media_publish before the container is read, and a post is reported failed only once Instagram shows
 * it is not live: the container read again with backoff, and the account's recent media checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultKind } from '../../../src/emulator/index.js';
import type { CallOutcome } from '../../helpers/harness.js';
import { CONTAINER_READ, CREATE, jpeg, postRow, PUBLISH, publishingHarness, requests, restartApp, writeMedia, type PublishingHarness, type Restarted } from './helpers.js';

let h: PublishingHarness;
let restarted: Restarted | undefined;
afterEach(async () => {
  await restarted?.close();
  restarted = undefined;
  await h?.close();
});

const appLimit: FaultKind = { type: 'graph_error', code: 4, message: '(#4) Application request limit reached', isTransient: true };
const spamBlock: FaultKind = { type: 'graph_error', code: 4, subcode: 2207051, message: 'We restrict certain activity to protect our community. Tell us if you think we made a mistake.' };

/** Publishes one local image; `atPublish` runs while its media_publish is parked at the emulator. */
async function publishOne(caption: string, atPublish: () => void = () => {}): Promise<CallOutcome> {
  const file = writeMedia(h, `${caption.replace(/\W+/g, '-')}.jpg`, await jpeg(1080, 1080));
  const hold = h.emulator.hold({ method: 'POST', path: PUBLISH });
  const call = h.call('instagram_create_post', { media: file, caption });
  await hold.waitForRequest();
  atPublish();
  hold.release();
  return call;
}

/** The paths of the Graph calls made from the first media_publish on, as `kind` labels. */
function callsFromPublish(): string[] {
  const log = h.emulator.requestLog();
  const first = log.findIndex((r) => r.method === 'POST' && PUBLISH.test(r.path));
  return log.slice(first).flatMap((r) => {
    if (r.method === 'POST' && PUBLISH.test(r.path)) return [`publish${r.fault ? `:${r.fault}` : ''}`];
    if (r.method === 'GET' && CONTAINER_READ.test(r.path)) return [`read${r.fault ? `:${r.fault}` : ''}`];
    if (r.method === 'GET' && CREATE.test(r.path)) return ['recent_media'];
    return [];
  });
}

describe('media_publish answers that prove nothing', () => {
  it('code 4 without subcode on a publish Instagram applied: reported published, one live post, no second media_publish', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, times: 1, kind: { ...appLimit, applied: true } });
    const r = await publishOne('Applied despite code 4');

    const published = h.emulator.publishedMedia(h.igUserId);
    expect(published).toHaveLength(1);
    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ state: 'completed', media_id: published[0]!.id, permalink: published[0]!.permalink, error: null });
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(callsFromPublish()[1]).toBe('read'); // the container is read before anything else
    const status = await h.call('instagram_post_status', { post_id: r.data.post_id });
    expect(status.data).toMatchObject({ state: 'completed', media_id: published[0]!.id });
    expect(await postRow(h, r.data.post_id)).toMatchObject({ state: 'completed', mediaId: published[0]!.id, errorCode: null });
  });

  it('code 4 on a publish Instagram did not apply: the container is read before the second media_publish, published once', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, times: 1, kind: appLimit });
    const r = await publishOne('Throttled once');

    expect(r.data).toMatchObject({ state: 'completed', error: null });
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(1);
    const calls = callsFromPublish();
    expect(calls.filter((c) => c.startsWith('publish'))).toEqual(['publish:graph_error', 'publish']);
    const second = calls.lastIndexOf('publish');
    expect(calls.slice(1, second)).toContain('read');
  });
});

describe('a spam block (2207051) is not taken as proof', () => {
  it('one stale FINISHED read while the post is live: read again with backoff, reported published', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, times: 1, kind: { ...spamBlock, applied: true } });
    const r = await publishOne('Live behind a spam block', () =>
      h.emulator.injectFaults({ method: 'GET', path: CONTAINER_READ, times: 1, kind: { type: 'stale_status', statusCode: 'FINISHED' } }),
    );

    const published = h.emulator.publishedMedia(h.igUserId);
    expect(published).toHaveLength(1);
    expect(r.data).toMatchObject({ state: 'completed', media_id: published[0]!.id, error: null });
    expect(callsFromPublish().slice(0, 3)).toEqual(['publish:graph_error', 'read:stale_status', 'read']);
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(await postRow(h, r.data.post_id)).toMatchObject({ state: 'completed', mediaId: published[0]!.id });
  });

  it('container reads that stay stale: the account’s recent media shows the post live, reported published', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, times: 1, kind: { ...spamBlock, applied: true } });
    const r = await publishOne('Only the feed knows', () =>
      h.emulator.injectFaults({ method: 'GET', path: CONTAINER_READ, kind: { type: 'stale_status', statusCode: 'FINISHED' } }),
    );

    const published = h.emulator.publishedMedia(h.igUserId);
    expect(published).toHaveLength(1);
    expect(r.data).toMatchObject({ state: 'completed', media_id: published[0]!.id, permalink: published[0]!.permalink, error: null });
    expect(callsFromPublish()).toContain('recent_media');
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
  });

  it('a spam block that applied nothing: failed with its meaning only after re-reads and the recent media, never published again', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, kind: spamBlock });
    const r = await publishOne('Blocked for real');

    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(0);
    expect(r.data.state).toBe('failed');
    expect(r.data.error).toMatchObject({ code: 4, subcode: 2207051 });
    expect(r.data.error.meaning).toMatch(/spam/);
    const calls = callsFromPublish();
    expect(calls.filter((c) => c.startsWith('publish'))).toHaveLength(1);
    expect(calls.filter((c) => c === 'read').length).toBeGreaterThanOrEqual(3);
    expect(calls).toContain('recent_media');
  });

  it('a spam block whose proof could not be finished (recent media unreachable) is proven after a restart, never published again', async () => {
    h = await publishingHarness();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, kind: spamBlock });
    h.emulator.injectFaults({ method: 'GET', path: CREATE, kind: { type: 'drop_connection' } });
    const r = await publishOne('Blocked, proof unfinished');
    expect(r.isError, r.text).toBe(false);
    expect(r.data.state).toBe('publishing');
    expect((await postRow(h, r.data.post_id)).runtime.proofPending).toMatchObject({ code: 4, subcode: 2207051 });
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);

    // Instagram can be read again; a restarted server picks the post up.
    h.emulator.clearFaults();
    h.emulator.injectFaults({ method: 'POST', path: PUBLISH, kind: spamBlock });
    restarted = await restartApp(h);
    await restarted.app.publisher.resumeInFlight();
    const done = await restarted.call('instagram_post_status', { post_id: r.data.post_id, wait_seconds: 600 });
    expect(done.data.state).toBe('failed');
    expect(done.data.error).toMatchObject({ code: 4, subcode: 2207051 });
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(h.emulator.publishedMedia(h.igUserId)).toHaveLength(0);
  });
});
