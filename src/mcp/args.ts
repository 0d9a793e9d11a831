/**
 * Checks every tool's arguments share, after the schema: no string may carry a control character
 * (C0 controls other than tab, line feed and carriage return, or DEL) or a lone UTF-16 surrogate.
 * Neither is meaningful in an id, a path, a URL, a token or a caption; NUL bytes truncate strings in
 * C APIs, controls hide text from the person reading it, and a lone surrogate cannot be encoded as
 * UTF-8 (it would reach SQLite and Instagram altered). Refused before any handler runs.
 */
import { AppError } from '../errors.js';

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_DEPTH = 10;

/** The first bad string in `value` as an error naming its place (e.g. `media[1].source`), or undefined. */
export function findBadText(value: unknown, path = '', depth = 0): AppError | undefined {
  if (typeof value === 'string') {
    const where = path || 'an argument';
    const control = CONTROL.exec(value);
    if (control) {
      const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      return new AppError(
        'invalid_argument',
        `${where} contains a control character (U+${code}) at position ${control.index}.`,
        'Remove it and call again: text may hold tabs and line breaks, but no other control characters.',
        { field: where },
      );
    }
    const lone = LONE_SURROGATE.exec(value);
    if (lone) {
      return new AppError(
        'invalid_argument',
        `${where} contains malformed text (a lone UTF-16 surrogate) at position ${lone.index}, which cannot be sent as UTF-8.`,
        'Send valid Unicode text.',
        { field: where },
      );
    }
    return undefined;
  }
  if (!value || typeof value !== 'object' || depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findBadText(value[i], `${path}[${i}]`, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  for (const [key, inner] of Object.entries(value)) {
    const bad = findBadText(inner, path ? `${path}.${key}` : key, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}
