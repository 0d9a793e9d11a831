import { expect, it } from 'vitest';
import { isMediaId } from '../../../src/store/index.js';
import { accountInput, describeBackends, openBackendStore, postgresUnavailable } from './helpers.js';
import { testToken } from '../../helpers/secrets.js';

const IG_SECRET_TOKEN = testToken('IGAA', 'secret000000000000', 22);

const ACCOUNT = '17841400000000123';

const unavailable = await postgresUnavailable('tests/unit/store/misc.test.ts');

describeBackends('agentAccounts', unavailable, (backend) => {
  const open = () => openBackendStore(backend);

  it('treats no row as enabled and records departures per owner and agent', async () => {
    const { store } = await open();
    await store.accounts.upsert(accountInput());
    await store.accounts.upsert(accountInput({ id: '2', username: 'two' }));
    expect(await store.agentAccounts.isEnabled('owner-a', 'claude', ACCOUNT)).toBe(true);
    await store.agentAccounts.setEnabled('owner-a', 'claude', ACCOUNT, false);
    await store.agentAccounts.setEnabled('owner-a', 'claude', '2', false);
    await store.agentAccounts.setEnabled('owner-a', 'claude', '2', true);
    expect(await store.agentAccounts.isEnabled('owner-a', 'claude', ACCOUNT)).toBe(false);
    expect(await store.agentAccounts.isEnabled('owner-a', 'cursor', ACCOUNT)).toBe(true);
    expect(await store.agentAccounts.isEnabled('owner-b', 'claude', ACCOUNT)).toBe(true);
    expect(await store.agentAccounts.disabledFor('owner-a', 'claude')).toEqual(new Set([ACCOUNT]));
    expect(await store.agentAccounts.disabledFor('owner-b', 'claude')).toEqual(new Set());
  });
});

describeBackends('media', unavailable, (backend) => {
  const open = () => openBackendStore(backend);

  const base = {
    owner: 'owner-a',
    source: 'local' as const,
    localPath: '/photos/a.jpg',
    url: null,
    checksum: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    mimeType: 'image/jpeg',
    sizeBytes: 1234,
    width: 1080,
    height: 1350,
    durationMs: null,
  };

  it('creates records with 32-hex ids, scoped by owner', async () => {
    const { store, clock } = await open();
    const item = await store.media.create({ ...base, expiresAt: clock.now() + 1000 });
    expect(isMediaId(item.id)).toBe(true);
    expect(item).toMatchObject({ ...base, usedByPostId: null, usedAt: null, createdAt: clock.now() });
    expect(await store.media.get('owner-a', item.id)).toEqual(item);
    expect(await store.media.get('owner-b', item.id)).toBeUndefined();
    expect((await store.media.create({ ...base, id: 'f'.repeat(32), expiresAt: 0 })).id).toBe('f'.repeat(32));
    await expect(store.media.create({ ...base, id: 'NOT-HEX', expiresAt: 0 })).rejects.toThrow(/32 lowercase hex/);
  });

  it('marks media used and reports the used local paths per owner', async () => {
    const { store, clock } = await open();
    const a = await store.media.create({ ...base, expiresAt: clock.now() + 1000 });
    const b = await store.media.create({ ...base, localPath: '/photos/b.jpg', expiresAt: clock.now() + 1000 });
    await store.media.create({ ...base, localPath: '/photos/c.jpg', expiresAt: clock.now() + 1000 });
    const other = await store.media.create({ ...base, owner: 'owner-b', localPath: '/photos/z.jpg', expiresAt: clock.now() + 1000 });
    await store.media.markUsed([a.id, b.id, other.id], 'post-1');
    await store.media.markUsed([], 'post-2');
    expect(await store.media.get('owner-a', a.id)).toMatchObject({ usedByPostId: 'post-1', usedAt: clock.now() });
    expect(await store.media.usedLocalPaths('owner-a')).toEqual(new Set(['/photos/a.jpg', '/photos/b.jpg']));
    expect(await store.media.usedLocalPaths('owner-c')).toEqual(new Set());
  });

  it('lists expired media across owners and deletes by id', async () => {
    const { store, clock } = await open();
    const soon = await store.media.create({ ...base, expiresAt: clock.now() + 1000 });
    const later = await store.media.create({ ...base, owner: 'owner-b', expiresAt: clock.now() + 5000 });
    expect(await store.media.listExpired()).toEqual([]);
    clock.advance(5000);
    expect((await store.media.listExpired()).map((m) => m.id)).toEqual([soon.id, later.id]);
    await store.media.delete(soon.id);
    expect(await store.media.get('owner-a', soon.id)).toBeUndefined();
  });
});

