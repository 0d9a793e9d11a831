/**
 * Profile reads (reference §2) and login-type detection for a pasted token.
 */
import { z } from 'zod';
import { registerSecret } from '../log.js';
import { graphHostFor, parseResponse, seg, zId, zNum, type AccountAuth, type LoginType } from './account.js';
import { GraphError } from './errors.js';
import type { GraphHttp } from './http.js';

const INSTAGRAM_ME_FIELDS = 'user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count';
const FACEBOOK_IG_USER_FIELDS = 'id,biography,website,username,name,profile_picture_url,followers_count,follows_count,media_count';

const zInstagramMe = z.object({
  id: zId,
  user_id: zId,
  username: z.string(),
  name: z.string().optional(),
  account_type: z.string().optional(),
  profile_picture_url: z.string().optional(),
  followers_count: zNum.optional(),
  follows_count: zNum.optional(),
  media_count: zNum.optional(),
});

export interface InstagramLoginProfile {
  /** `user_id`: the professional account id used for publishing, webhooks and as <IG_ID>. */
  igUserId: string;
  /** `id`: the app-scoped id (not usable for publishing). */
  appScopedId: string;
  username: string;
  name?: string;
  /** BUSINESS | MEDIA_CREATOR */
  accountType?: string;
  profilePictureUrl?: string;
  followersCount?: number;
  followsCount?: number;
  mediaCount?: number;
}

export async function getInstagramLoginProfile(
  http: GraphHttp,
  token: string,
  signal?: AbortSignal,
): Promise<InstagramLoginProfile> {
  registerSecret(token);
  const res = await http.request({
    host: 'instagram_graph',
    method: 'GET',
    path: '/me',
    query: { fields: INSTAGRAM_ME_FIELDS },
    token,
    signal,
  });
  const me = parseResponse(zInstagramMe, res.data, 'the Instagram profile (/me)');
  return {
    igUserId: me.user_id,
    appScopedId: me.id,
    username: me.username,
    name: me.name,
    accountType: me.account_type,
    profilePictureUrl: me.profile_picture_url,
    followersCount: me.followers_count,
    followsCount: me.follows_count,
    mediaCount: me.media_count,
  };
}

const zFacebookIgUser = z.object({
  id: zId,
  username: z.string(),
  name: z.string().optional(),
  biography: z.string().optional(),
  website: z.string().optional(),
  profile_picture_url: z.string().optional(),
  followers_count: zNum.optional(),
  follows_count: zNum.optional(),
  media_count: zNum.optional(),
});

export interface IgUserProfile {
  igUserId: string;
  username: string;
  name?: string;
  /** Facebook Login only (not confirmed on the Instagram Login host, so not requested there). */
  biography?: string;
  website?: string;
  accountType?: string;
  profilePictureUrl?: string;
  followersCount?: number;
  followsCount?: number;
  mediaCount?: number;
  /** Instagram Login only. */
  appScopedId?: string;
}

/** Profile of an account on its own host. */
export async function getIgUserProfile(
  http: GraphHttp,
  auth: AccountAuth,
  signal?: AbortSignal,
): Promise<IgUserProfile> {
  if (auth.loginType === 'instagram') {
    const p = await getInstagramLoginProfile(http, auth.accessToken, signal);
    return { ...p };
  }
  registerSecret(auth.accessToken);
  const res = await http.request({
    host: graphHostFor(auth.loginType),
    method: 'GET',
    path: `/${seg(auth.igUserId)}`,
    query: { fields: FACEBOOK_IG_USER_FIELDS },
    token: auth.accessToken,
    accountId: auth.igUserId,
    signal,
  });
  const u = parseResponse(zFacebookIgUser, res.data, 'the IG user profile');
  return {
    igUserId: u.id,
    username: u.username,
    name: u.name,
    biography: u.biography,
    website: u.website,
    profilePictureUrl: u.profile_picture_url,
    followersCount: u.followers_count,
    followsCount: u.follows_count,
    mediaCount: u.media_count,
  };
}

/** Kinds of probe failure that mean "this host does not accept this token" (try the other host). */
const REJECTED_KINDS = new Set(['reauth', 'invalid_input', 'permission', 'not_found']);

/**
 * Which login path a token belongs to. `IGAA…` → instagram, `EAA…` → facebook; otherwise probes
 * `/me` on graph.instagram.com, then graph.facebook.com. Throws when neither accepts it (and rethrows
 * network/transient failures rather than guessing).
 */
export async function detectLoginType(http: GraphHttp, token: string, signal?: AbortSignal): Promise<LoginType> {
  registerSecret(token);
  const trimmed = token.trim();
  if (trimmed.startsWith('IGAA')) return 'instagram';
  if (trimmed.startsWith('EAA')) return 'facebook';

  const failures: GraphError[] = [];
  const probes: Array<{ type: LoginType; fields: string }> = [
    { type: 'instagram', fields: 'user_id,username' },
    { type: 'facebook', fields: 'id,name' },
  ];
  for (const probe of probes) {
    try {
      await http.request({
        host: graphHostFor(probe.type),
        method: 'GET',
        path: '/me',
        query: { fields: probe.fields },
        token: trimmed,
        signal,
      });
      return probe.type;
    } catch (err) {
      if (err instanceof GraphError && REJECTED_KINDS.has(err.kind)) {
        failures.push(err);
        continue;
      }
      throw err;
    }
  }
  throw new GraphError({
    kind: 'reauth',
    message: `The token is accepted by neither graph.instagram.com (${failures[0]?.message ?? 'rejected'}) nor graph.facebook.com (${failures[1]?.message ?? 'rejected'})`,
    isTransient: false,
    notApplied: true,
    hint: 'This token is not a valid Instagram or Facebook user token: run instagram_authenticate to connect the account again.',
  });
}
