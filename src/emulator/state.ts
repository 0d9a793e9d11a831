/**
 * Everything the emulator remembers: accounts, tokens, authorization codes, containers, media, and
 * the tunable behaviour. Route modules read and write it; nothing here knows about HTTP.
 */
import type { Clock } from '../clock.js';
import { Prng, newFacebookToken, newInstagramToken, shortcodeFrom } from './random.js';
import type {
  ContainerStatusCode,
  EmulatedContainer,
  EmulatedFbUser,
  EmulatedIgUser,
  EmulatedMedia,
  EmulatedPage,
  EmulatorApps,
  GraphErrorSpec,
  LoginType,
  RateLimitOptions,
} from './types.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const SHORT_LIVED_MS = HOUR_MS;
export const LONG_LIVED_MS = 60 * DAY_MS;
export const LONG_LIVED_SECONDS = 5_184_000;
export const AUTH_CODE_TTL_MS = HOUR_MS;
export const CONTAINER_TTL_MS = DAY_MS;
export const STORY_TTL_MS = DAY_MS;
export const REFRESH_MIN_AGE_MS = DAY_MS;
export const QUOTA_WINDOW_MS = DAY_MS;

export const INSTAGRAM_SCOPES = [
  'instagram_business_basic',
  'instagram_business_content_publish',
  'instagram_business_manage_comments',
  'instagram_business_manage_insights',
  'instagram_business_manage_messages',
] as const;

export const FACEBOOK_SCOPES = [
  'instagram_basic',
  'instagram_content_publish',
  'instagram_manage_comments',
  'instagram_manage_insights',
  'instagram_manage_messages',
  'pages_show_list',
  'pages_read_engagement',
  'pages_manage_metadata',
  'business_management',
  'ads_management',
  'ads_read',
  'public_profile',
  'email',
] as const;

/** Scope needed per capability, by login type. */
export const SCOPE_FOR = {
  basic: { instagram: 'instagram_business_basic', facebook: 'instagram_basic' },
  publish: { instagram: 'instagram_business_content_publish', facebook: 'instagram_content_publish' },
  comments: { instagram: 'instagram_business_manage_comments', facebook: 'instagram_manage_comments' },
  insights: { instagram: 'instagram_business_manage_insights', facebook: 'instagram_manage_insights' },
  messages: { instagram: 'instagram_business_manage_messages', facebook: 'instagram_manage_messages' },
} as const;

export interface TokenRecord {
  token: string;
  loginType: LoginType;
  kind: 'user' | 'page';
  /** IG user id for Instagram Login tokens; FB user id for Facebook Login tokens. */
  userId: string;
  /** Page tokens: the page. */
  pageId?: string;
  appId: string;
  issuedAt: number;
  /** null = never expires (Page tokens from a long-lived user token). */
  expiresAt: number | null;
  lifetime: 'short' | 'long' | 'never';
  scopes: string[];
}

export interface AuthCode {
  code: string;
  loginType: LoginType;
  clientId: string;
  redirectUri: string;
  userId: string;
  scopes: string[];
  issuedAt: number;
  used: boolean;
}

export interface EmulatorConfig {
  quotaTotal: number;
  codeExchangeShape: 'flat' | 'data';
  userIdAsNumber: boolean;
  notFoundAfterCreateRate: number;
  allowPrivateFetch: boolean;
  redirectUris?: string[];
  refreshTooEarlyError: GraphErrorSpec;
  republishError: 'builder_not_found' | 'invalid_parameter';
  expiredPublishError: 'builder_not_found' | 'media_expired';
  hashtagLimit: 'error' | 'accept';
  permissionErrorCode: 10 | 200;
  requireRangeSupport: boolean;
  defaultApiVersion: string;
  rateLimits: Required<RateLimitOptions>;
  processing: { imageMs: number; videoMs: number };
  latencyMs: number;
}

export class EmulatorState {
  readonly igUsers = new Map<string, EmulatedIgUser>();
  readonly fbUsers = new Map<string, EmulatedFbUser>();
  readonly pages = new Map<string, EmulatedPage>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly codes = new Map<string, AuthCode>();
  readonly containers = new Map<string, EmulatedContainer>();
  readonly media = new Map<string, EmulatedMedia>();
  /** Page tokens handed out per user token, so repeated /me/accounts calls answer the same token. */
  readonly pageTokens = new Map<string, string>();
  /** Free-form per-module storage for route modules added later (comments, insights, …). */
  readonly extensions = new Map<string, unknown>();
  readonly usedIds = new Set<string>();

