import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import { accountInput, newVault, openTestStore, tempDir } from './helpers.js';
import { VirtualClock } from '../../../src/clock.js';

const TABLES = ['accounts', 'agent_accounts', 'audit_log', 'hashtag_searches', 'media', 'oauth_sessions', 'posts', 'store_meta'];

function tableNames(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("select name from sqlite_master where type = 'table' order by name").all() as Array<{ name: string }>).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('openStore', () => {
  it('creates every table from an empty file and keeps data across restarts', async () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const vault = newVault();
    const clock = new VirtualClock();

    const first = openStore({ file, vault, clock });
    await first.accounts.upsert(accountInput());
    await first.close();
    expect(tableNames(file)).toEqual(expect.arrayContaining(TABLES));

    const second = openStore({ file, vault, clock });
    expect((await second.accounts.get('owner-a', '17841400000000123'))?.username).toBe('Acme.Coffee');
    await second.close();

    // A third open applies nothing twice: one journal row per migration file.
    const third = openStore({ file, vault, clock });
    await third.close();
    const journal = JSON.parse(fs.readFileSync(new URL('../../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] };
    const db = new Database(file, { readonly: true });
    expect((db.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n).toBe(journal.entries.length);
    db.close();
  });

  it('runs in WAL mode with foreign keys on, synchronous NORMAL and a busy timeout', async () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const { store } = openTestStore({ file });
    await store.accounts.upsert(accountInput());
    // Pragmas are per connection, so check through a second connection only what is persistent (WAL)...
    const other = new Database(file);
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    other.close();
    // ...and the connection settings through behaviour: a post for a missing account violates the foreign key.
    await expect(store.posts.create({ owner: 'owner-a', accountId: 'missing', kind: 'image', inputs: [] })).rejects.toThrow(/FOREIGN KEY/);
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
  });

  it('sets WAL, foreign_keys, synchronous NORMAL and busy_timeout on its connection', () => {
    // The store keeps its connection private, so catch it as it is configured and read the settings back.
    const pragma = vi.spyOn(Database.prototype, 'pragma');
    let connection: Database.Database;
    try {
      openTestStore({ file: path.join(tempDir(), 'store.sqlite') });
      connection = pragma.mock.contexts[0] as Database.Database;
    } finally {
      pragma.mockRestore();
    }
    expect(connection.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(connection.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(connection.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(connection.pragma('busy_timeout', { simple: true })).toBe(10_000);
  });

  it('creates the database file readable by its owner only', async () => {
    if (process.platform === 'win32') return;
    const file = path.join(tempDir(), 'store.sqlite');
    const { store } = openTestStore({ file });
    await store.accounts.upsert(accountInput());
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
  });

  it('tightens a pre-existing database and the -wal and -shm left next to it to 0600', async () => {
    if (process.platform === 'win32') return;
    const file = path.join(tempDir(), 'store.sqlite');
    const vault = newVault();
    // An open connection keeps the -wal and -shm files, as a crash would leave them.
    const holder = openStore({ file, vault, clock: new VirtualClock() });
    await holder.accounts.upsert(accountInput());
    try {
      const files = [file, `${file}-wal`, `${file}-shm`];
      for (const f of files) fs.chmodSync(f, 0o644);
      openTestStore({ file, vault });
      expect(files.map((f) => fs.statSync(f).mode & 0o777)).toEqual([0o600, 0o600, 0o600]);
    } finally {
      await holder.close();
    }
  });

  it('passes the integrity check', async () => {
    const { store } = openTestStore();
    await store.accounts.upsert(accountInput());
    expect(await store.integrityCheck()).toBe('ok');
  });

  it('rolls back everything written in a failed transaction', async () => {
    const { store } = openTestStore();
    await expect(
      store.transaction(async () => {
        await store.accounts.upsert(accountInput());
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.accounts.list('owner-a')).toEqual([]);
  });

  it('lets several processes open and migrate a fresh file at the same time', async () => {
    const file = path.join(tempDir(), 'store.sqlite');
    const script = fileURLToPath(new URL('./fixtures/openStore.ts', import.meta.url));
    const startAt = Date.now() + 1500; // after every child has loaded
    const run = () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, file, String(startAt)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all(Array.from({ length: 6 }, run));
    expect(results).toEqual(results.map(() => ({ code: 0, stderr: '' })));
    expect(tableNames(file)).toEqual(expect.arrayContaining(TABLES));
  });
});
