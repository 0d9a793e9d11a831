/**
 * The built-in OAuth authorization server's records (auth_records) on both backends: ids, uids and user
 * codes kept only as SHA-256 and payloads only encrypted, expiry, one-time consumption, revocation by
 * grant, the first of several replicas' signing keys kept, and the sweep of expired records.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { VaultError, type AuthRecordWrite } from '../../../src/store/index.js';
import { describeBackends, newVault, openBackendStore, pgAdminQuery, postgresUnavailable, tempDir, type Backend } from './helpers.js';

const unavailable = await postgresUnavailable('tests/unit/store/authRecords.test.ts');

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** An opaque access token's id is the token itself: it must never reach the table. */
const TOKEN_ID = 'atRAWtokenVALUE-0123456789abcdefXYZ';
const UID = 'interactionUIDvalue-42';
const USER_CODE = 'WDJB-MJHT';
const MARKER = 'distinctivePAYLOADmarker-7f3a';

describeBackends('authRecords', unavailable, (backend) => {
  async function setup(opts: { file?: string } = {}) {
    const ctx = await openBackendStore(backend, opts);
    // The helpers empty the owner tables between tests; this system table is emptied here.
    if (backend === 'postgres') await pgAdminQuery('truncate table auth_records');
    return ctx;
  }

  /** Every row of auth_records as the database holds it (read past the store). */
  async function rawRows(file: string): Promise<Array<Record<string, unknown>>> {
    if (backend === 'postgres') return pgAdminQuery('select * from auth_records');
    const raw = new Database(file, { readonly: true });
    try {
      return raw.prepare('select * from auth_records').all() as Array<Record<string, unknown>>;
    } finally {
      raw.close();
    }
  }

  const record = (overrides: Partial<AuthRecordWrite> = {}): AuthRecordWrite => ({ kind: 'AccessToken', id: TOKEN_ID, payload: { accountId: 'user-1', scope: 'openid', note: MARKER }, ...overrides });

  it('reads back the payload it stored, keeping the id, uid and user code only as SHA-256 and the payload only encrypted', async () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const { store, clock } = await setup({ file });
    const now = clock.now();
    const payload = { accountId: 'user-1', scope: 'openid offline_access', claims: { nested: [1, 'two', { three: true }] }, note: MARKER, nothing: null };
    await store.authRecords.upsert({ kind: 'AccessToken', id: TOKEN_ID, payload, grantId: 'grant-1', uid: UID, userCode: USER_CODE, expiresAt: now + 60_000 });

    expect(await store.authRecords.find('AccessToken', TOKEN_ID, now)).toEqual({ kind: 'AccessToken', payload, grantId: 'grant-1', expiresAt: now + 60_000, consumedAt: null });
    // Another kind with the same id is another record.
    expect(await store.authRecords.find('RefreshToken', TOKEN_ID, now)).toBeUndefined();

    const rows = await rawRows(file);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ kind: 'AccessToken', id_hash: sha256(TOKEN_ID), uid_hash: sha256(UID), user_code_hash: sha256(USER_CODE), grant_id: 'grant-1', consumed_at: null });
    expect(Number(row.expires_at)).toBe(now + 60_000);
    expect(Number(row.created_at)).toBe(now);
    const stored = JSON.stringify(row);
    for (const secret of [TOKEN_ID, UID, USER_CODE, MARKER, 'offline_access']) expect(stored, secret).not.toContain(secret);

    // Every scalar payload comes back as it went in.
    for (const [i, value] of ['text', 42, true, null, [1, 2]].entries()) {
      await store.authRecords.upsert({ kind: 'Scalar', id: `s${i}`, payload: value });
      expect((await store.authRecords.find('Scalar', `s${i}`, now))?.payload).toEqual(value);
    }
  });

  it('replaces a record by kind and id, keeping when it was consumed', async () => {
    const { store, clock } = await setup();
    const now = clock.now();
    await store.authRecords.upsert(record({ grantId: 'grant-1', uid: 'uid-1', expiresAt: now + 1_000 }));
    expect(await store.authRecords.consume('AccessToken', TOKEN_ID, now)).toBe(true);
    await store.authRecords.upsert(record({ payload: { replaced: true }, grantId: 'grant-2', uid: 'uid-2', userCode: 'CODE-2', expiresAt: now + 5_000 }));
    expect(await store.authRecords.find('AccessToken', TOKEN_ID, now + 2_000)).toEqual({ kind: 'AccessToken', payload: { replaced: true }, grantId: 'grant-2', expiresAt: now + 5_000, consumedAt: now });
    expect(await store.authRecords.findByUid('AccessToken', 'uid-1', now)).toBeUndefined();
    expect((await store.authRecords.findByUid('AccessToken', 'uid-2', now))?.payload).toEqual({ replaced: true });
    expect((await store.authRecords.findByUserCode('AccessToken', 'CODE-2', now))?.payload).toEqual({ replaced: true });
    // Replaced without an expiry: never expires; without a grant: none.
    await store.authRecords.upsert(record());
    expect(await store.authRecords.find('AccessToken', TOKEN_ID, now + 10 ** 12)).toMatchObject({ grantId: null, expiresAt: null, consumedAt: now });
  });

  it('honours expiry: a record expiring at `now` is gone, one without an expiry never is', async () => {
    const { store, clock } = await setup();
    const now = clock.now();
    await store.authRecords.upsert(record({ id: 'short', expiresAt: now + 1_000 }));
    await store.authRecords.upsert(record({ id: 'forever', expiresAt: null }));
    expect(await store.authRecords.find('AccessToken', 'short', now + 999)).toBeDefined();
    expect(await store.authRecords.find('AccessToken', 'short', now + 1_000)).toBeUndefined();
    expect(await store.authRecords.find('AccessToken', 'forever', now + 10 ** 12)).toBeDefined();
    expect(await store.authRecords.find('AccessToken', 'missing', now)).toBeUndefined();
  });

  it('finds a record by uid and by user code, of its kind and while it has not expired', async () => {
    const { store, clock } = await setup();
    const now = clock.now();
    await store.authRecords.upsert({ kind: 'Session', id: 'session-1', payload: { n: 1 }, uid: UID, expiresAt: now + 1_000 });
    await store.authRecords.upsert({ kind: 'DeviceCode', id: 'device-1', payload: { n: 2 }, userCode: USER_CODE, expiresAt: now + 1_000 });
    expect(await store.authRecords.findByUid('Session', UID, now)).toEqual({ kind: 'Session', payload: { n: 1 }, grantId: null, expiresAt: now + 1_000, consumedAt: null });
    expect(await store.authRecords.findByUid('Interaction', UID, now)).toBeUndefined();
    expect(await store.authRecords.findByUid('Session', 'other-uid', now)).toBeUndefined();
    expect(await store.authRecords.findByUid('Session', UID, now + 1_000)).toBeUndefined();
    expect((await store.authRecords.findByUserCode('DeviceCode', USER_CODE, now))?.payload).toEqual({ n: 2 });
    expect(await store.authRecords.findByUserCode('Session', USER_CODE, now)).toBeUndefined();
    expect(await store.authRecords.findByUserCode('DeviceCode', 'OTHER-CODE', now)).toBeUndefined();
    expect(await store.authRecords.findByUserCode('DeviceCode', USER_CODE, now + 1_000)).toBeUndefined();
  });

  it('consumes a record once: true for the one call that did, false after, for an expired or a missing one', async () => {
    const { store, clock } = await setup();
    const now = clock.now();
    await store.authRecords.upsert(record({ kind: 'AuthorizationCode', id: 'code-1', expiresAt: now + 60_000 }));
    expect(await store.authRecords.consume('AuthorizationCode', 'code-1', now + 10)).toBe(true);
    expect(await store.authRecords.consume('AuthorizationCode', 'code-1', now + 20)).toBe(false);
    expect((await store.authRecords.find('AuthorizationCode', 'code-1', now + 30))?.consumedAt).toBe(now + 10);

    // Two callers racing: exactly one wins.
    await store.authRecords.upsert(record({ kind: 'AuthorizationCode', id: 'code-2', expiresAt: now + 60_000 }));
    const results = await Promise.all([0, 1, 2, 3].map(() => store.authRecords.consume('AuthorizationCode', 'code-2', now)));
    expect(results.filter(Boolean)).toHaveLength(1);

    await store.authRecords.upsert(record({ kind: 'AuthorizationCode', id: 'code-3', expiresAt: now + 1_000 }));
    expect(await store.authRecords.consume('AuthorizationCode', 'code-3', now + 1_000)).toBe(false);
    expect((await store.authRecords.find('AuthorizationCode', 'code-3', now))?.consumedAt).toBeNull();
    expect(await store.authRecords.consume('AuthorizationCode', 'missing', now)).toBe(false);
  });

  it('destroys one record, and revokes every record of a grant whatever its kind', async () => {
    const { store, clock } = await setup();
    const now = clock.now();
    await store.authRecords.upsert(record({ id: 'at-1', grantId: 'grant-1' }));
    await store.authRecords.upsert(record({ kind: 'RefreshToken', id: 'rt-1', grantId: 'grant-1' }));
    await store.authRecords.upsert(record({ kind: 'Grant', id: 'grant-1', grantId: 'grant-1' }));
    await store.authRecords.upsert(record({ id: 'at-2', grantId: 'grant-2' }));
    await store.authRecords.upsert(record({ kind: 'Session', id: 'session-1' }));
    await store.authRecords.upsert(record({ kind: 'RefreshToken', id: 'at-1', grantId: 'grant-2' }));

    await store.authRecords.destroy('AccessToken', 'at-2');
    expect(await store.authRecords.find('AccessToken', 'at-2', now)).toBeUndefined();
    // Same id, other kind: untouched.
    expect(await store.authRecords.find('RefreshToken', 'at-1', now)).toBeDefined();
    await store.authRecords.destroy('AccessToken', 'missing');

    await store.authRecords.revokeByGrantId('grant-1');
    expect(await store.authRecords.find('AccessToken', 'at-1', now)).toBeUndefined();
    expect(await store.authRecords.find('RefreshToken', 'rt-1', now)).toBeUndefined();
    expect(await store.authRecords.find('Grant', 'grant-1', now)).toBeUndefined();
    expect(await store.authRecords.find('RefreshToken', 'at-1', now)).toMatchObject({ grantId: 'grant-2' });
    expect(await store.authRecords.find('Session', 'session-1', now)).toBeDefined();
  });

  it('keeps the first of several insertOnce calls, including ones made at the same time', async () => {
    const { store, clock } = await setup();
    const now = clock.now();
    const first = await store.authRecords.insertOnce({ kind: 'SigningKeys', id: 'current', payload: { keys: ['first'] } });
    expect(first).toEqual({ kind: 'SigningKeys', payload: { keys: ['first'] }, grantId: null, expiresAt: null, consumedAt: null });
    expect(await store.authRecords.insertOnce({ kind: 'SigningKeys', id: 'current', payload: { keys: ['second'] } })).toEqual(first);
    expect((await store.authRecords.find('SigningKeys', 'current', now))?.payload).toEqual({ keys: ['first'] });

    // Replicas generating keys at once all end up with the same one.
    const racing = await Promise.all([0, 1, 2, 3].map((i) => store.authRecords.insertOnce({ kind: 'SigningKeys', id: 'race', payload: { keys: [`replica-${i}`] } })));
    const stored = (await store.authRecords.find('SigningKeys', 'race', now))?.payload;
    for (const result of racing) expect(result.payload).toEqual(stored);
  });

  it('removes the records expired at `now` and says how many', async () => {
    const { store, clock } = await setup();
    const now = clock.now();
    await store.authRecords.upsert(record({ id: 'a', expiresAt: now - 1 }));
    await store.authRecords.upsert(record({ kind: 'Session', id: 'b', expiresAt: now }));
    await store.authRecords.upsert(record({ id: 'c', expiresAt: now + 1 }));
    await store.authRecords.upsert(record({ id: 'd' }));
    expect(await store.authRecords.removeExpired(now)).toBe(2);
    expect(await store.authRecords.removeExpired(now)).toBe(0);
    expect(await store.authRecords.find('AccessToken', 'c', now)).toBeDefined();
    expect(await store.authRecords.find('AccessToken', 'd', now)).toBeDefined();
    expect(await store.authRecords.removeExpired(now + 1)).toBe(1);
    expect(await store.authRecords.find('AccessToken', 'd', now + 10 ** 12)).toBeDefined();
  });

  it('raises a VaultError, not garbage, for a payload stored under another key', async () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const { store, clock } = await setup({ file });
    await store.authRecords.upsert(record());
    const foreign = newVault().encrypt(JSON.stringify({ forged: true }));
    await writeRaw(backend, file, foreign);
    await expect(store.authRecords.find('AccessToken', TOKEN_ID, clock.now())).rejects.toThrow(VaultError);
  });
});

async function writeRaw(backend: Backend, file: string, payloadEnc: string): Promise<void> {
  if (backend === 'postgres') {
    await pgAdminQuery('update auth_records set payload_enc = $1', [payloadEnc]);
    return;
  }
  const raw = new Database(file);
  try {
    raw.prepare('update auth_records set payload_enc = ?').run(payloadEnc);
  } finally {
    raw.close();
  }
}
