import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DECRYPT_FAILED_MESSAGE, TokenVault, VaultError } from '../../../src/store/index.js';
import { testToken } from '../../helpers/secrets.js';

const IG_SECRET_TOKEN = testToken('IGAA', 'secretTOKEN1234567890', 25);

const key = randomBytes(32);

/** Flips one bit of the n-th base64 field (1 = iv, 2 = tag, 3 = ciphertext) of a stored value. */
function tamper(stored: string, field: 1 | 2 | 3): string {
  const parts = stored.split(':');
  const bytes = Buffer.from(parts[field]!, 'base64');
  bytes[bytes.length - 1]! ^= 0x01;
  parts[field] = bytes.toString('base64');
  return parts.join(':');
}

describe('TokenVault', () => {
  it('round-trips values, including empty and non-ASCII ones', () => {
    const vault = new TokenVault(key);
    for (const plain of [IG_SECRET_TOKEN, '', 'é ☕ 漢字', 'x'.repeat(10_000)]) {
      expect(vault.decrypt(vault.encrypt(plain))).toBe(plain);
    }
  });

  it('stores a versioned string with a fresh 12-byte IV and 16-byte tag per value', () => {
    const vault = new TokenVault(key);
    const a = vault.encrypt('same token');
    const b = vault.encrypt('same token');
    expect(a).not.toBe(b);
    const [version, iv, tag, ciphertext] = a.split(':');
    expect(version).toBe('v1');
    expect(Buffer.from(iv!, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64')).toHaveLength(16);
    expect(ciphertext).not.toContain('same token');
    expect(a).not.toContain('same token');
  });

  it.each([
    [1, 'iv'],
    [2, 'tag'],
    [3, 'ciphertext'],
  ] as const)('detects a flipped byte in the %s field (%s)', (field, _name) => {
    const vault = new TokenVault(key);
    const stored = vault.encrypt(IG_SECRET_TOKEN);
    expect(() => vault.decrypt(tamper(stored, field))).toThrow(VaultError);
    expect(() => vault.decrypt(tamper(stored, field))).toThrow(DECRYPT_FAILED_MESSAGE);
  });

  it('refuses to decrypt with the wrong key, with a clear message', () => {
    const stored = new TokenVault(key).encrypt(IG_SECRET_TOKEN);
    const other = new TokenVault(randomBytes(32));
    expect(() => other.decrypt(stored)).toThrow(
      new VaultError('cannot decrypt: the encryption key does not match the one used to store this value, or the value was altered'),
    );
  });

  it('rejects malformed and unknown-version values with a VaultError', () => {
    const vault = new TokenVault(key);
    const stored = vault.encrypt('token');
    expect(() => vault.decrypt('plaintext-token')).toThrow(VaultError);
    expect(() => vault.decrypt(stored.replace(/^v1:/, 'v9:'))).toThrow(/unsupported vault format v9/);
    expect(() => vault.decrypt(stored.split(':').slice(0, 3).join(':'))).toThrow(VaultError);
    const [v, , tag, ct] = stored.split(':');
    expect(() => vault.decrypt([v, Buffer.alloc(8).toString('base64'), tag, ct].join(':'))).toThrow(DECRYPT_FAILED_MESSAGE);
    expect(() => vault.decrypt([v, '!!!!', tag, ct].join(':'))).toThrow(DECRYPT_FAILED_MESSAGE);
  });

  it('requires a 32-byte key', () => {
    expect(() => new TokenVault(randomBytes(16))).toThrow(/32 bytes/);
  });
});
