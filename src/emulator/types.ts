/**
 * Public types of the Instagram Graph API emulator. Behaviour follows
 * /work/shared/reference/instagram-graph-api.md; options marked UNCONFIRMED there are configurable here.
 */
import type { Clock } from '../clock.js';

export type HostRole =
  | 'instagram_graph'
  | 'facebook_graph'
  | 'instagram_api'
  | 'instagram_www'
  | 'facebook_www'
  | 'rupload'
  | 'admin';

export type LoginType = 'instagram' | 'facebook';

export interface EmulatorApps {
  instagramAppId: string;
  instagramAppSecret: string;
  facebookAppId: string;
  facebookAppSecret: string;
}

export type RateLimitErrorCode = 4 | 17 | 32 | 613 | 80002;

export interface RateLimitOptions {
  /** Calls per IG account in a rolling hour before the BUC limit answers errors (default 200). */
  callBudgetPerHour?: number;
  /** Calls per app in a rolling hour before the app-level limit answers errors (default 2000). */
  appCallBudgetPerHour?: number;
  /** Code answered when an account's budget is exhausted (default 80002). */
  bucErrorCode?: RateLimitErrorCode;
  /** Code answered when the app budget is exhausted (default 4). */
  appErrorCode?: RateLimitErrorCode;
}

export interface GraphErrorSpec {
  code: number;
  subcode?: number;
  message: string;
}

export interface EmulatorOptions {
  clock?: Clock;
  /** Seed ~30 existing media (and live stories) per account. Accounts always exist. Default true. */
  seed?: boolean;
  apps?: Partial<EmulatorApps>;
  /** `content_publishing_limit.config.quota_total` and the publish cap per rolling 24 h (default 100). */
  quotaTotal?: number;
  processing?: { imageMs?: number; videoMs?: number };
  /** Shape of `POST api.instagram.com/oauth/access_token` (default 'flat'). */
  codeExchangeShape?: 'flat' | 'data';
  /** Flat code exchange writes `user_id` as an unquoted JSON number, as the real endpoint (default true). */
  userIdAsNumber?: boolean;
  /** Share (0..1) of first container reads that answer 100/33 "does not exist" (default 0). */
  notFoundAfterCreateRate?: number;
  /** Simulated latency per request, in clock milliseconds (default 0). */
  latencyMs?: number;
  /** Fetch media from loopback / private addresses (default true: tests serve files on 127.0.0.1). */
  allowPrivateFetch?: boolean;
  /** Seed of the deterministic PRNG used for fault rates, first-read 100/33 and seeded data (default 1). */
  randomSeed?: number;
  rateLimits?: RateLimitOptions;
  /** When set, OAuth redirect_uri must be one of these exactly; otherwise any http(s) URI is accepted. */
  redirectUris?: string[];
  /**
   * Error for refreshing an Instagram token younger than 24 h (UNCONFIRMED in the reference).
   * Default: code 190, no subcode, an explicit message.
   */
  refreshTooEarlyError?: GraphErrorSpec;
  /** Error for publishing an already published container (UNCONFIRMED). Default 24/2207008. */
  republishError?: 'builder_not_found' | 'invalid_parameter';
  /** Error for publishing an EXPIRED container (reference: -2/2207020 or 24/2207008). Default 24/2207008. */
  expiredPublishError?: 'builder_not_found' | 'media_expired';
  /** Caption with more than 30 hashtags (UNCONFIRMED): 'error' → 100/2207040 (default), 'accept'. */
  hashtagLimit?: 'error' | 'accept';
  /** Code for a missing permission (default 10; 200 is the other documented family). */
  permissionErrorCode?: 10 | 200;
  /** Require a 206 answer to the Range request used for video_url (default false: 200 is accepted). */
  requireRangeSupport?: boolean;
  /** Graph version used in URLs the emulator builds when the request had none (default v24.0). */
  defaultApiVersion?: string;
}

export type FaultKind =
  | {
      type: 'graph_error';
      code: number;
      subcode?: number;
      message?: string;
      httpStatus?: number;
      isTransient?: boolean;
      /** Apply the request first, then answer this error (Instagram answering code 4 on a publish it made live). */
      applied?: boolean;
    }
  /** A container read answered from a lagging replica: `status_code` (and `status`) as given, not as it is. */
  | { type: 'stale_status'; statusCode: ContainerStatusCode }
  | { type: 'http_5xx'; status?: number; body?: string }
  | { type: 'drop_connection' }
  | { type: 'slow'; ms: number }
  | { type: 'lost_response' };

export interface FaultRule {
  method?: string;
  /** Matched against the path after the host prefix and version, e.g. /^\/\d+\/media_publish$/. */
  path?: string | RegExp;
  hostRole?: HostRole;
  /** Probability (0..1) that a matching request gets `kind` (deterministic PRNG). */
  rate?: number;
  /** One entry consumed per matching request; 'none' lets it pass. The rule ends when consumed. */
  sequence?: Array<FaultKind | 'none'>;
  /** Fault applied to every matching request (or with probability `rate`). */
  kind?: FaultKind;
  /** Stop after this many injected faults. */
  times?: number;
}

