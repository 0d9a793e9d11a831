import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, notInArray } from 'drizzle-orm';
import { redactString } from '../log.js';
import type { RepoContext } from './context.js';
import { DuplicateIdempotencyKeyError, NotFoundError } from './errors.js';
import { parseChildren, parseInputs, parseOptions, serializeOptions, type ChildContainer, type PostRuntime, type PostRuntimePatch } from './postData.js';
import { posts } from './schema.js';
import { FINAL_POST_STATES } from './states.js';
import type { PostCreate, PostRecord, SyncPostsRepo, TransitionColumns } from './types.js';

export const STORY_LIFETIME_MS = 24 * 60 * 60 * 1000;
const DEFAULT_LIST_LIMIT = 50;

type PostRow = typeof posts.$inferSelect;
type PostColumns = Partial<typeof posts.$inferInsert>;

/** A posts row as its record (also used by postSchedule.ts). */
export function toRecord(row: PostRow): PostRecord {
  const { optionsJson, inputsJson, childrenJson, leaseOwner, leaseGeneration, leaseExpiresAt, ...rest } = row;
  return {
    ...rest,
    ...parseOptions(optionsJson),
    inputs: parseInputs(inputsJson),
    children: parseChildren(childrenJson),
    lease: leaseOwner !== null && leaseExpiresAt !== null ? { owner: leaseOwner, generation: leaseGeneration, expiresAt: leaseExpiresAt } : null,
  };
}

/** Transition columns as stored: progress clamped (float arithmetic may land a hair outside [0, 1]), messages redacted. */
export function toColumns(c: TransitionColumns): PostColumns {
  const set: PostColumns = {};
  for (const [key, value] of Object.entries(c)) if (value !== undefined) (set as Record<string, unknown>)[key] = value;
  if (set.progress !== undefined) set.progress = clamp(set.progress);
  if (typeof set.errorMessage === 'string') set.errorMessage = redactString(set.errorMessage);
  return set;
}

export function clamp(progress: number): number {
  return Math.min(1, Math.max(0, progress));
}

export function mergeRuntime(runtime: PostRuntime, patch: PostRuntimePatch): PostRuntime {
  const next: Record<string, unknown> = { ...runtime };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  return next as PostRuntime;
}

