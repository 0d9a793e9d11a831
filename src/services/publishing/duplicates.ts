/**
 * The guard against a retry without a key: a call that sends the same account, the same media (bytes
 * of local files, the string of URLs) and the same caption as a post created within the window gets
 * that post back instead of a second publication, unless it says `allow_duplicate`.
 */
import { createHash } from 'node:crypto';
import type { CheckedFile } from '../../media/index.js';
import type { PostRecord, Store, StoredMedia } from '../../store/index.js';
import type { PostPlan } from './plan.js';

export const DUPLICATE_WINDOW_MS = 15 * 60_000;
/** Posts of one account looked at (far more than can be created in the window). */
const RECENT_LIMIT = 200;

/** Opens a planned medium's file as it was checked (MediaLibrary.openForUpload): no path is read twice. */
export type OpenCheckedFile = (media: StoredMedia) => Promise<CheckedFile>;

/** Hashes the file through the descriptor that was checked, never by path (issue #12, item 6). */
async function sha256Checked(open: OpenCheckedFile, media: StoredMedia): Promise<string> {
  const file = await open(media);
  try {
    const hash = createHash('sha256');
    for await (const chunk of file.handle.createReadStream({ start: 0, autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await file.handle.close();
  }
}

async function itemPart(open: OpenCheckedFile, media: StoredMedia): Promise<string> {
  return media.delivery === 'file' && media.path ? `file:${await sha256Checked(open, media)}` : `url:${media.url ?? ''}`;
}

/** The content fingerprint of a planned post on an account. */
export async function contentFingerprint(accountId: string, plan: PostPlan, open: OpenCheckedFile): Promise<string> {
  const items = await Promise.all(plan.inputs.map((m) => itemPart(open, m)));
  const cover = plan.settings.cover;
  const coverPart = cover ? await itemPart(open, cover) : null;
  return createHash('sha256')
    .update(JSON.stringify({ accountId, surface: plan.settings.surface ?? null, caption: plan.caption ?? '', items, cover: coverPart }))
    .digest('hex');
}

/** The latest post of the account with this fingerprint created within the window and not failed. */
export async function findRecentDuplicate(store: Store, owner: string, accountId: string, fingerprint: string, now: number): Promise<PostRecord | undefined> {
  return (await store.posts.listForAccount(owner, accountId, RECENT_LIMIT))
    .find((p) => p.settings.fingerprint === fingerprint && p.state !== 'failed' && now - p.createdAt < DUPLICATE_WINDOW_MS);
}
