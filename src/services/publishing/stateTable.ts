/**
 * The publishing state machine, as data: for each state of a post, the step the runner runs in it,
 * the states that step may move the post to, and what is persisted on the way in and while the step
 * runs. `transition()` is the only code that changes a post's state, and it refuses any move the table
 * does not list; the README's state table is generated from this one (`stateTableMarkdown`).
 *
 * Every state is written BEFORE its step runs, and every id Instagram hands back is written right
 * after it arrives, so a post interrupted anywhere is resumed from its row without publishing twice.
 */
import type { Clock } from '../../clock.js';
import type { FailureReport } from '../../instagram/errors.js';
import { STORY_LIFETIME_MS, type LeaseFence, type PostRecord, type PostRuntimePatch, type PostState, type Store, type TransitionColumns } from '../../store/index.js';

/** The step modules (steps/*) by name; runner.ts maps each to its implementation. */
export type StepName = 'begin' | 'awaitStart' | 'containers' | 'upload' | 'polling' | 'awaitPublish' | 'publish' | 'firstComment';

export interface StateSpec {
  /** What the post is doing in this state. */
  doing: string;
  /** The step run in this state; null when nothing is left to do. */
  step: StepName | null;
  /** Where the step may move the post. */
  next: readonly PostState[];
  /** Nothing is live yet: a transient Graph failure is retried in place and never fails the post. */
  retriesTransientFailures: boolean;
  /** Written with the move into this state. */
  persistedOnEntry: string;
  /** Written by the step as it goes, before it moves the post on. */
  persistedByStep: string;
  /** The columns the move into this state always sets (beyond those of the particular move). */
  entryColumns?: (post: PostRecord, now: number) => TransitionColumns;
}

export const STATE_TABLE: Record<PostState, StateSpec> = {
  pending: {
    doing: 'Stored with its checked media; nothing sent to Instagram yet.',
    step: 'begin',
    next: ['creating_container', 'scheduled', 'failed'],
    retriesTransientFailures: false,
    persistedOnEntry: 'The post: settings, prepared media, idempotency key; its media marked used; the audit entry.',
    persistedByStep: '—',
  },
  scheduled: {
    doing: 'Checked completely and waiting for its time; its containers are created ahead of publish_at (5 minutes for images, 45 for video).',
    step: 'awaitStart',
    next: ['creating_container', 'cancelled', 'skipped', 'failed'],
    retriesTransientFailures: false,
    persistedOnEntry: 'publish_at, the grace window and the quota policy.',
    persistedByStep: '—',
  },
  creating_container: {
    doing: "Creating the media containers (a carousel's children up to 10 at once).",
    step: 'containers',
    next: ['uploading', 'processing', 'cancelled', 'failed'],
    retriesTransientFailures: true,
    persistedOnEntry: 'The state.',
    persistedByStep: 'Each container id as it arrives (the post\'s or the child\'s), with its creation time, resumable flag and upload URI; that resumable uploads are refused.',
  },
  uploading: {
    doing: 'Streaming local videos to their resumable containers, resuming from the offset Instagram reports.',
    step: 'upload',
    next: ['processing', 'cancelled', 'failed'],
    retriesTransientFailures: true,
    persistedOnEntry: 'The state.',
    persistedByStep: "Each video's uploaded flag (its carousel child moves to processing).",
  },
  processing: {
    doing: 'Polling the containers until FINISHED; a carousel then gets its parent container, polled too.',
    step: 'polling',
    next: ['publishing', 'ready', 'cancelled', 'failed'],
    retriesTransientFailures: true,
    persistedOnEntry: 'The state (and, back from publishing, the attempt count).',
    persistedByStep: "Each child as it finishes; the carousel parent's container id as it arrives.",
  },
  ready: {
    doing: 'Scheduled and processed: waits for publish_at; a container that would pass its 24-hour life first is created anew, and a time missed by more than the grace window is skipped.',
    step: 'awaitPublish',
    next: ['publishing', 'creating_container', 'scheduled', 'cancelled', 'skipped', 'failed'],
    retriesTransientFailures: true,
    persistedOnEntry: 'The state.',
    persistedByStep: 'How late media_publish went out, when it was late.',
  },
  publishing: {
    doing: 'media_publish, never repeated blindly: a resumed or failed attempt reads the container first.',
    step: 'publish',
    next: ['completed', 'processing', 'failed'],
    retriesTransientFailures: false,
    persistedOnEntry: 'The state.',
    persistedByStep: 'Attempts + 1 and the attempt time, before media_publish; the media id the moment it is known.',
  },
  completed: {
    doing: 'Live. The first comment, if asked for, is posted once.',
    step: 'firstComment',
    next: [],
    retriesTransientFailures: false,
    persistedOnEntry: 'Progress 1, publish time, story expiry, media id and permalink (or a note while the media id is unknown); errors cleared.',
    persistedByStep: 'The first-comment result: unknown before the write, then posted or failed.',
    entryColumns: (post, now) => ({
      progress: 1,
      publishedAt: now,
      expiresAt: post.kind === 'story' ? now + STORY_LIFETIME_MS : null,
      errorCode: null,
      errorSubcode: null,
      errorMessage: null,
    }),
  },
  failed: {
    doing: 'Not published, and never will be from this post.',
    step: null,
    next: [],
    retriesTransientFailures: false,
    persistedOnEntry: 'Graph code, subcode and message (redacted), our failure code and hint.',
    persistedByStep: '—',
  },
  cancelled: {
    doing: 'Cancelled before media_publish: nothing was published; a container already made is left to expire.',
    step: null,
    next: [],
    retriesTransientFailures: false,
    persistedOnEntry: 'The state and who cancelled it (audit log).',
    persistedByStep: '—',
  },
  skipped: {
    doing: 'Its time was missed by more than its grace window (no server was running): not published.',
    step: null,
    next: [],
    retriesTransientFailures: false,
    persistedOnEntry: 'How late it would have been, as the note.',
    persistedByStep: '—',
  },
};

