/**
 * The open MCP sessions of the HTTP transports, kept bounded: a session with no request in flight and
 * no open stream for the idle time is closed (its McpServer freed), and each owner may hold at most a
 * set number at once. Idle timers run on the injected clock, so tests move a VirtualClock.
 */
import type { ServerResponse } from 'node:http';
import type { Clock, Timer } from '../clock.js';

export type SessionTransport = 'streamable' | 'legacy';

export interface SessionLimits {
  idleMs: number;
  maxPerOwner: number;
}

export interface SessionEntry<T> {
  id: string;
  owner: string;
  transport: SessionTransport;
  value: T;
  /** The protocol version negotiated at initialize (Streamable HTTP). */
  protocolVersion?: string;
  /** Requests and streams of this session still open. */
  active: number;
  /** When the last of them closed (clock time), while active is 0. */
  idleSince: number;
  timer?: Timer;
  close(): Promise<void>;
}

/** Why a new session was refused: the owner is at the cap. */
export interface SessionRefusal {
  limit: number;
  open: number;
  /** Seconds until the owner's next idle session expires, when one is idle. */
  retryAfterSeconds?: number;
  message: string;
}

/** Ids of sessions that expired lately, so their 404 can say so (bounded: the oldest are forgotten). */
const REMEMBERED_EXPIRED = 1000;

export class SessionRegistry<T> {
  private readonly sessions = new Map<string, SessionEntry<T>>();
  /** Initializations admitted but not yet registered, per owner: they hold a place under the cap. */
  private readonly pending = new Map<string, number>();
  private readonly expired = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: SessionLimits,
    private readonly onExpired: (entry: SessionEntry<T>) => void = () => {},
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get idleMinutes(): number {
    return Math.round(this.limits.idleMs / 60_000);
  }

  /**
   * Holds a place for a new session of `owner`, or says why not. At the cap the new session is refused
   * rather than an old one evicted: an idle session may be a conversation the user comes back to in
   * another client, and evicting it would break that client silently, while a refusal is seen at once
   * by whoever opens one session too many, and resolves itself as idle sessions expire.
   */
  admit(owner: string): { release(): void } | SessionRefusal {
    const open = this.countFor(owner) + (this.pending.get(owner) ?? 0);
    if (open >= this.limits.maxPerOwner) return this.refusal(owner, open);
    this.pending.set(owner, (this.pending.get(owner) ?? 0) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.pending.get(owner) ?? 1) - 1;
        if (left > 0) this.pending.set(owner, left);
        else this.pending.delete(owner);
      },
    };
  }

  add(entry: Omit<SessionEntry<T>, 'active' | 'idleSince' | 'timer'>): SessionEntry<T> {
    const full: SessionEntry<T> = { ...entry, active: 0, idleSince: this.clock.now() };
    this.sessions.set(entry.id, full);
    this.armIdleTimer(full);
    return full;
  }

  get(id: string): SessionEntry<T> | undefined {
    return this.sessions.get(id);
  }

  /** True when `id` named a session closed for being unused (recently enough to remember). */
  wasExpired(id: string): boolean {
    return this.expired.has(id);
  }

  /** Counts `res` as in use of the session until it closes; the idle time starts when the last one does. */
  track(entry: SessionEntry<T>, res: ServerResponse): void {
    entry.active++;
    entry.timer?.cancel();
    entry.timer = undefined;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      entry.active--;
      if (entry.active === 0 && this.sessions.get(entry.id) === entry) {
        entry.idleSince = this.clock.now();
        this.armIdleTimer(entry);
      }
    };
    res.once('finish', end);
    res.once('close', end);
  }

  /** Forgets the session (it closed itself, or was deleted); does not close it. */
  remove(id: string): void {
    const entry = this.sessions.get(id);
    if (!entry) return;
    entry.timer?.cancel();
    this.sessions.delete(id);
  }

  countFor(owner: string): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.owner === owner) n++;
    return n;
  }

  list(): Array<SessionEntry<T>> {
    return [...this.sessions.values()];
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    for (const s of all) this.remove(s.id);
    for (const s of all) await s.close().catch(() => {});
  }

  private armIdleTimer(entry: SessionEntry<T>): void {
    // A legacy SSE session lives exactly as long as its stream: it ends when the stream closes.
    if (entry.transport === 'legacy') return;
    entry.timer?.cancel();
    entry.timer = this.clock.setTimer(this.limits.idleMs, () => {
      if (this.sessions.get(entry.id) !== entry || entry.active > 0) return;
      this.remove(entry.id);
      this.expired.add(entry.id);
      if (this.expired.size > REMEMBERED_EXPIRED) this.expired.delete(this.expired.values().next().value!);
      this.onExpired(entry);
      void entry.close().catch(() => {});
    });
  }

  private refusal(owner: string, open: number): SessionRefusal {
    const now = this.clock.now();
    const idle = this.list().filter((s) => s.owner === owner && s.active === 0 && s.transport === 'streamable');
    const soonest = idle.length ? Math.min(...idle.map((s) => s.idleSince + this.limits.idleMs)) : undefined;
    const retryAfterSeconds = soonest === undefined ? undefined : Math.max(1, Math.ceil((soonest - now) / 1000));
    const limit = this.limits.maxPerOwner;
    return {
      limit,
      open,
      retryAfterSeconds,
      message:
        `Too many MCP sessions: this identity already has ${open} open sessions, the most allowed per owner (INSTAGRAM_MCP_MAX_SESSIONS=${limit}). ` +
        `Close sessions you no longer use (quit those clients, or send DELETE /mcp with their Mcp-Session-Id), or wait: a session unused for ${this.idleMinutes} minutes is closed` +
        (retryAfterSeconds !== undefined ? ` (the next in about ${retryAfterSeconds} s).` : '.'),
    };
  }
}
