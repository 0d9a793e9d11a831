/**
 * Where the server keeps its state (SQLite database, encryption key) and how the key is obtained:
 * a configured key wins, otherwise one is generated once into `<dataDir>/encryption.key` (0600).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ENCRYPTION_KEY_ENV = 'INSTAGRAM_MCP_ENCRYPTION_KEY';
export const KEY_FILE_NAME = 'encryption.key';
const KEY_BYTES = 32;
const POSIX = process.platform !== 'win32';

/** Creates the data directory (and parents) readable by the current user only; tightens an existing one. */
export function ensureDataDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (POSIX) fs.chmodSync(dir, 0o700);
}

/**
 * Returns the 32-byte encryption key: `configuredKey` (64 hex characters or base64 of 32 bytes) when
 * set, else the key in `<dataDir>/encryption.key`, generated on first use.
 */
export function loadOrCreateKey(dataDir: string, configuredKey?: string): Buffer {
  if (configuredKey !== undefined && configuredKey.trim() !== '') {
    const key = parseKey(configuredKey);
    if (!key) {
      throw new Error(
        `${ENCRYPTION_KEY_ENV} must be a 32-byte key written as 64 hex characters or as base64 ` +
          `(for example the output of \`openssl rand -hex 32\`); the configured value (${configuredKey.trim().length} characters) is neither`,
      );
    }
    return key;
  }
  ensureDataDir(dataDir);
  const keyFile = path.join(dataDir, KEY_FILE_NAME);
  return readKeyFile(keyFile) ?? createKeyFile(keyFile);
}

/** 64 hex characters or standard/url-safe base64 decoding to exactly 32 bytes; undefined otherwise. */
export function parseKey(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) {
    const key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  return undefined;
}

function readKeyFile(keyFile: string): Buffer | undefined {
  let text: string;
  try {
    text = fs.readFileSync(keyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = parseKey(text);
  if (!key) {
    // Never regenerate here: tokens stored under the old key would become unreadable.
    throw new Error(
      `the encryption key file ${keyFile} is not a 32-byte key (64 hex characters); restore it from a backup, ` +
        `set ${ENCRYPTION_KEY_ENV}, or delete it and reconnect every account`,
    );
  }
  if (POSIX && (fs.statSync(keyFile).mode & 0o077) !== 0) fs.chmodSync(keyFile, 0o600);
  return key;
}

/**
 * Writes a new key so that the file never exists with wider permissions or partial content: a
 * temporary file is created exclusively with mode 0600, then hard-linked into place, which fails if
 * another process won the race (its key is then used).
 */
function createKeyFile(keyFile: string): Buffer {
  const key = randomBytes(KEY_BYTES);
  const content = `${key.toString('hex')}\n`;
  const temp = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeExclusive(temp, content);
  try {
    fs.linkSync(temp, keyFile);
    return key;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return readKeyFile(keyFile) ?? createKeyFile(keyFile);
    // File systems without hard links: create the final file directly (still exclusive, still 0600).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      try {
        writeExclusive(keyFile, content);
        return key;
      } catch (inner) {
        if ((inner as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(keyFile) ?? createKeyFile(keyFile);
        throw inner;
      }
    }
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function writeExclusive(file: string, content: string): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