export function sortChildren(children: ChildContainer[]): ChildContainer[] {
  return [...children].sort((a, b) => a.index - b.index);
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** The row of a new post (pending, no container yet), the same on SQLite and PostgreSQL. */
export function newPostRow(p: PostCreate, now: number) {
  return {
    id: p.id ?? randomUUID(),
    owner: p.owner,
    accountId: p.accountId,
    idempotencyKey: p.idempotencyKey ?? null,
    kind: p.kind,
    caption: p.caption ?? null,
    optionsJson: serializeOptions(p.settings ?? {}, { containers: {} }),
    inputsJson: JSON.stringify(p.inputs),
    childrenJson: '[]',
    state: 'pending' as const,
    publishAt: p.publishAt ?? null,
    progress: 0,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

export function createPostsRepo({ db, sqlite, clock }: RepoContext): SyncPostsRepo {
  const getById = (id: string) => {
    const row = db.select().from(posts).where(eq(posts.id, id)).get();
    return row && toRecord(row);
  };
  const require = (id: string): PostRecord => {
    const post = getById(id);
    if (!post) throw new NotFoundError(`no post ${id}`);
    return post;
  };
  const findByIdempotencyKey = (owner: string, key: string) => {
    const row = db.select().from(posts).where(and(eq(posts.owner, owner), eq(posts.idempotencyKey, key))).get();
    return row && toRecord(row);
  };
  const write = (id: string, set: PostColumns): PostRecord => {
    const row = db
      .update(posts)
      .set({ updatedAt: clock.now(), ...set })
      .where(eq(posts.id, id))
      .returning()
      .get();
    if (!row) throw new NotFoundError(`no post ${id}`);
    return toRecord(row);
  };
  /** Read-modify-write under a write lock, so concurrent writers (carousel children) never lose each other's changes. */
  const modify = <T>(id: string, fn: (post: PostRecord) => T): T => sqlite.transaction(() => fn(require(id))).immediate();
  const writeRuntime = (post: PostRecord, patch: PostRuntimePatch, set: PostColumns = {}) =>
    write(post.id, { ...set, optionsJson: serializeOptions(post.settings, mergeRuntime(post.runtime, patch)) });
  const writeChild = (post: PostRecord, child: ChildContainer): PostColumns => ({
    childrenJson: JSON.stringify(sortChildren([...post.children.filter((c) => c.index !== child.index), child])),
  });

  return {
    create(p: PostCreate) {
      const now = clock.now();
      const idempotencyKey = p.idempotencyKey ?? null;
      try {
        const row = db
          .insert(posts)
          .values(newPostRow(p, now))
          .returning()
          .get();
        return toRecord(row);
      } catch (error) {
        const existing = idempotencyKey !== null && isUniqueViolation(error) ? findByIdempotencyKey(p.owner, idempotencyKey) : undefined;
        if (existing) throw new DuplicateIdempotencyKeyError(existing);
        throw error;
      }
    },

    get(owner, id) {
      const row = db.select().from(posts).where(and(eq(posts.owner, owner), eq(posts.id, id))).get();
      return row && toRecord(row);
    },

    getById,
    findByIdempotencyKey,

    listInFlight() {
      return db
        .select()
        .from(posts)
        .where(notInArray(posts.state, [...FINAL_POST_STATES, 'scheduled']))
        .orderBy(asc(posts.createdAt), asc(posts.id))
        .all()
        .map(toRecord);
    },

    listForAccount(owner, accountId, limit = DEFAULT_LIST_LIMIT) {
      return db
        .select()
        .from(posts)
        .where(and(eq(posts.owner, owner), eq(posts.accountId, accountId)))
        .orderBy(desc(posts.createdAt), desc(posts.id))
        .limit(Math.max(1, Math.floor(limit)))
        .all()
        .map(toRecord);
    },

    writeTransition(id, t) {
      return modify(id, (post) => {
        if (post.state !== t.from) return undefined;
        if (t.fence && (post.lease?.owner !== t.fence.owner || post.lease.generation !== t.fence.generation)) return undefined;
        return writeRuntime(post, t.runtime ?? {}, { ...toColumns(t.columns ?? {}), state: t.to });
      });
    },

    setProgress(id, progress) {
      write(id, { progress: clamp(progress) });
    },

    recordContainer(id, containerId, meta, child) {
      modify(id, (post) => {
        const set = child ? writeChild(post, { index: child.index, containerId, state: child.state }) : { containerId };
        writeRuntime(post, { containers: { ...post.runtime.containers, [containerId]: meta } }, set);
      });
    },

    markContainerUploaded(id, containerId) {
      modify(id, (post) => {
        const meta = post.runtime.containers?.[containerId];
        if (!meta) throw new NotFoundError(`no container ${containerId} on post ${id}`);
        const child = post.children.find((c) => c.containerId === containerId);
        const set = child ? writeChild(post, { ...child, state: 'processing' }) : {};
        writeRuntime(post, { containers: { ...post.runtime.containers, [containerId]: { ...meta, uploaded: true } } }, set);
      });
    },

    setChildContainer(id, index, containerId, state) {
      modify(id, (post) => write(id, writeChild(post, { index, containerId, state })));
    },

    recordPublishAttempt(id, attempts, at) {
      modify(id, (post) => writeRuntime(post, { publishAttemptAt: at }, { attempts }));
    },

    restoreAttempts(id, attempts) {
      write(id, { attempts });
    },

    recordMedia(id, media) {
      write(id, { ...(media.mediaId !== undefined ? { mediaId: media.mediaId } : {}), ...(media.permalink !== undefined ? { permalink: media.permalink } : {}) });
    },

    updateRuntime(id, patch) {
      return modify(id, (post) => writeRuntime(post, patch));
    },

    acquireLease(id, owner, expiresAt, canTakeOver) {
      return modify(id, (post) => {
        if (post.lease && post.lease.owner !== owner && !canTakeOver(post.lease)) return undefined;
        const generation = (getGeneration(id) ?? 0) + 1;
        write(id, { leaseOwner: owner, leaseGeneration: generation, leaseExpiresAt: expiresAt });
        return { owner, generation, expiresAt };
      });
    },

    renewLease(id, fence, expiresAt) {
      const result = db
        .update(posts)
        .set({ leaseExpiresAt: expiresAt })
        .where(and(eq(posts.id, id), eq(posts.leaseOwner, fence.owner), eq(posts.leaseGeneration, fence.generation)))
        .run();
      return result.changes > 0;
    },

    holdsLease(id, fence) {
      const row = db.select({ owner: posts.leaseOwner, generation: posts.leaseGeneration }).from(posts).where(eq(posts.id, id)).get();
      return Boolean(row && row.owner === fence.owner && row.generation === fence.generation);
    },

    releaseLease(id, fence) {
      db.update(posts)
        .set({ leaseOwner: null, leaseExpiresAt: null })
        .where(and(eq(posts.id, id), eq(posts.leaseOwner, fence.owner), eq(posts.leaseGeneration, fence.generation)))
        .run();
    },
  };

  function getGeneration(id: string): number | undefined {
    return db.select({ g: posts.leaseGeneration }).from(posts).where(eq(posts.id, id)).get()?.g;
  }
}
