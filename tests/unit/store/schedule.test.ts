/**
 * The repositories the other store tests leave out — the calendar and quota side of posts, insight
 * snapshots, durable jobs, unlinked Facebook Pages, held uploads — on both backends, so the PostgreSQL
 * repositories are held to what the SQLite ones do.
 */
import { expect, it } from 'vitest';
import { accountInput, describeBackends, openBackendStore, postgresUnavailable, type Backend } from './helpers.js';

const unavailable = await postgresUnavailable('tests/unit/store/schedule.test.ts');
const ACCOUNT = accountInput().id;
const HOUR = 3_600_000;

async function setup(backend: Backend) {
  const ctx = await openBackendStore(backend);
  await ctx.store.accounts.upsert(accountInput({ owner: 'owner-a' }));
  await ctx.store.accounts.upsert(accountInput({ owner: 'owner-b' }));
  return ctx;
}

describeBackends('postSchedule', unavailable, (backend) => {
  it('lists the calendar per owner, the due scheduled posts of every owner, and the quota events of an account', async () => {
    const { store, clock } = await setup(backend);
    const now = clock.now();
    const a1 = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [], publishAt: now + 2 * HOUR });
    const a2 = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [], publishAt: now + HOUR });
    const b1 = await store.posts.create({ owner: 'owner-b', accountId: ACCOUNT, kind: 'image', inputs: [], publishAt: now + HOUR / 2 });
    const done = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'image', inputs: [] });
    for (const p of [a1, a2, b1]) await store.posts.writeTransition(p.id, { from: 'pending', to: 'scheduled' });
    await store.posts.writeTransition(done.id, { from: 'pending', to: 'completed', columns: { publishedAt: now - HOUR, mediaId: '1' } });

    expect((await store.schedule.listBetween('owner-a', now, now + 3 * HOUR)).map((p) => p.id)).toEqual([a2.id, a1.id]);
    expect((await store.schedule.listBetween('owner-a', now, now + 3 * HOUR, '999')).map((p) => p.id)).toEqual([]);
    expect((await store.schedule.listScheduledUntil(now + HOUR)).map((p) => p.id)).toEqual([b1.id, a2.id]);
    const events = await store.schedule.quotaEvents(ACCOUNT, now - 2 * HOUR);
    expect(events.sort((x, y) => x.at - y.at)).toEqual([
      { postId: done.id, at: now - HOUR, published: true },
      { postId: b1.id, at: now + HOUR / 2, published: false },
      { postId: a2.id, at: now + HOUR, published: false },
      { postId: a1.id, at: now + 2 * HOUR, published: false },
    ]);

    clock.advance(10);
    await store.schedule.setPublishAt(a1.id, now + 5 * HOUR);
    expect(await store.posts.getById(a1.id)).toMatchObject({ publishAt: now + 5 * HOUR, updatedAt: clock.now() });

    await store.posts.recordContainer(a1.id, '179', { index: -1, createdAt: now });
    await store.posts.updateRuntime(a1.id, { note: 'kept' });
    await store.schedule.resetContainers(a1.id);
    expect(await store.posts.getById(a1.id)).toMatchObject({ containerId: null, children: [], runtime: { containers: {}, note: 'kept' } });
    // Not reset once the post has moved on.
    await store.posts.recordContainer(done.id, '180', { index: -1, createdAt: now });
    await store.schedule.resetContainers(done.id);
    expect((await store.posts.getById(done.id))?.containerId).toBe('180');
    await store.schedule.resetContainers('missing');
  });
});

describeBackends('insightSnapshots', unavailable, (backend) => {
  it('keeps the first capture of a media and label, and finds the posts and stories they belong to', async () => {
    const { store, clock } = await setup(backend);
    const now = clock.now();
    const story = await store.posts.create({ owner: 'owner-a', accountId: ACCOUNT, kind: 'story', inputs: [] });
    await store.posts.writeTransition(story.id, { from: 'pending', to: 'completed', columns: { publishedAt: now - HOUR, mediaId: 'm1' } });
    const snap = { owner: 'owner-a', accountId: ACCOUNT, mediaId: 'm1', postId: story.id, label: 'before_expiry', capturedAt: now, rows: [{ name: 'reach', value: 3 }] };
    expect(await store.insightSnapshots.record(snap)).toBe(true);
    expect(await store.insightSnapshots.record({ ...snap, capturedAt: now + 1, rows: [] })).toBe(false);
    expect(await store.insightSnapshots.record({ ...snap, label: '24h', capturedAt: now - 5 })).toBe(true);

    expect(await store.insightSnapshots.list('owner-a', 'm1')).toEqual([
      { mediaId: 'm1', postId: story.id, label: '24h', capturedAt: now - 5, rows: [{ name: 'reach', value: 3 }] },
      { mediaId: 'm1', postId: story.id, label: 'before_expiry', capturedAt: now, rows: [{ name: 'reach', value: 3 }] },
    ]);
    expect(await store.insightSnapshots.list('owner-b', 'm1')).toEqual([]);
    expect(await store.insightSnapshots.labelsOf('m1')).toEqual(new Set(['24h', 'before_expiry']));
    expect((await store.insightSnapshots.publishedSince(now - 2 * HOUR)).map((p) => p.id)).toEqual([story.id]);
    expect(await store.insightSnapshots.publishedSince(now)).toEqual([]);
    const kept = await store.insightSnapshots.keptStories('owner-a', ACCOUNT, now - 2 * HOUR, now);
    expect(kept.map((k) => [k.post.id, k.snapshot.label])).toEqual([[story.id, 'before_expiry']]);
    expect(await store.insightSnapshots.keptStories('owner-b', ACCOUNT, now - 2 * HOUR, now)).toEqual([]);
  });
});

