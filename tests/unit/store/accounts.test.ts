import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { NotFoundError, VaultError, type Store } from '../../../src/store/index.js';
import { OWNER_TABLES } from '../../../src/store/pg/schema.js';
import { accountInput, describeBackends, newVault, openBackendStore, pgAdminQuery, postgresUnavailable, tempDir } from './helpers.js';
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

const unavailable = await postgresUnavailable('tests/unit/store/accounts.test.ts');

describeBackends('accounts', unavailable, (backend) => {
  const open = (opts: { file?: string } = {}) => openBackendStore(backend, opts);

  it('stores ids above 2^53 and reads them back intact', async () => {
    const { store } = await open();
    expect(Number(BIG_ID) > Number.MAX_SAFE_INTEGER).toBe(true);
    await store.accounts.upsert(accountInput({ id: BIG_ID, appScopedId: '9007199254740993', pageId: '112233445566778899' }));
    const account = (await store.accounts.get('owner-a', BIG_ID))!;
    expect(account.id).toBe(BIG_ID);
    expect(account.appScopedId).toBe('9007199254740993');
    expect(account.pageId).toBe('112233445566778899');
    expect((await store.accounts.list('owner-a')).map((a) => a.id)).toEqual([BIG_ID]);
  });

  it('encrypts the token on write and decrypts it on read', async () => {
    const { store, clock } = await open();
    const created = await store.accounts.upsert(accountInput());
    expect(created).toMatchObject({ accessToken: IG_STORED_TOKEN, createdAt: clock.now(), updatedAt: clock.now(), status: 'active' });
    expect((await store.accounts.get('owner-a', BIG_ID))?.accessToken).toBe(IG_STORED_TOKEN);
  });

  const tokens = [IG_FIRST_TOKEN, FB_SECOND_TOKEN, IG_REFRESHED_TOKEN_2];
  const writeSecrets = async (store: Store) => {
    await store.accounts.upsert(accountInput({ accessToken: tokens[0]! }));
    await store.accounts.upsert(accountInput({ owner: 'owner-b', id: '17841400000000999', username: 'other', accessToken: tokens[1]! }));
    await store.accounts.updateToken('owner-a', BIG_ID, { accessToken: tokens[2]!, issuedAt: 1, expiresAt: 2 });
    await store.oauthSessions.create({ state: 'st', codeVerifier: 'verifierSECRET0123456789abcdef', loginType: 'instagram', owner: 'owner-a', agent: 'a', redirectUri: 'http://localhost/cb' });
    await store.audit.record({ owner: 'owner-a', agent: 'a', accountId: BIG_ID, action: 'x', detail: { access_token: tokens[0], note: `Bearer ${tokens[2]}` } });
    await store.accounts.recordRefreshError('owner-a', BIG_ID, `refresh failed for access_token=${tokens[2]}`);
  };

  it.runIf(backend === 'sqlite')('never writes a token or PKCE verifier to the database files in plaintext', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'store.sqlite');
    const { store } = await open({ file });
    await writeSecrets(store);

    const bytes = Buffer.concat(
      ['', '-wal', '-shm'].map((suffix) => `${file}${suffix}`).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)),
    );
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    expect(bytes.includes(Buffer.from('Acme.Coffee'))).toBe(true); // the check can see plain text at all
    for (const secret of [...tokens, 'verifierSECRET0123456789abcdef']) {
      expect(bytes.includes(Buffer.from(secret)), secret).toBe(false);
    }
  });

  it.runIf(backend === 'postgres')('never writes a token or PKCE verifier to any table in plaintext', async () => {
    const { store } = await open();
    await writeSecrets(store);

    // Every row of every table, as the administrator reads it (through row-level security).
    const dump: string[] = [];
    for (const table of [...OWNER_TABLES, 'store_meta']) {
      for (const row of await pgAdminQuery<{ row: string }>(`select t::text as row from "${table}" t`)) dump.push(row.row);
    }
    const text = dump.join('\n');
    expect(text).toContain('Acme.Coffee'); // the check can see plain text at all
    for (const secret of [...tokens, 'verifierSECRET0123456789abcdef']) expect(text.includes(secret), secret).toBe(false);
  });

  it('scopes every read by owner', async () => {
    const { store } = await open();
    await store.accounts.upsert(accountInput({ owner: 'owner-a' }));
    expect(await store.accounts.get('owner-b', BIG_ID)).toBeUndefined();
    expect(await store.accounts.findByUsername('owner-b', 'acme.coffee')).toBeUndefined();
    expect(await store.accounts.list('owner-b')).toEqual([]);
    await expect(store.accounts.setStatus('owner-b', BIG_ID, 'needs_reauth')).rejects.toThrow(NotFoundError);
    await expect(store.accounts.disconnect('owner-b', BIG_ID)).rejects.toThrow(NotFoundError);
    expect((await store.accounts.get('owner-a', BIG_ID))?.status).toBe('active');

    // The same Instagram account connected by two owners is two independent rows.
    await store.accounts.upsert(accountInput({ owner: 'owner-b', accessToken: IG_OWNER_B_TOKEN }));
    await store.accounts.disconnect('owner-b', BIG_ID);
    expect((await store.accounts.get('owner-a', BIG_ID))?.accessToken).toBe(IG_STORED_TOKEN);
  });

  it('finds by username case-insensitively, tolerating a leading @', async () => {
    const { store } = await open();
    await store.accounts.upsert(accountInput());
    for (const typed of ['acme.coffee', '@ACME.coffee', ' @Acme.Coffee ']) {
      expect((await store.accounts.findByUsername('owner-a', typed))?.id).toBe(BIG_ID);
    }
    expect(await store.accounts.findByUsername('owner-a', 'acme')).toBeUndefined();
  });

  it('on reconnect keeps createdAt, replaces the token and returns to active', async () => {
    const { store, clock } = await open();
    const first = await store.accounts.upsert(accountInput());
    await store.accounts.setStatus('owner-a', BIG_ID, 'needs_reauth', 'token revoked (code 190)');
    await store.accounts.recordRefreshError('owner-a', BIG_ID, 'boom');
    expect(await store.accounts.get('owner-a', BIG_ID)).toMatchObject({ status: 'needs_reauth', statusReason: 'token revoked (code 190)', lastRefreshError: 'boom' });

    clock.advance(60_000);
    const again = await store.accounts.upsert(accountInput({ accessToken: IG_NEW_TOKEN, username: 'acme_renamed' }));
    expect(again).toMatchObject({
      createdAt: first.createdAt,
      updatedAt: first.createdAt + 60_000,
      status: 'active',
      statusReason: null,
      lastRefreshError: null,
      accessToken: IG_NEW_TOKEN,
      username: 'acme_renamed',
    });
    expect(await store.accounts.list('owner-a')).toHaveLength(1);
  });

  it('updates the token, records refresh errors and lists active accounts with tokens across owners', async () => {
    const { store, clock } = await open();
    await store.accounts.upsert(accountInput());
    await store.accounts.upsert(accountInput({ owner: 'owner-b', id: '2', username: 'b' }));
    await store.accounts.upsert(accountInput({ owner: 'owner-b', id: '3', username: 'c', accessToken: null }));
    await store.accounts.upsert(accountInput({ owner: 'owner-c', id: '4', username: 'd' }));
    await store.accounts.setStatus('owner-c', '4', 'needs_reauth');

    expect((await store.accounts.listWithTokens()).map((a) => `${a.owner}/${a.id}`)).toEqual(['owner-a/' + BIG_ID, 'owner-b/2']);

    await store.accounts.recordRefreshError('owner-a', BIG_ID, 'network down');
    clock.advance(1000);
    await store.accounts.updateToken('owner-a', BIG_ID, { accessToken: IG_REFRESHED_TOKEN, issuedAt: clock.now(), expiresAt: clock.now() + 5_184_000_000 });
    expect(await store.accounts.get('owner-a', BIG_ID)).toMatchObject({
      accessToken: IG_REFRESHED_TOKEN,
      tokenIssuedAt: clock.now(),
      tokenExpiresAt: clock.now() + 5_184_000_000,
      lastRefreshAt: clock.now(),
      lastRefreshError: null,
      updatedAt: clock.now(),
    });
  });

  it('redacts secrets from stored error messages', async () => {
    const { store } = await open();
    await store.accounts.upsert(accountInput());
    await store.accounts.recordRefreshError('owner-a', BIG_ID, `GET /refresh_access_token?access_token=${IG_LEAKED_TOKEN} failed`);
    expect((await store.accounts.get('owner-a', BIG_ID))?.lastRefreshError).toBe('GET /refresh_access_token?access_token=[REDACTED] failed');
  });

  it('updates only the given profile fields', async () => {
    const { store } = await open();
    await store.accounts.upsert(accountInput());
    await store.accounts.updateProfile('owner-a', BIG_ID, { followersCount: 99, biography: 'hello', name: undefined });
    expect(await store.accounts.get('owner-a', BIG_ID)).toMatchObject({ followersCount: 99, biography: 'hello', name: 'Acme Coffee', followsCount: 2 });
  });

  it('disconnects by removing the token but keeps the account and what references it', async () => {
    const { store } = await open();
    await store.accounts.upsert(accountInput());
    await store.agentAccounts.setEnabled('owner-a', 'claude', BIG_ID, false);
    const post = await store.posts.create({ owner: 'owner-a', accountId: BIG_ID, kind: 'image', inputs: [] });
    await store.accounts.disconnect('owner-a', BIG_ID);
    expect(await store.accounts.get('owner-a', BIG_ID)).toMatchObject({ status: 'disconnected', accessToken: null, tokenExpiresAt: null });
    expect(await store.accounts.listWithTokens()).toEqual([]);
    expect(await store.posts.get('owner-a', post.id)).toBeDefined();
    expect(await store.agentAccounts.isEnabled('owner-a', 'claude', BIG_ID)).toBe(false);
  });

  it('raises a VaultError, not garbage, for a token stored under another key', async () => {
    // Opening with another key is refused (tests/store/keyFingerprint.test.ts): put a foreign ciphertext in directly.
    const file = path.join(tempDir(), 'store.sqlite');
    const { store } = await open({ file });
    await store.accounts.upsert(accountInput());
    const foreign = newVault().encrypt(IG_STORED_TOKEN);
    if (backend === 'sqlite') {
      const raw = new Database(file);
      raw.prepare('update accounts set access_token_enc = ?').run(foreign);
      raw.close();
    } else {
      await pgAdminQuery('update accounts set access_token_enc = $1', [foreign]);
    }
    await expect(store.accounts.get('owner-a', BIG_ID)).rejects.toThrow(VaultError);
  });
});
