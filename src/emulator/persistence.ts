/**
 * Sandbox mode keeps the emulator's Instagram on disk, so that every server process on the same data
 * folder sees one Instagram: a client that starts a process per call (the Inspector CLI) logs in with
 * one and publishes with the next, and two processes running at once (a desktop client and an IDE)
 * share accounts, tokens and posts. The state lives in one file replaced atomically (write to a
 * temporary file, then rename); a lock file makes each request a transaction across processes: take
 * the lock, reload the file if another process replaced it, answer, write the file back if anything
 * changed, release. Deleting the folder (`instagram-mcp --sandbox-reset`) is the only reset.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import v8 from 'node:v8';
import type { EmulatorState } from './state.js';
import type { EmulatorApps, EmulatorUsers, LoginType } from './types.js';

const FORMAT = 1;
const STATE_FILE = 'state.bin';
const LOCK_FILE = 'state.lock';
/** Longest wait for another process's transaction (an upload of a large video holds the lock). */
const LOCK_WAIT_MS = 120_000;
/** A lock file left empty this long belongs to a process that died between creating and writing it. */
const EMPTY_LOCK_STALE_MS = 10_000;

/** What is saved: everything an Instagram account would still have tomorrow (not faults, holds, logs, rate windows). */
interface Snapshot {
  format: number;
  /** Random per sandbox, so a process can tell a sibling's emulator from another program on a port. */
  sandboxId: string;
  apps: EmulatorApps;
  previewBase: string | undefined;
  prng: number;
  denyingUser: boolean;
  authorizingUser: Record<LoginType, string>;
  maps: Record<MapName, Map<string, unknown>>;
  usedIds: Set<string>;
  extensions: Map<string, unknown>;
}

const MAP_NAMES = ['igUsers', 'fbUsers', 'pages', 'tokens', 'codes', 'containers', 'media', 'pageTokens'] as const;
type MapName = (typeof MAP_NAMES)[number];

interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

/** Transactions of this process per lock file: the file lock is only ever contended by other processes. */
const inProcess = new Map<string, Promise<unknown>>();

export class PersistentState {
  readonly file: string;
  private readonly lockFile: string;
  private stamp: FileStamp | undefined;
  private saved: Buffer | undefined;
  sandboxId = randomBytes(12).toString('hex');
  /** The preview origin recorded in the file when this process opened it (before it was perhaps moved here). */
  recordedPreviewBase: string | undefined;

  constructor(
    readonly dir: string,
    private readonly state: EmulatorState,
    private readonly users: EmulatorUsers,
  ) {
    this.file = path.join(dir, STATE_FILE);
    this.lockFile = path.join(dir, LOCK_FILE);
  }

  /** Reads what the file says without the lock (it is only ever replaced whole), for choosing a port. */
  peek(): { previewBase: string | undefined; sandboxId: string | undefined } {
    const snapshot = this.read();
    return { previewBase: snapshot?.previewBase, sandboxId: snapshot?.sandboxId };
  }

