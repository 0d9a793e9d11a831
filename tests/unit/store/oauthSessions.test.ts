import { expect, it } from 'vitest';
import { NotFoundError, OAUTH_SESSION_TTL_MS } from '../../../src/store/index.js';
import { describeBackends, openBackendStore, postgresUnavailable } from './helpers.js';
import { testToken } from '../../helpers/secrets.js';

const IG_NOT_STORED_TOKEN = testToken('IGAA', 'shouldNOTbeStored0000', 25);

const session = (state = 'state-1', ttlMs?: number) => ({
  state,
  codeVerifier: 'pkce-verifier-0123456789abcdefghijklmnopqrstuv',
  loginType: 'instagram' as const,
  owner: 'owner-a',
  agent: 'claude',
  redirectUri: 'http://localhost:8765/callback',
  ...(ttlMs === undefined ? {} : { ttlMs }),
});

const unavailable = await postgresUnavailable('tests/unit/store/oauthSessions.test.ts');

describeBackends('oauthSessions', unavailable, (backend) => {
  const open = () => openBackendStore(backend);

  it('creates a pending session that expires 10 minutes later, with the verifier decrypted on read', async () => {
    const { store, clock } = await open();
    const created = await store.oauthSessions.create(session());
    expect(created).toEqual({
      ...session(),
      status: 'pending',
      result: null,
      error: null,
      createdAt: clock.now(),
      expiresAt: clock.now() + 10 * 60 * 1000,
    });
    expect(OAUTH_SESSION_TTL_MS).toBe(600_000);
    expect(await store.oauthSessions.get('state-1')).toEqual(created);
    expect(await store.oauthSessions.get('unknown')).toBeUndefined();
  });

  it('lets a state be claimed once only', async () => {
    const { store } = await open();
    await store.oauthSessions.create(session());
    expect((await store.oauthSessions.claim('state-1'))?.status).toBe('exchanging');
    expect(await store.oauthSessions.claim('state-1')).toBeUndefined();
    expect(await store.oauthSessions.claim('missing')).toBeUndefined();
    await store.oauthSessions.complete('state-1', { accounts: ['17841400000000123'] });
    expect(await store.oauthSessions.claim('state-1')).toBeUndefined();
  });

  it('refuses to claim an expired session', async () => {
    const { store, clock } = await open();
    await store.oauthSessions.create(session('short', 1000));
    clock.advance(1000);
    expect(await store.oauthSessions.claim('short')).toBeUndefined();
    expect((await store.oauthSessions.get('short'))?.status).toBe('pending');

    await store.oauthSessions.create(session('default'));
    clock.advance(OAUTH_SESSION_TTL_MS - 1);
    expect((await store.oauthSessions.claim('default'))?.state).toBe('default');
  });

  it('records the outcome once, redacting secrets from it', async () => {
    const { store } = await open();
    await store.oauthSessions.create(session('ok'));
    await store.oauthSessions.claim('ok');
    await store.oauthSessions.complete('ok', { accounts: ['17841400000000123'], access_token: IG_NOT_STORED_TOKEN });
    await store.oauthSessions.fail('ok', 'too late'); // first outcome wins
    expect(await store.oauthSessions.get('ok')).toMatchObject({
      status: 'completed',
      result: { accounts: ['17841400000000123'], access_token: '[REDACTED]' },
      error: null,
    });

    await store.oauthSessions.create(session('bad'));
    await store.oauthSessions.fail('bad', 'access_denied: user cancelled');
    expect(await store.oauthSessions.get('bad')).toMatchObject({ status: 'failed', error: 'access_denied: user cancelled' });
    await expect(store.oauthSessions.complete('missing', {})).rejects.toThrow(NotFoundError);
  });

  it('reports pending sessions until they are claimed or expire, and purges expired ones', async () => {
    const { store, clock } = await open();
    expect(await store.oauthSessions.hasPending()).toBe(false);
    await store.oauthSessions.create(session('a'));
    await store.oauthSessions.create(session('b', 60_000));
    expect(await store.oauthSessions.hasPending()).toBe(true);
    await store.oauthSessions.claim('a');
    expect(await store.oauthSessions.hasPending()).toBe(true);
    clock.advance(60_000);
    expect(await store.oauthSessions.hasPending()).toBe(false);
    expect(await store.oauthSessions.purgeExpired()).toBe(1);
    expect(await store.oauthSessions.get('b')).toBeUndefined();
    clock.advance(OAUTH_SESSION_TTL_MS);
    expect(await store.oauthSessions.purgeExpired()).toBe(1);
    expect(await store.oauthSessions.purgeExpired()).toBe(0);
  });
});
