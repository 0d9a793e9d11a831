/**
 * Start-up hardening, seen from a client: the CLI from source (tsx) spawned over stdio, as a desktop
 * client spawns it, on a data directory prepared here.
 * - a database whose tokens were encrypted under another key (the key file was deleted) is refused:
 *   the server exits non-zero and says what happened and what to do, instead of regenerating a key;
 * - a pre-existing database, WAL and SHM with loose permissions are tightened to 0600 (folder 0700);
 * - an unusable data folder (under /proc) ends the process with a clear error, and never spins.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { createEmulator, type Emulator } from '../../../src/emulator/index.js';
import { KEY_FILE_NAME, loadOrCreateKey, openStore, TokenVault } from '../../../src/store/index.js';
import { emulatorEnv } from '../../helpers/harness.js';
import { testToken } from '../../helpers/secrets.js';

const root = path.resolve(import.meta.dirname, '../../..');
const DB_FILE = 'instagram-mcp.sqlite';
const OWNER = 'startup';
const ACCOUNT_ID = '17841400000000999';
const posixOnly = process.platform === 'win32' ? it.skip : it;
const mode = (p: string) => fs.statSync(p).mode & 0o777;

interface Run {
  /** null when the server was still running at the end (only for runs asked to stay up). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** The JSON-RPC answers on stdout, by id. */
  answers: Map<number, { result?: { isError?: boolean; content?: Array<{ text?: string }> }; error?: unknown }>;
}

/**
 * Spawns the server, sends initialize and one tools/call, and waits for it to exit (or, with
 * `stayUp`, for the tool's answer, then closes stdin). A hang guard only: after `safetyMs` it is sent
 * SIGTERM, then SIGKILL, and the run fails saying which one ended it.
 */
function runServer(env: Record<string, string>, opts: { stayUp?: (run: Run) => void | Promise<void>; safetyMs?: number } = {}): Promise<Run> {
  const safetyMs = opts.safetyMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/index.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', INSTAGRAM_MCP_LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const run: Run = { code: null, signal: null, stderr: '', answers: new Map() };
    let stdout = '';
    let hung: string | undefined;
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      let newline: number;
      while ((newline = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        if (!line.trim()) continue;
        const message = JSON.parse(line) as { id?: number };
        if (typeof message.id === 'number') run.answers.set(message.id, message as never);
        if (message.id === 2 && opts.stayUp) {
          Promise.resolve(opts.stayUp(run)).then(
            () => child.stdin.end(),
            (err: unknown) => {
              child.kill('SIGKILL');
              reject(err);
            },
          );
        }
      }
    });
    child.stdin.on('error', () => {}); // the server may exit before reading everything
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'startup-test', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'instagram_accounts', arguments: {} } });
    const guard = setTimeout(() => {
      hung = 'still running at the safety timeout; SIGTERM ended it';
      child.kill('SIGTERM');
      setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        hung = 'still running at the safety timeout and it ignored SIGTERM; SIGKILL ended it';
        child.kill('SIGKILL');
      }, 5_000).unref();
    }, safetyMs);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      run.code = code;
      run.signal = signal;
      if (hung) reject(new Error(`the server did not exit: ${hung}\nstderr: ${run.stderr}`));
      else resolve(run);
    });
  });
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Stores one connected account (its token encrypted under `key`) in `<dataDir>/instagram-mcp.sqlite`. */
async function seedAccount(dataDir: string, key: Buffer) {
  const store = openStore({ file: path.join(dataDir, DB_FILE), vault: new TokenVault(key), clock: systemClock });
  const now = Date.now();
  await store.accounts.upsert({
    owner: OWNER,
    id: ACCOUNT_ID,
    appScopedId: null,
    username: 'startup.cafe',
    name: 'Startup Cafe',
    biography: null,
    website: null,
    profilePictureUrl: null,
    accountType: 'BUSINESS',
    loginType: 'instagram',
    pageId: null,
    followersCount: 1,
    followsCount: 1,
    mediaCount: 0,
    accessToken: testToken('IGAA', 'startupTOKEN', 40),
    tokenIssuedAt: now,
    // Far from the refresh window, so nothing at start-up reaches the Graph API for it.
    tokenExpiresAt: now + 50 * 24 * 60 * 60 * 1000,
    lastRefreshAt: null,
    status: 'active',
  });
  return store;
}

