import { describe, expect, it } from 'vitest';
import { NotFoundError, OAUTH_SESSION_TTL_MS } from '../../../src/store/index.js';
import { openTestStore } from './helpers.js';
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

describe('oauthSessions', () => {
  it('creates a pending session that expires 10 minutes later, with the verifier decrypted on read', () => {
    const { store, clock } = openTestStore();
    const created = store.oauthSessions.create(session());
    expect(created).toEqual({
      ...session(),
      status: 'pending',
      result: null,
      error: null,
      createdAt: clock.now(),
      expiresAt: clock.now() + 10 * 60 * 1000,
    });
    expect(OAUTH_SESSION_TTL_MS).toBe(600_000);
    expect(store.oauthSessions.get('state-1')).toEqual(created);
    expect(store.oauthSessions.get('unknown')).toBeUndefined();
  });

  it('lets a state be claimed once only', () => {
    const { store } = openTestStore();
    store.oauthSessions.create(session());
    expect(store.oauthSessions.claim('state-1')?.status).toBe('exchanging');
    expect(store.oauthSessions.claim('state-1')).toBeUndefined();
    expect(store.oauthSessions.claim('missing')).toBeUndefined();
    store.oauthSessions.complete('state-1', { accounts: ['17841400000000123'] });
    expect(store.oauthSessions.claim('state-1')).toBeUndefined();
  });

  it('refuses to claim an expired session', () => {
    const { store, clock } = openTestStore();
    store.oauthSessions.create(session('short', 1000));
    clock.advance(1000);
    expect(store.oauthSessions.claim('short')).toBeUndefined();
    expect(store.oauthSessions.get('short')?.status).toBe('pending');

    store.oauthSessions.create(session('default'));
    clock.advance(OAUTH_SESSION_TTL_MS - 1);
    expect(store.oauthSessions.claim('default')?.state).toBe('default');
  });

  it('records the outcome once, redacting secrets from it', () => {
    const { store } = openTestStore();
    store.oauthSessions.create(session('ok'));
    store.oauthSessions.claim('ok');
    store.oauthSessions.complete('ok', { accounts: ['17841400000000123'], access_token: IG_NOT_STORED_TOKEN });
    store.oauthSessions.fail('ok', 'too late'); // first outcome wins
    expect(store.oauthSessions.get('ok')).toMatchObject({
      status: 'completed',
      result: { accounts: ['17841400000000123'], access_token: '[REDACTED]' },
      error: null,
    });

    store.oauthSessions.create(session('bad'));
    store.oauthSessions.fail('bad', 'access_denied: user cancelled');
    expect(store.oauthSessions.get('bad')).toMatchObject({ status: 'failed', error: 'access_denied: user cancelled' });
    expect(() => store.oauthSessions.complete('missing', {})).toThrow(NotFoundError);
  });

  it('reports pending sessions until they are claimed or expire, and purges expired ones', () => {
    const { store, clock } = openTestStore();
    expect(store.oauthSessions.hasPending()).toBe(false);
    store.oauthSessions.create(session('a'));
    store.oauthSessions.create(session('b', 60_000));
    expect(store.oauthSessions.hasPending()).toBe(true);
    store.oauthSessions.claim('a');
    expect(store.oauthSessions.hasPending()).toBe(true);
    clock.advance(60_000);
    expect(store.oauthSessions.hasPending()).toBe(false);
    expect(store.oauthSessions.purgeExpired()).toBe(1);
    expect(store.oauthSessions.get('b')).toBeUndefined();
    clock.advance(OAUTH_SESSION_TTL_MS);
    expect(store.oauthSessions.purgeExpired()).toBe(1);
    expect(store.oauthSessions.purgeExpired()).toBe(0);
  });
});
