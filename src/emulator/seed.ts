/**
 * Demo data: two Instagram-Login accounts (BUSINESS and MEDIA_CREATOR), a Facebook-Login user with
 * two Pages (one linked to a third IG business account, one without), and ~30 existing media per
 * IG account (IMAGE / CAROUSEL_ALBUM / REELS) plus a few stories, so reading and paging can be tested.
 * Account ids are fixed (documented for sandbox users); media ids come from the seeded PRNG.
 */
import { DAY_MS, HOUR_MS, cdnUrl, permalinkFor, type EmulatorState } from './state.js';
import type { EmulatedFbUser, EmulatedIgUser, EmulatedMedia, EmulatedPage, EmulatorUsers } from './types.js';

/** Fixed ids and names of the seeded accounts (all ids are strings; IG ids exceed 2^53). */
export const DEMO_ACCOUNTS = {
  instagramBusiness: {
    id: '17841401234567891',
    appScopedId: '7512345678901234',
    username: 'sandbox_bakery',
    name: 'Sandbox Bakery',
    accountType: 'BUSINESS',
  },
  instagramCreator: {
    id: '17841409876543213',
    appScopedId: '7598765432109876',
    username: 'sandbox_creator',
    name: 'Sandbox Creator',
    accountType: 'MEDIA_CREATOR',
  },
  facebookUser: { id: '10161234567890123', name: 'Sandbox Owner' },
  linkedPage: { id: '112233445566778', name: 'Sandbox Coffee Shop', category: 'Coffee Shop' },
  unlinkedPage: { id: '998877665544332', name: 'Sandbox Side Project', category: 'Community' },
  facebookInstagram: {
    id: '17841405555555557',
    appScopedId: '17841405555555557',
    username: 'sandbox_coffee',
    name: 'Sandbox Coffee Shop',
    accountType: 'BUSINESS',
  },
} as const;

/** Creates the accounts (always present, even with `seed: false`). */
export function createAccounts(state: EmulatorState): EmulatorUsers {
  const d = DEMO_ACCOUNTS;
  const igUser = (
    base: (typeof d)['instagramBusiness' | 'instagramCreator' | 'facebookInstagram'],
    extra: Partial<EmulatedIgUser> & Pick<EmulatedIgUser, 'loginType'>,
  ): EmulatedIgUser => ({
    id: base.id,
    appScopedId: base.appScopedId,
    username: base.username,
    name: base.name,
    accountType: base.accountType,
    biography: `${base.name} — an emulated Instagram account.`,
    website: `https://example.com/${base.username}`,
    profilePictureUrl: `https://scontent.cdninstagram.com/v/t51.2885-19/${base.id}_profile.jpg`,
    followersCount: 0,
    followsCount: 0,
    ...extra,
  });
  const instagramBusiness = igUser(d.instagramBusiness, { loginType: 'instagram', followersCount: 1204, followsCount: 87 });
  const instagramCreator = igUser(d.instagramCreator, { loginType: 'instagram', followersCount: 25890, followsCount: 412 });
  const facebookInstagram = igUser(d.facebookInstagram, {
    loginType: 'facebook',
    followersCount: 3410,
    followsCount: 150,
    pageId: d.linkedPage.id,
  });
  const facebookUser: EmulatedFbUser = { ...d.facebookUser, pageIds: [d.linkedPage.id, d.unlinkedPage.id] };
  const linkedPage: EmulatedPage = { ...d.linkedPage, igUserId: facebookInstagram.id, ownerId: facebookUser.id };
  const unlinkedPage: EmulatedPage = { ...d.unlinkedPage, ownerId: facebookUser.id };

  for (const user of [instagramBusiness, instagramCreator, facebookInstagram]) state.igUsers.set(user.id, user);
  state.fbUsers.set(facebookUser.id, facebookUser);
  state.pages.set(linkedPage.id, linkedPage);
  state.pages.set(unlinkedPage.id, unlinkedPage);
  state.authorizingUser = { instagram: instagramBusiness.id, facebook: facebookUser.id };
  return { instagramBusiness, instagramCreator, facebookUser, linkedPage, unlinkedPage, facebookInstagram };
}

