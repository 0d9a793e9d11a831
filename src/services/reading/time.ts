/** Time arguments of the reading tools. */
import { AppError } from '../../errors.js';

/** Unix seconds from an ISO date/time or a unix timestamp (seconds; milliseconds are recognised). */
export function parseTimeArg(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number') return Math.floor(value > 1e12 ? value / 1000 : value);
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    return Math.floor(n > 1e12 ? n / 1000 : n);
  }
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) {
    throw new AppError('invalid_argument', `${name} is not a date: '${trimmed.slice(0, 40)}'.`, `Give ${name} as an ISO date (2026-11-01 or 2026-11-01T12:00:00Z) or unix seconds.`);
  }
  return Math.floor(ms / 1000);
}
