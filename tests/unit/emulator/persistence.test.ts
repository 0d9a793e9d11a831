/**
 * The sandbox emulator's saved state (issue #12, item 13): a lock left by a process that died is
 * broken, a lock held by a live process is waited for, and a state file this version cannot read is
 * a clear error that names the reset.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { VirtualClock } from '../../../src/clock.js';
import { createEmulator, type Emulator } from '../../../src/emulator/index.js';

let dir: string;
const started: Emulator[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-emu-state-'));
});
afterEach(async () => {
  for (const e of started.splice(0)) await e.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function sandboxEmulator(): Promise<Emulator> {
  const emulator = createEmulator({ clock: new VirtualClock(), sandboxDir: dir });
  await emulator.start(0, '127.0.0.1');
  started.push(emulator);
  return emulator;
}

async function me(e: Emulator, token: string): Promise<number> {
  return (await fetch(`${e.urls.instagramGraph}/v24.0/me?fields=username&access_token=${token}`)).status;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('sandbox emulator state', () => {
  it('breaks a lock left by a process that died, and keeps what was saved', async () => {
    const first = await sandboxEmulator();
    const token = first.issueToken({ userId: first.users.instagramBusiness.id, loginType: 'instagram' });
    expect(await me(first, token)).toBe(200); // a transaction: the token is saved
    await first.stop();
    started.splice(0);

    const dead = spawn(process.execPath, ['-e', '']);
    await exited(dead);
    writeFileSync(path.join(dir, 'state.lock'), String(dead.pid));
    const second = await sandboxEmulator();
    expect(await me(second, token)).toBe(200);
    expect(existsSync(path.join(dir, 'state.lock'))).toBe(false);
  });

  it('waits for a lock held by a live process', async () => {
    const e = await sandboxEmulator();
    const token = e.issueToken({ userId: e.users.instagramBusiness.id, loginType: 'instagram' });
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(path.join(dir, 'state.lock'), String(holder.pid));
      let answered = false;
      const request = me(e, token).then((status) => {
        answered = true;
        return status;
      });
      // The request reached the emulator and stays unanswered while the lock is held.
      while (!e.requestLog().some((r) => r.path === '/me')) await new Promise((resolve) => setImmediate(resolve));
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(answered).toBe(false);
      rmSync(path.join(dir, 'state.lock'));
      expect(await request).toBe(200);
    } finally {
      holder.kill();
      await exited(holder);
    }
  });

  it('refuses a state file it cannot read, naming the reset', async () => {
    writeFileSync(path.join(dir, 'state.bin'), v8.serialize({ format: 99 }));
    const emulator = createEmulator({ clock: new VirtualClock(), sandboxDir: dir });
    started.push(emulator);
    await expect(emulator.start(0, '127.0.0.1')).rejects.toThrow(/--sandbox-reset/);
  });
});