  /**
   * At start: adopts the saved Instagram, or saves this freshly seeded one when there is none yet;
   * `settle` runs inside the same transaction (it may move the preview origin).
   */
  async open(settle: () => void): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await this.transaction(async () => {
      this.recordedPreviewBase = this.stamp ? this.state.permalinkBase : undefined;
      settle();
    });
  }

  /** Runs fn as one transaction over the saved state (see the header). */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    const before = inProcess.get(this.lockFile) ?? Promise.resolve();
    const run = before.then(async () => {
      const release = await this.lock();
      try {
        this.reloadIfReplaced();
        try {
          return await fn();
        } finally {
          this.saveIfChanged();
        }
      } finally {
        release();
      }
    });
    const settled = run.catch(() => undefined);
    inProcess.set(this.lockFile, settled);
    void settled.then(() => {
      if (inProcess.get(this.lockFile) === settled) inProcess.delete(this.lockFile);
    });
    return run;
  }

  // ------------------------------------------------------------------------------------ the lock

  private async lock(): Promise<() => void> {
    // Another process releases it in real time: a virtual clock would never move for it.
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      try {
        const fd = fs.openSync(this.lockFile, 'wx', 0o600);
        fs.writeSync(fd, String(process.pid));
        fs.closeSync(fd);
        return () => fs.rmSync(this.lockFile, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (this.lockIsStale()) {
        fs.rmSync(this.lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`The sandbox state in ${this.dir} stayed locked for ${LOCK_WAIT_MS / 1000} s (${LOCK_FILE}); another instagram-mcp process is stuck.`);
      await delay(wait);
    }
  }

  /** Left by a process that is gone (or by this one: its transactions are serialized before the file). */
  private lockIsStale(): boolean {
    let text: string;
    let mtimeMs: number;
    try {
      text = fs.readFileSync(this.lockFile, 'utf8').trim();
      mtimeMs = fs.statSync(this.lockFile).mtimeMs;
    } catch {
      return false;
    }
    const pid = Number(text);
    if (!text || !Number.isInteger(pid) || pid <= 0) return Date.now() - mtimeMs > EMPTY_LOCK_STALE_MS;
    if (pid === process.pid) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  // ------------------------------------------------------------------------------------ the file

  private read(): Snapshot | undefined {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const snapshot = v8.deserialize(bytes) as Snapshot;
    if (snapshot?.format !== FORMAT) throw new Error(`${this.file} is not a sandbox state this version can read; delete the folder (instagram-mcp --sandbox-reset) to start over.`);
    return snapshot;
  }

  private reloadIfReplaced(): void {
    const stamp = stampOf(this.file);
    if (!stamp) return; // none yet (or reset while running): this process's state is saved below
    if (this.stamp && sameStamp(stamp, this.stamp)) return;
    const bytes = fs.readFileSync(this.file);
    const snapshot = v8.deserialize(bytes) as Snapshot;
    if (snapshot?.format !== FORMAT) throw new Error(`${this.file} is not a sandbox state this version can read; delete the folder (instagram-mcp --sandbox-reset) to start over.`);
    this.apply(snapshot);
    this.saved = v8.serialize(this.capture());
    this.stamp = stamp;
  }

  private saveIfChanged(): void {
    const bytes = v8.serialize(this.capture());
    if (this.saved && bytes.equals(this.saved)) return;
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      fs.writeFileSync(temp, bytes, { mode: 0o600 });
      fs.renameSync(temp, this.file);
    } catch (error) {
      fs.rmSync(temp, { force: true });
      throw error;
    }
    this.saved = bytes;
    this.stamp = stampOf(this.file);
  }

  private capture(): Snapshot {
    const s = this.state;
    const maps = {} as Snapshot['maps'];
    for (const name of MAP_NAMES) maps[name] = s[name] as Map<string, unknown>;
    return {
      format: FORMAT,
      sandboxId: this.sandboxId,
      apps: s.apps,
      previewBase: s.permalinkBase,
      prng: s.prng.position(),
      denyingUser: s.denyingUser,
      authorizingUser: s.authorizingUser,
      maps,
      usedIds: s.usedIds,
      extensions: s.extensions,
    };
  }

  private apply(snapshot: Snapshot): void {
    const s = this.state;
    this.sandboxId = snapshot.sandboxId;
    Object.assign(s.apps, snapshot.apps);
    s.permalinkBase = snapshot.previewBase;
    s.prng.resume(snapshot.prng);
    s.denyingUser = snapshot.denyingUser;
    s.authorizingUser = { ...snapshot.authorizingUser };
    for (const name of MAP_NAMES) refill(s[name] as Map<string, unknown>, snapshot.maps[name]);
    s.usedIds.clear();
    for (const id of snapshot.usedIds) s.usedIds.add(id);
    refill(s.extensions, snapshot.extensions);
    // The seeded accounts' handles follow the loaded objects.
    for (const key of Object.keys(this.users) as Array<keyof EmulatorUsers>) {
      const current = this.users[key];
      const loaded = key === 'facebookUser' ? s.fbUsers.get(current.id) : key === 'linkedPage' || key === 'unlinkedPage' ? s.pages.get(current.id) : s.igUsers.get(current.id);
      if (loaded) (this.users as unknown as Record<string, unknown>)[key] = loaded;
    }
  }
}

/** Every string of the state that starts with `from` (a permalink of the old preview origin) now starts with `to`. */
export function rebaseStrings(state: EmulatorState, from: string, to: string): void {
  if (from === to) return;
  const seen = new Set<object>();
  const fix = (value: unknown): unknown => (typeof value === 'string' && value.startsWith(from) ? to + value.slice(from.length) : value);
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (node instanceof Map) {
      for (const [key, value] of node) {
        const fixed = fix(value);
        if (fixed !== value) node.set(key, fixed);
        else walk(value);
      }
    } else if (Array.isArray(node)) {
      node.forEach((value, i) => {
        const fixed = fix(value);
        if (fixed !== value) node[i] = fixed;
        else walk(value);
      });
    } else if (!(node instanceof Set)) {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const fixed = fix(record[key]);
        if (fixed !== record[key]) record[key] = fixed;
        else walk(record[key]);
      }
    }
  };
  for (const name of MAP_NAMES) walk(state[name]);
  walk(state.extensions);
}

function refill<K, V>(target: Map<K, V>, source: Map<K, V>): void {
  target.clear();
  for (const [key, value] of source) target.set(key, value);
}

function stampOf(file: string): FileStamp | undefined {
  try {
    const st = fs.statSync(file);
    return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
