/**
 * Posts on PostgreSQL: the same behaviour as ../../posts.ts. Several replicas share the table, so every
 * read-modify-write locks the row first (SELECT … FOR UPDATE in the call's transaction) and the lease
 * writes that need no read are single UPDATEs conditioned on the lease still held.
 */
import { and, asc, desc, eq, notInArray } from 'drizzle-orm';
import { DuplicateIdempotencyKeyError, NotFoundError } from '../../errors.js';
import { serializeOptions } from '../../postData.js';
import { clamp, mergeRuntime, newPostRow, sortChildren, toColumns, toRecord } from '../../posts.js';
import { FINAL_POST_STATES } from '../../states.js';
import type { ChildContainer, PostCreate, PostLease, PostRecord, PostRuntimePatch, PostsRepo } from '../../types.js';
import { binary, type PgRepoContext } from '../context.js';
import type { PgDb } from '../index.js';
import { posts } from '../schema.js';

const DEFAULT_LIST_LIMIT = 50;

type PostRow = typeof posts.$inferSelect;
type PostColumns = Partial<typeof posts.$inferInsert>;

export function createPgPostsRepo({ run, clock }: PgRepoContext): PostsRepo {
  const findByIdempotencyKey = async (db: PgDb, owner: string, key: string) => {
    const [row] = await db
      .select()
      .from(posts)
      .where(and(eq(posts.owner, owner), eq(posts.idempotencyKey, key)));
    return row && toRecord(row);
  };
  const write = async (db: PgDb, id: string, set: PostColumns): Promise<PostRecord> => {
    const [row] = await db
      .update(posts)
      .set({ updatedAt: clock.now(), ...set })
      .where(eq(posts.id, id))
      .returning();
    if (!row) throw new NotFoundError(`no post ${id}`);
    return toRecord(row);
  };
  /** Read-modify-write with the row locked, so concurrent writers (carousel children, other replicas) never lose each other's changes. */
  const modify = <T>(id: string, fn: (db: PgDb, post: PostRecord, row: PostRow) => Promise<T>): Promise<T> =>
    run.asSystem(async (db) => {
      const [row] = await db.select().from(posts).where(eq(posts.id, id)).for('update');
      if (!row) throw new NotFoundError(`no post ${id}`);
      return fn(db, toRecord(row), row);
    });
  const writeRuntime = (db: PgDb, post: PostRecord, patch: PostRuntimePatch, set: PostColumns = {}) =>
    write(db, post.id, { ...set, optionsJson: serializeOptions(post.settings, mergeRuntime(post.runtime, patch)) });
  const writeChild = (post: PostRecord, child: ChildContainer): PostColumns => ({
    childrenJson: JSON.stringify(sortChildren([...post.children.filter((c) => c.index !== child.index), child])),
  });
  const byId = (id: string) => run.asSystem(async (db) => {
    const [row] = await db.select().from(posts).where(eq(posts.id, id));
    return row && toRecord(row);
  });

  return {
    async create(p: PostCreate) {
      const now = clock.now();
      const idempotencyKey = p.idempotencyKey ?? null;
      const values = newPostRow(p, now);
      return run.asOwner(p.owner, async (db) => {
        if (idempotencyKey === null) return toRecord((await db.insert(posts).values(values).returning())[0]!);
        // ON CONFLICT on the key rather than catching the violation: a failed statement would abort the
        // transaction, and the existing post could not be read in it. A duplicate id still fails as itself.
        for (let attempt = 0; ; attempt++) {
          const [row] = await db.insert(posts).values(values).onConflictDoNothing({ target: [posts.owner, posts.idempotencyKey] }).returning();
          if (row) return toRecord(row);
          const existing = await findByIdempotencyKey(db, p.owner, idempotencyKey);
          if (existing) throw new DuplicateIdempotencyKeyError(existing);
          // The post holding the key was deleted in between: try again.
          if (attempt >= 2) throw new Error(`could not create the post with idempotency key "${idempotencyKey}" (its holder kept changing)`);
        }
      });
    },

    async get(owner, id) {
      return run.asOwner(owner, async (db) => {
        const [row] = await db
          .select()
          .from(posts)
          .where(and(eq(posts.owner, owner), eq(posts.id, id)));
        return row && toRecord(row);
      });
    },

    async getById(id) {
      return byId(id);
    },

    async findByIdempotencyKey(owner, key) {
      return run.asOwner(owner, (db) => findByIdempotencyKey(db, owner, key));
    },

    async listInFlight() {
      return run.asSystem(async (db) =>
        (
          await db
            .select()
            .from(posts)
            .where(notInArray(posts.state, [...FINAL_POST_STATES, 'scheduled']))
            .orderBy(asc(posts.createdAt), asc(binary(posts.id)))
        ).map(toRecord),
      );
    },

    async listForAccount(owner, accountId, limit = DEFAULT_LIST_LIMIT) {
      return run.asOwner(owner, async (db) =>
        (
          await db
            .select()
            .from(posts)
            .where(and(eq(posts.owner, owner), eq(posts.accountId, accountId)))
            .orderBy(desc(posts.createdAt), desc(binary(posts.id)))
            .limit(Math.max(1, Math.floor(limit)))
        ).map(toRecord),
      );
    },

    async writeTransition(id, t) {
      return modify(id, async (db, post) => {
        if (post.state !== t.from) return undefined;
        if (t.fence && (post.lease?.owner !== t.fence.owner || post.lease.generation !== t.fence.generation)) return undefined;
        return writeRuntime(db, post, t.runtime ?? {}, { ...toColumns(t.columns ?? {}), state: t.to });
      });
    },

    async setProgress(id, progress) {
      await run.asSystem((db) => write(db, id, { progress: clamp(progress) }));
    },

    async recordContainer(id, containerId, meta, child) {
      await modify(id, (db, post) => {
        const set = child ? writeChild(post, { index: child.index, containerId, state: child.state }) : { containerId };
        return writeRuntime(db, post, { containers: { ...post.runtime.containers, [containerId]: meta } }, set);
      });
    },

    async markContainerUploaded(id, containerId) {
      await modify(id, (db, post) => {
        const meta = post.runtime.containers?.[containerId];
        if (!meta) throw new NotFoundError(`no container ${containerId} on post ${id}`);
        const child = post.children.find((c) => c.containerId === containerId);
        const set = child ? writeChild(post, { ...child, state: 'processing' }) : {};
        return writeRuntime(db, post, { containers: { ...post.runtime.containers, [containerId]: { ...meta, uploaded: true } } }, set);
      });
    },

    async setChildContainer(id, index, containerId, state) {
      await modify(id, (db, post) => write(db, id, writeChild(post, { index, containerId, state })));
    },

    async recordPublishAttempt(id, attempts, at) {
      await modify(id, (db, post) => writeRuntime(db, post, { publishAttemptAt: at }, { attempts }));
    },

    async restoreAttempts(id, attempts) {
      await run.asSystem((db) => write(db, id, { attempts }));
    },

    async recordMedia(id, media) {
      await run.asSystem((db) =>
        write(db, id, { ...(media.mediaId !== undefined ? { mediaId: media.mediaId } : {}), ...(media.permalink !== undefined ? { permalink: media.permalink } : {}) }),
      );
    },

    async updateRuntime(id, patch) {
      return modify(id, (db, post) => writeRuntime(db, post, patch));
    },

    async acquireLease(id, owner, expiresAt, canTakeOver): Promise<PostLease | undefined> {
      // The row stays locked from the read to the write: two replicas taking over together cannot both win.
      return modify(id, async (db, post, row) => {
        if (post.lease && post.lease.owner !== owner && !canTakeOver(post.lease)) return undefined;
        const generation = row.leaseGeneration + 1;
        await write(db, id, { leaseOwner: owner, leaseGeneration: generation, leaseExpiresAt: expiresAt });
        return { owner, generation, expiresAt };
      });
    },

    async renewLease(id, fence, expiresAt) {
      return run.asSystem(async (db) => {
        const result = await db
          .update(posts)
          .set({ leaseExpiresAt: expiresAt })
          .where(and(eq(posts.id, id), eq(posts.leaseOwner, fence.owner), eq(posts.leaseGeneration, fence.generation)));
        return (result.rowCount ?? 0) > 0;
      });
    },

    async holdsLease(id, fence) {
      return run.asSystem(async (db) => {
        const [row] = await db.select({ owner: posts.leaseOwner, generation: posts.leaseGeneration }).from(posts).where(eq(posts.id, id)).for('update');
        return Boolean(row && row.owner === fence.owner && row.generation === fence.generation);
      });
    },

    async releaseLease(id, fence) {
      await run.asSystem((db) =>
        db
          .update(posts)
          .set({ leaseOwner: null, leaseExpiresAt: null })
          .where(and(eq(posts.id, id), eq(posts.leaseOwner, fence.owner), eq(posts.leaseGeneration, fence.generation))),
      );
    },
  };
}