describeBackends('audit', unavailable, (backend) => {
  const open = () => openBackendStore(backend);

  it('records redacted details and lists them per owner, newest first', async () => {
    const { store, clock } = await open();
    await store.audit.record({ owner: 'owner-a', agent: 'claude', accountId: ACCOUNT, action: 'account.connected', detail: { login_type: 'instagram', access_token: IG_SECRET_TOKEN, nested: { client_secret: 'shh' } } });
    clock.advance(1);
    await store.audit.record({ owner: 'owner-a', agent: null, accountId: null, action: 'token.refresh_sweep' });
    await store.audit.record({ owner: 'owner-b', agent: 'x', accountId: null, action: 'other' });
    const entries = await store.audit.list('owner-a');
    expect(entries.map((e) => e.action)).toEqual(['token.refresh_sweep', 'account.connected']);
    expect(entries[1]).toMatchObject({
      owner: 'owner-a',
      agent: 'claude',
      accountId: ACCOUNT,
      detail: { login_type: 'instagram', access_token: '[REDACTED]', nested: { client_secret: '[REDACTED]' } },
    });
    expect(entries[0]).toMatchObject({ detail: {}, agent: null, createdAt: clock.now() });
    expect(await store.audit.list('owner-a', 1)).toHaveLength(1);
  });
});

describeBackends('hashtagSearches', unavailable, (backend) => {
  const open = () => openBackendStore(backend);

  it('counts unique normalized hashtags in a window, per owner and account', async () => {
    const { store, clock } = await open();
    await store.accounts.upsert(accountInput());
    await store.accounts.upsert(accountInput({ owner: 'owner-b' }));
    const start = clock.now();
    await store.hashtagSearches.record('owner-a', ACCOUNT, '#Coffee', '17843000000000001');
    clock.advance(1000);
    await store.hashtagSearches.record('owner-a', ACCOUNT, 'coffee', '17843000000000001');
    await store.hashtagSearches.record('owner-a', ACCOUNT, ' #LatteArt ', '17843000000000002');
    await store.hashtagSearches.record('owner-b', ACCOUNT, 'tea', '17843000000000003');

    expect(await store.hashtagSearches.uniqueSince('owner-a', ACCOUNT, start)).toEqual([
      { hashtag: 'coffee', hashtagId: '17843000000000001', firstSearchedAt: start },
      { hashtag: 'latteart', hashtagId: '17843000000000002', firstSearchedAt: start + 1000 },
    ]);
    expect(await store.hashtagSearches.uniqueSince('owner-a', ACCOUNT, start + 1)).toEqual([
      { hashtag: 'coffee', hashtagId: '17843000000000001', firstSearchedAt: start + 1000 },
      { hashtag: 'latteart', hashtagId: '17843000000000002', firstSearchedAt: start + 1000 },
    ]);
    expect((await store.hashtagSearches.uniqueSince('owner-b', ACCOUNT, start)).map((h) => h.hashtag)).toEqual(['tea']);
    expect(await store.hashtagSearches.uniqueSince('owner-a', '999', start)).toEqual([]);
  });
});
