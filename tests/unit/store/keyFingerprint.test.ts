import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { KeyMismatchError, openStore, type TokenVault } from '../../../src/store/index.js';
import { accountInput, newVault, tempDir } from './helpers.js';

const clock = new VirtualClock();

function readFingerprint(file: string): string | undefined {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("select value from store_meta where name = 'key_fingerprint'").get() as { value: string } | undefined)?.value;
  } finally {
    db.close();
  }
}

/** Opens, optionally stores one connected account, closes. */
async function openOnce(file: string, vault: TokenVault, withAccount = false): Promise<void> {
  const store = openStore({ file, vault, clock });
  if (withAccount) await store.accounts.upsert(accountInput());
  await store.close();
}

describe('encryption key fingerprint', () => {
  it('records a fingerprint of the key, never the key, and opens again under the same key', async () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const key = randomBytes(32);
    await openOnce(file, newVault(key), true);
    const fingerprint = readFingerprint(file);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint).toBe(newVault(key).fingerprint());
    expect(fingerprint).not.toContain(key.toString('hex'));
    expect(fs.readFileSync(file).includes(key)).toBe(false);

    const again = openStore({ file, vault: newVault(key), clock });
    expect((await again.accounts.get('owner-a', accountInput().id))?.accessToken).toBe(accountInput().accessToken);
    await again.close();
  });

  it('refuses to open, saying what to do, when tokens are stored under another key, and changes nothing', async () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const vault = newVault();
    await openOnce(file, vault, true);

    let error: unknown;
    try {
      await openOnce(file, newVault());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KeyMismatchError);
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toMatch(/1 access token encrypted under a different encryption key/);
    expect(message).toMatch(/restore the previous key: put the old encryption\.key back in .*, or set INSTAGRAM_MCP_ENCRYPTION_KEY to it/);
    expect(message).toMatch(/move store\.sqlite \(with its -wal and -shm files\) out of .* and reconnect the accounts/);

    // The old key still opens it and reads the token: the refusal wrote nothing.
    expect(readFingerprint(file)).toBe(vault.fingerprint());
    const store = openStore({ file, vault, clock });
    expect((await store.accounts.get('owner-a', accountInput().id))?.accessToken).toBe(accountInput().accessToken);
    await store.close();
  });

  it('adopts a new key when no token is stored under the old one', async () => {
    const file = path.join(tempDir(), 'store.sqlite');
    await openOnce(file, newVault());
    // A disconnected account keeps its row but no token.
    const first = openStore({ file, vault: newVault(), clock });
    await first.accounts.upsert(accountInput({ accessToken: null }));
    await first.close();

    const next = newVault();
    await openOnce(file, next, true);
    expect(readFingerprint(file)).toBe(next.fingerprint());
  });

  it('checks a database from before fingerprints by decrypting its tokens', async () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const vault = newVault();
    await openOnce(file, vault, true);
    const forget = () => {
      const db = new Database(file);
      db.prepare('delete from store_meta').run();
      db.close();
    };

    forget();
    await expect(openOnce(file, newVault())).rejects.toThrow(KeyMismatchError);
    expect(readFingerprint(file)).toBeUndefined();

    await openOnce(file, vault);
    expect(readFingerprint(file)).toBe(vault.fingerprint());
  });

  it('gives each key its own fingerprint, the same every time', () => {
    const key = randomBytes(32);
    expect(newVault(key).fingerprint()).toBe(newVault(Buffer.from(key)).fingerprint());
    expect(newVault(key).fingerprint()).not.toBe(newVault().fingerprint());
  });
});
