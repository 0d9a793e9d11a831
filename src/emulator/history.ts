/**
 * A longer past for one account: `days` of feed posts and reels (about `perDay` a day, at varied
 * hours, with captions of varied length and hashtag counts) for performance reports and benches.
 * Deterministic: every number comes from a PRNG seeded by the account and the post's index, so the
 * same call on the same clock gives the same posts. Account insights over time (reach, views,
 * follower_count) are already answered per account and day by insights.ts; online followers get a
 * daily curve (quiet at night, a lunch bump and an evening peak in UTC) instead of noise.
 */
import { prngFor, seedOnlineFollowers } from './insights.js';
import { DAY_MS, cdnUrl, permalinkFor, type EmulatorState } from './state.js';
import type { EmulatedMedia } from './types.js';

const WORDS = ['fresh', 'bread', 'morning', 'batch', 'crust', 'oven', 'flour', 'butter', 'croissant', 'weekend', 'team', 'recipe', 'coffee', 'sweet', 'golden'];
const TAGS = ['#bakery', '#sourdough', '#bread', '#coffee', '#breakfast', '#pastry', '#foodie', '#homemade', '#local', '#baking'];

export interface SeedHistoryOptions {
  days?: number;
  /** Average posts per day (default 1). */
  perDay?: number;
  /** Seed the online-followers curve (default true). */
  onlineFollowers?: boolean;
}

/** Adds the posts; returns their ids, newest first. */
export function seedHistory(state: EmulatorState, igUserId: string, options: SeedHistoryOptions = {}): string[] {
  const user = state.igUsers.get(igUserId);
  if (!user) throw new Error(`No such IG user: ${igUserId}`);
  const days = options.days ?? 90;
  const count = Math.max(1, Math.round(days * (options.perDay ?? 1)));
  const now = state.now();
  const step = (days * DAY_MS) / count;
  if (options.onlineFollowers !== false && user.followersCount >= 100) {
    const jitter = prngFor(igUserId, 'online-curve');
    const curve = Array.from({ length: 24 }, (_, h) => 0.08 + 0.22 * Math.exp(-(((h - 12) / 1.6) ** 2)) + 0.45 * Math.exp(-(((h - 19.5) / 2.2) ** 2)) + 0.03 * jitter.next());
    seedOnlineFollowers(state, igUserId, curve.map((v) => Math.round(user.followersCount * v)));
  }
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const prng = prngFor(igUserId, 'history', i);
    const reel = prng.next() < 0.3;
    const carousel = !reel && prng.next() < 0.3;
    const mediaType: EmulatedMedia['mediaType'] = reel ? 'VIDEO' : carousel ? 'CAROUSEL_ALBUM' : 'IMAGE';
    // Spread over the days, each at a random minute of its slot (never in the future).
    const timestamp = Math.floor(now - (i + 1) * step + prng.next() * step * 0.9);
    const words = Array.from({ length: prng.int(0, 30) }, () => prng.pick(WORDS));
    const tags = Array.from({ length: prng.int(0, 8) }, () => prng.pick(TAGS));
    const caption = [...words, ...tags].join(' ') || undefined;
    const id = state.newId('179');
    const media: EmulatedMedia = {
      id,
      ownerId: igUserId,
      mediaType,
      productType: reel ? 'REELS' : 'FEED',
      caption,
      timestamp,
      shortcode: state.newShortcode(),
      mediaUrl: cdnUrl(id, reel ? 'mp4' : 'jpg'),
      thumbnailUrl: reel ? cdnUrl(id, 'jpg') : undefined,
      likeCount: Math.round((reel ? 2 : 1) * prng.int(10, 700) * (1 + tags.length / 10)),
      commentsCount: prng.int(0, 80),
      isCommentEnabled: true,
      isSharedToFeed: reel ? true : undefined,
      viaApi: false,
    };
    media.permalink = permalinkFor(media, user.username, state.permalinkBase);
    if (carousel) {
      media.children = [];
      for (let c = 0; c < 2; c++) {
        const childId = state.newId('179');
        state.addMedia({ id: childId, ownerId: igUserId, mediaType: 'IMAGE', productType: 'FEED', timestamp, shortcode: state.newShortcode(), mediaUrl: cdnUrl(childId, 'jpg'), likeCount: 0, commentsCount: 0, isCommentEnabled: true, parentId: id, viaApi: false });
        media.children.push(childId);
      }
    }
    state.addMedia(media);
    ids.push(id);
  }
  return ids;
}
