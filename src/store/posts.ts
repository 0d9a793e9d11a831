import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, notInArray } from 'drizzle-orm';
import { redactString } from '../log.js';
import type { RepoContext } from './context.js';
import { DuplicateIdempotencyKeyError, NotFoundError } from './errors.js';
import { posts } from './schema.js';
import type { ChildContainer, PostCreate, PostFailure, PostPatch, PostRecord, PostsRepo } from './types.js';

export const STORY_LIFETIME_MS = 24 * 60 * 60 * 1000;
const DEFAULT_LIST_LIMIT = 50;

type PostRow = typeof posts.$inferSelect;
type PostColumns = Partial<typeof posts.$inferInsert>;

function toRecord(row: PostRow): PostRecord {
  const { optionsJson, inputsJson, childrenJson, ...rest } = row;
  return {
    ...rest,
    options: JSON.parse(optionsJson) as Record<string, unknown>,
    inputs: JSON.parse(inputsJson) as unknown[],
    children: JSON.parse(childrenJson) as ChildContainer[],
  };
}

/** Maps a record-shaped patch to columns; undefined means "leave as is", null means "clear". */
function toColumns(patch: PostPatch): PostColumns {
  const { options, inputs, children, errorMessage, ...plain } = patch;
  const set: PostColumns = {};
  for (const [key, value] of Object.entries(plain)) {
    if (value !== undefined && COLUMN_FIELDS.has(key)) (set as Record<string, unknown>)[key] = value;
  }
  if (options !== undefined) set.optionsJson = JSON.stringify(options);
  if (inputs !== undefined) set.inputsJson = JSON.stringify(inputs);
  if (children !== undefined) set.childrenJson = JSON.stringify(sortChildren(children));
  // Float arithmetic in callers may land a hair outside [0, 1], which the CHECK constraint would reject.
  if (set.progress !== undefined) set.progress = Math.min(1, Math.max(0, set.progress));
  if (errorMessage !== undefined) set.errorMessage = errorMessage === null ? null : redactString(errorMessage);
  return set;
}

function sortChildren(children: ChildContainer[]): ChildContainer[] {
  return [...children].sort((a, b) => a.index - b.index);
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function createPostsRepo({ db, sqlite, clock }: RepoContext): PostsRepo {
  const getById = (id: string) => {
    const row = db.select().from(posts).where(eq(posts.id, id)).get();
    return row && toRecord(row);
  };
  const findByIdempotencyKey = (owner: string, key: string) => {
    const row = db.select().from(posts).where(and(eq(posts.owner, owner), eq(posts.idempotencyKey, key))).get();
    return row && toRecord(row);
  };
  const update = (id: string, patch: PostPatch): PostRecord => {
    const row = db
      .update(posts)
      .set({ updatedAt: clock.now(), ...toColumns(patch) })
      .where(eq(posts.id, id))
      .returning()
      .get();
    if (!row) throw new NotFoundError(`no post ${id}`);
    return toRecord(row);
  };

  return {
    create(p: PostCreate) {
      const now = clock.now();
      const idempotencyKey = p.idempotencyKey ?? null;
      try {
        const row = db
          .insert(posts)
          .values({
            id: p.id ?? randomUUID(),
            owner: p.owner,
            accountId: p.accountId,
            idempotencyKey,
            kind: p.kind,
            caption: p.caption ?? null,
            optionsJson: JSON.stringify(p.options ?? {}),
            inputsJson: JSON.stringify(p.inputs),
            childrenJson: '[]',
            state: 'pending',
            progress: 0,
            attempts: 0,
            createdAt: now,
            updatedAt: now,
          })
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
    update,

    setChildContainer(id, index, containerId, state) {
      // Read-modify-write of one JSON column under a write lock, so concurrent child updates never lose each other.
      sqlite
        .transaction(() => {
          const post = getById(id);
          if (!post) throw new NotFoundError(`no post ${id}`);
          const children = post.children.filter((c) => c.index !== index);
          children.push({ index, containerId, state });
          update(id, { children });
        })
        .immediate();
    },

    markPublished(id, mediaId, permalink = null) {
      return sqlite
        .transaction(() => {
          const post = getById(id);
          if (!post) throw new NotFoundError(`no post ${id}`);
          const now = clock.now();
          return update(id, {
            state: 'completed',
            progress: 1,
            mediaId,
            permalink,
            publishedAt: now,
            expiresAt: post.kind === 'story' ? now + STORY_LIFETIME_MS : null,
            errorCode: null,
            errorSubcode: null,
            errorMessage: null,
          });
        })
        .immediate();
    },

    markFailed(id, err: PostFailure) {
      return update(id, { state: 'failed', errorCode: err.code ?? null, errorSubcode: err.subcode ?? null, errorMessage: err.message });
    },

    listInFlight() {
      return db
        .select()
        .from(posts)
        .where(notInArray(posts.state, ['completed', 'failed']))
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
  };
}

const COLUMN_FIELDS = new Set<string>([
  'accountId',
  'idempotencyKey',
  'kind',
  'caption',
  'containerId',
  'mediaId',
  'permalink',
  'state',
  'progress',
  'errorCode',
  'errorSubcode',
  'attempts',
  'updatedAt',
  'publishedAt',
  'expiresAt',
]);
