/**
 * Test controls: fault injection (by rate or scripted sequence), holds (park matching requests until
 * released), and the request log with every token and secret masked.
 */
import type { Prng } from './random.js';
import type { FaultKind, FaultRule, Hold, HostRole, LoggedRequest, RequestMatcher } from './types.js';

export interface RequestInfo {
  method: string;
  hostRole: HostRole;
  path: string;
}

function matches(matcher: RequestMatcher, info: RequestInfo): boolean {
  if (matcher.method && matcher.method.toUpperCase() !== info.method) return false;
  if (matcher.hostRole && matcher.hostRole !== info.hostRole) return false;
  if (matcher.path !== undefined) {
    if (typeof matcher.path === 'string') {
      if (matcher.path !== info.path) return false;
    } else {
      matcher.path.lastIndex = 0;
      if (!matcher.path.test(info.path)) return false;
    }
  }
  return true;
}

interface ActiveFault {
  rule: FaultRule;
  sequenceIndex: number;
  injected: number;
}

export class FaultInjector {
  private rules: ActiveFault[] = [];

  constructor(private readonly prng: Prng) {}

  add(rule: FaultRule): void {
    if (!rule.kind && !rule.sequence?.length) throw new Error('A fault rule needs `kind` or a non-empty `sequence`.');
    if (rule.rate !== undefined && (rule.rate < 0 || rule.rate > 1)) throw new Error('Fault `rate` must be within 0..1.');
    this.rules.push({ rule, sequenceIndex: 0, injected: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  /** The fault for this request, if any (consumes sequence entries of matching rules). */
  pick(info: RequestInfo): FaultKind | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (!matches(rule, info)) continue;
      if (rule.times !== undefined && active.injected >= rule.times) continue;
      let kind: FaultKind | undefined;
      if (rule.sequence?.length) {
        if (active.sequenceIndex >= rule.sequence.length) continue;
        const entry = rule.sequence[active.sequenceIndex++]!;
        kind = entry === 'none' ? undefined : entry;
      } else if (rule.rate === undefined || this.prng.next() < rule.rate) {
        kind = rule.kind;
      }
      if (kind) {
        active.injected++;
        return kind;
      }
    }
    return undefined;
  }
}

class HoldImpl implements Hold {
  private waiting: Array<() => void> = [];
  private watchers: Array<() => void> = [];
  released = false;

  constructor(
    readonly id: string,
    readonly matcher: RequestMatcher,
    private readonly onRelease: (hold: HoldImpl) => void,
  ) {}

  get heldCount(): number {
    return this.waiting.length;
  }

  park(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      for (const watcher of this.watchers.splice(0)) watcher();
    });
  }

  waitForRequest(): Promise<void> {
    if (this.waiting.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push(resolve));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this);
    for (const resume of this.waiting.splice(0)) resume();
  }
}

export class HoldRegistry {
  private readonly holds = new Map<string, HoldImpl>();
  private counter = 0;

  create(matcher: RequestMatcher): Hold {
    const id = `hold-${++this.counter}`;
    const hold = new HoldImpl(id, matcher, (h) => this.holds.delete(h.id));
    this.holds.set(id, hold);
    return hold;
  }

  get(id: string): Hold | undefined {
    return this.holds.get(id);
  }

  list(): Array<{ id: string; heldCount: number; matcher: RequestMatcher }> {
    return [...this.holds.values()].map((h) => ({ id: h.id, heldCount: h.heldCount, matcher: h.matcher }));
  }

  /** Parks the request when an active hold matches; resolves when released. */
  async gate(info: RequestInfo): Promise<void> {
    for (const hold of this.holds.values()) {
      if (!hold.released && matches(hold.matcher, info)) {
        await hold.park();
        return;
      }
    }
  }

  releaseAll(): void {
    for (const hold of [...this.holds.values()]) hold.release();
  }
}

// ---------- request log & masking ----------

const SECRET_KEY = /(token|secret|password|authorization|cookie|^code$|appsecret_proof|code_verifier)/i;
const TOKEN_SHAPED = /\b(IGAA|IGQV|EAA)[A-Za-z0-9_\-]{8,}/g;

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private readonly secrets = new Set<string>();

  constructor(private readonly limit = 5000) {}

  /** Values masked wherever they appear (app secrets). */
  registerSecret(value: string): void {
    if (value.length >= 6) this.secrets.add(value);
  }

  add(entry: LoggedRequest): LoggedRequest {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    return entry;
  }

  all(): LoggedRequest[] {
    return this.entries.map((e) => ({ ...e, params: { ...e.params }, headers: { ...e.headers } }));
  }

  clear(): void {
    this.entries = [];
  }

  maskParams(params: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) out[key] = SECRET_KEY.test(key) ? maskSecret(value) : this.maskText(value);
    return out;
  }

  maskHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, raw] of Object.entries(headers)) {
      if (raw === undefined) continue;
      const value = Array.isArray(raw) ? raw.join(', ') : raw;
      if (key.toLowerCase() === 'authorization') {
        const match = /^\s*(\S+)\s+(\S+)/.exec(value);
        out[key] = match ? `${match[1]} ${maskSecret(match[2]!)}` : maskSecret(value);
      } else if (SECRET_KEY.test(key)) {
        out[key] = maskSecret(value);
      } else {
        out[key] = this.maskText(value);
      }
    }
    return out;
  }

  /** Masks token-shaped substrings and registered secrets inside free text (URLs, JSON). */
  maskText(text: string): string {
    let out = text.replace(TOKEN_SHAPED, (_m, prefix: string) => `${prefix}[masked]`);
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('[masked]');
    return out;
  }
}

/** Keeps a token's fixed prefix (IGAA / EAA: no entropy) so host mix-ups stay visible. */
export function maskSecret(value: string): string {
  const prefix = /^(IGAA|IGQV|EAA)/.exec(value)?.[1] ?? '';
  return `${prefix}[masked]`;
}
