/**
 * The store failing right after media_publish succeeded (issue #12, item 2): another process holding
 * the SQLite write lock, or the disk filling up. The post is never marked failed, its media id is never
 * dropped, and no promise is ever left rejected with nobody listening.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VirtualClock } from '../../../src/clock.js';
import type { CallOutcome } from '../../helpers/harness.js';
import { CONTAINER_READ, CREATE, jpeg, postRow, PUBLISH, publishingHarness, requests, restartApp, writeMedia, type PublishingHarness, type Restarted } from './helpers.js';

let h: PublishingHarness;
let restarted: Restarted | undefined;
let holder: Database.Database | undefined;
const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', recordUnhandled);
});
afterEach(async () => {
  vi.restoreAllMocks();
  if (holder?.inTransaction) holder.exec('ROLLBACK');
  holder?.close();
  holder = undefined;
  await restarted?.close();
  restarted = undefined;
  await h?.close();
  process.off('unhandledRejection', recordUnhandled);
});

/** A harness whose store connection is caught as it opens (the store keeps it private). */
async function harnessWithConnection(): Promise<{ connection: Database.Database; file: string }> {
  const pragma = vi.spyOn(Database.prototype, 'pragma');
  let connections: Database.Database[];
  try {
    h = await publishingHarness();
    connections = pragma.mock.contexts as Database.Database[];
  } finally {
    pragma.mockRestore();
  }
  const file = path.join(h.dataDir, 'instagram-mcp.sqlite');
  const connection = connections.find((c) => c.name === file);
  expect(connection).toBeDefined();
  return { connection: connection!, file };
}

/** Lets pending promise callbacks and their rejections surface (a bounded number of event-loop turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Publishes one local image; `atPublish` runs while its media_publish is parked at the emulator. */
async function publishOne(caption: string, atPublish: () => void): Promise<CallOutcome> {
  const file = writeMedia(h, `${caption.replace(/\W+/g, '-')}.jpg`, await jpeg(1080, 1080));
  const hold = h.emulator.hold({ method: 'POST', path: PUBLISH });
  const call = h.call('instagram_create_post', { media: file, caption });
  await hold.waitForRequest();
  atPublish();
  hold.release();
  return call;
}

/** Every write of `connection` fails as on a full disk while `full.on` (reads still work, as they do). */
function fillDisk(connection: Database.Database): { on: boolean } {
  const full = { on: false };
  const prepare = Database.prototype.prepare;
  vi.spyOn(Database.prototype, 'prepare').mockImplementation(function (this: Database.Database, source: string) {
    if (full.on && this === connection && /^\s*(insert|update|delete|replace)\b/i.test(source)) {
      throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
    }
    return prepare.call(this, source);
  } as typeof prepare);
  return full;
}

describe('the store fails right after media_publish', () => {
  it('another connection holds the write lock for 5 s: the post is published with its media id', async () => {
    const { connection, file } = await harnessWithConnection();
    // Per statement SQLite waits 10 s of real time; that cannot pass on the virtual clock, so the
    // statement gives up at once here and the lock (5 s of the clock) outlasts it: the retries decide.
    connection.pragma('busy_timeout = 20');
    holder = new Database(file);
    const lockHolder = holder;
    const r = await publishOne('Locked out', () => {
      lockHolder.exec('BEGIN IMMEDIATE');
      h.clock.setTimer(5000, () => lockHolder.exec('COMMIT'));
    });

    const published = h.emulator.publishedMedia(h.igUserId);
    expect(published).toHaveLength(1);
    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ state: 'completed', media_id: published[0]!.id, permalink: published[0]!.permalink, error: null });
    expect(await postRow(h, r.data.post_id)).toMatchObject({ state: 'completed', mediaId: published[0]!.id });
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(requests(h, 'GET', CREATE)).toHaveLength(0); // the media id was kept, never looked up again
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('the disk fills up: nothing is left unhandled, the post is not failed, and it completes with the media id kept in memory', async () => {
    const { connection } = await harnessWithConnection();
    const disk = fillDisk(connection);
    const r = await publishOne('Disk full', () => {
      disk.on = true;
    });
    await settle();

    const published = h.emulator.publishedMedia(h.igUserId);
    expect(published).toHaveLength(1);
    expect(unhandled).toEqual([]);
    expect(r.isError).toBe(false);
    expect(r.data.state).toBe('publishing');
    expect(r.data.next_step).toBeDefined();
    expect((await postRow(h, r.data.post_id)).state).toBe('publishing');

    disk.on = false; // space is freed
    (h.clock as VirtualClock).advance(60_000);
    const done = await h.call('instagram_post_status', { post_id: r.data.post_id });
    expect(done.data).toMatchObject({ state: 'completed', media_id: published[0]!.id, permalink: published[0]!.permalink, error: null });
    expect(await postRow(h, r.data.post_id)).toMatchObject({ state: 'completed', mediaId: published[0]!.id });
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(requests(h, 'GET', CREATE)).toHaveLength(0); // completed from memory, not from a lookup
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('the disk fills up and the server restarts: the post is reconciled from the container (PUBLISHED) and the recent media', async () => {
    const { connection } = await harnessWithConnection();
    const disk = fillDisk(connection);
    const r = await publishOne('Full then restarted', () => {
      disk.on = true;
    });
    await settle();
    expect(unhandled).toEqual([]);
    expect(await postRow(h, r.data.post_id)).toMatchObject({ state: 'publishing', mediaId: null });

    restarted = await restartApp(h); // the media id kept in memory goes with the stopped server
    disk.on = false;
    (h.clock as VirtualClock).advance(3 * 60_000); // past the lease the stopped server could not release
    await restarted.app.publisher.resumeInFlight();
    const done = await restarted.call('instagram_post_status', { post_id: r.data.post_id });
    const published = h.emulator.publishedMedia(h.igUserId);
    expect(published).toHaveLength(1);
    expect(done.data).toMatchObject({ state: 'completed', media_id: published[0]!.id, error: null });
    expect(requests(h, 'POST', PUBLISH)).toHaveLength(1);
    expect(requests(h, 'GET', CONTAINER_READ).length).toBeGreaterThanOrEqual(2);
    await settle();
    expect(unhandled).toEqual([]);
  });
});