export interface RequestMatcher {
  method?: string;
  path?: string | RegExp;
  hostRole?: HostRole;
}

export interface Hold {
  readonly id: string;
  /** Requests currently waiting on this hold. */
  readonly heldCount: number;
  /** Resolves once at least one matching request is being held. */
  waitForRequest(): Promise<void>;
  /** Lets every held request proceed and stops holding new ones. */
  release(): void;
}

export interface LoggedRequest {
  time: number;
  method: string;
  hostRole: HostRole;
  /** Path after the host prefix and Graph version. */
  path: string;
  version: string | null;
  /** Query + form/JSON body merged, secrets masked. */
  params: Record<string, string>;
  /** Request headers, authorization / tokens masked. */
  headers: Record<string, string>;
  /** HTTP status answered; 0 when no answer was sent (dropped / lost response / client gone). */
  status: number;
  /** Fault applied to this request, if any. */
  fault?: FaultKind['type'];
}

export type AccountType = 'BUSINESS' | 'MEDIA_CREATOR';

export interface EmulatedIgUser {
  /** Instagram professional account id (`user_id`, `<IG_ID>`), above 2^53, always a string. */
  id: string;
  /** App-scoped id returned as `id` by graph.instagram.com `/me`. */
  appScopedId: string;
  username: string;
  name: string;
  accountType: AccountType;
  biography: string;
  website: string;
  profilePictureUrl: string;
  followersCount: number;
  followsCount: number;
  /** How the account is reached: Instagram Login directly, or through a Facebook Page. */
  loginType: LoginType;
  /** Linked Page (Facebook Login accounts). */
  pageId?: string;
}

export interface EmulatedFbUser {
  id: string;
  name: string;
  pageIds: string[];
}

export interface EmulatedPage {
  id: string;
  name: string;
  category: string;
  igUserId?: string;
  ownerId: string;
}

export interface EmulatorUsers {
  /** Instagram-Login BUSINESS account. */
  instagramBusiness: EmulatedIgUser;
  /** Instagram-Login MEDIA_CREATOR account. */
  instagramCreator: EmulatedIgUser;
  /** Facebook-Login user owning both pages. */
  facebookUser: EmulatedFbUser;
  /** Page linked to `facebookInstagram`. */
  linkedPage: EmulatedPage;
  /** Page without an instagram_business_account. */
  unlinkedPage: EmulatedPage;
  /** BUSINESS account reached through `linkedPage` (Facebook Login). */
  facebookInstagram: EmulatedIgUser;
}

export type ProductType = 'FEED' | 'REELS' | 'STORY' | 'AD';
export type MediaType = 'IMAGE' | 'VIDEO' | 'CAROUSEL_ALBUM';

export interface EmulatedMedia {
  id: string;
  ownerId: string;
  mediaType: MediaType;
  productType: ProductType;
  caption?: string;
  /** Epoch ms. */
  timestamp: number;
  shortcode: string;
  /** Absent on carousel children. */
  permalink?: string;
  mediaUrl: string;
  thumbnailUrl?: string;
  likeCount: number;
  commentsCount: number;
  isCommentEnabled: boolean;
  isSharedToFeed?: boolean;
  altText?: string;
  children?: string[];
  parentId?: string;
  /** Container this media was published from (API-published media only). */
  containerId?: string;
  /** Published through the content publishing API (counts against the quota). */
  viaApi: boolean;
  userTags?: unknown;
  collaborators?: string[];
  locationId?: string;
  isAiGenerated?: boolean;
}

export type ContainerStatusCode = 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'EXPIRED' | 'PUBLISHED';
export type ContainerMediaType = 'IMAGE' | 'VIDEO' | 'REELS' | 'STORIES' | 'CAROUSEL';

export interface ContainerFailure {
  code: number;
  subcode: number;
  message: string;
}

export interface ContainerSource {
  /** Where the bytes came from. */
  via: 'image_url' | 'video_url' | 'upload' | 'file_url' | 'children';
  url?: string;
  bytes: number;
  sha256?: string;
  format?: string;
  width?: number;
  height?: number;
  durationMs?: number;
}

export interface ContainerUpload {
  /** Declared total size (`file_size` header of the first upload request). */
  fileSize?: number;
  bytesReceived: number;
  complete: boolean;
  sha256?: string;
}

export interface EmulatedContainer {
  id: string;
  ownerId: string;
  createdAt: number;
  /** `media_type` as sent (IMAGE when omitted). */
  mediaType: ContainerMediaType;
  /** What the container holds. */
  kind: 'image' | 'video' | 'carousel';
  productType: ProductType;
  isCarouselItem: boolean;
  resumable: boolean;
  children?: string[];
  caption?: string;
  altText?: string;
  params: Record<string, string>;
  source?: ContainerSource;
  upload?: ContainerUpload;
  /** Processing time of this container (copied from the emulator setting at creation). */
  processingMs: number;
  /** When processing started (bytes complete); null until then. */
  processingStartedAt: number | null;
  /** Outcome decided when the bytes were inspected; shown once processing ends. */
  failure?: ContainerFailure;
  publishedMediaId?: string;
  publishedAt?: number;
  /** Set once a client read the container (for the first-read 100/33 quirk). */
  readCount: number;
}
