/**
 * Helpers for the emulator's reading/analytics route tests: media added straight into the emulator's
 * state (as the seed does), and small lookups.
 */
import { cdnUrl, permalinkFor } from '../../../src/emulator/state.js';
import type { EmulatedMedia } from '../../../src/emulator/types.js';
import { call, type Harness } from '../../unit/emulator/harness.js';

export { call, setup, type Harness } from '../../unit/emulator/harness.js';

/** Adds a media to an account, `ageMs` old (default a fresh story). */
export function addMedia(h: Harness, ownerId: string, init: Partial<EmulatedMedia> = {}, ageMs = 0): EmulatedMedia {
  const state = h.emulator.state;
  const id = state.newId('179');
  const productType = init.productType ?? 'STORY';
  const media: EmulatedMedia = {
    id,
    ownerId,
    mediaType: 'IMAGE',
    productType,
    timestamp: state.now() - ageMs,
    shortcode: state.newShortcode(),
    mediaUrl: cdnUrl(id, 'jpg'),
    likeCount: 0,
    commentsCount: 0,
    isCommentEnabled: true,
    viaApi: true,
    ...init,
  };
  media.permalink ??= permalinkFor(media, state.igUsers.get(ownerId)!.username);
  return state.addMedia(media);
}

/** Feed media of an account as the API lists them (newest first). */
export async function feed(h: Harness, token = h.igToken, userId = h.businessId, base = h.ig): Promise<Array<Record<string, any>>> {
  const res = await call(`${base}/${userId}/media`, { token, params: { fields: 'id,media_type,media_product_type,comments_count,like_count,timestamp', limit: '100' } });
  if (res.status !== 200) throw new Error(res.text);
  return res.json.data;
}
