/**
 * What reaches a client from Instagram, bounded (issue #12, items 11 and 12): text no longer than
 * Instagram itself allows, and links only when they are https:. A broken or hostile answer can then
 * neither blow up one tool result nor hand the client a `javascript:` link. Whatever was cut or left
 * out is counted per answer and said in its notes.
 */
import { LIMITS } from '../../media/index.js';

/**
 * Longest text Instagram produces, in characters (code points, as the caption check counts them):
 * real data is never cut. Comments share the caption's limit (the app's, reference §6).
 */
export const TEXT_LIMITS = {
  caption: LIMITS.caption.maxChars,
  comment: 2200,
  biography: 150,
  username: 30,
  /** Display names are 30 in the app; older accounts and pages have longer ones. */
  name: 100,
  /** Ids, types, timestamps, shortcodes, metric names, breakdown values. */
  value: 200,
  /** Meta's description of a metric. */
  description: 1000,
} as const;

export type TextKind = keyof typeof TEXT_LIMITS;

/** Longer than any CDN URL Instagram hands out (signed URLs run to ~1,000 characters). */
const MAX_LINK = 4096;

const LABELS: Record<TextKind, [string, string]> = {
  caption: ['caption', 'captions'],
  comment: ['comment text', 'comment texts'],
  biography: ['biography', 'biographies'],
  username: ['username', 'usernames'],
  name: ['name', 'names'],
  value: ['other value', 'other values'],
  description: ['metric description', 'metric descriptions'],
};

/**
 * In sandbox mode every answer comes from the built-in emulator, whose posts' permalinks are its own
 * preview pages on http://127.0.0.1 (issue #12, item 15): those are passed on too. Set once at start.
 */
let loopbackLinksAllowed = false;

export function allowLoopbackLinks(): void {
  loopbackLinksAllowed = true;
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
}

/** A URL passed on as a link only when it parses as https: (no javascript:, data:, http:, blanks or controls). */
export function httpsLink(value: string | null | undefined): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LINK) return null;
  // The URL parser silently strips blanks and controls: a link carrying any is not one to pass on.
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(value)) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (loopbackLinksAllowed && isLoopbackHttp(url)) ? value : null;
  } catch {
    return null;
  }
}

/** The first `max` code points of `text`, the last one replaced by … when it was longer. */
export function cutText(text: string, max: number): string {
  // Fast path: a string of at most `max` UTF-16 units has at most `max` code points.
  if (text.length <= max) return text;
  let count = 0;
  let end = 0;
  for (const ch of text) {
    if (count === max) return `${text.slice(0, lastCut(text, end))}…`;
    count++;
    end += ch.length;
  }
  return text;
}

/** Where the kept part ends: one code point before `end` (room for the …). */
function lastCut(text: string, end: number): number {
  const last = text.codePointAt(end - 1);
  const isLowSurrogate = last !== undefined && last >= 0xdc00 && last <= 0xdfff;
  return end - (isLowSurrogate && end >= 2 ? 2 : 1);
}

/** One answer's bounds: text cut to its limit, links checked, items capped; each counted for the notes. */
export class Bounds {
  private readonly cut = new Map<TextKind, number>();
  private readonly dropped = new Map<string, number>();
  private readonly capped: string[] = [];

  /** Text of the given kind, cut (and counted) when longer than Instagram allows. */
  text(value: string | null | undefined, kind: TextKind): string | null {
    if (typeof value !== 'string') return null;
    const out = cutText(value, TEXT_LIMITS[kind]);
    if (out !== value) this.cut.set(kind, (this.cut.get(kind) ?? 0) + 1);
    return out;
  }

  /** An id: always a string, bounded like any other value. */
  id(value: string): string {
    return this.text(value, 'value') ?? '';
  }

  /** A link from Instagram: passed on only when https:, otherwise null and counted under `field`. */
  link(value: string | null | undefined, field: string): string | null {
    if (value === null || value === undefined) return null;
    const link = httpsLink(value);
    if (link === null) this.dropped.set(field, (this.dropped.get(field) ?? 0) + 1);
    return link;
  }

  /** At most `max` items; more is said in the notes with `what` (e.g. "carousel children"). */
  items<T>(list: readonly T[], max: number, what: string): T[] {
    if (list.length <= max) return [...list];
    this.capped.push(`Instagram sent more ${what} than it allows (${list.length}); only the first ${max} are shown.`);
    return list.slice(0, max);
  }

  notes(): string[] {
    const out: string[] = [];
    for (const [kind, n] of this.cut) {
      const [one, many] = LABELS[kind];
      out.push(`${n} ${n === 1 ? `${one} was` : `${many} were`} longer than Instagram allows (${TEXT_LIMITS[kind]} characters) and ${n === 1 ? 'was' : 'were'} cut (ending in …).`);
    }
    if (this.dropped.size) {
      const n = [...this.dropped.values()].reduce((a, b) => a + b, 0);
      out.push(`${n} ${n === 1 ? 'link' : 'links'} from Instagram that ${n === 1 ? 'is' : 'are'} not https: (${[...this.dropped.keys()].join(', ')}) ${n === 1 ? 'was' : 'were'} left out (null).`);
    }
    out.push(...this.capped);
    return out;
  }
}
