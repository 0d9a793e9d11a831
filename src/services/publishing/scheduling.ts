/**
 * What is checked when a post is scheduled, so it does not fail at 3 a.m. for a reason knowable at
 * noon: the time itself, the account's token at that time, and the publishing quota in the 24 hours
 * around it (Instagram's moving window, live total; carousels count once). The media and caption are
 * checked by plan.ts, as for a post published at once.
 */
import { AppError } from '../../errors.js';
import type { AccountRecord, QuotaEvent } from '../../store/index.js';

/** How far ahead a post may be scheduled: a token refreshed meanwhile lasts 60 days. */
export const MAX_SCHEDULE_AHEAD_MS = 60 * 24 * 60 * 60 * 1000;
/** publish_at this far in the past still counts as "now" (clock skew between client and server). */
const PAST_TOLERANCE_MS = 60 * 1000;
const QUOTA_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface ScheduleRequest {
  /** The instant media_publish is due, epoch ms. */
  publishAt: number;
  /** How late a missed time may still go out; 0 means only on time ("skip" when missed). */
  graceMs?: number;
  /** When the quota is full at that time, wait for room instead of refusing now. */
  whenQuotaAllows?: boolean;
}

/** ISO 8601 with an explicit offset or Z: a time without one names no instant. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

export function parsePublishAt(value: string): number {
  const text = value.trim();
  const at = ISO_INSTANT.test(text) ? Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : NaN;
  if (!Number.isFinite(at)) {
    throw new AppError(
      'invalid_publish_at',
      `publish_at "${text.slice(0, 40)}" is not an ISO 8601 time with an offset.`,
      'Give the instant with its offset, e.g. 2026-12-24T09:00:00+01:00 or 2026-12-24T08:00:00Z.',
    );
  }
  return at;
}

export function checkPublishTime(publishAt: number, now: number): void {
  if (publishAt < now - PAST_TOLERANCE_MS) {
    throw new AppError('publish_at_in_past', `publish_at ${new Date(publishAt).toISOString()} is in the past (now is ${new Date(now).toISOString()}).`, 'Give a future time, or leave publish_at out to publish now.');
  }
  if (publishAt > now + MAX_SCHEDULE_AHEAD_MS) {
    throw new AppError('publish_at_too_far', `publish_at ${new Date(publishAt).toISOString()} is more than 60 days ahead.`, 'Schedule at most 60 days ahead (an access token lasts 60 days between refreshes).');
  }
}

/** Refuses an account that cannot publish at that time; a note when its token must be refreshed first. */
export function checkAccountAt(account: AccountRecord, publishAt: number, reauthHint: string): string | undefined {
  if (account.status !== 'active') {
    throw new AppError('needs_reauth', `@${account.username} needs to be reconnected before anything can be scheduled for it.`, reauthHint);
  }
  if (account.tokenExpiresAt !== null && account.tokenExpiresAt < publishAt) {
    return `Its token expires ${new Date(account.tokenExpiresAt).toISOString()}, before publish_at: a running server (or instagram-mcp worker) refreshes it in time; with none running, reconnect the account first.`;
  }
  return undefined;
}

/**
 * Posts counted in the window that ends at `t`: (t - 24 h, t]. `external` posts the live usage shows
 * but our store does not are taken as published now (the latest they can have been).
 */
function countAt(times: number[], t: number): number {
  let n = 0;
  for (const x of times) if (x > t - QUOTA_WINDOW_MS && x <= t) n++;
  return n;
}

/** Whether one more post at `at` keeps every window that contains it within `total`. */
function fits(times: number[], total: number, at: number): boolean {
  const affected = [at, ...times.filter((x) => x > at && x < at + QUOTA_WINDOW_MS)];
  return affected.every((t) => countAt(times, t) + 1 <= total);
}

export interface QuotaPlan {
  fits: boolean;
  /** When it does not: the earliest time from `at` on that has room. */
  nextFreeAt?: number;
  usedAtTime: number;
}

export function planQuota(args: { events: QuotaEvent[]; liveUsage: number; total: number; now: number; at: number; excludePostId?: string }): QuotaPlan {
  const { now, at, total } = args;
  const events = args.events.filter((e) => e.postId !== args.excludePostId);
  const ourRecent = events.filter((e) => e.published && e.at > now - QUOTA_WINDOW_MS).length;
  const external = Math.max(0, args.liveUsage - ourRecent);
  const times = [...events.map((e) => e.at), ...Array.from({ length: external }, () => now)].sort((a, b) => a - b);
  const usedAtTime = countAt(times, at);
  if (fits(times, total, at)) return { fits: true, usedAtTime };
  // Room appears only when a counted post leaves a window: 24 h (and a millisecond) after one.
  const candidates = [...new Set(times.map((x) => x + QUOTA_WINDOW_MS + 1))].filter((t) => t > at).sort((a, b) => a - b);
  const nextFreeAt = candidates.find((t) => fits(times, total, t));
  return { fits: false, usedAtTime, ...(nextFreeAt !== undefined ? { nextFreeAt } : {}) };
}