describe('server start-up', () => {
  let emulator: Emulator;
  const dirs: string[] = [];
  beforeAll(async () => {
    emulator = createEmulator();
    await emulator.start(0, '127.0.0.1');
  });
  afterAll(async () => {
    await emulator.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  const serverEnv = (dataDir: string, extra: Record<string, string> = {}) => ({
    ...emulatorEnv(emulator),
    INSTAGRAM_REDIRECT_URI: 'http://127.0.0.1:9/oauth/callback',
    INSTAGRAM_MCP_DATA_DIR: dataDir,
    INSTAGRAM_MCP_OWNER: OWNER,
    ...extra,
  });

  it('refuses to start, saying what to do, when the encryption key file was deleted and the database holds tokens', async () => {
    const dataDir = tempDir('igmcp-startup-key-');
    dirs.push(dataDir);
    await (await seedAccount(dataDir, loadOrCreateKey(dataDir))).close();

    // With its key the server serves the stored account...
    const healthy = await runServer(serverEnv(dataDir), { stayUp: () => {} });
    expect(healthy.code, healthy.stderr).toBe(0);
    const listed = healthy.answers.get(2)?.result;
    expect(listed?.isError, JSON.stringify(listed)).toBeFalsy();
    expect(JSON.stringify(listed)).toContain(ACCOUNT_ID);

    // ...and without it, it stops rather than generate a new key that cannot read them.
    fs.rmSync(path.join(dataDir, KEY_FILE_NAME));
    const refused = await runServer(serverEnv(dataDir));
    expect(refused.code).not.toBe(0);
    expect(refused.code).not.toBeNull();
    expect(refused.stderr).toMatch(/encrypted under a different encryption key/);
    expect(refused.stderr).toContain(path.join(dataDir, DB_FILE));
    expect(refused.stderr).toContain(KEY_FILE_NAME);
    expect(refused.stderr).toContain('INSTAGRAM_MCP_ENCRYPTION_KEY');
    expect(refused.stderr).toMatch(/reconnect/);
    // A tool call made before it stopped got an error, never an answer built on unreadable tokens.
    const answer = refused.answers.get(2);
    if (answer) expect(answer.result?.isError ?? Boolean(answer.error)).toBe(true);

    // The same refusal when the key comes from INSTAGRAM_MCP_ENCRYPTION_KEY and it changed.
    const wrongKey = await runServer(serverEnv(dataDir, { INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex') }));
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.stderr).toMatch(/encrypted under a different encryption key/);
  }, 90_000);

  posixOnly('tightens a pre-existing database, its WAL and SHM files to 0600 and the data folder to 0700', async () => {
    const dataDir = tempDir('igmcp-startup-perm-');
    dirs.push(dataDir);
    const key = randomBytes(32);
    // An open connection keeps the -wal and -shm files in place, as a crash would leave them.
    const store = await seedAccount(dataDir, key);
    try {
      const files = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`].map((f) => path.join(dataDir, f));
      for (const file of files) fs.chmodSync(file, 0o644);
      fs.chmodSync(dataDir, 0o755);

      const modes = new Map<string, number>();
      const run = await runServer(serverEnv(dataDir, { INSTAGRAM_MCP_ENCRYPTION_KEY: key.toString('hex') }), {
        stayUp: () => {
          for (const p of [dataDir, ...files]) modes.set(p, mode(p));
        },
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.answers.get(2)?.result?.isError).toBeFalsy();
      expect(Object.fromEntries(modes)).toEqual({
        [dataDir]: 0o700,
        [files[0]!]: 0o600,
        [files[1]!]: 0o600,
        [files[2]!]: 0o600,
      });
    } finally {
      await store.close();
    }
  }, 90_000);

  it.skipIf(process.platform !== 'linux')('exits with a clear error, instead of spinning, when the data folder cannot be created (under /proc)', async () => {
    const dataDir = `/proc/instagram-mcp-test-${randomBytes(4).toString('hex')}`;
    const run = await runServer({ INSTAGRAM_MCP_DATA_DIR: dataDir, INSTAGRAM_MCP_SANDBOX: '1' });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toContain(dataDir);
    expect(run.stderr).toContain('INSTAGRAM_MCP_DATA_DIR');
    expect(run.stderr).toMatch(/writable folder/);
    const answer = run.answers.get(2);
    if (answer) expect(answer.result?.isError ?? Boolean(answer.error)).toBe(true);

    // The same without sandbox mode, where the folder is used as given.
    const direct = await runServer({ ...serverEnv(dataDir), INSTAGRAM_MCP_ENCRYPTION_KEY: randomBytes(32).toString('hex') });
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toContain(dataDir);
    expect(direct.stderr).toContain('INSTAGRAM_MCP_DATA_DIR');
  }, 90_000);
});