  denyingUser = false;
  /** Which seeded account completes the authorize step, per login type. */
  authorizingUser: Record<LoginType, string> = { instagram: '', facebook: '' };
  baseUrl = '';
  /** Sandbox mode: permalinks point here (the emulator's preview pages) instead of instagram.com. */
  permalinkBase: string | undefined;

  constructor(
    readonly clock: Clock,
    readonly apps: EmulatorApps,
    readonly config: EmulatorConfig,
    readonly prng: Prng,
  ) {}

  now(): number {
    return this.clock.now();
  }

  // ---------- ids ----------

  /** A fresh 17-digit Graph id starting with `prefix`. */
  newId(prefix = '179'): string {
    for (;;) {
      const id = prefix + this.prng.digits(17 - prefix.length);
      if (!this.usedIds.has(id) && !this.igUsers.has(id) && !this.pages.has(id)) {
        this.usedIds.add(id);
        return id;
      }
    }
  }

  newShortcode(): string {
    return shortcodeFrom(this.prng);
  }

  // ---------- tokens ----------

  issueToken(init: {
    loginType: LoginType;
    userId: string;
    lifetime?: 'short' | 'long' | 'never';
    issuedAt?: number;
    scopes?: string[];
    kind?: 'user' | 'page';
    pageId?: string;
  }): TokenRecord {
    const issuedAt = init.issuedAt ?? this.now();
    const lifetime = init.lifetime ?? 'long';
    const expiresAt =
      lifetime === 'never' ? null : issuedAt + (lifetime === 'short' ? SHORT_LIVED_MS : LONG_LIVED_MS);
    const token = init.loginType === 'instagram' ? newInstagramToken() : newFacebookToken();
    const record: TokenRecord = {
      token,
      loginType: init.loginType,
      kind: init.kind ?? 'user',
      userId: init.userId,
      pageId: init.pageId,
      appId: init.loginType === 'instagram' ? this.apps.instagramAppId : this.apps.facebookAppId,
      issuedAt,
      expiresAt,
      lifetime,
      scopes: [...(init.scopes ?? (init.loginType === 'instagram' ? INSTAGRAM_SCOPES : FACEBOOK_SCOPES))],
    };
    this.tokens.set(token, record);
    return record;
  }

  isExpired(record: TokenRecord, now = this.now()): boolean {
    return record.expiresAt !== null && now >= record.expiresAt;
  }

  // ---------- accounts ----------

  /** The IG account a token's owner acts as, when there is exactly one (IG Login tokens, page tokens). */
  igUserOfToken(record: TokenRecord): EmulatedIgUser | undefined {
    if (record.loginType === 'instagram') return this.igUsers.get(record.userId);
    if (record.kind === 'page' && record.pageId) {
      const igId = this.pages.get(record.pageId)?.igUserId;
      return igId ? this.igUsers.get(igId) : undefined;
    }
    return undefined;
  }

  /** IG accounts a token may act on. */
  accessibleIgUsers(record: TokenRecord): EmulatedIgUser[] {
    if (record.loginType === 'instagram') {
      const user = this.igUsers.get(record.userId);
      return user && user.loginType === 'instagram' ? [user] : [];
    }
    const pageIds =
      record.kind === 'page' && record.pageId ? [record.pageId] : (this.fbUsers.get(record.userId)?.pageIds ?? []);
    const out: EmulatedIgUser[] = [];
    for (const pageId of pageIds) {
      const igId = this.pages.get(pageId)?.igUserId;
      const user = igId ? this.igUsers.get(igId) : undefined;
      if (user) out.push(user);
    }
    return out;
  }

  /** Finds an IG account by `user_id` or by its app-scoped id. */
  findIgUser(id: string): EmulatedIgUser | undefined {
    const direct = this.igUsers.get(id);
    if (direct) return direct;
    for (const user of this.igUsers.values()) if (user.appScopedId === id) return user;
    return undefined;
  }

