import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { NotFoundError, VaultError } from '../../../src/store/index.js';
import { accountInput, newVault, openTestStore, tempDir } from './helpers.js';
import { testToken } from '../../helpers/secrets.js';

const IG_STORED_TOKEN = testToken('IGAA', 'tokenSECRETvalue0123456789', 30);
const IG_FIRST_TOKEN = testToken('IGAA', 'firstSECRETtoken0000000001', 30);
const FB_SECOND_TOKEN = testToken('EAA', 'secondSECRETtoken00000000002', 31);
const IG_REFRESHED_TOKEN_2 = testToken('IGAA', 'refreshedSECRETtoken000003', 30);
const IG_OWNER_B_TOKEN = testToken('IGAA', 'ownerBtoken000000000000', 27);
const IG_NEW_TOKEN = testToken('IGAA', 'newTOKEN0000000000000', 25);
const IG_REFRESHED_TOKEN = testToken('IGAA', 'refreshed000000000000', 25);
const IG_LEAKED_TOKEN = testToken('IGAA', 'leaked0000000000', 20);

const BIG_ID = '17841400000000123'; // > 2^53: a number would round it

describe('accounts', () => {
  it('stores ids above 2^53 and reads them back intact', () => {
    const { store } = openTestStore();
    expect(Number(BIG_ID) > Number.MAX_SAFE_INTEGER).toBe(true);
    store.accounts.upsert(accountInput({ id: BIG_ID, appScopedId: '9007199254740993', pageId: '112233445566778899' }));
    const account = store.accounts.get('owner-a', BIG_ID)!;
    expect(account.id).toBe(BIG_ID);
    expect(account.appScopedId).toBe('9007199254740993');
    expect(account.pageId).toBe('112233445566778899');
    expect(store.accounts.list('owner-a').map((a) => a.id)).toEqual([BIG_ID]);
  });

  it('encrypts the token on write and decrypts it on read', () => {
    const { store, clock } = openTestStore();
    const created = store.accounts.upsert(accountInput());
    expect(created).toMatchObject({ accessToken: IG_STORED_TOKEN, createdAt: clock.now(), updatedAt: clock.now(), status: 'active' });
    expect(store.accounts.get('owner-a', BIG_ID)?.accessToken).toBe(IG_STORED_TOKEN);
  });

  it('never writes a token or PKCE verifier to the database files in plaintext', () => {
    const dir = tempDir();
    const file = path.join(dir, 'store.sqlite');
    const { store } = openTestStore({ file });
    const tokens = [IG_FIRST_TOKEN, FB_SECOND_TOKEN, IG_REFRESHED_TOKEN_2];
    store.accounts.upsert(accountInput({ accessToken: tokens[0]! }));
    store.accounts.upsert(accountInput({ owner: 'owner-b', id: '17841400000000999', username: 'other', accessToken: tokens[1]! }));
    store.accounts.updateToken('owner-a', BIG_ID, { accessToken: tokens[2]!, issuedAt: 1, expiresAt: 2 });
    store.oauthSessions.create({ state: 'st', codeVerifier: 'verifierSECRET0123456789abcdef', loginType: 'instagram', owner: 'owner-a', agent: 'a', redirectUri: 'http://localhost/cb' });
    store.audit.record({ owner: 'owner-a', agent: 'a', accountId: BIG_ID, action: 'x', detail: { access_token: tokens[0], note: `Bearer ${tokens[2]}` } });
    store.accounts.recordRefreshError('owner-a', BIG_ID, `refresh failed for access_token=${tokens[2]}`);

    const bytes = Buffer.concat(
      ['', '-wal', '-shm'].map((suffix) => `${file}${suffix}`).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)),
    );
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    expect(bytes.includes(Buffer.from('Acme.Coffee'))).toBe(true); // the check can see plain text at all
    for (const secret of [...tokens, 'verifierSECRET0123456789abcdef']) {
      expect(bytes.includes(Buffer.from(secret)), secret).toBe(false);
    }
  });

  it('scopes every read by owner', () => {
    const { store } = openTestStore();
    store.accounts.upsert(accountInput({ owner: 'owner-a' }));
    expect(store.accounts.get('owner-b', BIG_ID)).toBeUndefined();
    expect(store.accounts.findByUsername('owner-b', 'acme.coffee')).toBeUndefined();
    expect(store.accounts.list('owner-b')).toEqual([]);
    expect(() => store.accounts.setStatus('owner-b', BIG_ID, 'needs_reauth')).toThrow(NotFoundError);
    expect(() => store.accounts.disconnect('owner-b', BIG_ID)).toThrow(NotFoundError);
    expect(store.accounts.get('owner-a', BIG_ID)?.status).toBe('active');

    // The same Instagram account connected by two owners is two independent rows.
    store.accounts.upsert(accountInput({ owner: 'owner-b', accessToken: IG_OWNER_B_TOKEN }));
    store.accounts.disconnect('owner-b', BIG_ID);
    expect(store.accounts.get('owner-a', BIG_ID)?.accessToken).toBe(IG_STORED_TOKEN);
  });

  it('finds by username case-insensitively, tolerating a leading @', () => {
    const { store } = openTestStore();
    store.accounts.upsert(accountInput());
    for (const typed of ['acme.coffee', '@ACME.coffee', ' @Acme.Coffee ']) {
      expect(store.accounts.findByUsername('owner-a', typed)?.id).toBe(BIG_ID);
    }
    expect(store.accounts.findByUsername('owner-a', 'acme')).toBeUndefined();
  });

  it('on reconnect keeps createdAt, replaces the token and returns to active', () => {
    const { store, clock } = openTestStore();
    const first = store.accounts.upsert(accountInput());
    store.accounts.setStatus('owner-a', BIG_ID, 'needs_reauth', 'token revoked (code 190)');
    store.accounts.recordRefreshError('owner-a', BIG_ID, 'boom');
    expect(store.accounts.get('owner-a', BIG_ID)).toMatchObject({ status: 'needs_reauth', statusReason: 'token revoked (code 190)', lastRefreshError: 'boom' });

    clock.advance(60_000);
    const again = store.accounts.upsert(accountInput({ accessToken: IG_NEW_TOKEN, username: 'acme_renamed' }));
    expect(again).toMatchObject({
      createdAt: first.createdAt,
      updatedAt: first.createdAt + 60_000,
      status: 'active',
      statusReason: null,
      lastRefreshError: null,
      accessToken: IG_NEW_TOKEN,
      username: 'acme_renamed',
    });
    expect(store.accounts.list('owner-a')).toHaveLength(1);
  });

  it('updates the token, records refresh errors and lists active accounts with tokens across owners', () => {
    const { store, clock } = openTestStore();
    store.accounts.upsert(accountInput());
    store.accounts.upsert(accountInput({ owner: 'owner-b', id: '2', username: 'b' }));
    store.accounts.upsert(accountInput({ owner: 'owner-b', id: '3', username: 'c', accessToken: null }));
    store.accounts.upsert(accountInput({ owner: 'owner-c', id: '4', username: 'd' }));
    store.accounts.setStatus('owner-c', '4', 'needs_reauth');

    expect(store.accounts.listWithTokens().map((a) => `${a.owner}/${a.id}`)).toEqual(['owner-a/' + BIG_ID, 'owner-b/2']);

    store.accounts.recordRefreshError('owner-a', BIG_ID, 'network down');
    clock.advance(1000);
    store.accounts.updateToken('owner-a', BIG_ID, { accessToken: IG_REFRESHED_TOKEN, issuedAt: clock.now(), expiresAt: clock.now() + 5_184_000_000 });
    expect(store.accounts.get('owner-a', BIG_ID)).toMatchObject({
      accessToken: IG_REFRESHED_TOKEN,
      tokenIssuedAt: clock.now(),
      tokenExpiresAt: clock.now() + 5_184_000_000,
      lastRefreshAt: clock.now(),
      lastRefreshError: null,
      updatedAt: clock.now(),
    });
  });

  it('redacts secrets from stored error messages', () => {
    const { store } = openTestStore();
    store.accounts.upsert(accountInput());
    store.accounts.recordRefreshError('owner-a', BIG_ID, `GET /refresh_access_token?access_token=${IG_LEAKED_TOKEN} failed`);
    expect(store.accounts.get('owner-a', BIG_ID)?.lastRefreshError).toBe('GET /refresh_access_token?access_token=[REDACTED] failed');
  });

  it('updates only the given profile fields', () => {
    const { store } = openTestStore();
    store.accounts.upsert(accountInput());
    store.accounts.updateProfile('owner-a', BIG_ID, { followersCount: 99, biography: 'hello', name: undefined });
    expect(store.accounts.get('owner-a', BIG_ID)).toMatchObject({ followersCount: 99, biography: 'hello', name: 'Acme Coffee', followsCount: 2 });
  });

  it('disconnects by removing the token but keeps the account and what references it', () => {
    const { store } = openTestStore();
    store.accounts.upsert(accountInput());
    store.agentAccounts.setEnabled('owner-a', 'claude', BIG_ID, false);
    const post = store.posts.create({ owner: 'owner-a', accountId: BIG_ID, kind: 'image', inputs: [] });
    store.accounts.disconnect('owner-a', BIG_ID);
    expect(store.accounts.get('owner-a', BIG_ID)).toMatchObject({ status: 'disconnected', accessToken: null, tokenExpiresAt: null });
    expect(store.accounts.listWithTokens()).toEqual([]);
    expect(store.posts.get('owner-a', post.id)).toBeDefined();
    expect(store.agentAccounts.isEnabled('owner-a', 'claude', BIG_ID)).toBe(false);
  });

  it('raises a VaultError, not garbage, for a token stored under another key', () => {
    // Opening with another key is refused (tests/store/keyFingerprint.test.ts): put a foreign ciphertext in directly.
    const file = path.join(tempDir(), 'store.sqlite');
    const { store } = openTestStore({ file });
    store.accounts.upsert(accountInput());
    const raw = new Database(file);
    raw.prepare('update accounts set access_token_enc = ?').run(newVault().encrypt(IG_STORED_TOKEN));
    raw.close();
    expect(() => store.accounts.get('owner-a', BIG_ID)).toThrow(VaultError);
  });
});
