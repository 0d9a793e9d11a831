/**
 * JSON parsing that keeps large integers exact. Instagram user ids exceed 2^53 and the code exchange
 * returns `user_id` as an unquoted number, so `JSON.parse` alone would silently corrupt it. Every
 * integer literal with more than 15 digits is turned into a string before parsing.
 */
/** A number literal longer than any Graph value (ids have ~17 digits) is a broken or hostile answer. */
const MAX_NUMBER_LITERAL = 64;

export class JsonTooDeepOrLong extends Error {}

export function parseJsonLossless(text: string): unknown {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === '"') {
      // Copy a string literal verbatim, honouring escapes.
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) {
        if (++j - i > MAX_NUMBER_LITERAL) throw new JsonTooDeepOrLong(`a number longer than ${MAX_NUMBER_LITERAL} characters`);
      }
      const literal = text.slice(i, j);
      const digits = literal.replace('-', '');
      out += /^\d{16,}$/.test(digits) ? `"${literal}"` : literal;
      i = j;
      continue;
    }
    out += ch;
    i++;
  }
  return JSON.parse(out);
}

/** 0-9 e E . + - */
function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 101 || c === 69 || c === 46 || c === 43 || c === 45;
}
