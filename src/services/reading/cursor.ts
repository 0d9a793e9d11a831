/**
 * Opaque paging cursors: base64url JSON that carries the Graph `after` cursor, the account it belongs
 * to and the filters of the first call, so a next page cannot drift to another tool, account or query.
 * When Instagram answers with more items than asked for, the answer is cut to the limit and the cursor
 * says how many items of that same Graph page were already handed on (`o`), so none is skipped.
 */
import { AppError } from '../../errors.js';
import type { AccountRecord } from '../../store/index.js';

export type CursorKind = 'posts' | 'comments' | 'replies' | 'hashtag' | 'discovery';

export interface CursorBody {
  k: CursorKind;
  /** Account id the cursor belongs to. */
  a: string;
  /** Graph `after` cursor; '' for the first page. */
  c: string;
  /** Items of the Graph page read with `c` already returned (an oversized page cut to the limit). */
  o?: number;
  [key: string]: string | number | undefined;
}

/** Far more than a page under the response size cap can hold. */
const MAX_OFFSET = 1_000_000;

export function encodeCursor(body: CursorBody): string {
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string, kind: CursorKind, account: AccountRecord): CursorBody {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    body = undefined;
  }
  const b = body as Partial<CursorBody> | undefined;
  const badOffset = b?.o !== undefined && !(Number.isInteger(b.o) && b.o > 0 && b.o <= MAX_OFFSET);
  if (!b || typeof b !== 'object' || b.k !== kind || typeof b.c !== 'string' || typeof b.a !== 'string' || badOffset) {
    throw new AppError('invalid_cursor', 'This cursor does not belong to this tool.', 'Pass the next_cursor value of the previous answer of the same tool unchanged, or leave cursor out to start over.');
  }
  if (b.a !== account.id) {
    throw new AppError('invalid_cursor', `This cursor belongs to another account, not @${account.username}.`, 'Use the same account as the call that returned the cursor, or leave cursor out.');
  }
  return b as CursorBody;
}

/** Where a page starts: the Graph cursor to read with (undefined: the first page) and the items of it to skip. */
export interface PageStart {
  after: string | undefined;
  offset: number;
}

export function pageStart(cursor: CursorBody | undefined): PageStart {
  return { after: cursor?.c || undefined, offset: cursor?.o ?? 0 };
}

/**
 * At most `limit` items of a Graph page read from `start`, and where the next page starts: inside the
 * same Graph page when it held more, else Instagram's own next cursor (null: no more).
 */
export function slicePage<T>(items: readonly T[], limit: number, start: PageStart, graphNext: string | null): { items: T[]; next: { c: string; o?: number } | null } {
  const rest = items.slice(start.offset);
  if (rest.length > limit) return { items: rest.slice(0, limit), next: { c: start.after ?? '', o: start.offset + limit } };
  return { items: rest, next: graphNext ? { c: graphNext } : null };
}