describeBackends('jobs', unavailable, (backend) => {
  it('schedules by key, claims due jobs with a fenced lease, and finishes, cancels and purges them', async () => {
    const { store, clock } = await setup(backend);
    const now = clock.now();
    const first = await store.jobs.schedule({ key: 'k1', kind: 'capture', owner: 'owner-a', runAt: now, payload: { n: 1 } });
    expect(first).toMatchObject({ key: 'k1', kind: 'capture', owner: 'owner-a', payload: { n: 1 }, runAt: now, state: 'queued', attempts: 0, lease: null, createdAt: now });
    await store.jobs.schedule({ key: 'k2', kind: 'sweep', runAt: now + 1000 });
    // The same key moves the job: one row, the same id.
    const moved = await store.jobs.schedule({ key: 'k1', kind: 'capture', owner: 'owner-a', runAt: now - 1, payload: { n: 2 } });
    expect(moved).toMatchObject({ id: first.id, payload: { n: 2 }, runAt: now - 1 });
    expect(await store.jobs.nextWakeAt()).toBe(now - 1);

    const [claimed, ...rest] = await store.jobs.claimDue('replica', 5000, 10);
    expect(rest).toEqual([]);
    expect(claimed).toMatchObject({ key: 'k1', state: 'running', attempts: 1, lease: { owner: 'replica', generation: 1, expiresAt: now + 5000 } });
    expect(await store.jobs.claimDue('other', 5000, 10)).toEqual([]);
    const claim = { id: claimed!.id, owner: 'replica', generation: 1 };
    expect(await store.jobs.renew(claim, 8000)).toBe(true);
    expect(await store.jobs.nextWakeAt()).toBe(now + 1000);

    // Rescheduled while running: the old claim is void.
    await store.jobs.schedule({ key: 'k1', kind: 'capture', owner: 'owner-a', runAt: now });
    expect(await store.jobs.finish(claim, { state: 'done' })).toBe(false);
    const [again] = await store.jobs.claimDue('replica', 5000, 10);
    expect(again?.lease?.generation).toBe(3);
    expect(await store.jobs.finish({ id: again!.id, owner: 'replica', generation: 3 }, { state: 'queued', runAt: now + 50, error: 'access_token=abcdefghijklmnop failed' })).toBe(true);
    expect(await store.jobs.get('k1')).toMatchObject({ state: 'queued', runAt: now + 50, attempts: 1, lease: null, lastError: 'access_token=[REDACTED] failed' });

    // A lease that ran out is claimed again.
    clock.advance(1000);
    const due = await store.jobs.claimDue('replica', 100, 10);
    expect(due.map((j) => j.key)).toEqual(['k1', 'k2']);
    clock.advance(100);
    expect((await store.jobs.claimDue('rescuer', 100, 1)).map((j) => [j.key, j.attempts])).toEqual([['k1', 3]]);

    expect(await store.jobs.cancel('k2')).toBe(true);
    expect(await store.jobs.cancel('k2')).toBe(false);
    expect(await store.jobs.cancel('missing')).toBe(false);
    expect(await store.jobs.purgeFinished(clock.now() - 1)).toBe(0);
    expect(await store.jobs.purgeFinished(clock.now())).toBe(1);
    expect(await store.jobs.get('k2')).toBeUndefined();
  });
});

