/**
 * The guard against a retry without a key: a call that sends the same account, the same media (bytes
 * of local files, the string of URLs) and the same caption as a post created within the window gets
 * that post back instead of a second publication, unless it says `allow_duplicate`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { PostRecord, Store } from '../../store/index.js';
import type { PostPlan } from './plan.js';

export const DUPLICATE_WINDOW_MS = 15 * 60_000;
/** Posts of one account looked at (far more than can be created in the window). */
const RECENT_LIMIT = 200;

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The content fingerprint of a planned post on an account. */
export async function contentFingerprint(accountId: string, plan: PostPlan): Promise<string> {
  const items = await Promise.all(plan.inputs.map(async (m) => (m.delivery === 'file' && m.path ? `file:${await sha256File(m.path)}` : `url:${m.url ?? ''}`)));
  const cover = plan.settings.cover;
  const coverPart = cover ? (cover.delivery === 'file' && cover.path ? `file:${await sha256File(cover.path)}` : `url:${cover.url ?? ''}`) : null;
  return createHash('sha256')
    .update(JSON.stringify({ accountId, surface: plan.settings.surface ?? null, caption: plan.caption ?? '', items, cover: coverPart }))
    .digest('hex');
}

/** The latest post of the account with this fingerprint created within the window and not failed. */
export function findRecentDuplicate(store: Store, owner: string, accountId: string, fingerprint: string, now: number): PostRecord | undefined {
  return store.posts
    .listForAccount(owner, accountId, RECENT_LIMIT)
    .find((p) => p.settings.fingerprint === fingerprint && p.state !== 'failed' && now - p.createdAt < DUPLICATE_WINDOW_MS);
}
