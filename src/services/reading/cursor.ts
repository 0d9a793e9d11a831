/**
 * Opaque paging cursors: base64url JSON that carries the Graph `after` cursor, the account it belongs
 * to and the filters of the first call, so a next page cannot drift to another tool, account or query.
 */
import { AppError } from '../../errors.js';
import type { AccountRecord } from '../../store/index.js';

export type CursorKind = 'posts' | 'comments' | 'replies' | 'hashtag' | 'discovery';

export interface CursorBody {
  k: CursorKind;
  /** Account id the cursor belongs to. */
  a: string;
  /** Graph `after` cursor. */
  c: string;
  [key: string]: string | number | undefined;
}

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
  if (!b || typeof b !== 'object' || b.k !== kind || typeof b.c !== 'string' || typeof b.a !== 'string') {
    throw new AppError('invalid_cursor', 'This cursor does not belong to this tool.', 'Pass the next_cursor value of the previous answer of the same tool unchanged, or leave cursor out to start over.');
  }
  if (b.a !== account.id) {
    throw new AppError('invalid_cursor', `This cursor belongs to another account, not @${account.username}.`, 'Use the same account as the call that returned the cursor, or leave cursor out.');
  }
  return b as CursorBody;
}