export function isInFlight(state: PostState): boolean {
  return STATE_TABLE[state].next.length > 0;
}

/** What a move writes besides the state. */
export interface TransitionChange {
  columns?: TransitionColumns;
  runtime?: PostRuntimePatch;
}

export interface TransitionContext {
  store: Store;
  clock: Clock;
  /** Write only while this lease is held (a job's moves); absent for a move made outside a job. */
  fence?: LeaseFence;
}

/** The move is not in the table: a bug. */
export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
}

/** The stored post is no longer where this move starts (another process moved it, or took its lease). */
export class TransitionConflictError extends Error {
  override name = 'TransitionConflictError';
}

/** Moves `post` to `to`, writing the table's entry columns and the change in one conditional write. */
export async function transition(ctx: TransitionContext, post: PostRecord, to: PostState, change: TransitionChange = {}): Promise<PostRecord> {
  const from = post.state;
  if (!STATE_TABLE[from].next.includes(to)) throw new IllegalTransitionError(`a post cannot move from ${from} to ${to}`);
  const columns = { ...STATE_TABLE[to].entryColumns?.(post, ctx.clock.now()), ...change.columns };
  const moved = await ctx.store.posts.writeTransition(post.id, { from, to, columns, ...(change.runtime ? { runtime: change.runtime } : {}), ...(ctx.fence ? { fence: ctx.fence } : {}) });
  if (!moved) throw new TransitionConflictError(`post ${post.id} is no longer ${from} (or its lease was taken over)`);
  return moved;
}

/** The move into `completed`: the media id and permalink (a note when the media id could not be found yet). */
export function publishedChange(mediaId: string | null, permalink: string | null): TransitionChange {
  return {
    columns: { ...(mediaId ? { mediaId } : {}), permalink },
    ...(mediaId ? {} : { runtime: { note: 'Instagram reports the container as published, but its media id could not be found yet; instagram_post_status looks again.' } }),
  };
}

/** The move into `failed`. */
export function failedChange(report: FailureReport): TransitionChange {
  return {
    columns: { errorCode: report.code, errorSubcode: report.subcode, errorMessage: report.message },
    runtime: { failureCode: report.failureCode, ...(report.hint ? { failureHint: report.hint } : {}) },
  };
}

/** The table as Markdown, for the README (scripts/readmeTables.ts). */
export function stateTableMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = (Object.entries(STATE_TABLE) as Array<[PostState, StateSpec]>).map(
    ([state, s]) =>
      `| \`${state}\` | ${cell(s.doing)} | ${s.step ? `\`${s.step}\`` : '—'} | ${s.next.length ? s.next.map((n) => `\`${n}\``).join(', ') : '— (final)'} | ${cell(s.persistedOnEntry)} | ${cell(s.persistedByStep)} | ${s.retriesTransientFailures ? 'retried in place, then left for later' : '—'} |`,
  );
  return [
    '| State | What happens | Step (`services/publishing/steps`) | Moves to | Persisted on entry | Persisted by the step | Transient Graph failure |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
