import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DataDirError, ensureDataDir, KEY_FILE_NAME, loadOrCreateKey } from '../../../src/store/index.js';
import { defaultDataDir } from '../../../src/paths.js';
import { tempDir } from './helpers.js';

const posixOnly = process.platform === 'win32' ? it.skip : it;
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('ensureDataDir', () => {
  posixOnly('creates the directory with mode 0700 and tightens an existing one', () => {
    const base = tempDir();
    const fresh = path.join(base, 'nested', 'data');
    ensureDataDir(fresh);
    expect(mode(fresh)).toBe(0o700);

    const loose = path.join(base, 'loose');
    fs.mkdirSync(loose, { mode: 0o755 });
    fs.chmodSync(loose, 0o755);
    ensureDataDir(loose);
    expect(mode(loose)).toBe(0o700);
  });
});

describe('ensureDataDir on a folder it cannot use', () => {
  // Node's recursive mkdir retries this one forever (procfs answers ENOENT under an existing folder).
  it.skipIf(process.platform !== 'linux')('fails at once under /proc, naming the folder and INSTAGRAM_MCP_DATA_DIR', () => {
    const dir = `/proc/instagram-mcp-test-${randomBytes(4).toString('hex')}/data`;
    expect(() => ensureDataDir(dir)).toThrow(DataDirError);
    expect(() => ensureDataDir(dir)).toThrow(
      `the data folder ${dir} cannot be used: /proc does not accept new entries (ENOENT: a virtual file system such as /proc or /sys, or a dangling link). ` +
        'Set INSTAGRAM_MCP_DATA_DIR to a writable folder (one this user can create and write files in)',
    );
  });

  it('says which part of the path is a file', () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    expect(() => ensureDataDir(path.join(file, 'data'))).toThrow(`${file} is a file, not a folder (ENOTDIR)`);
    expect(() => ensureDataDir(file)).toThrow(`the data folder ${file} cannot be used: ${file} is a file, not a folder`);
  });

  it('leaves nothing behind in a usable folder', () => {
    const dir = tempDir();
    ensureDataDir(dir);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('loadOrCreateKey', () => {
  posixOnly('generates a 32-byte key once into a 0600 file inside a 0700 directory, then reuses it', () => {
    const dir = path.join(tempDir(), 'data');
    const key = loadOrCreateKey(dir);
    expect(key).toHaveLength(32);
    const file = path.join(dir, KEY_FILE_NAME);
    expect(mode(dir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual([KEY_FILE_NAME]); // no temporary file left behind
    expect(loadOrCreateKey(dir).equals(key)).toBe(true);
  });

  it('gives processes racing to create the key the same key', async () => {
    const dir = path.join(tempDir(), 'data');
    const script = fileURLToPath(new URL('./fixtures/loadKey.ts', import.meta.url));
    const startAt = Date.now() + 1500; // after every child has loaded
    const run = () =>
      new Promise<{ code: number | null; key: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, dir, String(startAt)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let key = '';
        child.stderr.on('data', (chunk: Buffer) => (key += chunk.toString()));
        child.on('close', (code) => resolve({ code, key }));
      });
    const results = await Promise.all(Array.from({ length: 6 }, run));
    const onDisk = fs.readFileSync(path.join(dir, KEY_FILE_NAME), 'utf8').trim();
    expect(onDisk).toMatch(/^[0-9a-f]{64}$/);
    expect(results).toEqual(results.map(() => ({ code: 0, key: onDisk })));
    expect(fs.readdirSync(dir)).toEqual([KEY_FILE_NAME]);
  });

  posixOnly('tightens a key file that was made readable by others', () => {
    const dir = tempDir();
    const key = loadOrCreateKey(dir);
    const file = path.join(dir, KEY_FILE_NAME);
    fs.chmodSync(file, 0o644);
    expect(loadOrCreateKey(dir).equals(key)).toBe(true);
    expect(mode(file)).toBe(0o600);
  });

  it('lets a configured key win, as 64 hex characters or as base64', () => {
    const dir = tempDir();
    const stored = loadOrCreateKey(dir);
    const configured = randomBytes(32);
    expect(loadOrCreateKey(dir, configured.toString('hex')).equals(configured)).toBe(true);
    expect(loadOrCreateKey(dir, configured.toString('hex').toUpperCase()).equals(configured)).toBe(true);
    expect(loadOrCreateKey(dir, configured.toString('base64')).equals(configured)).toBe(true);
    expect(loadOrCreateKey(dir, configured.toString('base64url')).equals(configured)).toBe(true);
    expect(loadOrCreateKey(dir, ` ${configured.toString('hex')}\n`).equals(configured)).toBe(true);
    expect(loadOrCreateKey(dir).equals(stored)).toBe(true);
  });

  it('does not touch the data directory when a key is configured', () => {
    const dir = path.join(tempDir(), 'never-created');
    loadOrCreateKey(dir, randomBytes(32).toString('hex'));
    expect(fs.existsSync(dir)).toBe(false);
  });

  it.each([
    ['too short hex', 'abcdef'],
    ['63 hex characters', 'a'.repeat(63)],
    ['base64 of 16 bytes', randomBytes(16).toString('base64')],
    ['base64 of 48 bytes', randomBytes(48).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
  ])('rejects a malformed configured key (%s) naming INSTAGRAM_MCP_ENCRYPTION_KEY', (_label, value) => {
    const dir = tempDir();
    expect(() => loadOrCreateKey(dir, value)).toThrow(/INSTAGRAM_MCP_ENCRYPTION_KEY/);
    try {
      loadOrCreateKey(dir, value);
    } catch (error) {
      expect((error as Error).message).not.toContain(value); // never echo the secret
    }
    expect(fs.existsSync(path.join(dir, KEY_FILE_NAME))).toBe(false);
  });

  it('treats an empty configured key as not configured', () => {
    const dir = tempDir();
    expect(loadOrCreateKey(dir, '')).toHaveLength(32);
    expect(fs.existsSync(path.join(dir, KEY_FILE_NAME))).toBe(true);
  });

  it('refuses a corrupt key file instead of silently replacing it', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, KEY_FILE_NAME), 'not a key\n', { mode: 0o600 });
    expect(() => loadOrCreateKey(dir)).toThrow(/is not a 32-byte key/);
  });
});

describe('defaultDataDir', () => {
  it('follows each platform’s convention', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u')).toBe('/xdg/instagram-mcp');
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.local/share/instagram-mcp');
    expect(defaultDataDir({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/u')).toBe('/home/u/.local/share/instagram-mcp');
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/instagram-mcp');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Roaming\\instagram-mcp');
    expect(defaultDataDir({}, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Roaming\\instagram-mcp');
  });

  it('uses the real environment by default', () => {
    expect(path.basename(defaultDataDir())).toBe('instagram-mcp');
  });
});