  // ---------- containers & media ----------

  /** Current status of a container, derived from its timestamps (lazy state machine). */
  containerStatus(container: EmulatedContainer, now = this.now()): ContainerStatusCode {
    if (container.publishedMediaId) return 'PUBLISHED';
    if (now >= container.createdAt + CONTAINER_TTL_MS) {
      return container.failure && this.processingDone(container, now) ? 'ERROR' : 'EXPIRED';
    }
    if (container.kind === 'carousel') {
      let pending = false;
      for (const childId of container.children ?? []) {
        const child = this.containers.get(childId);
        if (!child) continue;
        const childStatus = this.containerStatus(child, now);
        if (childStatus === 'ERROR') return 'ERROR';
        if (childStatus === 'EXPIRED') return 'EXPIRED';
        if (childStatus === 'IN_PROGRESS') pending = true;
      }
      if (pending) return 'IN_PROGRESS';
    }
    if (!this.processingDone(container, now)) return 'IN_PROGRESS';
    return container.failure ? 'ERROR' : 'FINISHED';
  }

  processingDone(container: EmulatedContainer, now = this.now()): boolean {
    return container.processingStartedAt !== null && now >= container.processingStartedAt + container.processingMs;
  }

  /** The failure shown by a carousel parent (its first failed child) or the container itself. */
  containerFailure(container: EmulatedContainer, now = this.now()): EmulatedContainer['failure'] {
    if (container.failure) return container.failure;
    for (const childId of container.children ?? []) {
      const child = this.containers.get(childId);
      if (child && this.containerStatus(child, now) === 'ERROR') return this.containerFailure(child, now);
    }
    return undefined;
  }

  /** Posts published through the API in the rolling window ending now (carousels count once). */
  quotaUsage(ownerId: string, sinceMs?: number, now = this.now()): number {
    const from = Math.max(now - QUOTA_WINDOW_MS, sinceMs ?? -Infinity);
    let count = 0;
    for (const media of this.media.values()) {
      if (media.ownerId === ownerId && media.viaApi && !media.parentId && media.timestamp > from && media.timestamp <= now) count++;
    }
    return count;
  }

  /** Feed media of an account (no stories, no carousel children), newest first. */
  feedMedia(ownerId: string): EmulatedMedia[] {
    return sortNewestFirst(
      [...this.media.values()].filter((m) => m.ownerId === ownerId && !m.parentId && m.productType !== 'STORY'),
    );
  }

  /** Stories still live (published less than 24 h ago), newest first. */
  liveStories(ownerId: string, now = this.now()): EmulatedMedia[] {
    return sortNewestFirst(
      [...this.media.values()].filter(
        (m) => m.ownerId === ownerId && m.productType === 'STORY' && now - m.timestamp < STORY_TTL_MS && m.timestamp <= now,
      ),
    );
  }

  isLive(media: EmulatedMedia, now = this.now()): boolean {
    return media.productType !== 'STORY' || now - media.timestamp < STORY_TTL_MS;
  }

  addMedia(media: EmulatedMedia): EmulatedMedia {
    this.usedIds.add(media.id);
    this.media.set(media.id, media);
    return media;
  }
}

export function sortNewestFirst(list: EmulatedMedia[]): EmulatedMedia[] {
  return list.sort((a, b) => b.timestamp - a.timestamp || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** The post's page: on instagram.com, or in sandbox mode the emulator's own preview page (`base`). */
export function permalinkFor(media: Pick<EmulatedMedia, 'productType' | 'shortcode' | 'id'>, username: string, base = 'https://www.instagram.com'): string {
  if (media.productType === 'REELS') return `${base}/reel/${media.shortcode}/`;
  if (media.productType === 'STORY') return `${base}/stories/${username}/${media.id}/`;
  return `${base}/p/${media.shortcode}/`;
}

export function cdnUrl(id: string, kind: 'jpg' | 'mp4'): string {
  const folder = kind === 'jpg' ? 't51.29350-15' : 'o1/v/t16';
  return `https://scontent.cdninstagram.com/v/${folder}/${id}_n.${kind}?_nc_ht=scontent.cdninstagram.com&oh=emulator`;
}
