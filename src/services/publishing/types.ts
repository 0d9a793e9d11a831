/**
 * The publishing service's vocabulary: what a request carries in, what the service hands back (domain
 * objects, camelCase; each tool shapes its own output), and what it is built from. Types only, plus
 * the state names, so tool schemas can load this without the workflow.
 */
import type { Clock } from '../../clock.js';
import type { AppConfig } from '../../config.js';
import type { UserTag } from '../../instagram/publishing.js';
import type { Logger } from '../../log.js';
import type { RatioFix } from '../../media/index.js';
import type { GraphHttp } from '../../instagram/http.js';
import type { ChildState, FirstCommentResult, PostKind, PostState, Store } from '../../store/index.js';
import type { AccountService } from '../accounts.js';
import type { MediaInput, MediaLibrary } from '../mediaLibrary.js';
import type { Progress } from '../progress.js';
import type { ScheduleRequest } from './scheduling.js';

export { CHILD_STATES, POST_STATES } from '../../store/states.js';
export type { ChildState, PostKind, PostState };

/** What the publishing service is built from (app.ts builds it once). */
export interface PublishingDeps {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  store: Store;
  graph: GraphHttp;
  accounts: AccountService;
  library: MediaLibrary;
}

export type { ScheduleRequest };
export type PublishSurface = 'feed' | 'reel' | 'story';

export interface MediaItemRequest extends MediaInput {
  altText?: string;
  userTags?: UserTag[];
}

/** A day of the calendar (instagram_list_scheduled), in the caller's time zone. */
export interface ScheduledDay {
  date: string;
  posts: Array<{ postId: string; publishAt: number; localTime: string; kind: PostKind; state: PostState; account: string; caption: string | null }>;
}

export interface PublishRequest {
  surface: PublishSurface;
  account?: string;
  media: MediaItemRequest[];
  /** Take this many of the newest unused files from the media folders (after `media`). */
  autoDiscover?: number;
  caption?: string;
  locationId?: string;
  collaborators?: string[];
  /** Tags of a single image, reel or story (carousel items carry their own). */
  userTags?: UserTag[];
  /** Alt text of a single image (carousel items carry their own). */
  altText?: string;
  firstComment?: string;
  cover?: MediaInput;
  thumbOffsetMs?: number;
  shareToFeed?: boolean;
  audioName?: string;
  fixMedia?: RatioFix;
  idempotencyKey?: string;
  /** Publish even when the same media and caption went to this account within the last 15 minutes. */
  allowDuplicate?: boolean;
  /** Publish at this time instead of now. */
  schedule?: ScheduleRequest;
}

export interface WaitOptions {
  signal?: AbortSignal;
  progress?: Progress;
  /** How long to wait for the post to finish before returning its state. Default config.publishWaitMs. */
  waitMs?: number;
}

/** Why a post failed, and what that means for the user. */
export interface PostErrorView {
  /** The Graph code, else our own code (e.g. container_expired). */
  code: number | string;
  subcode: number | null;
  message: string;
  meaning: string | null;
}

export interface FirstCommentView {
  /** `pending` until the post is completed and the comment written. */
  status: FirstCommentResult['status'] | 'pending';
  commentId?: string;
  message?: string;
}

/** A post as the publishing service reports it. */
export interface PostStatusView {
  postId: string;
  state: PostState;
  /** 0 to 1. */
  progress: number;
  kind: PostKind;
  account: { id: string; username: string } | null;
  mediaId: string | null;
  permalink: string | null;
  containerId: string | null;
  /** Carousels only. */
  children?: Array<{ index: number; containerId: string | null; state: ChildState }>;
  error: PostErrorView | null;
  firstComment?: FirstCommentView;
  /** What fix_media changed. */
  fixes: string[];
  /** The files auto_discover took (relative to their media folder). */
  autoDiscovered: string[];
  attempts: number;
  createdAt: number;
  publishedAt: number | null;
  expiresAt: number | null;
  /** Scheduled posts: when media_publish is due. */
  publishAt?: number;
  /** A scheduled post that went out more than a minute after publish_at: by how much. */
  lateMs?: number;
  /** The post is bound to an idempotency key (a failed post keeps it). */
  hasIdempotencyKey: boolean;
  /** The idempotency key had been used: this is the first request's post. */
  replayed: boolean;
  /** A call without a key repeated this post's content within the window: this post was returned, nothing new published. */
  duplicateOf?: string;
  /** A job of this server is still driving the post. */
  running: boolean;
  /** Another server process holds the post (it is driving it). */
  drivenElsewhere: boolean;
  /** Why an unfinished post waits, or what a completed one still lacks; never on a failed post. */
  note?: string;
}

export interface PublishingLimitView {
  account: { id: string; username: string };
  quotaUsage: number;
  quotaTotal: number | null;
  quotaDurationSec: number | null;
  remaining: number | null;
  /** Estimated from the posts this server published; null when unknown. */
  freesAt: number | null;
}
