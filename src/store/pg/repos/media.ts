/** Registered media on PostgreSQL: the same behaviour as ../../media.ts. */
import { and, asc, count, eq, gt, inArray, isNotNull, isNull, lte, sum } from 'drizzle-orm';
import { newMediaRow } from '../../media.js';
import type { MediaCreate, MediaRecord, MediaRepo } from '../../types.js';
import type { PgRepoContext } from '../context.js';
import { media } from '../schema.js';

export function createPgMediaRepo({ run, clock }: PgRepoContext): MediaRepo {
  return {
    async create(r: MediaCreate): Promise<MediaRecord> {
      const values = newMediaRow(r, clock.now());
      return run.asOwner(r.owner, async (db) => (await db.insert(media).values(values).returning())[0]!);
    },

    async get(owner, id) {
      return run.asOwner(owner, async (db) => (await db.select().from(media).where(and(eq(media.owner, owner), eq(media.id, id))))[0]);
    },

    async getById(id) {
      return run.asSystem(async (db) => (await db.select().from(media).where(eq(media.id, id)))[0]);
    },

    async markUsed(ids, postId) {
      if (ids.length === 0) return;
      const usedAt = clock.now();
      await run.asSystem((db) => db.update(media).set({ usedByPostId: postId, usedAt }).where(inArray(media.id, ids)));
    },

    async usedLocalPaths(owner) {
      return run.asOwner(owner, async (db) => {
        const rows = await db
          .selectDistinct({ localPath: media.localPath })
          .from(media)
          .where(and(eq(media.owner, owner), isNotNull(media.usedByPostId), isNotNull(media.localPath)));
        return new Set(rows.map((r) => r.localPath!));
      });
    },

    async heldUploads(owner) {
      return run.asOwner(owner, async (db) => {
        const [row] = await db
          .select({ files: count(), bytes: sum(media.sizeBytes) })
          .from(media)
          .where(and(eq(media.owner, owner), eq(media.source, 'upload'), isNull(media.usedByPostId), gt(media.expiresAt, clock.now())));
        return { files: row?.files ?? 0, bytes: Number(row?.bytes ?? 0) };
      });
    },

    async listExpired() {
      return run.asSystem((db) => db.select().from(media).where(lte(media.expiresAt, clock.now())).orderBy(asc(media.expiresAt)));
    },

    async delete(id) {
      await run.asSystem((db) => db.delete(media).where(eq(media.id, id)));
    },
  };
}
