/**
 * Encryption of secrets at rest (access tokens, PKCE verifiers): AES-256-GCM with a random 12-byte IV
 * per value, stored as `v1:<b64 iv>:<b64 tag>:<b64 ciphertext>` so the format can evolve.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const FINGERPRINT_LABEL = 'instagram-mcp encryption key fingerprint v1';

export const DECRYPT_FAILED_MESSAGE =
  'cannot decrypt: the encryption key does not match the one used to store this value, or the value was altered';

export class VaultError extends Error {
  override name = 'VaultError';
}

export class TokenVault {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
      throw new VaultError(`the encryption key must be exactly ${KEY_BYTES} bytes (got ${Buffer.isBuffer(key) ? key.length : typeof key})`);
    }
    // A private copy: the caller may zero or reuse its buffer.
    this.#key = Buffer.from(key);
  }

  /** Names the key without revealing it (HMAC-SHA256 of a fixed label under it), so the store can tell a changed key. */
  fingerprint(): string {
    return createHmac('sha256', this.#key).update(FINGERPRINT_LABEL).digest('hex');
  }

  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':');
  }

  decrypt(stored: string): string {
    const parts = typeof stored === 'string' ? stored.split(':') : [];
    if (parts.length !== 4 || parts[0] !== VERSION) {
      const version = parts.length > 1 ? parts[0] : undefined;
      throw new VaultError(
        version && /^v\d+$/.test(version)
          ? `cannot decrypt: unsupported vault format ${version} (this build reads ${VERSION})`
          : `cannot decrypt: the value is not in the vault format ${VERSION}:<iv>:<tag>:<ciphertext>`,
      );
    }
    const [, ivText, tagText, ciphertextText] = parts as [string, string, string, string];
    if (![ivText, tagText, ciphertextText].every((p) => BASE64.test(p))) throw new VaultError(DECRYPT_FAILED_MESSAGE);
    const iv = Buffer.from(ivText, 'base64');
    const tag = Buffer.from(tagText, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new VaultError(DECRYPT_FAILED_MESSAGE);
    try {
      const decipher = createDecipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64')), decipher.final()]);
      return plain.toString('utf8');
    } catch {
      throw new VaultError(DECRYPT_FAILED_MESSAGE);
    }
  }
}
