/**
 * Where the server keeps its state (SQLite database, encryption key) and how the key is obtained:
 * a configured key wins, otherwise one is generated once into `<dataDir>/encryption.key` (0600).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ENCRYPTION_KEY_ENV = 'INSTAGRAM_MCP_ENCRYPTION_KEY';
export const DATA_DIR_ENV = 'INSTAGRAM_MCP_DATA_DIR';
export const KEY_FILE_NAME = 'encryption.key';
const KEY_BYTES = 32;
const POSIX = process.platform !== 'win32';

/** The data folder cannot be created or written; the message names the folder and the fix. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

/**
 * Creates the data directory (and parents) readable by the current user only and tightens an existing
 * one, after checking that a file can be created in it; a folder that cannot be used is a DataDirError.
 */
export function ensureDataDir(dir: string): void {
  try {
    makeDirectories(path.resolve(dir));
    probeWritable(dir);
    if (POSIX && (fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  } catch (error) {
    throw new DataDirError(
      `the data folder ${dir} cannot be used: ${describeFailure(error)}. ` +
        `Set ${DATA_DIR_ENV} to a writable folder (one this user can create and write files in)`,
    );
  }
}

/**
 * `mkdir -p`, one level at a time. Not `fs.mkdirSync(dir, {recursive: true})`: on a file system whose
 * existing folders refuse new entries with ENOENT (procfs, sysfs) Node retries forever, synchronously,
 * so the process spins and never even sees SIGTERM.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let current = dir; fs.statSync(current, { throwIfNoEntry: false }) === undefined; current = path.dirname(current)) {
    missing.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const folder of missing) {
    try {
      fs.mkdirSync(folder, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Creates and removes a file: a folder that exists is not yet one we can keep a database in. */
function probeWritable(dir: string): void {
  const probe = path.join(dir, `.write-check.${process.pid}.${randomBytes(4).toString('hex')}`);
  fs.closeSync(fs.openSync(probe, 'wx', 0o600));
  fs.rmSync(probe, { force: true });
}

/** What went wrong, said of the folder that refused the new entry (a parent while creating, else the folder itself). */
function describeFailure(error: unknown): string {
  const { code, path: entry } = error as NodeJS.ErrnoException;
  if (!code || !entry) return error instanceof Error ? error.message : String(error);
  const folder = path.dirname(entry);
  switch (code) {
    case 'ENOENT':
      return `${folder} does not accept new entries (ENOENT: a virtual file system such as /proc or /sys, or a dangling link)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied in ${folder} (${code})`;
    case 'EROFS':
      return `${folder} is on a read-only file system (EROFS)`;
    case 'ENOTDIR':
      return `${folder} is a file, not a folder (ENOTDIR)`;
    default:
      return `${code} in ${folder}`;
  }
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