const CAPTIONS = [
  'Fresh out of the oven #bakery #sourdough',
  'Behind the scenes with @sandbox_creator',
  'Weekend special: cinnamon rolls',
  'New menu drop! #coffee #latteart',
  'Thank you for 1k followers',
  'How we shape our baguettes',
  'Rainy day mood',
  'Meet the team',
  undefined,
];

/** Adds `count` existing media (and two stories: one live, one expired) to an IG account. */
export function seedMedia(state: EmulatorState, user: EmulatedIgUser, count = 30): void {
  const now = state.now();
  const { prng } = state;
  for (let i = 0; i < count; i++) {
    const roll = i % 5;
    const mediaType: EmulatedMedia['mediaType'] = roll === 1 ? 'CAROUSEL_ALBUM' : roll === 3 ? 'VIDEO' : 'IMAGE';
    const productType: EmulatedMedia['productType'] = mediaType === 'VIDEO' ? 'REELS' : 'FEED';
    const timestamp = now - (i + 1) * 36 * HOUR_MS - prng.int(0, 3_600_000);
    const id = state.newId('179');
    const media: EmulatedMedia = {
      id,
      ownerId: user.id,
      mediaType,
      productType,
      caption: prng.pick(CAPTIONS),
      timestamp,
      shortcode: state.newShortcode(),
      mediaUrl: cdnUrl(id, mediaType === 'VIDEO' ? 'mp4' : 'jpg'),
      thumbnailUrl: mediaType === 'VIDEO' ? cdnUrl(id, 'jpg') : undefined,
      likeCount: prng.int(3, 900),
      commentsCount: prng.int(0, 60),
      isCommentEnabled: true,
      isSharedToFeed: productType === 'REELS' ? true : undefined,
      viaApi: false,
    };
    media.permalink = permalinkFor(media, user.username, state.permalinkBase);
    if (mediaType === 'CAROUSEL_ALBUM') {
      media.children = [];
      const childCount = prng.int(2, 4);
      for (let c = 0; c < childCount; c++) {
        const childId = state.newId('179');
        const childType = c === childCount - 1 && prng.next() < 0.3 ? 'VIDEO' : 'IMAGE';
        state.addMedia({
          id: childId,
          ownerId: user.id,
          mediaType: childType,
          productType: 'FEED',
          timestamp,
          shortcode: state.newShortcode(),
          mediaUrl: cdnUrl(childId, childType === 'VIDEO' ? 'mp4' : 'jpg'),
          thumbnailUrl: childType === 'VIDEO' ? cdnUrl(childId, 'jpg') : undefined,
          likeCount: 0,
          commentsCount: 0,
          isCommentEnabled: true,
          parentId: id,
          viaApi: false,
        });
        media.children.push(childId);
      }
    }
    state.addMedia(media);
  }
  for (const ageMs of [2 * HOUR_MS, DAY_MS + 6 * HOUR_MS]) {
    const id = state.newId('179');
    const story: EmulatedMedia = {
      id,
      ownerId: user.id,
      mediaType: 'IMAGE',
      productType: 'STORY',
      timestamp: now - ageMs,
      shortcode: state.newShortcode(),
      mediaUrl: cdnUrl(id, 'jpg'),
      likeCount: 0,
      commentsCount: 0,
      isCommentEnabled: true,
      viaApi: false,
    };
    story.permalink = permalinkFor(story, user.username, state.permalinkBase);
    state.addMedia(story);
  }
}

/** Seeds every IG account with demo media. */
export function seedDemo(state: EmulatorState, mediaPerAccount = 30): void {
  for (const user of state.igUsers.values()) seedMedia(state, user, mediaPerAccount);
}
