import { randomBytes } from 'node:crypto';
import { and, count, eq, gt, inArray, isNotNull, isNull, lte, sum } from 'drizzle-orm';
import type { RepoContext } from './context.js';
import { media } from './schema.js';
import type { MediaCreate, MediaRecord, SyncMediaRepo } from './types.js';

const MEDIA_ID = /^[0-9a-f]{32}$/;

/** A new media reference id: 32 lowercase hex characters (128 random bits). */
export function newMediaId(): string {
  return randomBytes(16).toString('hex');
}

export function isMediaId(value: string): boolean {
  return MEDIA_ID.test(value);
}

/** The row of a new media reference, the same on SQLite and PostgreSQL (a given id must be 32 lowercase hex). */
export function newMediaRow(r: MediaCreate, now: number) {
  const id = r.id ?? newMediaId();
  if (!isMediaId(id)) throw new RangeError(`a media id must be 32 lowercase hex characters (got "${id}")`);
  return {
    id,
    owner: r.owner,
    source: r.source,
    localPath: r.localPath,
    url: r.url,
    checksum: r.checksum,
    fileIdentity: r.fileIdentity ?? null,
    mimeType: r.mimeType,
    sizeBytes: r.sizeBytes,
    width: r.width,
    height: r.height,
    durationMs: r.durationMs,
    usedByPostId: null,
    usedAt: null,
    createdAt: now,
    expiresAt: r.expiresAt,
  };
}

export function createMediaRepo({ db, clock }: RepoContext): SyncMediaRepo {
  return {
    create(r: MediaCreate): MediaRecord {
      return db.insert(media).values(newMediaRow(r, clock.now())).returning().get();
    },

    get(owner, id) {
      return db.select().from(media).where(and(eq(media.owner, owner), eq(media.id, id))).get();
    },

    getById(id) {
      return db.select().from(media).where(eq(media.id, id)).get();
    },

    markUsed(ids, postId) {
      if (ids.length === 0) return;
      const usedAt = clock.now();
      db.update(media).set({ usedByPostId: postId, usedAt }).where(inArray(media.id, ids)).run();
    },

    usedLocalPaths(owner) {
      const rows = db
        .selectDistinct({ localPath: media.localPath })
        .from(media)
        .where(and(eq(media.owner, owner), isNotNull(media.usedByPostId), isNotNull(media.localPath)))
        .all();
      return new Set(rows.map((r) => r.localPath!));
    },

    heldUploads(owner) {
      const row = db
        .select({ files: count(), bytes: sum(media.sizeBytes) })
        .from(media)
        .where(and(eq(media.owner, owner), eq(media.source, 'upload'), isNull(media.usedByPostId), gt(media.expiresAt, clock.now())))
        .get();
      return { files: row?.files ?? 0, bytes: Number(row?.bytes ?? 0) };
    },

    listExpired() {
      return db.select().from(media).where(lte(media.expiresAt, clock.now())).orderBy(media.expiresAt).all();
    },

    delete(id) {
      db.delete(media).where(eq(media.id, id)).run();
    },
  };
}