describeBackends('unlinkedFacebookPages and held uploads', unavailable, (backend) => {
  it('replaces an owner’s list of Pages, listed by name', async () => {
    const { store, clock } = await setup(backend);
    await store.unlinkedFacebookPages.replace('owner-a', [
      { pageId: '2', name: 'Zeta' },
      { pageId: '1', name: 'Alpha' },
      { pageId: '1', name: 'Alpha again' },
    ]);
    await store.unlinkedFacebookPages.replace('owner-b', [{ pageId: '3', name: 'Beta' }]);
    expect(await store.unlinkedFacebookPages.list('owner-a')).toEqual([
      { pageId: '1', name: 'Alpha', seenAt: clock.now() },
      { pageId: '2', name: 'Zeta', seenAt: clock.now() },
    ]);
    clock.advance(5);
    await store.unlinkedFacebookPages.replace('owner-a', [{ pageId: '4', name: 'Gamma' }]);
    expect(await store.unlinkedFacebookPages.list('owner-a')).toEqual([{ pageId: '4', name: 'Gamma', seenAt: clock.now() }]);
    await store.unlinkedFacebookPages.replace('owner-a', []);
    expect(await store.unlinkedFacebookPages.list('owner-a')).toEqual([]);
    expect((await store.unlinkedFacebookPages.list('owner-b')).map((p) => p.pageId)).toEqual(['3']);
  });

  it('counts the uploads an owner holds: unused, unexpired', async () => {
    const { store, clock } = await setup(backend);
    const upload = { owner: 'owner-a', source: 'upload' as const, localPath: '/uploads/x', url: null, checksum: null, mimeType: 'image/jpeg', width: 1, height: 1, durationMs: null };
    expect(await store.media.heldUploads('owner-a')).toEqual({ files: 0, bytes: 0 });
    await store.media.create({ ...upload, sizeBytes: 5_000_000_000, expiresAt: clock.now() + 1000 });
    const used = await store.media.create({ ...upload, sizeBytes: 7, expiresAt: clock.now() + 1000 });
    await store.media.create({ ...upload, sizeBytes: 11, expiresAt: clock.now() + 10 });
    await store.media.create({ ...upload, owner: 'owner-b', sizeBytes: 13, expiresAt: clock.now() + 1000 });
    await store.media.markUsed([used.id], 'post-1');
    expect(await store.media.heldUploads('owner-a')).toEqual({ files: 2, bytes: 5_000_000_011 });
    clock.advance(10);
    expect(await store.media.heldUploads('owner-a')).toEqual({ files: 1, bytes: 5_000_000_000 });
    expect(await store.media.getById(used.id)).toMatchObject({ owner: 'owner-a', usedByPostId: 'post-1' });
  });
});

describeBackends('rateLimits', unavailable, (backend) => {
  it('keeps the latest throttle per key and lists only the ones still running', async () => {
    const { store, clock } = await setup(backend);
    const now = clock.now();
    await store.rateLimits.block('app', now + 60_000);
    await store.rateLimits.block(ACCOUNT, now + 300_000);
    // An earlier time for the same key does not shorten the block; a later one extends it.
    await store.rateLimits.block(ACCOUNT, now + 1_000);
    await store.rateLimits.block('app', now + 120_000);
    await store.rateLimits.block('17841400000000777', now - 1);
    expect(await store.rateLimits.active(now)).toEqual({ app: now + 120_000, [ACCOUNT]: now + 300_000 });
    expect(await store.rateLimits.active(now + 200_000)).toEqual({ [ACCOUNT]: now + 300_000 });
  });

  it('keeps the newest usage observation per key and lists those made since a time', async () => {
    const { store, clock } = await setup(backend);
    const now = clock.now();
    await store.rateLimits.recordUsage('app', now - 10_000, '{"callCount":40}');
    await store.rateLimits.recordUsage(ACCOUNT, now - 5_000, '[{"type":"instagram","callCount":70}]');
    // An older observation arriving late (another replica's) does not replace a newer one; a newer one does.
    await store.rateLimits.recordUsage('app', now - 20_000, '{"callCount":10}');
    await store.rateLimits.recordUsage(ACCOUNT, now, '[{"type":"instagram","callCount":85}]');
    await store.rateLimits.recordUsage('17841400000000777', now - 7_200_000, '{"old":true}');
    const since = (t: number) => store.rateLimits.usageSince(t).then((rows) => Object.fromEntries(rows.map((r) => [r.key, [r.observedAt, r.usageJson]])));
    expect(await since(now - 3_600_000)).toEqual({ app: [now - 10_000, '{"callCount":40}'], [ACCOUNT]: [now, '[{"type":"instagram","callCount":85}]'] });
    expect(await since(now - 1_000)).toEqual({ [ACCOUNT]: [now, '[{"type":"instagram","callCount":85}]'] });
  });
});

describeBackends('hostedFiles', unavailable, (backend) => {
  it('finds an entry until it expires or is removed, and removes the expired ones', async () => {
    const { store, clock } = await setup(backend);
    const now = clock.now();
    const entry = (tokenHash: string, expiresAt: number) => ({ tokenHash, name: `${tokenHash}.jpg`, mimeType: 'image/jpeg', path: `/uploads/${tokenHash}`, identity: '1:2:3:4', expiresAt });
    await store.hostedFiles.add(entry('a'.repeat(64), now + 60_000));
    await store.hostedFiles.add(entry('b'.repeat(64), now + 1_000));
    // The same token twice keeps the first (tokens are random: a second add is a replay).
    await store.hostedFiles.add({ ...entry('a'.repeat(64), now + 120_000), path: '/elsewhere' });
    expect(await store.hostedFiles.find('a'.repeat(64), now)).toEqual(entry('a'.repeat(64), now + 60_000));
    expect(await store.hostedFiles.find('b'.repeat(64), now + 1_000)).toBeUndefined();
    expect(await store.hostedFiles.find('c'.repeat(64), now)).toBeUndefined();
    await store.hostedFiles.removeExpired(now + 1_000);
    expect(await store.hostedFiles.find('b'.repeat(64), now)).toBeUndefined();
    await store.hostedFiles.remove('a'.repeat(64));
    expect(await store.hostedFiles.find('a'.repeat(64), now)).toBeUndefined();
  });
});
