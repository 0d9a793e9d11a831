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
function openOnce(file: string, vault: TokenVault, withAccount = false): void {
  const store = openStore({ file, vault, clock });
  if (withAccount) store.accounts.upsert(accountInput());
  store.close();
}

describe('encryption key fingerprint', () => {
  it('records a fingerprint of the key, never the key, and opens again under the same key', () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const key = randomBytes(32);
    openOnce(file, newVault(key), true);
    const fingerprint = readFingerprint(file);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint).toBe(newVault(key).fingerprint());
    expect(fingerprint).not.toContain(key.toString('hex'));
    expect(fs.readFileSync(file).includes(key)).toBe(false);

    const again = openStore({ file, vault: newVault(key), clock });
    expect(again.accounts.get('owner-a', accountInput().id)?.accessToken).toBe(accountInput().accessToken);
    again.close();
  });

  it('refuses to open, saying what to do, when tokens are stored under another key, and changes nothing', () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const vault = newVault();
    openOnce(file, vault, true);

    let error: unknown;
    try {
      openOnce(file, newVault());
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
    expect(store.accounts.get('owner-a', accountInput().id)?.accessToken).toBe(accountInput().accessToken);
    store.close();
  });

  it('adopts a new key when no token is stored under the old one', () => {
    const file = path.join(tempDir(), 'store.sqlite');
    openOnce(file, newVault());
    // A disconnected account keeps its row but no token.
    const first = openStore({ file, vault: newVault(), clock });
    first.accounts.upsert(accountInput({ accessToken: null }));
    first.close();

    const next = newVault();
    openOnce(file, next, true);
    expect(readFingerprint(file)).toBe(next.fingerprint());
  });

  it('checks a database from before fingerprints by decrypting its tokens', () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const vault = newVault();
    openOnce(file, vault, true);
    const forget = () => {
      const db = new Database(file);
      db.prepare('delete from store_meta').run();
      db.close();
    };

    forget();
    expect(() => openOnce(file, newVault())).toThrow(KeyMismatchError);
    expect(readFingerprint(file)).toBeUndefined();

    openOnce(file, vault);
    expect(readFingerprint(file)).toBe(vault.fingerprint());
  });

  it('gives each key its own fingerprint, the same every time', () => {
    const key = randomBytes(32);
    expect(newVault(key).fingerprint()).toBe(newVault(Buffer.from(key)).fingerprint());
    expect(newVault(key).fingerprint()).not.toBe(newVault().fingerprint());
  });
});
